"""The whole graph on Dagster's Celery executor: the machine's RabbitMQ, real Celery workers, a PostgreSQL Dagster instance.

Each test deploys as production does (README, "Beyond one machine"): a Dagster
instance in its own PostgreSQL database, workers started with
``celery -A mission_platform.celery.worker worker`` (each in its own process
group, killed at the end), and runs launched by ``mission-platform materialize``
under ``MISSION_EXECUTOR=celery``. The broker is ``MISSION_TEST_CELERY_BROKER``
(``.ci/run`` starts RabbitMQ when it is down).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import psycopg
import pytest

from mission_platform_tests.conftest import EXAMPLE_EXPORT, EXAMPLE_EXPORT_ID, EXAMPLE_TARIFFS, TEST_KEY, copy_export, run_pipeline
from mission_platform_tests.test_cli import base_env
from mission_platform_tests.test_pipeline import SMALL, generate

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BROKER = "amqp://guest:guest@127.0.0.1:5672//"
RUN_TIMEOUT = 600  # seconds; a run that takes longer fails the test instead of hanging it
# Columns written with the clock, which two runs never share.
CLOCK_COLUMNS = {"loaded_at", "published_at"}


@pytest.fixture
def celery_broker() -> str:
    url = os.environ.get("MISSION_TEST_CELERY_BROKER") or DEFAULT_BROKER
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=5) as conn:
            conn.ensure_connection(max_retries=2)
    except Exception as exc:  # noqa: BLE001 - any failure to reach it means the same to the person running the tests
        pytest.fail(f"no Celery broker at {url} ({exc}): start RabbitMQ (`rabbitmq-server -detached`) "
                    "or point MISSION_TEST_CELERY_BROKER at one")
    return url


@dataclass
class CeleryDeployment:
    """A Dagster instance in PostgreSQL, a local lake, a warehouse database, and the workers started so far."""

    root: Path
    env: dict[str, str]
    workers: list[subprocess.Popen] = field(default_factory=list)

    @property
    def lake(self) -> Path:
        return Path(self.env["MISSION_LAKE_URL"])

    @property
    def warehouse_url(self) -> str:
        return self.env["MISSION_WAREHOUSE_URL"]

    def start_workers(self, *names: str, timeout: float = 120) -> list[subprocess.Popen]:
        """Celery worker processes (two pool processes each), each in its own process group; returns once all consume."""
        started = []
        for name in names:
            with open(self.root / f"worker-{name}.log", "wb") as log:
                started.append(subprocess.Popen(
                    [sys.executable, "-m", "celery", "-A", "mission_platform.celery.worker", "worker",
                     "--hostname", f"{name}@%h", "--concurrency", "2", "--loglevel", "INFO",
                     "--without-gossip", "--without-mingle"],
                    cwd=self.root, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                ))
        self.workers.extend(started)
        deadline = time.monotonic() + timeout
        for name, worker in zip(names, started):
            log_path = self.root / f"worker-{name}.log"
            while b" ready." not in log_path.read_bytes():
                if worker.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"worker {name} did not start:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.2)
        return started

    def materialize(self, export_id: str) -> subprocess.Popen:
        """``mission-platform materialize --export`` in the background: the run's orchestrating process."""
        return subprocess.Popen(
            [sys.executable, "-m", "mission_platform.cli", "materialize", "--export", export_id],
            cwd=self.root, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )

    def instance(self) -> dg.DagsterInstance:
        return dg.DagsterInstance.from_config(self.env["DAGSTER_HOME"])


def finish(process: subprocess.Popen, timeout: float = RUN_TIMEOUT) -> tuple[int, str]:
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        pytest.fail(f"the run did not end within {timeout} s:\n{output[-5000:]}")
    return process.returncode, output


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL a process and everything it started, as when its machine is lost."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(30)


