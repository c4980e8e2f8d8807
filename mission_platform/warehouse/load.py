"""Load frames into the warehouse with COPY, and publish the core tables atomically.

Publishing (``publish_core_tables``) runs in ONE transaction under the writer
lock: build staging tables from ``core.sql`` in a private schema, COPY the
frames in (keys, foreign keys and indexes are added after the COPY, which both
validates the data and is faster than checking row by row), then drop the
published tables, move the staging ones into ``core`` and recreate the
reporting views. Until the commit, readers keep seeing the previous state; a
failure anywhere (bad data, a dropped connection, a killed process) rolls the
whole transaction back, staging schema included. Names are swapped rather than
contents because copying the staged rows into constrained tables inside the
transaction would cost more than twice the whole publish again (20 s on top of
7 s at a million missions, benchmarks/bench_warehouse.py); the views are recreated in the same transaction
because a view is bound to its table, not its name (dropping the old tables
drops their views, so none can be left behind on old data).
"""

from __future__ import annotations

import io
import re
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Protocol, Union

import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.csv as pa_csv
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

from mission_platform.warehouse.schema import (
    CORE,
    CORE_TABLES,
    PUBLISHED_TABLES,
    add_constraints,
    build_tables,
    create_indexes,
    ensure_core_tables,
    read_definitions,
    take_writer_lock,
)
from mission_platform.warehouse.reporting import create_reporting_views
from mission_platform.warehouse.transform import REJECTED_COLUMNS, CoreTables

STAGING_SCHEMA = "core_staging"
EXPORT_ID_PATTERN = re.compile(r"^(\d{4}-\d{2}-\d{2})(T\d{4})?$")
COPY_BATCH_ROWS = 50_000

# Primary keys and relations of WAREHOUSE.md, for the data checks (which must not
# rely on the constraints they double-check).
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "hotel": ("hotel_id",),
    "extra": ("extra_id",),
    "missions": ("mission_id",),
    "logiciel": ("logiciel_id",),
    "logiciel_extra": ("extra_id", "logiciel_id"),
    "rejected_rows": ("export_id", "source", "row_number"),
    "weekly_missions": ("week_start",),
    "mission_forecast": ("as_of_week", "week_start", "model"),
    "forecast_backtest": ("as_of_week", "model"),
}
REFERENCES = (  # (table, column, referenced table, referenced column)
    ("missions", "hotel_id", "hotel", "hotel_id"),
    ("missions", "extra_id", "extra", "extra_id"),
    ("logiciel_extra", "extra_id", "extra", "extra_id"),
    ("logiciel_extra", "logiciel_id", "logiciel", "logiciel_id"),
    ("hotel", "hotel_logiciel", "logiciel", "logiciel_name"),
)
SOURCE_TABLES = {"missions": "missions", "hotels": "hotel", "extras": "extra"}


class WarehouseLoadError(RuntimeError):
    """The data could not be loaded; the message names the export, table and what is wrong."""


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


def export_date(export_id: str) -> date:
    """The day of an export id (``YYYY-MM-DD`` or ``YYYY-MM-DDTHHMM``)."""
    match = EXPORT_ID_PATTERN.match(export_id)
    if not match:
        raise ValueError(f"export id {export_id!r} is neither YYYY-MM-DD nor YYYY-MM-DDTHHMM")
    return date.fromisoformat(match.group(1))


def _table(name: str, schema: str = CORE) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(name))


def _csv_batches(frame: pd.DataFrame):
    """The frame as CSV (no header; null = empty field, empty text = ``""``), batch by batch.

    Each batch is converted on its own, so the first rows reach the server while
    the next ones are still being serialised.
    """
    options = pa_csv.WriteOptions(include_header=False)
    for start in range(0, len(frame), COPY_BATCH_ROWS):
        batch = pa.Table.from_pandas(frame.iloc[start:start + COPY_BATCH_ROWS], preserve_index=False)
        buffer = io.BytesIO()  # a new one each time: the COPY writer may still hold the previous batch
        pa_csv.write_csv(batch, buffer, options)
        yield buffer.getbuffer()


