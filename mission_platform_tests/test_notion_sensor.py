"""The export sensor, on a local lake and on S3 (moto's server): readiness, cursor, re-uploads."""

from __future__ import annotations

import dagster as dg
import pytest

from mission_platform.notion.sensors import notion_export_sensor
from mission_platform.partitions import exports_partitions
from mission_platform.resources import lake_from_env
from mission_platform_tests.conftest import EXAMPLE_EXPORT


def drop_export(lake, export_id: str, *, only: tuple[str, ...] | None = None, tweak: bytes = b"") -> None:
    for path in sorted(EXAMPLE_EXPORT.glob("*.csv")):
        if only and not path.name.startswith(only):
            continue
        lake.write_bytes(f"raw/notion/{export_id}/{path.name}", path.read_bytes() + tweak)


def tick(instance, lake, cursor):
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"lake": lake})
    result = notion_export_sensor(context)
    # Apply the partition requests as the daemon would.
    for request in result.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result, result.cursor


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def lake(request):
    request.getfixturevalue("local_lake_url" if request.param == "local" else "s3_lake_url")
    return lake_from_env()


def test_an_export_runs_once_when_settled(lake):
    instance = dg.DagsterInstance.ephemeral()
    drop_export(lake, "2024-04-08")
    first, cursor = tick(instance, lake, None)
    assert not first.run_requests  # seen once: may still be uploading
    second, cursor = tick(instance, lake, cursor)
    assert [r.partition_key for r in second.run_requests] == ["2024-04-08"]
    assert instance.get_dynamic_partitions(exports_partitions.name) == ["2024-04-08"]
    third, cursor = tick(instance, lake, cursor)
    assert not third.run_requests  # same content never runs twice


def test_a_folder_still_uploading_is_not_an_export(lake):
    instance = dg.DagsterInstance.ephemeral()
    drop_export(lake, "2024-04-08", only=("Missions", "Extras"))
    result, cursor = tick(instance, lake, None)
    result, cursor = tick(instance, lake, cursor)
    assert not result.run_requests  # the hotels file is missing
    drop_export(lake, "2024-04-08", only=("Hôtels",))
    result, cursor = tick(instance, lake, cursor)
    assert not result.run_requests  # changed since the previous look
    result, cursor = tick(instance, lake, cursor)
    assert [r.partition_key for r in result.run_requests] == ["2024-04-08"]


def test_two_exports_in_one_tick_and_a_changed_reupload(lake):
    instance = dg.DagsterInstance.ephemeral()
    drop_export(lake, "2024-04-08")
    drop_export(lake, "2024-04-15T0930")
    _, cursor = tick(instance, lake, None)
    result, cursor = tick(instance, lake, cursor)
    assert sorted(r.partition_key for r in result.run_requests) == ["2024-04-08", "2024-04-15T0930"]
    assert len({r.run_key for r in result.run_requests}) == 2
    # A corrected re-upload into the same folder is a new version of that export.
    drop_export(lake, "2024-04-08", only=("Missions",), tweak=b"\r\n")
    _, cursor = tick(instance, lake, cursor)
    result, cursor = tick(instance, lake, cursor)
    assert [r.partition_key for r in result.run_requests] == ["2024-04-08"]
    assert sorted(instance.get_dynamic_partitions(exports_partitions.name)) == ["2024-04-08", "2024-04-15T0930"]


def test_folders_that_are_not_exports_are_ignored(lake):
    instance = dg.DagsterInstance.ephemeral()
    drop_export(lake, "not-a-date")
    _, cursor = tick(instance, lake, None)
    result, _ = tick(instance, lake, cursor)
    assert not result.run_requests
