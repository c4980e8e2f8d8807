"""The warehouse's writers other than the publish, and the error they raise on refused data.

Each writes in one transaction under the writer lock (``ddl.take_writer_lock``),
so two runs never interleave their writes and readers see old or new rows.
"""

from __future__ import annotations

import pandas as pd
import psycopg
from psycopg import sql

from mission_platform.lake_layout import export_date
from mission_platform.warehouse.copy_frames import copy_frame
from mission_platform.warehouse.ddl import qualified, take_writer_lock
from mission_platform.warehouse.tables import CORE_TABLES, PUBLISHED, REJECTED_ROWS


class WarehouseLoadError(RuntimeError):
    """The data could not be loaded; the message names the export, table and what is wrong."""


def load_error(export_id: str, table: str, exc: psycopg.Error) -> WarehouseLoadError:
    diag = exc.diag
    detail = f" ({diag.message_detail})" if diag.message_detail else ""
    return WarehouseLoadError(f"export {export_id}: core.{table} refused the data: {diag.message_primary or exc}{detail}")


# The tables written here: the pipeline's own, never the published ones (those change only by a publish).
WRITABLE = tuple(t for t in CORE_TABLES if t not in PUBLISHED and t != "load_history")


def replace_rejected(conn: psycopg.Connection, export_id: str, frame: pd.DataFrame) -> int:
    frame = frame[list(REJECTED_ROWS.loaded_columns)]
    others = frame["export_id"].ne(export_id)
    if others.any():
        raise ValueError(f"rejected rows of export {frame.loc[others, 'export_id'].iloc[0]} passed for {export_id}")
    conn.execute("DELETE FROM core.rejected_rows WHERE export_id = %s", (export_id,))
    try:
        return copy_frame(conn, qualified("rejected_rows"), frame)
    except (psycopg.errors.DataError, psycopg.errors.IntegrityError) as exc:
        raise load_error(export_id, "rejected_rows", exc) from exc


def replace_rejected_rows(conn: psycopg.Connection, export_id: str, frame: pd.DataFrame) -> int:
    """Replace the rows of ``core.rejected_rows`` of one export by ``frame``; return how many were loaded."""
    export_date(export_id)
    with conn.transaction():
        take_writer_lock(conn)
        return replace_rejected(conn, export_id, frame)


def _writable(table: str) -> None:
    if table not in WRITABLE:
        raise ValueError(
            f"core.{table} cannot be written here: only {', '.join(WRITABLE)}"
            " (the published tables change only through publish_core_tables)"
        )


def replace_table(conn: psycopg.Connection, table: str, frame: pd.DataFrame) -> int:
    """Replace the whole content of ``core.table`` by ``frame`` in one transaction (readers see old or new)."""
    _writable(table)
    with conn.transaction():
        take_writer_lock(conn)
        conn.execute(sql.SQL("DELETE FROM {}").format(qualified(table)))
        return copy_frame(conn, qualified(table), frame)


def upsert_rows(conn: psycopg.Connection, table: str, frame: pd.DataFrame, key_columns: tuple[str, ...] | list[str]) -> int:
    """Insert ``frame`` into ``core.table``, replacing the rows with the same key, in one transaction."""
    _writable(table)
    missing = [c for c in key_columns if c not in frame.columns]
    if missing:
        raise KeyError(f"the frame for core.{table} lacks its key columns {missing}")
    with conn.transaction():
        take_writer_lock(conn)
        conn.execute(sql.SQL("CREATE TEMP TABLE incoming (LIKE {} INCLUDING DEFAULTS)").format(qualified(table)))
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
            qualified(table), names, names, sql.SQL(", ").join(map(sql.Identifier, key_columns)), action))
        # Dropped here rather than ON COMMIT: the caller's transaction may go on after this one (a savepoint).
        conn.execute("DROP TABLE pg_temp.incoming")
        return cur.rowcount
