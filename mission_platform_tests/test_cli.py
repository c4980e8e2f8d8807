"""The `mission-platform` command as a person runs it: subprocesses, exit codes, what it prints."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg
import psycopg

from mission_platform_tests.conftest import EXAMPLE_EXPORT, EXAMPLE_EXPORT_ID, TEST_KEY, copy_export

ROOT = Path(__file__).resolve().parent.parent


def cli(args: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mission_platform.cli", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
    )


def base_env(**extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("MISSION_", "DAGSTER_", "AWS_"))}
    for name in ("ANONYMISATION_KEY", "OVERTIME_RATE", "EXTRA_HOURLY_PAY", "EXTRA_HOURLY_PAY_URGENT", "VAT_RATE"):
        keep.pop(name, None)
    return {**keep, **extra}


def test_materialize_with_an_empty_lake_says_what_to_do(tmp_path):
    result = cli(["materialize"], cwd=tmp_path, env=base_env(MISSION_DATA_DIR=str(tmp_path / "data")))
    assert result.returncode == 2
    assert result.stderr.startswith("error: no export in the lake")
    assert "hint:" in result.stderr and "Traceback" not in result.stderr


def test_materialize_runs_a_selection_into_a_new_dagster_home(tmp_path, warehouse_url):
    lake = tmp_path / "lake"
    copy_export(EXAMPLE_EXPORT, lake, EXAMPLE_EXPORT_ID)
    home = tmp_path / "does" / "not" / "exist"
    env = base_env(
        MISSION_LAKE_URL=str(lake), MISSION_WAREHOUSE_URL=warehouse_url, DAGSTER_HOME=str(home),
        ANONYMISATION_KEY=TEST_KEY, MISSION_DATA_DIR=str(tmp_path / "data"),
    )
    result = cli(["materialize", "--select", "group:notion or group:anonymised"], cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"registered export {EXAMPLE_EXPORT_ID}" in result.stdout
    assert "materialised anonymised_missions (13 rows)" in result.stdout
    # The run is in the instance the UI shows.
    os.environ["DAGSTER_HOME"] = str(home)
    try:
        with dg.DagsterInstance.get() as instance:
            runs = instance.get_runs()
            assert len(runs) == 1 and runs[0].tags["dagster/partition"] == EXAMPLE_EXPORT_ID
    finally:
        del os.environ["DAGSTER_HOME"]
    bad = cli(["materialize", "--select", "key:no_such_asset"], cwd=tmp_path, env=env)
    assert bad.returncode == 2 and "matches no asset" in bad.stderr


def test_the_demo_from_an_empty_data_folder():
    """The README's main job: embedded PostgreSQL, generated sample, every asset, a summary."""
    # As root the embedded server runs as an unprivileged user, which must reach the data folder:
    # pytest's own temporary root is private (0700), so the demo runs in a folder others can enter.
    tmp_path = Path(tempfile.mkdtemp(prefix="mp-demo-"))
    tmp_path.chmod(0o755)
    env = base_env()
    result = cli(["demo"], cwd=tmp_path, env=env, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "generating a sample Notion export" in out
    assert "created a demo anonymisation key" in out
    for section in ("== Warehouse ==", "== Rejected rows", "== Forecast (reporting.predictions) ==", "psql"):
        assert section in out
    key = tmp_path / "data" / "anonymisation.key"
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert key.read_text().strip() not in out  # the key is never printed
    assert (tmp_path / "data" / "dagster").is_dir()
    # The summary's row counts are the warehouse's.
    line = next(l for l in out.splitlines() if l.strip().startswith("core.missions"))
    count = int(line.split()[1].replace(",", ""))
    assert count > 5000
    assert out.splitlines()[-1] == "open the dashboard: `mission-platform dashboard` (http://127.0.0.1:8501)"
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_ui_serves_the_code_location_on_loopback(tmp_path, warehouse_url):
    import signal
    import urllib.request

    from mission_platform_tests.conftest import free_port, wait_for_port

    port = free_port()
    env = base_env(MISSION_WAREHOUSE_URL=warehouse_url, DAGSTER_HOME=str(tmp_path / "home"),
                   MISSION_DATA_DIR=str(tmp_path / "data"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "mission_platform.cli", "ui", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    try:
        wait_for_port(port, timeout=180)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=30) as response:
            assert response.status == 200
        query = b'{"query": "{ repositoriesOrError { ... on RepositoryConnection { nodes { location { name } } } } }"}'
        request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=query,
                                         headers={"Content-Type": "application/json"})
        for _ in range(60):  # the code location loads in the background
            with urllib.request.urlopen(request, timeout=30) as response:
                body = response.read().decode()
            if "mission_platform" in body:
                break
            time.sleep(2)
        assert '"name": "mission_platform"' in body.replace('":"', '": "')
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        output = proc.communicate(timeout=60)[0]
    assert f"Dagster UI on http://127.0.0.1:{port}" in output
    assert "psql" in output
    assert (tmp_path / "home" / "dagster.yaml").exists()


def test_materialize_refuses_an_export_that_is_not_in_the_lake(tmp_path):
    copy_export(EXAMPLE_EXPORT, tmp_path / "lake", EXAMPLE_EXPORT_ID)
    home = tmp_path / "home"
    env = base_env(MISSION_LAKE_URL=str(tmp_path / "lake"), DAGSTER_HOME=str(home), MISSION_DATA_DIR=str(tmp_path / "data"))
    result = cli(["materialize", "--export", "latest"], cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "export 'latest' is not in the lake" in result.stderr and EXAMPLE_EXPORT_ID in result.stderr
    os.environ["DAGSTER_HOME"] = str(home)
    try:
        with dg.DagsterInstance.get() as instance:
            assert instance.get_dynamic_partitions("notion_exports") == []  # nothing registered
    finally:
        del os.environ["DAGSTER_HOME"]


def test_a_failed_run_exits_1_naming_the_step_and_the_cause(tmp_path, warehouse_url):
    copy_export(EXAMPLE_EXPORT, tmp_path / "lake", EXAMPLE_EXPORT_ID)
    env = base_env(MISSION_LAKE_URL=str(tmp_path / "lake"), DAGSTER_HOME=str(tmp_path / "home"),
                   MISSION_DATA_DIR=str(tmp_path / "data"), MISSION_WAREHOUSE_URL=warehouse_url, MISSION_ENV="production")
    result = cli(["materialize"], cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "step anonymised_export failed: ANONYMISATION_KEY is not set" in result.stdout
    assert f"error: the run for export {EXAMPLE_EXPORT_ID} failed" in result.stderr
    assert "Traceback" not in result.stderr


def test_materialize_backfills_several_exports_oldest_first(tmp_path, warehouse_url):
    for export_id in ("2024-04-15", EXAMPLE_EXPORT_ID):
        copy_export(EXAMPLE_EXPORT, tmp_path / "lake", export_id)
    env = base_env(MISSION_LAKE_URL=str(tmp_path / "lake"), DAGSTER_HOME=str(tmp_path / "home"),
                   MISSION_DATA_DIR=str(tmp_path / "data"), MISSION_WAREHOUSE_URL=warehouse_url, ANONYMISATION_KEY=TEST_KEY)
    result = cli(["materialize", "--all"], cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    runs = [line for line in result.stdout.splitlines() if line.startswith("run ") and " for export " in line]
    assert [line.rsplit("export ", 1)[1].split(":")[0] for line in runs] == [EXAMPLE_EXPORT_ID, "2024-04-15"]
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute("SELECT DISTINCT export_id FROM core.missions").fetchall() == [("2024-04-15",)]
        exports = conn.execute("SELECT DISTINCT export_id FROM core.rejected_rows ORDER BY 1").fetchall()
    assert exports == [(EXAMPLE_EXPORT_ID,), ("2024-04-15",)]
