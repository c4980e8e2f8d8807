"""Create and evolve the warehouse's schemas, tables, constraints and views, idempotently.

The DDL of the ``core`` tables is rendered from their registry
(``warehouse/tables.py``), with unqualified names, and run inside a scratch
schema (in the caller's transaction, so nobody else ever sees it):

- ``ensure_schema`` builds the reference definitions in ``core_reference``,
  moves the tables that ``core`` lacks into ``core`` as they are, and adds to
  the existing tables the columns, constraints and indexes they lack (it never
  drops or rewrites anything, so data survives an upgrade);
- a publish (``publish.py``) builds its staging tables the same way, so a
  publish always installs the current definition of the published tables.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from mission_platform.warehouse import tables as registry
from mission_platform.warehouse import reporting

log = logging.getLogger(__name__)

CORE = "core"
REPORTING = reporting.REPORTING
OPS = reporting.OPS
PRIVATE = registry.PRIVATE
REFERENCE_SCHEMA = "core_reference"


# Every writer of the warehouse holds this transaction-level advisory lock, so two
# runs (processes, machines) never interleave their DDL or their loads.
WRITER_LOCK_KEY = 0x6D697373696F6E  # "mission"


def core_fingerprint() -> str:
    """Identifies the version of the core DDL a database was last brought up to (a comment on schema core)."""
    return "core ddl sha256:" + hashlib.sha256(registry.ddl().encode("utf-8")).hexdigest()


def qualified(name: str, schema: str = CORE) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(name))


def take_writer_lock(conn: psycopg.Connection) -> None:
    """Wait for, then hold until the end of the current transaction, the warehouse writer lock."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK_KEY,))


def set_search_path(conn: psycopg.Connection, path: str) -> str:
    """Set the search path for the rest of the transaction; return the previous one."""
    previous = conn.execute("SELECT current_setting('search_path')").fetchone()[0]
    conn.execute("SELECT set_config('search_path', %s, true)", (path,))
    return previous


def build_tables(conn: psycopg.Connection, schema: str, *, published_only: bool = False, private: bool = False) -> None:
    """(Re)create ``schema`` holding every core table (or only the published ones, or the private ones), empty."""
    name = sql.Identifier(schema)
    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(name))
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(name))
    previous = set_search_path(conn, schema)
    conn.execute(registry.private_ddl() if private else registry.ddl(published_only=published_only))
    set_search_path(conn, previous)


def ensure_private_tables(conn: psycopg.Connection) -> None:
    """Create schema ``private`` and its tables where missing (empty until a publish fills them).

    Nobody but the owner gets anything on it: the operations relations read it when they are built, as the
    owner, and the check ``no_reader_privileges`` (warehouse/assets.py) proves it after every publish.
    """
    missing = [name for name, present in conn.execute(
        "SELECT name, to_regclass(format('%%I.%%I', %s::text, name)) IS NOT NULL FROM unnest(%s::text[]) AS name",
        (PRIVATE, list(registry.PRIVATE_TABLES)),
    ).fetchall() if not present]
    if not missing and conn.execute("SELECT to_regnamespace(%s) IS NOT NULL", (OPS,)).fetchone()[0]:
        return
    for schema in (PRIVATE, OPS):
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    conn.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(sql.Identifier(PRIVATE)))
    previous = set_search_path(conn, PRIVATE)
    for name in missing:
        log.info("creating private.%s", name)
        conn.execute(registry.PRIVATE_TABLES[name].table.ddl())
    set_search_path(conn, previous)


@dataclass
class CatalogColumn:
    name: str
    type: str
    not_null: bool
    default: str | None


@dataclass
class TableDefinition:
    """A table's columns, constraints (name -> (kind, definition)) and other indexes (name -> definition).

    Constraint and index definitions are rendered without the schema name (see
    ``read_definitions``), so they can be replayed on the same table in another schema.
    """

    columns: list[CatalogColumn] = field(default_factory=list)
    constraints: dict[str, tuple[str, str]] = field(default_factory=dict)
    indexes: dict[str, str] = field(default_factory=dict)


