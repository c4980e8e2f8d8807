"""What the asset checks, the forecast and the command line read from the warehouse.

The data checks take keys and relations from the registry (``tables.py``),
not from the constraints they double-check: where a validated constraint on
exactly those columns enforces one, PostgreSQL guarantees it holds and the
answer is 0 without reading the table (0.6 s of the publish's checks at 1M
missions); without one (dropped, NOT VALID, other columns) the rows are counted.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import psycopg
from psycopg import sql

from mission_platform.lake_layout import export_date
from mission_platform.warehouse.ddl import CORE, qualified
from mission_platform.warehouse.tables import CORE_TABLES, PUBLISHED, TABLE_OF_SOURCE, key_columns, references


def published_export(conn: psycopg.Connection) -> str | None:
    """The export the published core tables come from; None before the first publish."""
    if conn.execute("SELECT to_regclass('core.load_history')").fetchone()[0] is None:
        return None
    row = conn.execute("SELECT export_id FROM core.load_history ORDER BY load_id DESC LIMIT 1").fetchone()
    return row[0] if row else None


def published_export_date(conn: psycopg.Connection) -> date | None:
    """The day of the published export (the reference "today" of the reporting views); None before the first publish."""
    export_id = published_export(conn)
    return export_date(export_id) if export_id is not None else None


def table_counts(conn: psycopg.Connection, tables: tuple[str, ...] = CORE_TABLES) -> dict[str, int]:
    """Rows per existing ``core`` table."""
    present = {r[0] for r in conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (CORE,)).fetchall()}
    return {
        table: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(qualified(table))).fetchone()[0]
        for table in tables if table in present
    }


def last_two_publishes(conn: psycopg.Connection) -> tuple[dict[str, int] | None, dict[str, int] | None]:
    """Rows per published table at the previous and at the latest publish (None where there is none)."""
    if conn.execute("SELECT to_regclass('core.load_history')").fetchone()[0] is None:
        return None, None
    columns = sql.SQL(", ").join(sql.Identifier(f"{t}_rows") for t in PUBLISHED)
    rows = conn.execute(sql.SQL("SELECT {} FROM core.load_history ORDER BY load_id DESC LIMIT 2").format(columns)).fetchall()
    counts = [dict(zip(PUBLISHED, row)) for row in rows]
    return (counts[1] if len(counts) > 1 else None), (counts[0] if counts else None)


# A validated constraint of ``kind`` on ``core.table``'s ``columns`` (and, for a foreign key, to ``target``'s
# ``target_columns``), in that order.
_ENFORCED = """
SELECT EXISTS (
    SELECT 1 FROM pg_constraint c
    WHERE c.conrelid = to_regclass(%(table)s) AND c.contype = %(kind)s AND c.convalidated
      AND ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i) = %(columns)s
      AND (%(target)s::text IS NULL OR (c.confrelid = to_regclass(%(target)s)
           AND ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
                     JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i)
               = %(target_columns)s)))
"""


def enforced(conn: psycopg.Connection, table: str, columns: tuple[str, ...], *,
             references: tuple[str, tuple[str, ...]] | None = None) -> bool:
    """Whether a validated constraint makes ``core.table``'s ``columns`` a primary key, or, with ``references``
    (target table, its columns), a foreign key to it."""
    target, target_columns = references or (None, ())
    return conn.execute(_ENFORCED, {
        "table": f"{CORE}.{table}", "kind": "f" if references else "p", "columns": list(columns),
        "target": f"{CORE}.{target}" if target else None, "target_columns": list(target_columns),
    }).fetchone()[0]


def duplicate_keys(conn: psycopg.Connection, table: str) -> int:
    """Rows of ``core.table`` beyond the first for each primary-key value (0 when the key holds)."""
    if enforced(conn, table, key_columns(table)):
        return 0
    keys = sql.SQL(", ").join(map(sql.Identifier, key_columns(table)))
    return conn.execute(sql.SQL(
        "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM {} GROUP BY {} HAVING count(*) > 1) d"
    ).format(qualified(table), keys)).fetchone()[0]


def orphan_references(conn: psycopg.Connection) -> dict[str, int]:
    """For each relation of the model, the rows whose reference finds no target (0 when it holds)."""
    out = {}
    for table, column, target, key in references():
        if enforced(conn, table, (column,), references=(target, (key,))):
            out[f"{table}.{column} -> {target}.{key}"] = 0
            continue
        out[f"{table}.{column} -> {target}.{key}"] = conn.execute(sql.SQL(
            "SELECT count(*) FROM {} c WHERE c.{} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {} p WHERE p.{} = c.{})"
        ).format(qualified(table), sql.Identifier(column), qualified(target), sql.Identifier(key),
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
        "loaded": pd.array([loaded.get(TABLE_OF_SOURCE[s]) for s in rows_read], dtype="Int64"),
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
