"""The ``reporting`` schema that Looker Studio reads: one table per page; ``ops``, the people pages with real names
and contacts for operations; and the read-only roles that read them (``looker_reader``, ``ops_reader``).

Each relation is a SELECT in ``sql/reporting/<name>.sql`` over the ``core``
tables and the relations before it; ``RELATIONS`` says what each reads, how it
is indexed and when it is built. The tables are rebuilt from ``core`` rather than
computed on every query (Looker Studio sends a page's queries again for every
chart and every viewer): at each publish, in the publishing transaction, and,
for ``predictions``, again after the forecast. ``ops`` (``sql/ops/<name>.sql``,
``OPS_SET``) is views: a reporting table with the real names and contacts of
``private`` joined in, a few hundred rows to look up by key. They store nothing,
so they cost the publish nothing and always show what reporting and private
show; replacing a reporting table drops the views over it, which are created
again in the same transaction. See docs/WAREHOUSE.md for what each dashboard
page needs.
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
OPS = "ops"
SQL_FOLDER = files("mission_platform.warehouse").joinpath("sql")


@dataclass(frozen=True)
class ReportingRelation:
    """One relation of ``reporting`` or ``ops`` (a table): what its SELECT reads, its indexes, when it is built."""

    name: str
    description: str
    # Core tables (``core.x``), other schemas' relations (``reporting.x``, ``private.x``) and relations of its
    # own schema (bare names) its SELECT reads.
    reads: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()  # for the page's filters and lookups
    # Reads the forecast tables, which the forecast writes after the publish: rebuilt again after the forecast.
    after_forecast: bool = False
    # ``<name>.prepare.sql`` builds helper tables in the build schema just before it (dropped with that schema).
    prepared: bool = False
    # The SELECT of another relation of the schema (``<select_of>.sql``), over the relation it reads first
    # (its ``{source}``): one column list for the relations that differ only by the rows they show.
    select_of: str | None = None
    # The columns the build's ANALYZE gathers statistics for (empty: every column): those the page queries
    # filter on and the later builds join and group by. Autovacuum analyses the others after the publish,
    # out of its way (an ANALYZE of some columns leaves the table due for one).
    statistics: tuple[str, ...] = ()
    # Stored inside another relation of the schema, read first (``child_of``): its rows are that relation's rows
    # where ``rows_where`` holds, kept in a child table of it (PostgreSQL inheritance) rather than written twice;
    # the parent keeps the other rows, and reading the parent reads both. Both stay plain tables to Looker
    # Studio's JDBC driver, which lists a partitioned table as another kind.
    child_of: str | None = None
    rows_where: str | None = None

    def core_tables(self) -> tuple[str, ...]:
        return tuple(r.removeprefix("core.") for r in self.reads if r.startswith("core."))

    def relations(self) -> tuple[str, ...]:
        return tuple(r for r in self.reads if "." not in r)


@dataclass(frozen=True)
class RelationSet:
    """The relations of one schema, each a SELECT in ``sql/<schema>/<name>.sql``, built together in build order."""

    schema: str
    relations: tuple[ReportingRelation, ...]
    # Views rather than tables: for relations that only join small lookups onto another schema's tables.
    views: bool = False

    @property
    def kind(self) -> str:
        return "VIEW" if self.views else "TABLE"

    @property
    def relkind(self) -> str:
        return "v" if self.views else "r"

    def reads_schema(self, schema: str) -> bool:
        return any(read.startswith(f"{schema}.") for relation in self.relations for read in relation.reads)

    @property
    def build_schema(self) -> str:
        # The tables are built here, beside the published ones, then moved into the schema in one go.
        return f"{self.schema}_build"

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.relations)

    @property
    def by_name(self) -> dict[str, ReportingRelation]:
        return {r.name: r for r in self.relations}

    def children(self, name: str) -> tuple[ReportingRelation, ...]:
        """The relations stored inside ``name`` (``child_of``), in build order."""
        return tuple(r for r in self.relations if r.child_of == name)


_DETAIL = ("core.missions", "core.hotel", "core.extra", "fraicheur_donnees")
# The million-row mission lists: ANALYZE of their 23 columns took 0.4-0.55 s each at 1M missions, of these 0.15 s.
_MISSION_STATISTICS = ("date_debut", "hotel_id", "extra_id", "annulation", "passee")

# In build order: a relation reads only core tables and the relations before it.
RELATIONS: tuple[ReportingRelation, ...] = (
    ReportingRelation("fraicheur_donnees", "Footer: the published export and when it was published.",
                      ("core.load_history",)),
    # The mission lists are filtered by period; one hotel's or extra's missions are spread over every page
    # of the table, where a scan is as fast as an index and the index costs every publish seconds.
    ReportingRelation("missions_detail", "Every mission with its hotel, extra and amounts, and whether it is past.",
                      _DETAIL, indexes=(("date_debut",),), statistics=_MISSION_STATISTICS),
    # Nearly every mission is past: stored once, inside missions_detail, rather than written a second time
    # (2.5 s of the publish at 1M missions).
    ReportingRelation("missions_passees", "Missions started before the export date, cancelled ones included.",
                      ("missions_detail",), indexes=(("date_debut",),), statistics=_MISSION_STATISTICS,
                      child_of="missions_detail", rows_where="passee"),
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
REPORTING_SET = RelationSet(REPORTING, RELATIONS)

# The people-facing pages again, for the operations role: views of the reporting table with the real names and
# contact details of ``private`` joined in (same column names, contact columns added). Created again whenever the
# reporting tables are replaced, in the same transaction, so both always show the same export. A filter on a view
# is a filter on the reporting table under it, with its indexes.
_CONTACTS = ("private.extra", "private.hotel")
OPS_SET = RelationSet(OPS, (
    ReportingRelation("missions_detail", "Every mission with real names and contacts, and whether it is past.",
                      ("reporting.missions_detail", *_CONTACTS)),
    # The three mission lists: missions_detail's SELECT over their own reporting table (and its indexes).
    ReportingRelation("missions_passees", "Missions started before the export date, with real names and contacts.",
                      ("reporting.missions_passees", *_CONTACTS), select_of="missions_detail"),
    ReportingRelation("missions_a_venir", "Booked missions from the export date on, with real names and contacts.",
                      ("reporting.missions_a_venir", *_CONTACTS), select_of="missions_detail"),
    ReportingRelation("missions_a_affecter", "Upcoming missions with no extra yet, with the hotel's real name "
                      "and contacts.", ("reporting.missions_a_affecter", *_CONTACTS), select_of="missions_detail"),
    ReportingRelation("extras_candidats", "The candidates of each mission to assign, with their phone and e-mail.",
                      ("reporting.extras_candidats", *_CONTACTS)),
    ReportingRelation("recherche_extras", "The extras directory with real names, phones and e-mails.",
                      ("reporting.recherche_extras", "private.extra")),
    ReportingRelation("recherche_hotels", "The hotel directory with real names, addresses and contact notes.",
                      ("reporting.recherche_hotels", "private.hotel")),
    ReportingRelation("classement_extras", "Per extra, with real names, phones and e-mails: missions done, hours, "
                      "revenue, cancellations.", ("reporting.classement_extras", "private.extra")),
    ReportingRelation("classement_hotels", "Per hotel, with real names, addresses and notes: missions done, revenue, "
                      "margin, cancellations.", ("reporting.classement_hotels", "private.hotel")),
    ReportingRelation("localisation_hotels", "Hotels by postal code with real names and addresses.",
                      ("reporting.localisation_hotels", "private.hotel")),
), views=True)
OPS_RELATIONS: tuple[str, ...] = OPS_SET.names
RELATION_SETS: dict[str, RelationSet] = {REPORTING: REPORTING_SET, OPS: OPS_SET}


def _check_registry(relation_set: RelationSet) -> None:
    built: set[str] = set()
    for relation in relation_set.relations:
        if relation_set.views and (relation.indexes or relation.prepared or relation.statistics):
            raise ValueError(f"{relation_set.schema}.{relation.name} is a view: no index, no prepared helper, "
                             "no statistics")
        if relation_set.views and relation.child_of:
            raise ValueError(f"{relation_set.schema}.{relation.name} is a view: it cannot be stored inside another")
        if bool(relation.child_of) != bool(relation.rows_where) or (
                relation.child_of and relation.reads != (relation.child_of,)):
            raise ValueError(f"{relation_set.schema}.{relation.name}: a relation stored inside another reads only "
                             "that one and says which of its rows it holds (child_of and rows_where)")
        if relation.select_of and relation.select_of not in relation_set.by_name:
            raise ValueError(f"{relation_set.schema}.{relation.name} takes the SELECT of {relation.select_of}, "
                             "which the schema does not have")
        unknown = [r for r in relation.relations() if r not in built]
        if unknown:
            raise ValueError(f"{relation_set.schema}.{relation.name} reads {unknown}, not built before it")
        # A relation rebuilt alone after the forecast finds no other relation in the build schema.
        if relation.after_forecast and relation.relations():
            raise ValueError(f"{relation_set.schema}.{relation.name} is rebuilt alone after the forecast: "
                             "it may read core only")
        built.add(relation.name)


for _set in RELATION_SETS.values():
    _check_registry(_set)


def _render(filename: str, schema: str = REPORTING, source: str | None = None) -> sql.Composed:
    text = SQL_FOLDER.joinpath(schema, filename).read_text(encoding="utf-8")
    return sql.SQL(text).format(candidats_par_mission=sql.Literal(reporting_settings().candidates_per_mission),
                                source=sql.Identifier(*source.split(".")) if source else sql.SQL(""))


def select_sql(name: str, schema: str = REPORTING) -> sql.Composed:
    """The SELECT of ``<schema>.<name>``, its own schema's relations unqualified (resolved through the search path)."""
    relation = RELATION_SETS[schema].by_name[name]
    if relation.child_of:
        return sql.SQL("SELECT * FROM {} WHERE {}").format(sql.Identifier(relation.child_of),
                                                          sql.SQL(relation.rows_where))
    return _render(f"{relation.select_of or name}.sql", schema, source=relation.reads[0])