def read_definitions(conn: psycopg.Connection, schema: str, tables: tuple[str, ...]) -> dict[str, TableDefinition]:
    """The catalogue's view of ``schema.<table>`` for each of ``tables`` that exists."""
    # With the schema alone on the search path, pg_get_constraintdef leaves references unqualified.
    # (On an error the transaction is lost anyway, so the path is restored on success only.)
    previous = set_search_path(conn, schema)
    out: dict[str, TableDefinition] = {}
    rows = conn.execute(
        """
        SELECT c.relname, a.attname,
               format_type(a.atttypid, a.atttypmod)
                   || CASE WHEN a.attcollation <> t.typcollation THEN ' COLLATE ' || quote_ident(co.collname) ELSE '' END,
               a.attnotnull, pg_get_expr(d.adbin, d.adrelid)
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        JOIN pg_type t ON t.oid = a.atttypid
        LEFT JOIN pg_collation co ON co.oid = a.attcollation
        LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
        WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND c.relname = ANY(%s)
        ORDER BY c.relname, a.attnum
        """,
        (schema, list(tables)),
    ).fetchall()
    for table, name, type_, not_null, default in rows:
        out.setdefault(table, TableDefinition()).columns.append(CatalogColumn(name, type_, not_null, default))
    for table, name, kind, definition in conn.execute(
        """
        SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid)
        FROM pg_constraint k
        JOIN pg_class c ON c.oid = k.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relname = ANY(%s)
        ORDER BY c.relname, k.conname
        """,
        (schema, list(tables)),
    ).fetchall():
        out[table].constraints[name] = (kind, definition)
    prefix = f" ON {schema}."  # pg_get_indexdef always names the schema: drop it
    for table, name, definition in conn.execute(
        """
        SELECT c.relname, i.relname, pg_get_indexdef(i.oid)
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class c ON c.oid = x.indrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relname = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.oid AND k.conrelid = c.oid)
        ORDER BY c.relname, i.relname
        """,
        (schema, list(tables)),
    ).fetchall():
        out[table].indexes[name] = definition.replace(prefix, " ON ", 1)
    set_search_path(conn, previous)
    return out


def add_constraints(conn: psycopg.Connection, schema: str, table: str, definitions: dict[str, tuple[str, str]]) -> None:
    """Add the named constraints to ``schema.table`` (each definition as ``read_definitions`` renders it)."""
    previous = set_search_path(conn, schema)
    for name, (_, definition) in definitions.items():
        conn.execute(sql.SQL("ALTER TABLE {}.{} ADD CONSTRAINT {} {}").format(
            sql.Identifier(schema), sql.Identifier(table), sql.Identifier(name), sql.SQL(definition)))
    set_search_path(conn, previous)


def create_indexes(conn: psycopg.Connection, schema: str, definitions: dict[str, str]) -> None:
    previous = set_search_path(conn, schema)
    for definition in definitions.values():
        conn.execute(sql.SQL(definition))
    set_search_path(conn, previous)


def _evolve(conn: psycopg.Connection, table: str, current: TableDefinition, wanted: TableDefinition) -> None:
    """Add to ``core.table`` what ``wanted`` has and it lacks; never drop or alter what exists."""
    target = sql.SQL("{}.{}").format(sql.Identifier(CORE), sql.Identifier(table))
    have = {c.name: c for c in current.columns}
    for column in wanted.columns:
        if column.name in have:
            if have[column.name].type != column.type:
                log.warning("core.%s.%s is %s where the registry says %s: left as it is (convert it by hand if needed)",
                            table, column.name, have[column.name].type, column.type)
            continue
        log.info("core.%s: adding column %s %s", table, column.name, column.type)
        default = sql.SQL(" DEFAULT {}").format(sql.SQL(column.default)) if column.default else sql.SQL("")
        conn.execute(sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} {}{}").format(
            target, sql.Identifier(column.name), sql.SQL(column.type), default))
        if column.not_null:
            has_nulls = conn.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {} WHERE {} IS NULL)").format(
                target, sql.Identifier(column.name))).fetchone()[0]
            if has_nulls:
                log.warning("core.%s.%s stays nullable: existing rows have no value for it", table, column.name)
            else:
                conn.execute(sql.SQL("ALTER TABLE {} ALTER COLUMN {} SET NOT NULL").format(
                    target, sql.Identifier(column.name)))
    missing = {n: d for n, d in wanted.constraints.items() if n not in current.constraints}
    # Keys before the foreign keys that may reference them.
    for kinds in (("p", "u", "c", "x"), ("f",)):
        add_constraints(conn, CORE, table, {n: d for n, d in missing.items() if d[0] in kinds})
    create_indexes(conn, CORE, {n: d for n, d in wanted.indexes.items() if n not in current.indexes})


