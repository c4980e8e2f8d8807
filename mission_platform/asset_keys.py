"""The asset keys stages refer to across folders: a stage names the assets it depends on, never imports them."""

import dagster as dg

from mission_platform.columns import SOURCES


def notion_asset(source: str) -> dg.AssetKey:
    """The raw stage's frame of one database (``notion_missions`` ...)."""
    return dg.AssetKey(f"notion_{source}")


def anonymised_asset(source: str) -> dg.AssetKey:
    """The shareable frame of one database (``anonymised_missions`` ...)."""
    return dg.AssetKey(f"anonymised_{source}")


NOTION_ASSETS = {source: notion_asset(source) for source in SOURCES}
ANONYMISED_ASSETS = {source: anonymised_asset(source) for source in SOURCES}
