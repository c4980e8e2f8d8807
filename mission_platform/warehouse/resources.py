"""The warehouse's resources: the PostgreSQL warehouse (``MISSION_WAREHOUSE_URL``, or the embedded server under the
data folder) and the company's tariffs its business rules apply.

Retries (one layer): opening a connection is retried (``MISSION_RETRY_ATTEMPTS`` attempts,
backoff 0.5 s, 1 s, 2 s, ..., each attempt bounded by ``connect_timeout_seconds``); statements are
not retried here: a connection lost mid-statement fails the step, which Dagster reruns
(``mission_platform.steps``).
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Iterator, Optional

import dagster as dg
import pandas as pd
from pydantic import Field

from mission_platform import settings
from mission_platform.lake_layout import export_date
from mission_platform.resources.fields import env_var, field_value
from mission_platform.retry import with_retries
from mission_platform.warehouse import copy_frames, queries, writes
from mission_platform.warehouse.embedded import embedded_postgres_url
from mission_platform.warehouse.tables import key_columns


class WarehouseResource(dg.ConfigurableResource):
    """The PostgreSQL warehouse. URL parameters such as ``sslmode=require`` pass through to libpq (RDS needs them)."""

    url: Optional[str] = Field(
        default=None, description="MISSION_WAREHOUSE_URL (an EnvVar: the UI shows the variable, never the URL)")
    embedded_dir: Optional[str] = Field(
        default=None, description="The embedded PostgreSQL's folder when there is no URL (MISSION_DATA_DIR/warehouse)")
    looker_reader_password: Optional[str] = Field(default=None, description="LOOKER_READER_PASSWORD")
    ops_reader_password: Optional[str] = Field(default=None, description="OPS_READER_PASSWORD")
    max_row_drop_share: Optional[str] = Field(default=None, description="MISSION_MAX_ROW_DROP_SHARE (default 0.2)")
    connect_timeout_seconds: int = Field(default=10, description="Each connection attempt gives up after this long")

    def dsn(self) -> str:
        url = field_value(self.url)
        if url and url.strip():
            return url.strip()
        folder = Path(self.embedded_dir) if self.embedded_dir else settings.data_dir() / "warehouse"
        return embedded_postgres_url(folder)

    def describe(self) -> str:
        """The warehouse's URL without its password."""
        return settings.describe_url(self.dsn())

    def row_drop_share(self) -> float:
        """The share of a core table's rows whose loss against the previous publish is warned of."""
        return settings.max_row_drop_share(field_value(self.max_row_drop_share))

    def reader_password(self, role: str = "looker_reader") -> Optional[str]:
        """A read-only role's password (``looker_reader``, ``ops_reader``); None: the role gets none."""
        field = {"looker_reader": self.looker_reader_password, "ops_reader": self.ops_reader_password}[role]
        return settings.reader_password(field_value(field))

    def check_settings(self) -> None:
        self.row_drop_share()

    @contextmanager
    def connect(self, *, autocommit: bool = False) -> Iterator["psycopg.Connection"]:  # noqa: F821
        """A new connection (retried while the server refuses); committed on success."""
        import psycopg

        dsn = self.dsn()
        conn = with_retries(
            lambda: psycopg.connect(dsn, autocommit=autocommit, connect_timeout=self.connect_timeout_seconds,
                                    application_name="mission_platform"),
            f"connecting to the warehouse {settings.describe_url(dsn)}",
        )
        try:
            with conn:
                yield conn
        finally:
            conn.close()

    def query_frame(self, select: str | psycopg.sql.Composable,  # noqa: F821
                    params: tuple | dict | None = None) -> pd.DataFrame:
        """The rows of a SELECT, typed from its result columns (see :func:`copy_frames.read_frame`)."""
        with self.connect() as conn:
            return copy_frames.read_frame(conn, select, params)

    # -- what other stages read and write (they meet the warehouse here, not in its modules) ----------

    def published_export(self) -> tuple[str, date] | None:
        """The published export's id and date; None before the first publish."""
        with self.connect() as conn:
            export_id = queries.published_export(conn)
        return (export_id, export_date(export_id)) if export_id is not None else None

    def replace_table(self, table: str, frame: pd.DataFrame) -> int:
        """Replace the whole content of ``core.table`` (one of the pipeline's own tables) by ``frame``."""
        with self.connect() as conn:
            return writes.replace_table(conn, table, frame)

    def upsert_rows(self, table: str, frame: pd.DataFrame) -> int:
        """Insert ``frame`` into ``core.table``, replacing the rows with the same primary key."""
        with self.connect() as conn:
            return writes.upsert_rows(conn, table, frame, key_columns(table))


class TariffsResource(dg.ConfigurableResource):
    """The company's tariffs: all four, or none in the demo (labelled sample values)."""

    overtime_rate: Optional[str] = Field(default=None, description="OVERTIME_RATE")
    extra_hourly_pay: Optional[str] = Field(default=None, description="EXTRA_HOURLY_PAY")
    extra_hourly_pay_urgent: Optional[str] = Field(default=None, description="EXTRA_HOURLY_PAY_URGENT")
    vat_rate: Optional[str] = Field(default=None, description="VAT_RATE")
    environment: Optional[str] = Field(default=None, description="MISSION_ENV (production requires the four)")

    def tariffs(self) -> settings.Tariffs:
        return settings.tariffs(
            {
                "OVERTIME_RATE": field_value(self.overtime_rate),
                "EXTRA_HOURLY_PAY": field_value(self.extra_hourly_pay),
                "EXTRA_HOURLY_PAY_URGENT": field_value(self.extra_hourly_pay_urgent),
                "VAT_RATE": field_value(self.vat_rate),
            },
            production=settings.environment_named(field_value(self.environment)) == "production",
        )

    def check_settings(self) -> None:
        self.tariffs()


def warehouse_from_env() -> WarehouseResource:
    url = env_var("MISSION_WAREHOUSE_URL")
    return WarehouseResource(
        url=url,
        embedded_dir=None if url else str(settings.data_dir() / "warehouse"),
        looker_reader_password=env_var("LOOKER_READER_PASSWORD"),
        ops_reader_password=env_var("OPS_READER_PASSWORD"),
        max_row_drop_share=env_var("MISSION_MAX_ROW_DROP_SHARE"),
    )


def tariffs_resource_from_env() -> TariffsResource:
    return TariffsResource(
        overtime_rate=env_var("OVERTIME_RATE"),
        extra_hourly_pay=env_var("EXTRA_HOURLY_PAY"),
        extra_hourly_pay_urgent=env_var("EXTRA_HOURLY_PAY_URGENT"),
        vat_rate=env_var("VAT_RATE"),
        environment=env_var("MISSION_ENV"),
    )
