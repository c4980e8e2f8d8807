"""Faults end with their cause, bounded: bad settings fail a run before it writes, stores are retried once, not twice."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import dagster as dg
import psycopg
import pytest

from mission_platform.cli.commands import _mission_job
from mission_platform.partitions import exports_partitions
from mission_platform.resources import LakeError, LakeResource
from mission_platform.retry import TransientFailure
from mission_platform.warehouse.resources import TariffsResource, WarehouseResource
from mission_platform_tests.conftest import (
    EXAMPLE_EXPORT,
    EXAMPLE_EXPORT_ID,
    copy_export,
    run_pipeline,
)


def step_failures(result) -> dict[str, str]:
    return {
        event.step_key: event.step_failure_data.user_failure_data.description
        for event in result.all_events if event.event_type_value == "STEP_FAILURE"
    }


def published(url: str) -> bool:
    """Any export published (rejected_rows may have created the schema, never a publish)."""
    with psycopg.connect(url) as conn:
        if conn.execute("SELECT to_regclass('core.load_history')").fetchone()[0] is None:
            return False
        return conn.execute("SELECT count(*) FROM core.load_history").fetchone()[0] > 0


def test_a_bad_setting_fails_the_run_at_its_first_step_before_anything_is_written(pipeline_env, monkeypatch):
    copy_export(EXAMPLE_EXPORT, Path(pipeline_env["lake_url"]), EXAMPLE_EXPORT_ID)
    monkeypatch.setenv("MISSION_MAX_ROW_DROP_SHARE", "abc")
    result = run_pipeline(EXAMPLE_EXPORT_ID, **pipeline_env)
    assert not result.success
    failures = step_failures(result)
    assert list(failures) == ["notion_export"]  # the first step; nothing downstream ran
    assert failures["notion_export"].startswith("MISSION_MAX_ROW_DROP_SHARE is 'abc': expected a share")
    assert sorted(p.name for p in Path(pipeline_env["lake_url"]).iterdir()) == ["raw"]  # no parsed/, no anonymised/
    assert not published(pipeline_env["warehouse_url"])


def test_a_bad_tariff_given_as_a_resource_field_fails_before_the_publish(pipeline_env):
    copy_export(EXAMPLE_EXPORT, Path(pipeline_env["lake_url"]), EXAMPLE_EXPORT_ID)
    from mission_platform.definitions import defs

    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(exports_partitions.name, [EXAMPLE_EXPORT_ID])
    from mission_platform.definitions import resources_from_env
    from mission_platform.lake_io import LakeParquetIOManager

    lake = LakeResource(url=pipeline_env["lake_url"])
    resources = {
        **resources_from_env(),
        "lake": lake, "parsed_io_manager": LakeParquetIOManager(lake=lake, area="parsed"),
        "warehouse": WarehouseResource(url=pipeline_env["warehouse_url"]),
        "tariffs": TariffsResource(overtime_rate="-5", extra_hourly_pay="15", extra_hourly_pay_urgent="18", vat_rate="0.2"),
    }
    result = dg.materialize([*defs.assets, *(defs.asset_checks or [])], partition_key=EXAMPLE_EXPORT_ID,
                            instance=instance, resources=resources, raise_on_error=False)
    failures = step_failures(result)
    assert failures["core_tables"].startswith("OVERTIME_RATE (a secret: value not shown): expected an amount")
    assert not published(pipeline_env["warehouse_url"])


def test_a_count_below_one_fails_the_run_instead_of_hanging_it(tmp_path, local_lake_url, monkeypatch):
    """MISSION_MAX_CONCURRENT_STEPS=-5 on the multiprocess executor: the run ends, failed, with the message."""
    copy_export(EXAMPLE_EXPORT, Path(local_lake_url), EXAMPLE_EXPORT_ID)
    monkeypatch.setenv("MISSION_MAX_CONCURRENT_STEPS", "-5")
    started = time.monotonic()
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        instance.add_dynamic_partitions(exports_partitions.name, [EXAMPLE_EXPORT_ID])
        result = dg.execute_job(dg.reconstructable(_mission_job), instance=instance,
                                tags={"dagster/partition": EXAMPLE_EXPORT_ID},
                                asset_selection=[dg.AssetKey(f"notion_{s}") for s in ("missions", "hotels", "extras")])
        assert not result.success
        failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert failure.step_failure_data.user_failure_data.description.startswith(
        "MISSION_MAX_CONCURRENT_STEPS is '-5': expected a number of steps, 1 or more")
    assert time.monotonic() - started < 120


class ClosingServer:
    """A loopback TCP server that accepts every connection and closes it at once; counts them."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            client.close()

    def close(self):
        self.sock.close()


