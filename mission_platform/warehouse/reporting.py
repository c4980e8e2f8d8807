"""The ``reporting`` schema that Looker Studio reads: one table per page, and the read-only role it connects with.

Each relation is a SELECT in ``sql/reporting/<name>.sql`` over the ``core``
tables and the relations before it; ``RELATIONS`` says what each reads, how it
is indexed and when it is built. The tables are rebuilt from ``core`` rather than
computed on every query (Looker Studio sends a page's queries again for every
chart and every viewer): at each publish, in the publishing transaction, and,
for ``predictions``, again after the forecast. See docs/WAREHOUSE.md for what
each dashboard page needs.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from importlib.resources import files

import psycopg
from psycopg import errors, sql

from mission_platform.settings import reporting_settings

REPORTING = "reporting"
# The tables are built here, beside the published ones, then moved into ``reporting`` in one go.
BUILD_SCHEMA = "reporting_build"
SQL_FOLDER = files("mission_platform.warehouse").joinpath("sql/reporting")


@dataclass(frozen=True)
class ReportingRelation:
    """One relation of ``reporting`` (a table): what its SELECT reads, its indexes, when it is built."""

    name: str
    description: str
    reads: tuple[str, ...]  # core tables (``core.x``) and reporting relations (bare names) its SELECT reads
    indexes: tuple[tuple[str, ...], ...] = ()  # for the page's filters and lookups
    # Reads the forecast tables, which the forecast writes after the publish: rebuilt again after the forecast.
    after_forecast: bool = False
    # ``<name>.prepare.sql`` builds helper tables in the build schema just before it (dropped with that schema).
    prepared: bool = False

    def core_tables(self) -> tuple[str, ...]:
        return tuple(r.removeprefix("core.") for r in self.reads if r.startswith("core."))

    def relations(self) -> tuple[str, ...]:
        return tuple(r for r in self.reads if not r.startswith("core."))


_DETAIL = ("core.missions", "core.hotel", "core.extra", "fraicheur_donnees")

# In build order: a relation reads only core tables and the relations before it.
RELATIONS: tuple[ReportingRelation, ...] = (
    ReportingRelation("fraicheur_donnees", "Footer: the published export and when it was published.",
                      ("core.load_history",)),
    # The mission lists are filtered by period; one hotel's or extra's missions are spread over every page
    # of the table, where a scan is as fast as an index and the index costs every publish seconds.
    ReportingRelation("missions_detail", "Every mission with its hotel, extra and amounts, and whether it is past.",
                      _DETAIL, indexes=(("date_debut",),)),
    ReportingRelation("missions_passees", "Missions started before the export date, cancelled ones included.",
                      ("missions_detail",), indexes=(("date_debut",),)),
    ReportingRelation("missions_a_venir", "Booked missions from the export date on.",
                      ("missions_detail",), indexes=(("date_debut",),)),
    ReportingRelation("missions_a_affecter", "Upcoming missions with no extra yet.",
                      ("missions_a_venir",), indexes=(("date_debut",), ("mission_id",))),
    ReportingRelation("depenses_gains", "Realised money per month.", ("missions_passees",), indexes=(("mois",),)),
    ReportingRelation("vue_ensemble", "Per month: turnover, gross margin, missions done, margin rate.",
                      ("depenses_gains",), indexes=(("mois",),)),
    ReportingRelation("classement_extras", "Per extra: missions done, hours, revenue, cancellations.",
                      ("core.extra", "missions_detail"), indexes=(("extra_id",),)),
    ReportingRelation("classement_hotels", "Per hotel: missions done, revenue, margin, cancellations.",
                      ("core.hotel", "missions_detail"), indexes=(("hotel_id",),)),
    ReportingRelation("extras_candidats",
                      "For each mission to assign, the best extras free to take it (at most "
                      "MISSION_CANDIDATES_PER_MISSION).",
                      ("core.missions", "core.extra", "core.logiciel_extra", "core.logiciel", "missions_a_affecter",
                       "missions_passees", "classement_extras"),
                      indexes=(("mission_id", "rang"), ("extra_id",)), prepared=True),
    ReportingRelation("recherche_extras", "The extras directory.", ("core.extra",), indexes=(("extra_id",),)),
    ReportingRelation("recherche_hotels", "The hotel directory.", ("core.hotel",), indexes=(("hotel_id",),)),
    ReportingRelation("localisation_hotels", "Hotels by postal code, with missions done and revenue.",
                      ("core.hotel", "classement_hotels"), indexes=(("hotel_id",),)),
    ReportingRelation("acquisition_client", "Per month: hotels created by status, hotels' first missions done.",
                      ("core.hotel", "missions_passees"), indexes=(("mois",),)),
    ReportingRelation("predictions", "Completed weeks' actual counts next to the latest forecast, what is booked, "
                      "the extras still to find, and past forecasts' errors per horizon.",
                      ("core.weekly_missions", "core.mission_forecast"), indexes=(("week_start",),),
                      after_forecast=True),
)
BY_NAME = {relation.name: relation for relation in RELATIONS}
# Every relation of the reporting schema, in build order.
REPORTING_RELATIONS: tuple[str, ...] = tuple(BY_NAME)
AFTER_FORECAST: tuple[str, ...] = tuple(r.name for r in RELATIONS if r.after_forecast)


def _check_registry() -> None:
    built: set[str] = set()
    for relation in RELATIONS:
        unknown = [r for r in relation.relations() if r not in built]
        if unknown:
            raise ValueError(f"reporting.{relation.name} reads {unknown}, not built before it")
        # A relation rebuilt alone after the forecast finds no other relation in the build schema.
        if relation.after_forecast and relation.relations():
            raise ValueError(f"reporting.{relation.name} is rebuilt alone after the forecast: it may read core only")
        built.add(relation.name)


_check_registry()


def _render(filename: str) -> sql.Composed:
    text = SQL_FOLDER.joinpath(filename).read_text(encoding="utf-8")
    return sql.SQL(text).format(candidats_par_mission=sql.Literal(reporting_settings().candidates_per_mission))


def select_sql(name: str) -> sql.Composed:
    """The SELECT of ``reporting.<name>``, reporting relations unqualified (resolved through the search path)."""
    return _render(f"{name}.sql")


def _index_name(relation: str, columns: tuple[str, ...]) -> sql.Identifier:
    return sql.Identifier(f"{relation}_{'_'.join(columns)}_idx")


def fingerprint(conn: psycopg.Connection) -> str:
    """Identifies what the tables were built by: every SELECT, helper and index as rendered now."""
    digest = hashlib.sha256()
    for relation in RELATIONS:
        digest.update(select_sql(relation.name).as_string(conn).encode("utf-8"))
        if relation.prepared:
            digest.update(_render(f"{relation.name}.prepare.sql").as_string(conn).encode("utf-8"))
        digest.update(repr(relation.indexes).encode("utf-8"))
    return "reporting sha256:" + digest.hexdigest()


def is_up_to_date(conn: psycopg.Connection) -> bool:
    """Whether every relation is a table built by the current SQL (the fingerprint on schema reporting)."""
    return conn.execute(
        """
        SELECT obj_description(to_regnamespace(%s), 'pg_namespace') = %s
           AND (SELECT count(*) FROM pg_class c
                WHERE c.relnamespace = to_regnamespace(%s) AND c.relkind = 'r' AND c.relname = ANY(%s)) = %s
        """,
        (REPORTING, fingerprint(conn), REPORTING, list(REPORTING_RELATIONS), len(REPORTING_RELATIONS)),
    ).fetchone()[0] is True


def _set_search_path(conn: psycopg.Connection, path: str) -> str:
    previous = conn.execute("SELECT current_setting('search_path')").fetchone()[0]
    conn.execute("SELECT set_config('search_path', %s, true)", (path,))
    return previous


def _grant_default_privileges(conn: psycopg.Connection, table: sql.Composable) -> None:
    """Give a table moved into ``reporting`` what the schema's default privileges give the tables created there.

    Default privileges apply when a table is created, in the schema it is created in: a table built
    in the build schema and moved into ``reporting`` would otherwise reach no reader.
    """
    grants = conn.execute(
        """
        WITH me AS (SELECT oid FROM pg_roles WHERE rolname = current_user)
        SELECT DISTINCT a.privilege_type, a.grantee = 0, r.rolname
        FROM pg_default_acl d
        CROSS JOIN LATERAL aclexplode(d.defaclacl) a
        LEFT JOIN pg_roles r ON r.oid = a.grantee
        WHERE d.defaclrole = (SELECT oid FROM me) AND d.defaclobjtype = 'r'
          AND d.defaclnamespace IN (0, to_regnamespace(%s))
          AND a.grantee <> (SELECT oid FROM me)
        """,
        (REPORTING,),
    ).fetchall()
    for privilege, to_public, role in grants:
        grantee = sql.SQL("PUBLIC") if to_public else sql.Identifier(role)
        conn.execute(sql.SQL("GRANT {} ON TABLE {} TO {}").format(sql.SQL(privilege), table, grantee))


def build_reporting_tables(conn: psycopg.Connection, names: tuple[str, ...] = REPORTING_RELATIONS) -> dict[str, float]:
    """Rebuild these reporting tables from ``core`` and swap them in, in the caller's transaction; seconds per table.

    The tables are built and indexed in a build schema, then the old ones are dropped
    and the new ones moved into ``reporting``: readers keep reading the old tables
    until the caller commits (they wait only for the swap's locks), and a failure
    anywhere leaves the old ones whole. Run it under the writer lock (``ddl``), in a
    transaction that commits or rolls back as one: the publishing transaction, or one
    of its own. Building every relation also records the fingerprint of the SQL.
    """
    unknown = set(names) - set(BY_NAME)
    if unknown:
        raise ValueError(f"no reporting relation named {sorted(unknown)}")
    relations = [r for r in RELATIONS if r.name in names]
    seconds: dict[str, float] = {}
    with conn.transaction():
        build = sql.Identifier(BUILD_SCHEMA)
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(build))
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(build))
        # Relations read one another unqualified: the ones being built, never the published ones.
        previous = _set_search_path(conn, BUILD_SCHEMA)
        # Each query runs once: compiling it (JIT) cost more than it saved, seconds at 1M missions.
        previous_jit = conn.execute("SELECT current_setting('jit'), set_config('jit', 'off', true)").fetchone()[0]
        for relation in relations:
            started = time.perf_counter()
            target = sql.Identifier(BUILD_SCHEMA, relation.name)
            if relation.prepared:
                conn.execute(_render(f"{relation.name}.prepare.sql"))
            conn.execute(sql.SQL("CREATE TABLE {} AS ").format(target) + select_sql(relation.name))
            for columns in relation.indexes:
                conn.execute(sql.SQL("CREATE INDEX {} ON {} ({})").format(
                    _index_name(relation.name, columns), target, sql.SQL(", ").join(map(sql.Identifier, columns))))
            # Fresh statistics, so the first page queries get good plans.
            conn.execute(sql.SQL("ANALYZE {}").format(target))
            seconds[relation.name] = time.perf_counter() - started

        started = time.perf_counter()
        kinds = dict(conn.execute(
            "SELECT relname, relkind FROM pg_class WHERE relnamespace = to_regnamespace(%s) AND relname = ANY(%s)",
            (REPORTING, [r.name for r in relations]),
        ).fetchall())
        for relation in reversed(relations):
            # Views until issue 14, tables since; CASCADE drops views a person may have built on them.
            kind = {"v": "VIEW", "r": "TABLE"}.get(kinds.get(relation.name))
            if kind:
                conn.execute(sql.SQL("DROP {} IF EXISTS {} CASCADE").format(
                    sql.SQL(kind), sql.Identifier(REPORTING, relation.name)))
        for relation in relations:
            conn.execute(sql.SQL("ALTER TABLE {} SET SCHEMA {}").format(
                sql.Identifier(BUILD_SCHEMA, relation.name), sql.Identifier(REPORTING)))
            _grant_default_privileges(conn, sql.Identifier(REPORTING, relation.name))
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(build))  # and the helper tables
        _set_search_path(conn, previous)
        conn.execute("SELECT set_config('jit', %s, true)", (previous_jit,))
        if len(relations) == len(RELATIONS):
            conn.execute(sql.SQL("COMMENT ON SCHEMA {} IS {}").format(
                sql.Identifier(REPORTING), sql.Literal(fingerprint(conn))))
        seconds["swap"] = time.perf_counter() - started
    return seconds


def vacuum_reporting_tables(conn: psycopg.Connection, names: tuple[str, ...] = REPORTING_RELATIONS) -> None:
    """Mark the freshly built tables' pages all-visible (an autocommit connection; after the build committed).

    Autovacuum would do it within minutes; until then count(*) and the page queries
    read every row of the table rather than its index alone (count(*) of 1M missions: 100 ms, 65 once vacuumed).
    """
    conn.execute(sql.SQL("VACUUM {}").format(sql.SQL(", ").join(sql.Identifier(REPORTING, n) for n in names)))


def create_views(conn: psycopg.Connection, schema: str, *, replaced: dict[str, str] | None = None) -> None:
    """Create every relation as a view in ``schema`` (a scratch schema), from the same SELECTs as the tables.

    What the reporting relations were before they became tables: the reference the
    tests compare the tables with and the "before" of benchmarks/bench_reporting.py.
    ``replaced`` gives some relations another SELECT (extras_candidats' old, unbounded one).
    """
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    previous = _set_search_path(conn, schema)
    for relation in RELATIONS:
        select = sql.SQL((replaced or {})[relation.name]) if relation.name in (replaced or {}) else select_sql(relation.name)
        conn.execute(sql.SQL("CREATE VIEW {} AS ").format(sql.Identifier(schema, relation.name)) + select)
    _set_search_path(conn, previous)


# Concurrent changes to one role from parallel sessions (roles are cluster-wide): the loser of the race
# sees one of these and succeeds on a second try, once the winner's change is visible.
_ROLE_RACE_ERRORS = (errors.DuplicateObject, errors.UniqueViolation, errors.InternalError_)
_ROLE_ATTEMPTS = 10

# What a read-only role must not hold, directly or through PUBLIC.
_LEFTOVER_PRIVILEGES = """
SELECT array_remove(ARRAY[
    CASE WHEN has_database_privilege(%(role)s, current_database(), 'CREATE') THEN 'CREATE on the database' END,
    CASE WHEN has_database_privilege(%(role)s, current_database(), 'TEMPORARY') THEN 'TEMPORARY on the database' END,
    CASE WHEN to_regnamespace('public') IS NULL THEN NULL
         WHEN has_schema_privilege(%(role)s, 'public', 'CREATE') THEN 'CREATE on schema public' END,
    CASE WHEN has_schema_privilege(%(role)s, 'core', 'USAGE') THEN 'USAGE on schema core' END,
    CASE WHEN has_schema_privilege(%(role)s, 'reporting', 'CREATE') THEN 'CREATE on schema reporting' END
], NULL)
"""


def ensure_reader_role(conn: psycopg.Connection, name: str = "looker_reader", password: str | None = None,
                       statement_timeout_seconds: int | None = None) -> None:
    """Create or update the read-only role Looker Studio connects with; idempotent.

    The role can log in and connect to the current database, read every
    relation of ``reporting`` (including tables created later by the role
    running this, through default privileges), and nothing else: no access
    to ``core``, no CREATE anywhere, no temporary tables, no writes.

    ``password`` (the caller reads ``LOOKER_READER_PASSWORD``) is hashed
    client-side (SCRAM-SHA-256) so the clear text never reaches the server's
    statement log. With no password the role has none: it can only log in
    where ``pg_hba.conf`` does not ask for one (e.g. ``trust``), and an
    existing password is left as it is.

    ``statement_timeout_seconds`` (default: the setting
    ``MISSION_READER_STATEMENT_TIMEOUT_SECONDS``, 0 for none) bounds every
    query of the role, so a runaway dashboard query cannot hold a connection.

    Needs the schemas of ``schema.ensure_schema``. Runs in a transaction of its
    own (a savepoint when the caller is already in one). Revoking PUBLIC's
    default CREATE on ``public`` (PostgreSQL 14 still grants it) and TEMPORARY
    on the database affects every role that relied on them; the database owner
    keeps both. Only the owner (or a superuser) can revoke them: run by anyone
    else, nothing is changed and ``PermissionError`` says what the role would
    still be allowed to do.
    """
    role = sql.Identifier(name)
    database = sql.Identifier(conn.info.dbname)
    # Only LOGIN and PASSWORD: a non-superuser (RDS) may not even restate NOSUPERUSER and the like,
    # and a new role has none of those attributes anyway (an existing one is checked below).
    attributes = sql.SQL("LOGIN")
    if password is not None:
        verifier = conn.pgconn.encrypt_password(password.encode(), name.encode(), b"scram-sha-256").decode()
        attributes = sql.SQL("LOGIN PASSWORD {}").format(sql.Literal(verifier))
    if statement_timeout_seconds is None:
        timeout = reporting_settings().reader_statement_timeout_seconds
    else:
        timeout = statement_timeout_seconds
    statements = [
        # Only PUBLIC and the role are named: other roles' own grants are theirs to keep.
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(database, role),
        sql.SQL("REVOKE TEMPORARY ON DATABASE {} FROM PUBLIC, {}").format(database, role),
        sql.SQL("REVOKE ALL ON SCHEMA core FROM PUBLIC, {}").format(role),
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA core FROM PUBLIC, {}").format(role),
        sql.SQL("REVOKE ALL ON SCHEMA reporting FROM PUBLIC, {}").format(role),
        sql.SQL("GRANT USAGE ON SCHEMA reporting TO {}").format(role),
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA reporting FROM {}").format(role),
        sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA reporting TO {}").format(role),
        sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA reporting GRANT SELECT ON TABLES TO {}").format(role),
        # A second guard should a write privilege ever be granted by mistake.
        sql.SQL("ALTER ROLE {} IN DATABASE {} SET default_transaction_read_only = on").format(role, database),
        sql.SQL("ALTER ROLE {} IN DATABASE {} SET statement_timeout = {}").format(
            role, database, sql.Literal(f"{timeout}s")),
    ]
    for attempt in range(1, _ROLE_ATTEMPTS + 1):
        try:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute(
                    "SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls"
                    " OR EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m WHERE m.member = r.oid)"
                    " FROM pg_catalog.pg_roles r WHERE rolname = %s",
                    (name,),
                )
                existing = cur.fetchone()
                if existing and existing[0]:
                    raise ValueError(
                        f"role {name!r} already exists with more than read access (a superuser, CREATEROLE, "
                        "CREATEDB, REPLICATION or BYPASSRLS attribute, or membership of another role): "
                        "use another name or remove those first"
                    )
                verb = sql.SQL("ALTER" if existing else "CREATE")
                cur.execute(sql.SQL("{} ROLE {} WITH {}").format(verb, role, attributes))
                for statement in statements:
                    cur.execute(statement)
                cur.execute("SELECT to_regnamespace('public') IS NOT NULL")
                if cur.fetchone()[0]:
                    cur.execute(sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC, {}").format(role))
                cur.execute(_LEFTOVER_PRIVILEGES, {"role": name})
                leftover = cur.fetchone()[0]
                if leftover:
                    raise PermissionError(
                        f"role {name!r} would still have {', '.join(leftover)}: run this as the database owner, "
                        "or have the owner revoke those from PUBLIC"
                    )
            return
        except _ROLE_RACE_ERRORS as exc:
            if attempt == _ROLE_ATTEMPTS or (
                isinstance(exc, errors.InternalError_) and "concurrently" not in str(exc)
            ):
                raise