@pytest.fixture
def celery_deployment(tmp_path, new_database, celery_broker, monkeypatch):
    # The production instance (deploy/dagster.yaml) in a database of its own;
    # this process reads it too (DAGSTER_PG_URL).
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_PG_URL", new_database())
    # A queue of this test's own: workers of another test session on the same broker never take its steps.
    queue = f"mp-test-{uuid.uuid4().hex[:12]}"
    env = base_env(
        MISSION_EXECUTOR="celery",
        MISSION_CELERY_BROKER=celery_broker,
        MISSION_CELERY_QUEUE=queue,
        MISSION_LAKE_URL=str(tmp_path / "lake"),
        MISSION_WAREHOUSE_URL=new_database(),
        MISSION_DATA_DIR=str(tmp_path / "data"),
        DAGSTER_HOME=str(home),
        DAGSTER_PG_URL=os.environ["DAGSTER_PG_URL"],
        ANONYMISATION_KEY=TEST_KEY,
        **EXAMPLE_TARIFFS,
    )
    deployment = CeleryDeployment(root=tmp_path, env=env)
    yield deployment
    for worker in deployment.workers:
        kill_group(worker)
    from kombu import Connection

    with Connection(celery_broker, connect_timeout=5) as conn:
        conn.default_channel.queue_delete(queue)


def core_snapshot(url: str) -> dict[str, list[tuple]]:
    """Every row of every core table, ordered, without the columns the clock writes."""
    with psycopg.connect(url) as conn:
        tables = [t for (t,) in conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'core' AND table_type = 'BASE TABLE' ORDER BY table_name")]
        snapshot = {}
        for table in tables:
            columns = [c for (c,) in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'core' AND table_name = %s "
                "ORDER BY ordinal_position", (table,)) if c not in CLOCK_COLUMNS]
            listed = ", ".join(f'"{c}"' for c in columns)
            order = ", ".join(str(i + 1) for i in range(len(columns)))
            snapshot[table] = conn.execute(f'SELECT {listed} FROM core."{table}" ORDER BY {order}').fetchall()
    return snapshot


def published_exports(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [e for (e,) in conn.execute("SELECT export_id FROM core.load_history ORDER BY load_id")]


def steps_run_by_workers(instance: dg.DagsterInstance, run_id: str) -> dict[str, str]:
    """Step key -> the Celery worker that ran it, from the run's event log."""
    ran = {}
    for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        metadata = record.dagster_event.engine_event_data.metadata
        if "Celery worker" in metadata:
            ran[record.dagster_event.step_key] = metadata["Celery worker"].value
    return ran


def only_run(instance: dg.DagsterInstance, export_id: str) -> dg.DagsterRun:
    runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/partition": export_id}))
    assert len(runs) == 1, [r.run_id for r in runs]
    return runs[0]


def test_the_installed_dagster_celery_is_the_version_the_executor_was_written_against():
    """mission_platform/celery/executor.py relies on dagster-celery internals (listed in its header): read them again
    against a new release, then move DAGSTER_CELERY_VERSION."""
    from importlib.metadata import version

    from mission_platform.celery.executor import DAGSTER_CELERY_VERSION

    assert version("dagster-celery") == DAGSTER_CELERY_VERSION


@pytest.mark.parametrize("missing", ["MISSION_CELERY_BROKER", "MISSION_LAKE_URL", "MISSION_WAREHOUSE_URL"])
def test_celery_without_a_shared_broker_lake_or_warehouse_is_one_clear_error(monkeypatch, missing):
    from mission_platform.executors import executor_from_env
    from mission_platform.settings import ConfigurationError

    monkeypatch.setenv("MISSION_EXECUTOR", "celery")
    for name, value in {"MISSION_CELERY_BROKER": DEFAULT_BROKER, "MISSION_LAKE_URL": "s3://lake/prefix",
                        "MISSION_WAREHOUSE_URL": "postgresql://warehouse.example/db"}.items():
        if name != missing:
            monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=missing):
        executor_from_env()


def test_the_whole_graph_on_celery_equals_the_in_process_run(celery_deployment, pipeline_env):
    deployment = celery_deployment
    # Enough history for the forecast: every layer runs on the workers.
    export_id = generate(str(deployment.lake), dt.date(2024, 9, 16), **SMALL)
    deployment.start_workers("first", "second")

    code, output = finish(deployment.materialize(export_id))
    assert code == 0, output

    with deployment.instance() as instance:
        run = only_run(instance, export_id)
        succeeded = {r.dagster_event.step_key for r in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_SUCCESS)}
        workers = steps_run_by_workers(instance, run.run_id)
    assert succeeded and set(workers) == succeeded  # every step ran in a worker, none in the launching process
    assert {name.split("@")[0] for name in workers.values()} <= {"first", "second"}

    # The same export in process, into another lake and warehouse.
    assert generate(pipeline_env["lake_url"], dt.date(2024, 9, 16), **SMALL) == export_id
    in_process = run_pipeline(export_id, **pipeline_env)
    assert in_process.success

    on_celery, expected = core_snapshot(deployment.warehouse_url), core_snapshot(pipeline_env["warehouse_url"])
    assert set(on_celery) == set(expected)
    assert on_celery["missions"] and on_celery["mission_forecast"]  # published, and forecast
    for table in expected:
        assert on_celery[table] == expected[table], f"core.{table} differs between the Celery and the in-process run"


