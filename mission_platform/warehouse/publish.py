"""Publish the core tables atomically: staging, COPY, constraints, then a swap in one transaction.

Publishing (``publish_core_tables``) runs in ONE transaction under the writer
lock: build staging tables from the registry's DDL in a private schema, COPY the
frames in (keys, foreign keys and indexes are added after the COPY, which both
validates the data and is faster than checking row by row), then drop the
published tables, move the staging ones into ``core``, replace the ``private``
tables (real names and contacts, from the parsed frames) the same way, and
rebuild the reporting tables, then the ``ops`` views over reporting and private
(``reporting.build_reporting_tables``). Until the commit,
readers keep seeing the previous state; a failure anywhere (bad data, a dropped
connection, a killed process, a reporting table that fails to build) rolls the
whole transaction back, staging schema included. Names are swapped rather than
contents because copying the staged rows into constrained tables inside the
transaction would cost more than twice the whole publish again (20 s on top of
7 s at a million missions, benchmarks/bench_warehouse.py); the reporting tables
are rebuilt in the same transaction so that Looker Studio never sees reports of
another export than the core tables. After the commit the reporting tables are
vacuumed (benchmarks/bench_reporting.py).
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Callable, Mapping, Protocol, Union

import pandas as pd
import psycopg
from psycopg import sql

from mission_platform.lake_layout import export_date
from mission_platform.warehouse.copy_frames import copy_frame
from mission_platform.warehouse.ddl import (
    CORE,
    PRIVATE,
    add_constraints,
    build_tables,
    create_indexes,
    ensure_core_tables,
    qualified,
    read_definitions,
    take_writer_lock,
)
from mission_platform.warehouse.queries import published_export
from mission_platform.warehouse.reporting import (
    OPS,
    build_reporting_tables,
    vacuum_reporting_tables,
)
from mission_platform.warehouse.tables import PRIVATE_TABLES, PUBLISHED
from mission_platform.warehouse.transform import CoreTables
from mission_platform.warehouse.writes import WarehouseLoadError, load_error, replace_rejected

STAGING_SCHEMA = "core_staging"
PRIVATE_STAGING_SCHEMA = "private_staging"


class _Connects(Protocol):
    def connect(self) -> AbstractContextManager[psycopg.Connection]: ...


Warehouse = Union[_Connects, Callable[[], AbstractContextManager[psycopg.Connection]]]


@dataclass(frozen=True)
class PublishResult:
    export_id: str
    published: bool
    previous_export_id: str | None
    counts: dict[str, int] = field(default_factory=dict)   # rows per published table
    rejected_rows: int = 0                                 # core.rejected_rows for this export at publish time
    seconds: dict[str, float] = field(default_factory=dict)  # time per phase
    reason: str | None = None                              # why nothing was published
    reporting_seconds: dict[str, float] = field(default_factory=dict)  # build time per reporting table
    private_rows: dict[str, int] = field(default_factory=dict)   # rows per private table


def _connection(warehouse: Warehouse) -> AbstractContextManager[psycopg.Connection]:
    connect = getattr(warehouse, "connect", None)
    return connect() if callable(connect) else warehouse()


def _stage(conn: psycopg.Connection, tables: CoreTables, timings: dict[str, float]) -> dict[str, int]:
    """Build and fill the staging tables; return their row counts once every constraint holds."""
    started = time.perf_counter()
    build_tables(conn, STAGING_SCHEMA, published_only=True)
    definitions = read_definitions(conn, STAGING_SCHEMA, PUBLISHED)
    deferred = {
        table: {n: d for n, d in definition.constraints.items() if d[0] in ("p", "u", "f")}
        for table, definition in definitions.items()
    }
    # Keys, foreign keys and indexes are built after the COPY: one pass instead of a check per row.
    for kinds in (("f",), ("p", "u")):
        for table in PUBLISHED:
            for name, (kind, _) in deferred[table].items():
                if kind in kinds:
                    conn.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                        qualified(table, STAGING_SCHEMA), sql.Identifier(name)))
    for table in PUBLISHED:
        for name in definitions[table].indexes:
            conn.execute(sql.SQL("DROP INDEX {}").format(qualified(name, STAGING_SCHEMA)))
    timings["staging"] = time.perf_counter() - started

    started = time.perf_counter()
    copied_rows: dict[str, int] = {}
    for table, frame in tables.frames().items():
        foreign = frame["export_id"].ne(tables.export_id)
        if foreign.any():
            raise WarehouseLoadError(
                f"export {tables.export_id}: {int(foreign.sum())} rows of core.{table} carry another export_id")
        # The export id is the same on every row: the column default fills it in on the
        # server rather than sending it a million times.
        target = qualified(table, STAGING_SCHEMA)
        conn.execute(sql.SQL("ALTER TABLE {} ALTER COLUMN export_id SET DEFAULT {}").format(
            target, sql.Literal(tables.export_id)))
        try:
            copied = copy_frame(conn, target, frame.drop(columns="export_id"), freeze=True)
        except (psycopg.errors.DataError, psycopg.errors.IntegrityError) as exc:
            raise load_error(tables.export_id, table, exc) from exc
        if copied != len(frame):
            raise WarehouseLoadError(
                f"export {tables.export_id}: core.{table} took {copied} rows of {len(frame)}")
        conn.execute(sql.SQL("ALTER TABLE {} ALTER COLUMN export_id DROP DEFAULT").format(target))
        copied_rows[table] = copied
    timings["copy"] = time.perf_counter() - started

    for phase, kinds in (("keys", ("p", "u")), ("foreign_keys", ("f",))):
        started = time.perf_counter()
        for table in PUBLISHED:
            try:
                add_constraints(conn, STAGING_SCHEMA, table,
                                {n: d for n, d in deferred[table].items() if d[0] in kinds})
            except psycopg.errors.IntegrityError as exc:
                raise load_error(tables.export_id, table, exc) from exc
        timings[phase] = time.perf_counter() - started
    started = time.perf_counter()
    for table in PUBLISHED:
        create_indexes(conn, STAGING_SCHEMA, definitions[table].indexes)
    timings["indexes"] = time.perf_counter() - started
    # Fresh statistics, so the first reporting queries after the swap get good plans.
    started = time.perf_counter()
    conn.execute(sql.SQL("ANALYZE {}").format(
        sql.SQL(", ").join(qualified(t, STAGING_SCHEMA) for t in PUBLISHED)))
    timings["analyze"] = time.perf_counter() - started
    return copied_rows


def _replace_private(conn: psycopg.Connection, frames: dict[str, pd.DataFrame], export_id: str) -> dict[str, int]:
    """Replace the ``private`` tables by ``frames`` (small: one row per person), in the caller's transaction."""
    build_tables(conn, PRIVATE_STAGING_SCHEMA, private=True)
    counts = {}
    for name, frame in frames.items():
        target = qualified(name, PRIVATE_STAGING_SCHEMA)
        try:
            counts[name] = copy_frame(conn, target, frame, freeze=True)
        except (psycopg.errors.DataError, psycopg.errors.IntegrityError) as exc:
            raise WarehouseLoadError(
                f"export {export_id}: {PRIVATE}.{name} refused the data: {exc.diag.message_primary or exc}") from exc
    # CASCADE: the ops views over them go too; the reporting build that follows creates them again.
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(
        sql.SQL(", ").join(qualified(name, PRIVATE) for name in PRIVATE_TABLES)))
    for name in PRIVATE_TABLES:
        conn.execute(sql.SQL("ALTER TABLE {} SET SCHEMA {}").format(
            qualified(name, PRIVATE_STAGING_SCHEMA), sql.Identifier(PRIVATE)))
    conn.execute(sql.SQL("DROP SCHEMA {}").format(sql.Identifier(PRIVATE_STAGING_SCHEMA)))
    return counts


