"""Operating the graph: definitions load, the schedule, failure alerts, retries on a refusing warehouse."""

from __future__ import annotations

import datetime as dt
import json
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import dagster as dg
import psycopg
import pytest

from mission_platform.definitions import defs
from mission_platform.operations.schedules import weekly_refresh
from mission_platform.partitions import exports_partitions
from mission_platform.retry import TransientFailure
from mission_platform.warehouse.resources import WarehouseResource
from mission_platform_tests.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent


def test_definitions_validate_from_the_workspace(tmp_path):
    env = {"DAGSTER_HOME": str(tmp_path), "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", str(ROOT / "workspace.yaml")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_layer_is_in_the_graph_with_its_group():
    graph = defs.resolve_asset_graph()
    groups = {key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups["notion_missions"] == "notion"
    assert groups["anonymised_extras"] == "anonymised"
    assert groups["missions"] == groups["rejected_rows"] == "warehouse"
    assert groups["weekly_missions"] == groups["mission_forecast"] == groups["forecast_backtest"] == "forecast"
    assert groups["reporting/predictions"] == "reporting"
    # Freshness policies on each layer.
    for key in ("notion_missions", "anonymised_missions", "missions", "mission_forecast"):
        assert graph.get(dg.AssetKey.from_user_string(key)).freshness_policy is not None, key


def test_every_asset_has_the_freshness_policy_applied_once_where_the_definitions_are_assembled(monkeypatch):
    graph = defs.resolve_asset_graph()
    keys = list(graph.get_all_asset_keys())
    assert len(keys) == 42   # 30, and private/extra, private/hotel and the 10 ops tables
    policies = {key.to_user_string(): graph.get(key).freshness_policy for key in keys}
    assert [key for key, policy in policies.items() if policy is None] == []
    assert len({(p.warn_window, p.fail_window) for p in policies.values()}) == 1
    assert policies["rejected_rows"].fail_window.to_timedelta() == dt.timedelta(days=8)
    assert policies["reporting/predictions"].warn_window.to_timedelta() == dt.timedelta(days=7)
    # Once: no asset module sets its own.
    for module in (ROOT / "mission_platform").glob("*/assets.py"):
        assert "freshness" not in module.read_text(), module
    from mission_platform.layers import freshness_policy

    monkeypatch.setenv("MISSION_FRESHNESS_WARN_DAYS", "1,5")
    assert freshness_policy().warn_window.to_timedelta() == dt.timedelta(days=1.5)


def test_every_asset_has_an_owner_and_says_whether_its_layer_holds_personal_data():
    graph = defs.resolve_asset_graph()
    nodes = {key.to_user_string(): graph.get(key) for key in graph.get_all_asset_keys()}
    assert all(node.owners == ["team:data-platform"] for node in nodes.values())
    personal = {key: node.tags.get("personal_data") for key, node in nodes.items()}
    assert {key for key, value in personal.items() if value == "yes"} == {
        "notion_missions", "notion_hotels", "notion_extras", "private/extra", "private/hotel",
        *(f"ops/{name}" for name in ("missions_detail", "missions_passees", "missions_a_venir", "missions_a_affecter",
                                     "extras_candidats", "recherche_extras", "recherche_hotels", "classement_extras",
                                     "classement_hotels", "localisation_hotels"))}
    assert personal["anonymised_extras"] == personal["missions"] == personal["reporting/extras_candidats"] == "pseudonymised"
    assert personal["mission_forecast"] == "no"
    assert None not in personal.values()


def test_the_weekly_schedule_runs_the_most_recent_export():
    moment = dt.datetime(2024, 4, 15, 6, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    with dg.instance_for_test() as instance:
        empty = weekly_refresh(dg.build_schedule_context(instance=instance, scheduled_execution_time=moment))
        assert isinstance(empty, dg.SkipReason)
        instance.add_dynamic_partitions(exports_partitions.name, ["2024-04-08", "2024-04-15T0930", "2024-04-01"])
        request = weekly_refresh(dg.build_schedule_context(instance=instance, scheduled_execution_time=moment))
    assert request.partition_key == "2024-04-15T0930"
    assert request.run_key == "weekly:2024-04-15T0930:2024-W16"
    assert weekly_refresh.cron_schedule == "0 6 * * 1"
    assert weekly_refresh.execution_timezone == "Europe/Paris"


class _Webhook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Webhook.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_failed_run_is_posted_to_the_webhook(monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), _Webhook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("MISSION_ALERT_WEBHOOK_URL", f"http://127.0.0.1:{server.server_port}/hook")
    _Webhook.received.clear()

    @dg.op
    def broken():
        raise dg.Failure(description="the lake is unreachable")

    @dg.job
    def doomed():
        broken()

    instance = dg.DagsterInstance.ephemeral()
    result = doomed.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    failure_event = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
    from mission_platform.operations.alerts import run_failure_alert

    context = dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert", dagster_instance=instance, dagster_run=result.dagster_run, dagster_event=failure_event
    ).for_run_failure()
    run_failure_alert(context)
    server.shutdown()
    assert len(_Webhook.received) == 1
    message = _Webhook.received[0]
    assert message["run_id"] == result.run_id and "failed" in message["text"]


def _connect_upstream(url: str) -> socket.socket:
    """A raw socket to the PostgreSQL server of ``url`` (TCP, or the Unix socket of an embedded server)."""
    parts = urlsplit(url)
    if parts.hostname:
        return socket.create_connection((parts.hostname, parts.port or 5432))
    socket_dir = parse_qs(parts.query)["host"][0]
    upstream = socket.socket(socket.AF_UNIX)
    upstream.connect(f"{socket_dir}/.s.PGSQL.{parts.port or 5432}")
    return upstream


def _forward(listener: socket.socket, url: str) -> None:
    """A loopback TCP forwarder: each accepted connection is piped to the server of ``url``."""

    def pipe(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            dst.close()

    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        upstream = _connect_upstream(url)
        threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
        threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()


def test_the_warehouse_connection_is_retried_while_refused(warehouse_url):
    parts = urlsplit(warehouse_url)
    port = free_port()
    proxied = f"postgresql://{parts.username or 'postgres'}@127.0.0.1:{port}{parts.path}"

    def open_later():
        time.sleep(1.2)  # nothing listens during the first attempts: connection refused
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen()
        _forward(listener, warehouse_url)

    threading.Thread(target=open_later, daemon=True).start()
    started = time.monotonic()
    with WarehouseResource(url=proxied).connect() as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert time.monotonic() - started >= 1.0  # it waited for the server rather than failing


def test_a_warehouse_that_never_answers_fails_with_a_clear_message(monkeypatch):
    monkeypatch.setenv("MISSION_RETRY_ATTEMPTS", "2")
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    with pytest.raises(TransientFailure, match="connecting to the warehouse .* failed after 2 attempts"):
        with WarehouseResource(url=url).connect():
            pass


def test_the_production_instance_keeps_runs_in_postgresql(tmp_path, monkeypatch, warehouse_url):
    """The shipped deploy/dagster.yaml: runs, events and schedules in PostgreSQL, queued runs, the warehouse pool."""
    import shutil

    shutil.copy(ROOT / "deploy" / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("DAGSTER_PG_URL", warehouse_url)

    @dg.op
    def hello():
        return 1

    @dg.job
    def tiny():
        hello()

    with dg.DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        result = tiny.execute_in_process(instance=instance)
        assert result.success
    with psycopg.connect(warehouse_url) as conn:
        stored = conn.execute("SELECT run_id, status FROM runs").fetchall()
    assert stored == [(result.run_id, "SUCCESS")]