def _index_name(relation: str, columns: tuple[str, ...]) -> sql.Identifier:
    return sql.Identifier(f"{relation}_{'_'.join(columns)}_idx")


def fingerprint(conn: psycopg.Connection, relation_set: RelationSet = REPORTING_SET) -> str:
    """Identifies what the tables were built by: every SELECT, helper and index as rendered now."""
    digest = hashlib.sha256()
    schema = relation_set.schema
    for relation in relation_set.relations:
        digest.update(select_sql(relation.name, schema).as_string(conn).encode("utf-8"))
        if relation.prepared:
            digest.update(_render(f"{relation.name}.prepare.sql", schema).as_string(conn).encode("utf-8"))
        digest.update(repr((relation.indexes, relation.child_of)).encode("utf-8"))
    return f"{schema} sha256:" + digest.hexdigest()


def is_up_to_date(conn: psycopg.Connection, relation_set: RelationSet = REPORTING_SET) -> bool:
    """Whether every relation is a table (or view) built by the current SQL (the fingerprint on its schema)."""
    schema, names = relation_set.schema, list(relation_set.names)
    return conn.execute(
        """
        SELECT obj_description(to_regnamespace(%s), 'pg_namespace') = %s
           AND (SELECT count(*) FROM pg_class c
                WHERE c.relnamespace = to_regnamespace(%s) AND c.relkind = %s AND c.relname = ANY(%s)) = %s
        """,
        (schema, fingerprint(conn, relation_set), schema, relation_set.relkind, names, len(names)),
    ).fetchone()[0] is True