def _up_to_date(conn: psycopg.Connection, fingerprint: str) -> bool:
    """Whether the database was brought up to this DDL and still has every table and schema."""
    return conn.execute(
        """
        SELECT obj_description(to_regnamespace(%s), 'pg_namespace') = %s
           AND to_regnamespace(%s) IS NOT NULL
           AND (SELECT count(*) FROM pg_tables WHERE schemaname = %s AND tablename = ANY(%s)) = %s
        """,
        (CORE, fingerprint, REPORTING, CORE, list(registry.CORE_TABLES), len(registry.CORE_TABLES)),
    ).fetchone()[0] is True


def ensure_core_tables(conn: psycopg.Connection) -> None:
    """Create both schemas, the ``core`` tables that are missing, and evolve the others, in the caller's transaction.

    Once done for a version of the DDL, the schema ``core`` carries its fingerprint
    and later calls only check that every table is still there.
    """
    ensure_private_tables(conn)
    fingerprint = core_fingerprint()
    if _up_to_date(conn, fingerprint):
        return
    for schema in (CORE, REPORTING):
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    build_tables(conn, REFERENCE_SCHEMA)
    wanted = read_definitions(conn, REFERENCE_SCHEMA, registry.CORE_TABLES)
    existing = read_definitions(conn, CORE, registry.CORE_TABLES)
    for table in registry.CORE_TABLES:
        if table not in existing:
            log.info("creating core.%s", table)
            conn.execute(sql.SQL("ALTER TABLE {}.{} SET SCHEMA {}").format(
                sql.Identifier(REFERENCE_SCHEMA), sql.Identifier(table), sql.Identifier(CORE)))
    # Dropping the reference schema also drops any foreign key from a moved table to a
    # reference table; the evolution below re-adds it against the table in core.
    conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(REFERENCE_SCHEMA)))
    current = read_definitions(conn, CORE, registry.CORE_TABLES)
    for table in registry.CORE_TABLES:
        _evolve(conn, table, current[table], wanted[table])
    conn.execute(sql.SQL("COMMENT ON SCHEMA {} IS {}").format(sql.Identifier(CORE), sql.Literal(fingerprint)))


def ensure_schema(conn: psycopg.Connection) -> None:
    """Create or evolve schemas ``core``, ``reporting``, ``private`` and ``ops``, their tables and relations.

    Idempotent on an empty or an existing database; one transaction (a
    savepoint when the caller already has one open), under the writer lock.
    The reporting tables are rebuilt only when one is missing or their SQL
    changed (a fingerprint on schema reporting): several steps of every run
    call this, and a rebuild at a million missions takes seconds. Otherwise
    they change only with a publish (``publish.py``) and after the forecast
    (``rebuild_reporting``).
    """
    with conn.transaction():
        take_writer_lock(conn)
        ensure_core_tables(conn)
        if not reporting.is_up_to_date(conn):
            log.info("building the reporting tables (missing, or their SQL changed)")
            reporting.build_reporting_tables(conn)
        if not reporting.is_up_to_date(conn, reporting.OPS_SET):
            log.info("building the ops views (missing, or their SQL changed)")
            reporting.build_reporting_tables(conn, relation_set=reporting.OPS_SET)


def rebuild_reporting(conn: psycopg.Connection, names: tuple[str, ...]) -> dict[str, float]:
    """Rebuild these reporting tables from ``core`` in a transaction of their own, under the writer lock."""
    with conn.transaction():
        take_writer_lock(conn)
        return reporting.build_reporting_tables(conn, names)