def copy_frame(conn: psycopg.Connection, table: sql.Composable, frame: pd.DataFrame, *, freeze: bool = False) -> int:
    """COPY ``frame`` (its columns, by name) into ``table``; return the number of rows the server took.

    A worker thread sends each batch while the next is serialised (the server
    parses on one core while pyarrow writes on the other). ``freeze``: the table
    was created in this transaction, so its rows can be written frozen, which
    spares the first readers from rewriting every page to set hint bits.
    """
    columns = sql.SQL(", ").join(sql.Identifier(c) for c in frame.columns)
    options = sql.SQL("FORMAT csv, FREEZE") if freeze else sql.SQL("FORMAT csv")
    statement = sql.SQL("COPY {} ({}) FROM STDIN ({})").format(table, columns, options)
    with conn.cursor() as cur:
        with cur.copy(statement, writer=QueuedLibpqWriter(cur)) as copy:
            for chunk in _csv_batches(frame):
                copy.write(chunk)
        return cur.rowcount


def _connection(warehouse: Warehouse) -> AbstractContextManager[psycopg.Connection]:
    connect = getattr(warehouse, "connect", None)
    return connect() if callable(connect) else warehouse()


def _load_error(export_id: str, table: str, exc: psycopg.Error) -> WarehouseLoadError:
    diag = exc.diag
    detail = f" ({diag.message_detail})" if diag.message_detail else ""
    return WarehouseLoadError(f"export {export_id}: core.{table} refused the data: {diag.message_primary or exc}{detail}")


def published_export(conn: psycopg.Connection) -> str | None:
    """The export the published core tables come from; None before the first publish."""
    if conn.execute("SELECT to_regclass('core.load_history')").fetchone()[0] is None:
        return None
    row = conn.execute("SELECT export_id FROM core.load_history ORDER BY load_id DESC LIMIT 1").fetchone()
    return row[0] if row else None


def _stage(conn: psycopg.Connection, tables: CoreTables, timings: dict[str, float]) -> dict[str, int]:
    """Build and fill the staging tables; return their row counts once every constraint holds."""
    started = time.perf_counter()
    build_tables(conn, STAGING_SCHEMA, published_only=True)
    definitions = read_definitions(conn, STAGING_SCHEMA, PUBLISHED_TABLES)
    deferred = {
        table: {n: d for n, d in definition.constraints.items() if d[0] in ("p", "u", "f")}
        for table, definition in definitions.items()
    }
    # Keys, foreign keys and indexes are built after the COPY: one pass instead of a check per row.
    for kinds in (("f",), ("p", "u")):
        for table in PUBLISHED_TABLES:
            for name, (kind, _) in deferred[table].items():
                if kind in kinds:
                    conn.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                        _table(table, STAGING_SCHEMA), sql.Identifier(name)))
    for table in PUBLISHED_TABLES:
        for name in definitions[table].indexes:
            conn.execute(sql.SQL("DROP INDEX {}").format(_table(name, STAGING_SCHEMA)))
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
        target = _table(table, STAGING_SCHEMA)
        conn.execute(sql.SQL("ALTER TABLE {} ALTER COLUMN export_id SET DEFAULT {}").format(
            target, sql.Literal(tables.export_id)))
        try:
            copied = copy_frame(conn, target, frame.drop(columns="export_id"), freeze=True)
        except (psycopg.errors.DataError, psycopg.errors.IntegrityError) as exc:
            raise _load_error(tables.export_id, table, exc) from exc
        if copied != len(frame):
            raise WarehouseLoadError(
                f"export {tables.export_id}: core.{table} took {copied} rows of {len(frame)}")
        conn.execute(sql.SQL("ALTER TABLE {} ALTER COLUMN export_id DROP DEFAULT").format(target))
        copied_rows[table] = copied
    timings["copy"] = time.perf_counter() - started

    for phase, kinds in (("keys", ("p", "u")), ("foreign_keys", ("f",))):
        started = time.perf_counter()
        for table in PUBLISHED_TABLES:
            try:
                add_constraints(conn, STAGING_SCHEMA, table,
                                {n: d for n, d in deferred[table].items() if d[0] in kinds})
            except psycopg.errors.IntegrityError as exc:
                raise _load_error(tables.export_id, table, exc) from exc
        timings[phase] = time.perf_counter() - started
    started = time.perf_counter()
    for table in PUBLISHED_TABLES:
        create_indexes(conn, STAGING_SCHEMA, definitions[table].indexes)
    timings["indexes"] = time.perf_counter() - started
    # Fresh statistics, so the first reporting queries after the swap get good plans.
    started = time.perf_counter()
    conn.execute(sql.SQL("ANALYZE {}").format(
        sql.SQL(", ").join(_table(t, STAGING_SCHEMA) for t in PUBLISHED_TABLES)))
    timings["analyze"] = time.perf_counter() - started
    return copied_rows


