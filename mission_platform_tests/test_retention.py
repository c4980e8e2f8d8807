"""Retention: the raw and parsed exports past the retention period are deleted, the newest and every anonymised kept."""

from __future__ import annotations

import json

import pytest

from mission_platform.retention import AUDIT_KEY, apply_retention, expired_exports
from mission_platform.resources import LakeResource

EXPORTS = ("2024-01-01", "2024-03-01", "2024-03-20T0930")


def test_which_exports_expire():
    assert expired_exports(list(EXPORTS), 30) == ["2024-01-01"]
    assert expired_exports(list(EXPORTS), 5) == ["2024-01-01", "2024-03-01"]
    assert expired_exports(["2024-01-01"], 1) == []          # the newest is always kept
    assert expired_exports(list(EXPORTS), 365) == []


def _filled(lake: LakeResource) -> None:
    for export_id in EXPORTS:
        lake.write_bytes(f"raw/notion/{export_id}/Missions 0123456789abcdef0123456789abcdef_all.csv", b"ID\r\nMIS-1")
        for area in ("parsed", "anonymised"):
            lake.write_bytes(f"{area}/{export_id}/missions.parquet", b"frame")
            lake.write_bytes(f"{area}/{export_id}/hotels.parquet", b"frame")


def _check(lake: LakeResource) -> None:
    deletions = apply_retention(lake, 10, log=None)
    assert [(d.export_id, d.area, d.objects) for d in deletions] == [
        ("2024-01-01", "raw", 1), ("2024-01-01", "parsed", 2), ("2024-03-01", "raw", 1), ("2024-03-01", "parsed", 2)]
    left = {o.key for o in lake.list("")}
    assert {k for k in left if k.startswith(("raw/", "parsed/"))} == {
        "raw/notion/2024-03-20T0930/Missions 0123456789abcdef0123456789abcdef_all.csv",
        "parsed/2024-03-20T0930/missions.parquet", "parsed/2024-03-20T0930/hotels.parquet"}
    assert sum(k.startswith("anonymised/") for k in left) == 6       # every anonymised export is kept
    audit = [json.loads(line) for line in lake.read_bytes(AUDIT_KEY).decode().splitlines()]
    assert [(a["export_id"], a["area"]) for a in audit] == [(d.export_id, d.area) for d in deletions]
    assert set(audit[0]) == {"export_id", "area", "objects", "deleted_at"}   # nothing about anyone
    assert apply_retention(lake, 10) == []                                  # nothing left to delete
    assert apply_retention(lake, None) == []                                # unset: keep everything


def test_retention_on_a_local_lake(tmp_path):
    lake = LakeResource(url=str(tmp_path / "lake"))
    _filled(lake)
    _check(lake)


@pytest.mark.s3
def test_retention_on_an_s3_lake(s3_lake_url):
    import os

    lake = LakeResource(url=s3_lake_url, s3_endpoint_url=os.environ["MISSION_S3_ENDPOINT_URL"])
    _filled(lake)
    _check(lake)
