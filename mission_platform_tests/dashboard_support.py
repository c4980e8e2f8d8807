"""A warehouse built by the real pipeline from a small generated export, for the dashboard's tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from mission_platform.resources import LakeResource
from mission_platform.anonymise.originals import PERSONAL_COLUMNS
from mission_platform_tests.conftest import EXAMPLE_TARIFFS, TEST_KEY, run_pipeline

EXPORT_DATE = dt.date(2024, 9, 16)
# Enough weeks for a forecast (the model needs a year of history), small enough to run in seconds.
SMALL_EXPORT = {"weeks": 60, "missions_per_week": 40, "hotels": 25, "extras": 60, "seed": 11}


@dataclass(frozen=True)
class BuiltWarehouse:
    owner_url: str   # the pipeline owner's URL: tests read the expected figures with it
    lake_url: str
    export_id: str


def build_warehouse(lake_root: Path, owner_url: str, *, selection=None, **options) -> BuiltWarehouse:
    """Generate an export into ``lake_root`` and run every asset of the graph (or ``selection``) on ``owner_url``."""
    from mission_platform.sample_data import build_export, write_export

    lake = LakeResource(url=str(lake_root))
    generated = build_export(EXPORT_DATE, **{**SMALL_EXPORT, **options})
    write_export(lake, generated)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**EXAMPLE_TARIFFS, "ANONYMISATION_KEY": TEST_KEY, "MISSION_EXECUTOR": "in_process"}.items():
            patch.setenv(name, value)
        result = run_pipeline(generated.export_id, lake_url=str(lake_root), warehouse_url=owner_url, selection=selection)
    assert result.success, "the pipeline failed on the generated export"
    return BuiltWarehouse(owner_url=owner_url, lake_url=str(lake_root), export_id=generated.export_id)


def personal_values(built: BuiltWarehouse, min_length: int = 5) -> set[str]:
    """Every personal value of the raw export (names, addresses, notes, phones, e-mails), from the parsed frames."""
    lake = LakeResource(url=built.lake_url)
    values: set[str] = set()
    for source, columns in PERSONAL_COLUMNS.items():
        frame = lake.read_parquet(f"parsed/{built.export_id}/{source}.parquet")
        for column in columns:
            if column in frame.columns:
                values |= {str(v).strip() for v in frame[column].dropna() if len(str(v).strip()) >= min_length}
    # Notion page ids are personal only as links; their hex runs are searched by the anonymisation checks.
    return {v for v in values if not all(c in "0123456789abcdef-" for c in v.lower())}


def frame_text(frame: pd.DataFrame) -> str:
    return frame.astype(str).to_csv(index=False)