def publish_core_tables(
    warehouse: Warehouse,
    tables: CoreTables,
    *,
    export_id: str,
    rejected: pd.DataFrame | None = None,
    private: dict[str, pd.DataFrame] | None = None,
    earlier_rejected: Mapping[str, pd.DataFrame] | None = None,
    before_publish: Callable[[psycopg.Connection], None] | None = None,
    lock_timeout_seconds: float = 60.0,
) -> PublishResult:
    """Replace the published core tables with ``tables``, atomically, unless that would roll the warehouse back.

    ``warehouse``: a ``WarehouseResource`` or a callable returning a connection
    context manager. An export older than the published one is not loaded
    (``published=False`` with the reason); the same export is loaded again.
    ``rejected``: when given, that export's rows of ``core.rejected_rows`` are
    replaced in the same transaction. ``private``: the ``private`` tables' frames
    (``transform.build_private_tables``), replaced in the same transaction; when
    None they are emptied (the public-demo profile: no real person's details).
    ``earlier_rejected``: other exports' rejected rows (export id -> rows) to
    replace in the same transaction (an erasure rewrote their anonymised frames).
    ``before_publish(conn)`` runs after the
    staging tables are loaded and validated, just before the swap (a test hook).
    ``lock_timeout_seconds`` bounds the wait for readers to release the old tables.
    """
    export_date(export_id)
    if tables.export_id != export_id:
        raise ValueError(f"the tables were built for export {tables.export_id}, not {export_id}")
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with _connection(warehouse) as conn:
        with conn.transaction():
            take_writer_lock(conn)
            timings["lock"] = time.perf_counter() - started
            # Sorting a million keys in memory rather than in temporary files (this transaction only).
            conn.execute("SELECT set_config('maintenance_work_mem', '256MB', true)")
            ensure_core_tables(conn)
            previous = published_export(conn)
            if previous is not None and export_id < previous:
                return PublishResult(
                    export_id=export_id, published=False, previous_export_id=previous,
                    reason=f"export {export_id} is older than the published export {previous}: "
                           "the warehouse is never rolled back",
                )
            counts = _stage(conn, tables, timings)
            if before_publish is not None:
                before_publish(conn)

            swap_started = time.perf_counter()
            conn.execute("SELECT set_config('lock_timeout', %s, true)", (f"{int(lock_timeout_seconds * 1000)}ms",))
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(
                sql.SQL(", ").join(qualified(t) for t in reversed(PUBLISHED))))
            for table in PUBLISHED:
                conn.execute(sql.SQL("ALTER TABLE {} SET SCHEMA {}").format(
                    qualified(table, STAGING_SCHEMA), sql.Identifier(CORE)))
            conn.execute(sql.SQL("DROP SCHEMA {}").format(sql.Identifier(STAGING_SCHEMA)))
            if rejected is not None:
                replace_rejected(conn, export_id, rejected)
            for earlier_id, rows in (earlier_rejected or {}).items():
                replace_rejected(conn, earlier_id, rows)
            rejected_count = conn.execute(
                "SELECT count(*) FROM core.rejected_rows WHERE export_id = %s", (export_id,)).fetchone()[0]
            conn.execute(
                """
                INSERT INTO core.load_history (export_id, export_date, published_at, hotel_rows, extra_rows,
                    missions_rows, logiciel_rows, logiciel_extra_rows, rejected_rows)
                VALUES (%s, %s, clock_timestamp(), %s, %s, %s, %s, %s, %s)
                """,
                (export_id, export_date(export_id), counts["hotel"], counts["extra"], counts["missions"],
                 counts["logiciel"], counts["logiciel_extra"], rejected_count),
            )
            timings["swap"] = time.perf_counter() - swap_started
            started_private = time.perf_counter()
            private_counts = _replace_private(conn, private or {}, export_id)
            timings["private"] = time.perf_counter() - started_private
            started_reporting = time.perf_counter()
            reporting_seconds = build_reporting_tables(conn)   # and the ops views over them
            timings["ops"] = reporting_seconds.pop(OPS, 0.0)
            timings["reporting"] = time.perf_counter() - started_reporting - timings["ops"]
        vacuum_started = time.perf_counter()
        conn.autocommit = True  # VACUUM runs outside a transaction, once the new tables are committed
        vacuum_reporting_tables(conn)
        timings["vacuum"] = time.perf_counter() - vacuum_started
    timings["total"] = time.perf_counter() - started
    return PublishResult(
        export_id=export_id, published=True, previous_export_id=previous,
        counts=counts, private_rows=private_counts,
        rejected_rows=rejected_count, seconds=timings, reporting_seconds=reporting_seconds,
    )
