"""The ``reporting`` schema that Looker Studio reads, and the read-only role it connects with.

The views themselves are in ``sql/reporting.sql``; see docs/WAREHOUSE.md for what
each dashboard page needs.
"""

from __future__ import annotations

from importlib.resources import files

import psycopg
from psycopg import errors, sql

# Every relation of the reporting schema, in creation order (a relation may read those before it).
REPORTING_RELATIONS: tuple[str, ...] = (
    "fraicheur_donnees",
    "missions_detail",
    "missions_passees",
    "missions_a_venir",
    "missions_a_affecter",
    "depenses_gains",
    "vue_ensemble",
    "classement_extras",
    "classement_hotels",
    "extras_candidats",
    "recherche_extras",
    "recherche_hotels",
    "localisation_hotels",
    "acquisition_client",
    "predictions",
)

REPORTING_SQL = files("mission_platform.warehouse").joinpath("sql/reporting.sql")

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


def create_reporting_views(conn: psycopg.Connection) -> None:
    """(Re)create every relation of ``reporting`` from scratch, in the caller's transaction.

    Needs the ``core`` tables and ``reporting`` schema (``schema.ensure_schema``).
    Nothing is committed here: run inside the publishing transaction, readers see
    the old views until it commits, then the new ones. On an autocommit
    connection the whole script still runs as one transaction (a multi-statement
    query is atomic in PostgreSQL's simple query protocol).
    """
    drops = sql.SQL(" ").join(
        sql.SQL("DROP VIEW IF EXISTS {} CASCADE;").format(sql.Identifier("reporting", name))
        for name in reversed(REPORTING_RELATIONS)
    )
    script = drops.as_string(conn) + "\n" + REPORTING_SQL.read_text(encoding="utf-8")
    with conn.cursor() as cur:
        cur.execute(script.encode("utf-8"))


def ensure_reader_role(conn: psycopg.Connection, name: str = "looker_reader", password: str | None = None) -> None:
    """Create or update the read-only role Looker Studio connects with; idempotent.

    The role can log in and connect to the current database, read every
    relation of ``reporting`` (including views created later by the role
    running this, through default privileges), and nothing else: no access
    to ``core``, no CREATE anywhere, no temporary tables, no writes.

    ``password`` (the caller reads ``LOOKER_READER_PASSWORD``) is hashed
    client-side (SCRAM-SHA-256) so the clear text never reaches the server's
    statement log. With no password the role has none: it can only log in
    where ``pg_hba.conf`` does not ask for one (e.g. ``trust``), and an
    existing password is left as it is.

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