def waiting_publish(url: str) -> bool:
    """A warehouse session is in the middle of the publish's swap, waiting for a reader to let go of the tables."""
    with psycopg.connect(url) as conn:
        return bool(conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query LIKE 'DROP TABLE%%'").fetchone()[0])


def sessions_of_the_pipeline(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = 'mission_platform'").fetchone()[0]


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout} s")
        time.sleep(0.2)


def given_up(instance: dg.DagsterInstance, export_id: str, step_key: str) -> list[str]:
    """Errors of the failed or to-be-retried attempts of ``step_key`` in the run for ``export_id``."""
    runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/partition": export_id}))
    if not runs:
        return []
    records = instance.all_logs(
        runs[0].run_id, of_type={dg.DagsterEventType.STEP_UP_FOR_RETRY, dg.DagsterEventType.STEP_FAILURE})
    return [r.dagster_event.event_specific_data.error.message for r in records if r.dagster_event.step_key == step_key]


def test_a_worker_killed_mid_publish_is_given_up_in_bounded_time_and_the_warehouse_keeps_the_last_publish(celery_deployment):
    from mission_platform.resources import LakeResource
    from mission_platform.sample_data import build_export, write_export

    deployment = celery_deployment
    step_timeout = 30
    deployment.env["MISSION_CELERY_STEP_TIMEOUT"] = str(step_timeout)
    copy_export(EXAMPLE_EXPORT, deployment.lake, EXAMPLE_EXPORT_ID)
    (worker,) = deployment.start_workers("doomed")
    code, output = finish(deployment.materialize(EXAMPLE_EXPORT_ID))
    assert code == 0, output
    first_publish = core_snapshot(deployment.warehouse_url)
    assert published_exports(deployment.warehouse_url) == [EXAMPLE_EXPORT_ID]

    # A newer export, different from the first.
    newer = build_export(dt.date(2024, 4, 15), weeks=6, missions_per_week=15, hotels=6, extras=10, seed=3)
    write_export(LakeResource(url=str(deployment.lake)), newer)

    with deployment.instance() as instance, psycopg.connect(deployment.warehouse_url) as reader:
        # A dashboard query in flight holds the published tables: the publish stops at its swap, mid-step.
        reader.execute("SELECT count(*) FROM core.missions").fetchone()
        run = deployment.materialize(newer.export_id)
        wait_until(lambda: waiting_publish(deployment.warehouse_url) or run.poll() is not None, 240,
                   "the second run reaching the publish")
        assert run.poll() is None, run.communicate()[0]
        killed_at = time.monotonic()
        kill_group(worker)

        # No worker is left: the run gives the step up once its time is up.
        wait_until(lambda: given_up(instance, newer.export_id, "core_tables"), step_timeout + 60,
                   "the run giving up the killed step")
        assert time.monotonic() - killed_at < step_timeout + 30
        assert f"gave no result within {step_timeout} s" in given_up(instance, newer.export_id, "core_tables")[0]
        reader.rollback()

    # The killed step's session ends with its transaction rolled back: the first publish is intact.
    wait_until(lambda: sessions_of_the_pipeline(deployment.warehouse_url) == 0, 90, "the killed step's session ending")
    assert published_exports(deployment.warehouse_url) == [EXAMPLE_EXPORT_ID]
    assert core_snapshot(deployment.warehouse_url) == first_publish
    # With no worker, the run fails (after the step's retries, if its asset has a RetryPolicy: each one bounded too).
    code, output = finish(run)
    assert code != 0, output

    # Nothing was left held (pool slot, writer lock, the killed step's message): a new worker publishes the newer export.
    deployment.start_workers("replacement")
    code, output = finish(deployment.materialize(newer.export_id))
    assert code == 0, output
    assert published_exports(deployment.warehouse_url) == [EXAMPLE_EXPORT_ID, newer.export_id]
    assert core_snapshot(deployment.warehouse_url) != first_publish