@pytest.mark.parametrize("attempts", [1, 3])
def test_an_s3_lake_that_drops_every_connection_is_tried_exactly_as_documented(attempts, monkeypatch):
    """One retry layer: MISSION_RETRY_ATTEMPTS connections in all (the client itself never retries), backoff 0.5 s, 1 s."""
    monkeypatch.setenv("MISSION_RETRY_ATTEMPTS", str(attempts))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    server = ClosingServer()
    lake = LakeResource(url="s3://bucket/lake", s3_endpoint_url=f"http://127.0.0.1:{server.port}", s3_region="eu-west-3")
    started = time.monotonic()
    try:
        with pytest.raises(TransientFailure) as raised:
            lake.read_bytes("raw/notion/2024-04-08/Missions.csv")
    finally:
        server.close()
    elapsed = time.monotonic() - started
    assert server.connections == attempts
    backoff = sum(0.5 * 2 ** i for i in range(attempts - 1))
    assert backoff <= elapsed < backoff + 5
    message = str(raised.value)
    assert message.startswith(f"the lake: reading s3://bucket/lake/raw/notion/2024-04-08/Missions.csv failed after {attempts}")
    assert "ConnectionClosedError" in message and "\n" not in message


def test_the_warehouse_connection_is_retried_in_one_layer(monkeypatch):
    monkeypatch.setenv("MISSION_RETRY_ATTEMPTS", "3")
    server = ClosingServer()
    try:
        with pytest.raises(TransientFailure, match=r"connecting to the warehouse .* failed after 3 attempts .*"):
            WarehouseResource(url=f"postgresql://postgres@127.0.0.1:{server.port}/db").query_frame("SELECT 1")
    finally:
        server.close()
    assert server.connections == 3  # query_frame adds no retries of its own around connect()


def test_a_lake_that_cannot_be_written_says_where_and_why(tmp_path):
    (tmp_path / "raw").write_text("a file where the lake expects a folder")
    lake = LakeResource(url=str(tmp_path))
    with pytest.raises(LakeError, match=rf"the lake: writing {tmp_path}/raw/x.parquet failed: Not a directory"):
        lake.write_bytes("raw/x.parquet", b"data")
    assert [p.name for p in tmp_path.iterdir()] == ["raw"]  # no temporary file left behind


def test_a_lake_that_cannot_be_written_fails_the_step_with_that_line(pipeline_env):
    lake = Path(pipeline_env["lake_url"])
    copy_export(EXAMPLE_EXPORT, lake, EXAMPLE_EXPORT_ID)
    (lake / "anonymised").write_text("not a folder")  # the anonymised area cannot be created
    result = run_pipeline(EXAMPLE_EXPORT_ID, **pipeline_env)
    failure = step_failures(result)["anonymised_export"]
    assert failure.startswith(f"the lake: deleting {lake}/anonymised/{EXAMPLE_EXPORT_ID}/_manifest.json failed: Not a directory")


def test_a_lake_that_cannot_take_the_parsed_frames_ends_with_that_line(pipeline_env):
    """Written by the IO manager, outside the step's body: the command line's line is still the innermost cause."""
    from mission_platform.cli.progress import failure_line

    lake = Path(pipeline_env["lake_url"])
    copy_export(EXAMPLE_EXPORT, lake, EXAMPLE_EXPORT_ID)
    (lake / "parsed").write_text("not a folder")
    result = run_pipeline(EXAMPLE_EXPORT_ID, **pipeline_env)
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert failure.step_key == "notion_export"
    assert failure_line(failure) == (
        f"the lake: writing {lake}/parsed/{EXAMPLE_EXPORT_ID}/missions.parquet failed: Not a directory")


def test_a_full_lake_leaves_the_previous_object_whole_and_no_temporary_file(tmp_path):
    """A real full disk (a 64 KB tmpfs): the write fails naming the cause, the old object stays, nothing half-written."""
    import subprocess

    disk = tmp_path / "small"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)], check=True)
    try:
        lake = LakeResource(url=str(disk))
        lake.write_bytes("anonymised/2024-04-08/missions.parquet", b"old content")
        with pytest.raises(LakeError, match="No space left on device"):
            lake.write_bytes("anonymised/2024-04-08/missions.parquet", b"x" * 200_000)
        assert lake.read_bytes("anonymised/2024-04-08/missions.parquet") == b"old content"
        assert [p.name for p in disk.rglob("*") if p.is_file()] == ["missions.parquet"]
    finally:
        subprocess.run(["umount", str(disk)], check=True)
