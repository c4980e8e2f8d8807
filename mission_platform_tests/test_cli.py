"""The `mission-platform` command as a person runs it: subprocesses, exit codes, what it prints."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg
import psycopg
import pytest

from mission_platform_tests.conftest import EXAMPLE_EXPORT, EXAMPLE_EXPORT_ID, TEST_KEY, copy_export, free_port

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


_PRELOAD_SCRIPT = """
import sys
from mission_platform.cli.commands import Preload, resolve_selection

LIBRARIES = ("statsmodels.tsa.arima.model", "gluonts.model.npts", "vl_convert")
quiet = dict(say=lambda line: None)
print(Preload.for_selection(resolve_selection("key:missions", **quiet)) is None)
whole = Preload.for_selection(resolve_selection(None, **quiet))
if whole is not None:
    print(sorted(whole.after_steps))
    whole.start_when({"notion_export", "anonymised_export"})
    print(whole.thread.ident is None)
    alone = Preload.for_selection(resolve_selection("key:mission_forecast", **quiet))
    before = [m for m in LIBRARIES if m in sys.modules]
    alone.start_when(set())
    alone.join()
    print(before, [m for m in LIBRARIES if m in sys.modules])
"""


def test_the_forecast_libraries_load_on_another_thread_while_the_publish_runs(tmp_path):
    """The command line loads them during the step before the forecast's, only when the forecast runs in its process."""
    def run(**env: str) -> list[str]:
        result = subprocess.run([sys.executable, "-c", _PRELOAD_SCRIPT], cwd=tmp_path, env=base_env(**env),
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout.splitlines()

    assert run() == [
        "True",                     # no forecast in the selection: nothing to load
        "['core_tables']",          # the whole graph: loaded while the publish runs...
        "True",                     # ...not during the steps before it
        # The forecast alone: loaded at once. Nothing had loaded them before (or the thread would gain nothing).
        "[] ['statsmodels.tsa.arima.model', 'gluonts.model.npts', 'vl_convert']",
    ]
    # Steps in processes of their own: each loads what it needs, this process has nothing to load.
    assert run(MISSION_EXECUTOR="multiprocess") == ["True"]


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


@pytest.mark.postgres  # the embedded one
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
    # Quiet: per-asset progress, warnings and the summary; none of Dagster's event log lines.
    assert "DEBUG" not in out + result.stderr and " - dagster - " not in out + result.stderr
    assert "Warning" not in result.stderr, result.stderr  # a library's warning is nothing the person can act on
    assert "  materialised reporting/predictions" in out and "warning: core_tables: amounts computed with" in out
    assert "\r" not in out  # no live line when stdout is not a terminal
    key = tmp_path / "data" / "anonymisation.key"
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert key.read_text().strip() not in out  # the key is never printed
    assert (tmp_path / "data" / "dagster").is_dir()
    # The summary's row counts are the warehouse's.
    line = next(l for l in out.splitlines() if l.strip().startswith("core.missions"))
    count = int(line.split()[1].replace(",", ""))
    assert count > 5000
    assert out.splitlines()[-1] == ("open the dashboard: `mission-platform dashboard` (http://127.0.0.1:8501); with real "
                                    "names and contacts, for the company's staff: `mission-platform dashboard --audience ops`")
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


def test_a_warehouse_that_refuses_ends_with_its_cause_and_no_password_anywhere(tmp_path):
    """The last line names the store, what failed and why; a password in the URL (either form) is never shown or stored."""
    copy_export(EXAMPLE_EXPORT, tmp_path / "lake", EXAMPLE_EXPORT_ID)
    port = free_port()  # nothing listens there
    for url, password in ((f"postgresql://postgres@127.0.0.1:{port}/db?password=query-pa55word", "query-pa55word"),
                          (f"postgresql://postgres:user-pa55word@127.0.0.1:{port}/db", "user-pa55word")):
        home = tmp_path / f"home-{password}"
        env = base_env(MISSION_LAKE_URL=str(tmp_path / "lake"), DAGSTER_HOME=str(home), MISSION_RETRY_ATTEMPTS="2",
                       MISSION_DATA_DIR=str(tmp_path / "data"), MISSION_WAREHOUSE_URL=url, ANONYMISATION_KEY=TEST_KEY)
        result = cli(["materialize"], cwd=tmp_path, env=env)
        assert result.returncode == 1, result.stdout + result.stderr
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith(f"error: the run for export {EXAMPLE_EXPORT_ID} failed: step ")
        assert "connecting to the warehouse postgresql://postgres" in last and f"127.0.0.1:{port}/db" in last
        assert "failed after 2 attempts" in last and "Connection refused" in last, last
        assert "Exceeded max_retries" not in result.stdout + result.stderr and "Traceback" not in result.stderr
        assert password not in result.stdout + result.stderr
        os.environ["DAGSTER_HOME"] = str(home)
        try:
            with dg.DagsterInstance.get() as instance:
                (run,) = instance.get_runs()
                stored = [dg.serialize_value(entry) for entry in instance.all_logs(run.run_id)]
        finally:
            del os.environ["DAGSTER_HOME"]
        assert any("Connection refused" in entry for entry in stored)
        assert not [entry for entry in stored if password in entry]


def test_the_command_line_reads_dotenv_from_the_current_folder(tmp_path):
    copy_export(EXAMPLE_EXPORT, tmp_path / "lake", EXAMPLE_EXPORT_ID)
    (tmp_path / ".env").write_text(f"MISSION_LAKE_URL={tmp_path / 'lake'}\nMISSION_EXECUTOR=\nOVERTIME_RATE=\n"
                                   "MISSION_FRESHNESS_WARN_DAYS=abc\n")
    env = base_env(DAGSTER_HOME=str(tmp_path / "home"), MISSION_DATA_DIR=str(tmp_path / "data"))
    result = cli(["materialize", "--export", "2099-01-01"], cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("error: MISSION_FRESHNESS_WARN_DAYS is 'abc'")  # read from .env, checked first
    (tmp_path / ".env").write_text(f"MISSION_LAKE_URL={tmp_path / 'lake'}\nMISSION_EXECUTOR=\nOVERTIME_RATE=\n")
    result = cli(["materialize", "--export", "2099-01-01"], cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert f"is not in the lake at {tmp_path / 'lake'}" in result.stderr and EXAMPLE_EXPORT_ID in result.stderr
    (tmp_path / ".env").write_text("DAGSTER_HOME=\n")
    result = cli(["materialize"], cwd=tmp_path, env=env)
    assert result.returncode == 2 and "DAGSTER_HOME in" in result.stderr and "absolute path" in result.stderr


def test_a_live_line_names_the_running_step_on_a_terminal_only(tmp_path):
    import pty

    lake = tmp_path / "lake"
    env = base_env(MISSION_LAKE_URL=str(lake), DAGSTER_HOME=str(tmp_path / "home"), MISSION_DATA_DIR=str(tmp_path / "data"),
                   ANONYMISATION_KEY=TEST_KEY)
    # Ten times the default missions, so the parsing step lasts seconds, several of the command line's polls.
    assert cli(["generate", "--export-date", "2024-09-16", "--missions-per-week", "1100"], cwd=tmp_path,
               env=env).returncode == 0
    master, terminal = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "mission_platform.cli", "materialize", "--select", "group:notion"],
                            cwd=tmp_path, env=env, stdout=terminal, stderr=subprocess.PIPE)
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        shown += chunk
    assert proc.wait(300) == 0, proc.stderr.read()
    errors = proc.stderr.read().decode()
    assert "Warning" not in errors, errors  # a library's warning (Dagster's beta selection parser) is not shown
    text = shown.decode()
    assert "\r\x1b[K" in text and "running notion_export (" in text
    last = text.replace("\r\n", "\n").rstrip().split("\n")[-1].split("\x1b[K")[-1]
    assert last.startswith("run ") and " succeeded in " in last and "running" not in last  # the live line was cleared


# -- stopping and killing (a killed run never blocks the next one) ---------------------------------

def _generated_lake(tmp_path: Path) -> Path:
    from mission_platform.resources import LakeResource
    from mission_platform.sample_data import build_export, write_export

    lake = tmp_path / "lake"
    write_export(LakeResource(url=str(lake)), build_export(dt.date(2024, 9, 16), weeks=60, missions_per_week=80,
                                                           hotels=20, extras=40, seed=5))
    return lake


def _holding_the_warehouse(process: subprocess.Popen, home: Path, timeout: float = 300) -> str | None:
    """Once ``process`` (a command line) has started its run, the run holding the warehouse pool (polled), or None.

    The instance is opened only after the command line created it: opening a Dagster instance creates its
    tables, so a test opening it first would itself race the command line's creation.
    """
    for line in process.stdout:
        if line.startswith("run ") and " for export " in line:
            break
    else:
        return None
    os.environ["DAGSTER_HOME"] = str(home)
    try:
        deadline = time.monotonic() + timeout
        with dg.DagsterInstance.get() as instance:
            while time.monotonic() < deadline and process.poll() is None:
                slots = instance.event_log_storage.get_concurrency_info("warehouse").claimed_slots
                if slots:
                    return slots[0].run_id
                time.sleep(0.05)
        return None
    finally:
        del os.environ["DAGSTER_HOME"]


def test_a_run_killed_while_it_holds_the_warehouse_never_blocks_the_next(tmp_path, warehouse_url):
    import signal

    env = base_env(MISSION_LAKE_URL=str(_generated_lake(tmp_path)), DAGSTER_HOME=str(tmp_path / "home"),
                   MISSION_DATA_DIR=str(tmp_path / "data"), MISSION_WAREHOUSE_URL=warehouse_url,
                   ANONYMISATION_KEY=TEST_KEY)
    first = subprocess.Popen([sys.executable, "-m", "mission_platform.cli", "materialize"], cwd=tmp_path, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    holder = _holding_the_warehouse(first, tmp_path / "home")
    assert holder is not None, "the first run never took the warehouse pool"
    first.send_signal(signal.SIGKILL)
    first.wait(30)
    second = cli(["materialize"], cwd=tmp_path, env={**env, "MISSION_POOL_WAIT_SECONDS": "120"}, timeout=900)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-2000:]
    assert f"freed the warehouse pool slot held by run {holder[:8]}" in second.stdout
    assert "its process is gone" in second.stdout


def test_ctrl_c_stops_a_run_with_one_line_and_gives_its_claims_back(tmp_path, warehouse_url):
    import signal

    env = base_env(MISSION_LAKE_URL=str(_generated_lake(tmp_path)), DAGSTER_HOME=str(tmp_path / "home"),
                   MISSION_DATA_DIR=str(tmp_path / "data"), MISSION_WAREHOUSE_URL=warehouse_url,
                   ANONYMISATION_KEY=TEST_KEY)
    run = subprocess.Popen([sys.executable, "-m", "mission_platform.cli", "materialize"], cwd=tmp_path, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    holder = _holding_the_warehouse(run, tmp_path / "home")
    assert holder is not None
    run.send_signal(signal.SIGINT)
    out, err = run.communicate(timeout=120)
    assert run.returncode == 130, out[-2000:] + err[-2000:]
    assert err.strip().splitlines() == ["stopped (SIGINT): what this command started was stopped"]
    assert "Traceback" not in out + err
    os.environ["DAGSTER_HOME"] = str(tmp_path / "home")
    try:
        with dg.DagsterInstance.get() as instance:
            assert instance.event_log_storage.get_concurrency_info("warehouse").claimed_slots == []
            assert instance.get_run_by_id(holder).status == dg.DagsterRunStatus.FAILURE
    finally:
        del os.environ["DAGSTER_HOME"]


def test_sigterm_to_ui_stops_the_webserver_the_daemon_and_the_embedded_warehouse():
    import signal

    import psutil

    from mission_platform_tests.conftest import free_port, wait_for_port

    tmp_path = Path(tempfile.mkdtemp(prefix="mp-ui-"))
    tmp_path.chmod(0o755)   # as root the embedded server runs as another user, which must enter the folder
    port = free_port()
    env = base_env(MISSION_DATA_DIR=str(tmp_path / "data"))
    proc = subprocess.Popen([sys.executable, "-m", "mission_platform.cli", "ui", "--port", str(port)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_port(port, timeout=180)
        time.sleep(5)   # the daemon and the code server start after the webserver listens
        group = psutil.Process(proc.pid).children(recursive=True)
        assert len(group) >= 3, [p.cmdline()[:4] for p in group]   # dagster dev, its webserver, daemon, code server
        assert (tmp_path / "data" / "warehouse" / "postmaster.pid").exists()
        proc.send_signal(signal.SIGTERM)          # to the wrapper alone, as a service manager would
        out, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, out[-2000:] + err[-2000:]
    assert err.strip().splitlines()[-1] == "stopped (SIGTERM): what this command started was stopped"
    assert not [p for p in group if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0      # nothing serves the UI any more
    deadline = time.monotonic() + 30
    while (tmp_path / "data" / "warehouse" / "postmaster.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not (tmp_path / "data" / "warehouse" / "postmaster.pid").exists()   # the embedded server stopped
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_after_a_successful_run_exports_past_the_retention_period_leave_the_lake(tmp_path, warehouse_url):
    for export_id in (EXAMPLE_EXPORT_ID, "2024-04-15"):
        copy_export(EXAMPLE_EXPORT, tmp_path / "lake", export_id)
    env = base_env(MISSION_LAKE_URL=str(tmp_path / "lake"), DAGSTER_HOME=str(tmp_path / "home"),
                   MISSION_DATA_DIR=str(tmp_path / "data"), MISSION_WAREHOUSE_URL=warehouse_url,
                   ANONYMISATION_KEY=TEST_KEY, MISSION_RAW_RETENTION_DAYS="3")
    result = cli(["materialize", "--all"], cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"retention: deleted the raw files of export {EXAMPLE_EXPORT_ID}" in result.stdout
    lake = tmp_path / "lake"
    for folder in (lake / "raw" / "notion" / EXAMPLE_EXPORT_ID, lake / "parsed" / EXAMPLE_EXPORT_ID):
        assert not [p for p in folder.rglob("*") if p.is_file()], folder
    assert (lake / "anonymised" / EXAMPLE_EXPORT_ID / "missions.parquet").exists()     # the shareable set stays
    assert (lake / "raw" / "notion" / "2024-04-15").is_dir()                          # the newest always stays
