"""Frames pass between steps as Parquet files in the lake, never through Dagster's local storage.

``parsed/<export_id>/<source>.parquet`` holds the raw stage's typed frames (a
private area, like ``raw/``); ``anonymised/<export_id>/<source>.parquet`` the
shareable data set. Steps can then run in separate processes or machines and
no personal data is pickled into Dagster's home.
"""


import json

import dagster as dg
import pandas as pd

from mission_platform.columns import SOURCES
from mission_platform.lake_layout import MANIFEST, frame_key, manifest_key
from mission_platform.resources import LakeResource


def source_of(asset_key: dg.AssetKey) -> str:
    """``notion_missions`` / ``anonymised_missions`` -> ``missions``."""
    source = asset_key.path[-1].split("_", 1)[-1]
    if source not in SOURCES:
        raise ValueError(f"asset {asset_key.to_user_string()} is not one of the per-source frame assets")
    return source


class LakeParquetIOManager(dg.ConfigurableIOManager):
    """Stores each partition of a per-source frame asset as one Parquet object."""

    lake: dg.ResourceDependency[LakeResource]
    area: str

    def _key(self, asset_key: dg.AssetKey, partition_key: str) -> str:
        return frame_key(self.area, partition_key, source_of(asset_key))

    def handle_output(self, context: dg.OutputContext, obj: pd.DataFrame) -> None:
        key = self._key(context.asset_key, context.partition_key)
        self.lake.write_parquet(key, obj)
        context.add_output_metadata({"lake_path": dg.MetadataValue.path(self.lake.location(key))})

    def load_input(self, context: dg.InputContext) -> pd.DataFrame:
        return self.lake.read_parquet(self._key(context.asset_key, context.asset_partition_key))


def complete_exports(lake: LakeResource, area: str) -> list[str]:
    """Exports whose frames were written whole and passed their checks, oldest first.

    The manifest is removed before a folder is rewritten and written last, so a
    folder that is half-written, or whose checks failed, has none.
    """
    return sorted(
        obj.key.split("/")[1]
        for obj in lake.list(area)
        if obj.key.count("/") == 2 and obj.key.endswith("/" + MANIFEST)
    )


def read_manifest(lake: LakeResource, area: str, export_id: str) -> dict:
    return json.loads(lake.read_bytes(manifest_key(area, export_id)))


def write_manifest(lake: LakeResource, area: str, export_id: str, content: dict) -> None:
    lake.write_bytes(manifest_key(area, export_id), json.dumps(content, sort_keys=True, indent=1).encode())


def read_frames(lake: LakeResource, area: str, export_id: str, sources: tuple[str, ...] = SOURCES, *,
                arrow_strings: bool = False) -> dict[str, pd.DataFrame]:
    return {source: lake.read_parquet(frame_key(area, export_id, source), arrow_strings=arrow_strings)
            for source in sources}