def publish_core_tables(
    warehouse: Warehouse,
    tables: CoreTables,
    *,
    export_id: str,
    rejected: pd.DataFrame | None = None,
    before_publish: Callable[[psycopg.Connection], None] | None = None,
    lock_timeout_seconds: float = 60.0,
) -> PublishResult:
    """Replace the published core tables with ``tables``, atomically, unless that would roll the warehouse back.

    ``warehouse``: a ``WarehouseResource`` or a callable returning a connection
    context manager. An export older than the published one is not loaded
    (``published=False`` with the reason); the same export is loaded again.
    ``rejected``: when given, that export's rows of ``core.rejected_rows`` are
    replaced in the same transaction. ``before_publish(conn)`` runs after the
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
                sql.SQL(", ").join(_table(t) for t in reversed(PUBLISHED_TABLES))))
            for table in PUBLISHED_TABLES:
                conn.execute(sql.SQL("ALTER TABLE {} SET SCHEMA {}").format(
                    _table(table, STAGING_SCHEMA), sql.Identifier(CORE)))
            conn.execute(sql.SQL("DROP SCHEMA {}").format(sql.Identifier(STAGING_SCHEMA)))
            if rejected is not None:
                _replace_rejected(conn, export_id, rejected)
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
            create_reporting_views(conn)
            timings["swap"] = time.perf_counter() - swap_started
    timings["total"] = time.perf_counter() - started
    return PublishResult(
        export_id=export_id, published=True, previous_export_id=previous, counts=counts,
        rejected_rows=rejected_count, seconds=timings,
    )


# -- other writers (one transaction each, under the writer lock) ----------------------------

def _replace_rejected(conn: psycopg.Connection, export_id: str, frame: pd.DataFrame) -> int:
    frame = frame[list(REJECTED_COLUMNS)]
    others = frame["export_id"].ne(export_id)
    if others.any():
        raise ValueError(f"rejected rows of export {frame.loc[others, 'export_id'].iloc[0]} passed for {export_id}")
    conn.execute("DELETE FROM core.rejected_rows WHERE export_id = %s", (export_id,))
    try:
        return copy_frame(conn, _table("rejected_rows"), frame)
    except (psycopg.errors.DataError, psycopg.errors.IntegrityError) as exc:
        raise _load_error(export_id, "rejected_rows", exc) from exc


def replace_rejected_rows(conn: psycopg.Connection, export_id: str, frame: pd.DataFrame) -> int:
    """Replace the rows of ``core.rejected_rows`` of one export by ``frame``; return how many were loaded."""
    export_date(export_id)
    with conn.transaction():
        take_writer_lock(conn)
        return _replace_rejected(conn, export_id, frame)


def _writable(table: str) -> None:
    if table not in CORE_TABLES or table in PUBLISHED_TABLES or table == "load_history":
        raise ValueError(
            f"core.{table} cannot be written here: only {', '.join(t for t in CORE_TABLES if t not in PUBLISHED_TABLES and t != 'load_history')}"
            " (the published tables change only through publish_core_tables)"
        )


def replace_table(conn: psycopg.Connection, table: str, frame: pd.DataFrame) -> int:
    """Replace the whole content of ``core.table`` by ``frame`` in one transaction (readers see old or new)."""
    _writable(table)
    with conn.transaction():
        take_writer_lock(conn)
        conn.execute(sql.SQL("DELETE FROM {}").format(_table(table)))
        return copy_frame(conn, _table(table), frame)


def upsert_rows(conn: psycopg.Connection, table: str, frame: pd.DataFrame, key_columns: tuple[str, ...] | list[str]) -> int:
    """Insert ``frame`` into ``core.table``, replacing the rows with the same key, in one transaction."""
    _writable(table)
    missing = [c for c in key_columns if c not in frame.columns]
    if missing:
        raise KeyError(f"the frame for core.{table} lacks its key columns {missing}")
    with conn.transaction():
        take_writer_lock(conn)
        conn.execute(sql.SQL("CREATE TEMP TABLE incoming (LIKE {} INCLUDING DEFAULTS)").format(_table(table)))
        copy_frame(conn, sql.Identifier("incoming"), frame)
        columns = list(frame.columns)
        if "loaded_at" not in columns:
            columns.append("loaded_at")  # the temporary table's default: this load's time
        updated = [c for c in columns if c not in key_columns]
        names = sql.SQL(", ").join(map(sql.Identifier, columns))
        action = (
            sql.SQL("DO UPDATE SET {}").format(sql.SQL(", ").join(
                sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in updated))
            if updated else sql.SQL("DO NOTHING")
        )
        cur = conn.execute(sql.SQL("INSERT INTO {} ({}) SELECT {} FROM incoming ON CONFLICT ({}) {}").format(
            _table(table), names, names, sql.SQL(", ").join(map(sql.Identifier, key_columns)), action))
        # Dropped here rather than ON COMMIT: the caller's transaction may go on after this one (a savepoint).
        conn.execute("DROP TABLE pg_temp.incoming")
        return cur.rowcount


# -- what the asset checks read --------------------------------------------------------------

def table_counts(conn: psycopg.Connection, tables: tuple[str, ...] = CORE_TABLES) -> dict[str, int]:
    """Rows per existing ``core`` table."""
    present = {r[0] for r in conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (CORE,)).fetchall()}
    return {
        table: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(_table(table))).fetchone()[0]
        for table in tables if table in present
    }


def published_export_date(conn: psycopg.Connection) -> date | None:
    """The day of the published export (the reference "today" of the reporting views); None before the first publish."""
    export_id = published_export(conn)
    return export_date(export_id) if export_id is not None else None


def last_two_publishes(conn: psycopg.Connection) -> tuple[dict[str, int] | None, dict[str, int] | None]:
    """Rows per published table at the previous and at the latest publish (None where there is none)."""
    if conn.execute("SELECT to_regclass('core.load_history')").fetchone()[0] is None:
        return None, None
    columns = sql.SQL(", ").join(sql.Identifier(f"{t}_rows") for t in PUBLISHED_TABLES)
    rows = conn.execute(sql.SQL("SELECT {} FROM core.load_history ORDER BY load_id DESC LIMIT 2").format(columns)).fetchall()
    counts = [dict(zip(PUBLISHED_TABLES, row)) for row in rows]
    return (counts[1] if len(counts) > 1 else None), (counts[0] if counts else None)


def duplicate_keys(conn: psycopg.Connection, table: str) -> int:
    """Rows of ``core.table`` beyond the first for each primary-key value (0 when the key holds)."""
    keys = sql.SQL(", ").join(map(sql.Identifier, KEY_COLUMNS[table]))
    return conn.execute(sql.SQL(
        "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM {} GROUP BY {} HAVING count(*) > 1) d"
    ).format(_table(table), keys)).fetchone()[0]


def orphan_references(conn: psycopg.Connection) -> dict[str, int]:
    """For each relation of the model, the rows whose reference finds no target (0 when it holds)."""
    out = {}
    for table, column, target, key in REFERENCES:
        out[f"{table}.{column} -> {target}.{key}"] = conn.execute(sql.SQL(
            "SELECT count(*) FROM {} c WHERE c.{} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {} p WHERE p.{} = c.{})"
        ).format(_table(table), sql.Identifier(column), _table(target), sql.Identifier(key),
                 sql.Identifier(column))).fetchone()[0]
    return out


def conservation(conn: psycopg.Connection, export_id: str, rows_read: dict[str, int]) -> pd.DataFrame:
    """Per source file: rows read, loaded (as counted when the export was published), rejected, and whether they add up.

    ``loaded`` and ``ok`` are missing (NA) when the export was never published
    (an older export is not loaded: see ``publish_core_tables``).
    """
    history = conn.execute(
        "SELECT hotel_rows, extra_rows, missions_rows FROM core.load_history WHERE export_id = %s "
        "ORDER BY load_id DESC LIMIT 1", (export_id,)).fetchone()
    loaded = dict(zip(("hotel", "extra", "missions"), history)) if history else {}
    rejected = dict(conn.execute(
        "SELECT source, count(*) FROM core.rejected_rows WHERE export_id = %s GROUP BY source", (export_id,)
    ).fetchall())
    frame = pd.DataFrame({
        "source": list(rows_read),
        "read": pd.array(list(rows_read.values()), dtype="Int64"),
        "loaded": pd.array([loaded.get(SOURCE_TABLES[s]) for s in rows_read], dtype="Int64"),
        "rejected": pd.array([rejected.get(s, 0) for s in rows_read], dtype="Int64"),
    })
    frame["ok"] = (frame["read"] == frame["loaded"] + frame["rejected"]).astype("boolean")
    return frame


def row_count_drop(previous: dict[str, int], current: dict[str, int], max_drop_share: float) -> list[str]:
    """The tables whose row count fell by more than ``max_drop_share`` (0.2 = 20 %) since ``previous``."""
    return [
        table for table, before in previous.items()
        if before > 0 and current.get(table, 0) < before * (1 - max_drop_share)
    ]