def _set_search_path(conn: psycopg.Connection, path: str) -> str:
    previous = conn.execute("SELECT current_setting('search_path')").fetchone()[0]
    conn.execute("SELECT set_config('search_path', %s, true)", (path,))
    return previous


def _grant_default_privileges(conn: psycopg.Connection, schema: str, table: sql.Composable) -> None:
    """Give a table moved into ``schema`` what the schema's default privileges give the tables created there.

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
        (schema,),
    ).fetchall()
    for privilege, to_public, role in grants:
        grantee = sql.SQL("PUBLIC") if to_public else sql.Identifier(role)
        conn.execute(sql.SQL("GRANT {} ON TABLE {} TO {}").format(sql.SQL(privilege), table, grantee))


def _create(conn: psycopg.Connection, relation_set: RelationSet, relation: ReportingRelation) -> None:
    """Create ``relation`` in the build schema from its SELECT; a parent keeps only the rows no child holds."""
    target = sql.Identifier(relation_set.build_schema, relation.name)
    if relation.child_of:
        # Its rows are the parent's SELECT's where rows_where holds; the CHECK tells the planner so, and a
        # query of the parent that asks for other rows skips this table.
        condition = sql.SQL(relation.rows_where)
        conn.execute(sql.SQL("CREATE TABLE {} (CONSTRAINT {} CHECK ({})) INHERITS ({})").format(
            target, sql.Identifier(f"{relation.name}_rows"), condition,
            sql.Identifier(relation_set.build_schema, relation.child_of)))
        conn.execute(sql.SQL("INSERT INTO {} SELECT * FROM ({}) AS parent WHERE {}").format(
            target, select_sql(relation.child_of, relation_set.schema), condition))
        return
    select = select_sql(relation.name, relation_set.schema)
    children = relation_set.children(relation.name)
    if children:
        # IS NOT TRUE: a row for which a child's condition is NULL stays here rather than being lost.
        own = sql.SQL(" AND ").join(sql.SQL("({}) IS NOT TRUE").format(sql.SQL(c.rows_where)) for c in children)
        select = sql.SQL("SELECT * FROM ({}) AS {} WHERE {}").format(select, sql.Identifier(relation.name), own)
    conn.execute(sql.SQL("CREATE {} {} AS ").format(sql.SQL(relation_set.kind), target) + select)
    if children:
        # NO INHERIT: it holds for the parent's own rows, not its children's.
        conn.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} CHECK ({}) NO INHERIT").format(
            target, sql.Identifier(f"{relation.name}_own_rows"), own))


def _analyze(conn: psycopg.Connection, relation_set: RelationSet, relation: ReportingRelation) -> None:
    columns = (sql.SQL(" ({})").format(sql.SQL(", ").join(map(sql.Identifier, relation.statistics)))
               if relation.statistics else sql.SQL(""))
    conn.execute(sql.SQL("ANALYZE {}{}").format(sql.Identifier(relation_set.build_schema, relation.name), columns))


def build_reporting_tables(conn: psycopg.Connection, names: tuple[str, ...] | None = None,
                           relation_set: RelationSet = REPORTING_SET) -> dict[str, float]:
    """Rebuild these tables of ``relation_set`` (default: all) and swap them in, in the caller's transaction.

    Returns the seconds per table. ``reporting`` is built from ``core``; ``ops``, views over ``reporting`` and
    ``private``, is created again with it (``seconds["ops"]``) whenever replacing its tables dropped them.

    The tables are built and indexed in a build schema, then the old ones are dropped
    and the new ones moved into ``reporting``: readers keep reading the old tables
    until the caller commits (they wait only for the swap's locks), and a failure
    anywhere leaves the old ones whole. Run it under the writer lock (``ddl``), in a
    transaction that commits or rolls back as one: the publishing transaction, or one
    of its own. Building every relation also records the fingerprint of the SQL.
    """
    schema, build_schema = relation_set.schema, relation_set.build_schema
    names = relation_set.names if names is None else names
    unknown = set(names) - set(relation_set.names)
    if unknown:
        raise ValueError(f"no {schema} relation named {sorted(unknown)}")
    relations = [r for r in relation_set.relations if r.name in names]
    for relation in relations:
        family = {relation.child_of} if relation.child_of else {c.name for c in relation_set.children(relation.name)}
        if family - set(names):
            raise ValueError(f"{schema}.{relation.name} is stored with {', '.join(sorted(family - set(names)))}: "
                             "rebuild them together")
    seconds: dict[str, float] = {}
    with conn.transaction():
        build = sql.Identifier(build_schema)
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(build))
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(build))
        # Relations read one another unqualified: the ones being built, never the published ones.
        previous = _set_search_path(conn, build_schema)
        # Each query runs once: compiling it (JIT) cost more than it saved, seconds at 1M missions.
        previous_jit = conn.execute("SELECT current_setting('jit'), set_config('jit', 'off', true)").fetchone()[0]
        for relation in relations:
            started = time.perf_counter()
            target = sql.Identifier(build_schema, relation.name)
            if relation.prepared:
                conn.execute(_render(f"{relation.name}.prepare.sql", schema))
            _create(conn, relation_set, relation)
            for columns in relation.indexes:
                conn.execute(sql.SQL("CREATE INDEX {} ON {} ({})").format(
                    _index_name(relation.name, columns), target, sql.SQL(", ").join(map(sql.Identifier, columns))))
            if not relation_set.views:  # fresh statistics, so the first page queries get good plans
                # A parent's ANALYZE also gathers its whole tree's statistics: run once its children are built.
                if not relation_set.children(relation.name):
                    _analyze(conn, relation_set, relation)
                parent = relation.child_of
                if parent and relation_set.children(parent)[-1] == relation:
                    _analyze(conn, relation_set, relation_set.by_name[parent])
            seconds[relation.name] = time.perf_counter() - started

        started = time.perf_counter()
        kinds = dict(conn.execute(
            "SELECT relname, relkind FROM pg_class WHERE relnamespace = to_regnamespace(%s) AND relname = ANY(%s)",
            (schema, [r.name for r in relations]),
        ).fetchall())
        for relation in reversed(relations):
            # Reporting was views until issue 14, tables since; ops was tables until views. CASCADE drops the views
            # over them: ops's, created again below, and any a person may have built.
            kind = {"v": "VIEW", "r": "TABLE"}.get(kinds.get(relation.name))
            if kind:
                conn.execute(sql.SQL("DROP {} IF EXISTS {} CASCADE").format(
                    sql.SQL(kind), sql.Identifier(schema, relation.name)))
        for relation in relations:
            conn.execute(sql.SQL("ALTER {} {} SET SCHEMA {}").format(
                sql.SQL(relation_set.kind), sql.Identifier(build_schema, relation.name), sql.Identifier(schema)))
            _grant_default_privileges(conn, schema, sql.Identifier(schema, relation.name))
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(build))  # and the helper tables
        _set_search_path(conn, previous)
        conn.execute("SELECT set_config('jit', %s, true)", (previous_jit,))
        if len(relations) == len(relation_set.relations):
            conn.execute(sql.SQL("COMMENT ON SCHEMA {} IS {}").format(
                sql.Identifier(schema), sql.Literal(fingerprint(conn, relation_set))))
        seconds["swap"] = time.perf_counter() - started
        for dependent in RELATION_SETS.values():
            if dependent.views and dependent.reads_schema(schema) and not is_up_to_date(conn, dependent):
                started = time.perf_counter()
                build_reporting_tables(conn, relation_set=dependent)
                seconds[dependent.schema] = time.perf_counter() - started
    return seconds


def vacuum_reporting_tables(conn: psycopg.Connection, names: tuple[str, ...] = REPORTING_RELATIONS) -> None:
    """Mark the freshly built tables' pages all-visible (an autocommit connection; after the build committed).

    Autovacuum would do it within minutes; until then count(*) and the page queries
    read every row of the table rather than its index alone (count(*) of 1M missions: 100 ms, 65 once vacuumed).
    ``names``: reporting tables, or other schemas' as ``schema.name`` (one VACUUM for all).
    """
    tables = (sql.Identifier(*n.split(".", 1)) if "." in n else sql.Identifier(REPORTING, n) for n in names)
    conn.execute(sql.SQL("VACUUM {}").format(sql.SQL(", ").join(tables)))


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

# The schemas a reader role may be given, and the one none is ever given (the operations relations read it as
# the owner, when they are built).
READABLE_SCHEMAS = (REPORTING, OPS)
PRIVATE_SCHEMAS = ("core", "private")


@dataclass(frozen=True)
class ReaderRole:
    """A read-only role: the schemas it reads (first first), and the variable holding its password."""

    name: str
    schemas: tuple[str, ...]
    password_env: str


LOOKER_READER = ReaderRole("looker_reader", (REPORTING,), "LOOKER_READER_PASSWORD")
OPS_READER = ReaderRole("ops_reader", (OPS, REPORTING), "OPS_READER_PASSWORD")
READER_ROLES: dict[str, ReaderRole] = {r.name: r for r in (LOOKER_READER, OPS_READER)}


def _leftover_privileges(schemas: tuple[str, ...]) -> sql.Composed:
    """What a read-only role reading ``schemas`` must not hold, directly or through PUBLIC."""
    refused = [s for s in (*PRIVATE_SCHEMAS, *READABLE_SCHEMAS) if s not in schemas]
    checks = [
        "CASE WHEN has_database_privilege(%(role)s, current_database(), 'CREATE') THEN 'CREATE on the database' END",
        "CASE WHEN has_database_privilege(%(role)s, current_database(), 'TEMPORARY') "
        "THEN 'TEMPORARY on the database' END",
        "CASE WHEN to_regnamespace('public') IS NULL THEN NULL "
        "WHEN has_schema_privilege(%(role)s, 'public', 'CREATE') THEN 'CREATE on schema public' END",
    ]
    parts = [sql.SQL(c) for c in checks]
    for schema in refused:
        parts.append(sql.SQL("CASE WHEN has_schema_privilege(%(role)s, {s}, 'USAGE') THEN {w} END").format(
            s=sql.Literal(schema), w=sql.Literal(f"USAGE on schema {schema}")))
    for schema in schemas:
        parts.append(sql.SQL("CASE WHEN has_schema_privilege(%(role)s, {s}, 'CREATE') THEN {w} END").format(
            s=sql.Literal(schema), w=sql.Literal(f"CREATE on schema {schema}")))
    return sql.SQL("SELECT array_remove(ARRAY[{}]::text[], NULL)").format(sql.SQL(", ").join(parts))


# The other databases of the server the role running this owns (not as a superuser: a superuser's are the
# server's own, left to the DBA), whose door stays open to every role through PUBLIC's default CONNECT.
_OWN_OTHER_DATABASES = """
SELECT d.datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba
WHERE r.rolname = current_user AND NOT r.rolsuper AND NOT d.datistemplate AND d.datname <> current_database()
ORDER BY d.datname
"""


def ensure_reader_role(conn: psycopg.Connection, name: str = "looker_reader", password: str | None = None,
                       statement_timeout_seconds: int | None = None, schemas: tuple[str, ...] | None = None) -> None:
    """Create or update a read-only role (Looker Studio's, the operations'); idempotent.

    The role can log in and connect to the current database, read every
    relation of ``schemas`` (default: the role's in ``READER_ROLES``, else
    ``reporting``; including tables created later by the role running this,
    through default privileges), and nothing else: no access to ``core``,
    ``private`` or the other readable schemas, no CREATE anywhere, no
    temporary tables, no writes.

    PostgreSQL roles belong to the whole server: the role is granted CONNECT on
    this database only; PUBLIC's CONNECT and TEMPORARY are revoked here and on
    every other database the role running this owns (unless it is a superuser),
    so the readers cannot open those. Other databases are the DBA's
    (README, Personal data).

    ``password`` (the caller reads ``LOOKER_READER_PASSWORD`` or
    ``OPS_READER_PASSWORD``) is hashed client-side (SCRAM-SHA-256) so the clear
    text never reaches the server's statement log. With no password the role
    has none: it can only log in where ``pg_hba.conf`` does not ask for one
    (e.g. ``trust``), and an existing password is left as it is.

    ``statement_timeout_seconds`` (default: the setting
    ``MISSION_READER_STATEMENT_TIMEOUT_SECONDS``, 0 for none) bounds every
    query of the role, so a runaway dashboard query cannot hold a connection.

    Needs the schemas of ``schema.ensure_schema``. Runs in a transaction of its
    own (a savepoint when the caller is already in one). Revoking PUBLIC's
    default CREATE on ``public`` (PostgreSQL 14 still grants it), TEMPORARY and
    CONNECT on the database affects every role that relied on them; the database
    owner keeps them. Only the owner (or a superuser) can revoke them: run by
    anyone else, nothing is changed and ``PermissionError`` says what the role
    would still be allowed to do.
    """
    if schemas is None:
        schemas = READER_ROLES[name].schemas if name in READER_ROLES else (REPORTING,)
    unknown = [s for s in schemas if s not in READABLE_SCHEMAS]
    if unknown:
        raise ValueError(f"role {name!r}: a reader reads only {', '.join(READABLE_SCHEMAS)}, not {', '.join(unknown)}")
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
        sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC").format(database),
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(database, role),
        sql.SQL("REVOKE TEMPORARY ON DATABASE {} FROM {}").format(database, role),
    ]
    for schema in (*PRIVATE_SCHEMAS, *READABLE_SCHEMAS):
        target = sql.Identifier(schema)
        statements += [
            sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC, {}").format(target, role),
            sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(target, role),
        ]
        if schema in schemas:
            statements += [
                sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(target, role),
                sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(target, role),
                sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT SELECT ON TABLES TO {}").format(target, role),
            ]
        else:
            statements += [
                sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM PUBLIC").format(target),
                sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} REVOKE ALL ON TABLES FROM {}").format(target, role),
            ]
    statements += [
        # A second guard should a write privilege ever be granted by mistake.
        sql.SQL("ALTER ROLE {} IN DATABASE {} SET default_transaction_read_only = on").format(role, database),
        sql.SQL("ALTER ROLE {} IN DATABASE {} SET statement_timeout = {}").format(
            role, database, sql.Literal(f"{timeout}s")),
    ]
    leftover_sql = _leftover_privileges(schemas)
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
                for (other,) in cur.execute(_OWN_OTHER_DATABASES).fetchall():
                    cur.execute(sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC").format(
                        sql.Identifier(other)))
                cur.execute("SELECT to_regnamespace('public') IS NOT NULL")
                if cur.fetchone()[0]:
                    cur.execute(sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC, {}").format(role))
                cur.execute(leftover_sql, {"role": name})
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


# Who must never hold anything on which schema: private is read only by the owner (building ops), ops only by
# the operations role.
REFUSED = ((("public", LOOKER_READER.name, OPS_READER.name), "private"), (("public", LOOKER_READER.name), OPS))
_SCHEMA_PRIVILEGES = ("USAGE", "CREATE")
_TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


def refused_privileges_held(conn: psycopg.Connection) -> list[str]:
    """Every privilege PUBLIC or a reader holds where ``REFUSED`` says it must not, e.g. 'looker_reader: SELECT on
    private.extra'; empty when none (roles not created yet hold nothing)."""
    found = []
    for roles, schema in REFUSED:
        existing = [r for r in roles if r == "public" or conn.execute(
            "SELECT 1 FROM pg_roles WHERE rolname = %s", (r,)).fetchone()]
        for role in existing:
            rows = conn.execute(
                """
                SELECT p.privilege || ' on schema ' || n.nspname
                FROM pg_namespace n CROSS JOIN unnest(%(schema_privileges)s::text[]) AS p(privilege)
                WHERE n.nspname = %(schema)s AND has_schema_privilege(%(role)s, n.oid, p.privilege)
                UNION ALL
                SELECT p.privilege || ' on ' || n.nspname || '.' || c.relname
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                CROSS JOIN unnest(%(table_privileges)s::text[]) AS p(privilege)
                WHERE n.nspname = %(schema)s AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
                  AND has_table_privilege(%(role)s, c.oid, p.privilege)
                ORDER BY 1
                """,
                {"schema": schema, "role": role, "schema_privileges": list(_SCHEMA_PRIVILEGES),
                 "table_privileges": list(_TABLE_PRIVILEGES)},
            ).fetchall()
            found += [f"{role.upper() if role == 'public' else role}: {what}" for (what,) in rows]
    return found
