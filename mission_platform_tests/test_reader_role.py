"""The Looker Studio role, exercised by connecting as it: reads ``reporting``, nothing else, writes nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import uuid

import psycopg
import pytest
from psycopg import errors, sql

from mission_platform.warehouse.reporting import AFTER_FORECAST, REPORTING_RELATIONS, build_reporting_tables, ensure_reader_role
from mission_platform.warehouse.ddl import ensure_schema
from mission_platform_tests.test_reporting import seed

READER = "looker_reader"
# Quotes and a backslash: the password must reach the server as data, never as SQL.
PASSWORD = "it's a \"test\" \\ password"


@pytest.fixture
def owner(warehouse_url):
    with psycopg.connect(warehouse_url) as conn:
        ensure_schema(conn)
        seed(conn)
        build_reporting_tables(conn)
        ensure_reader_role(conn, password=PASSWORD)
        conn.commit()
        yield conn


@pytest.fixture
def reader(owner, warehouse_url):
    with psycopg.connect(warehouse_url, user=READER, password=PASSWORD, autocommit=True) as conn:
        yield conn


def relation(name: str, schema: str = "reporting") -> sql.Composed:
    return sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, name))


def test_reader_reads_every_reporting_relation(owner, reader):
    assert reader.execute("SELECT current_user").fetchone() == (READER,)
    for name in REPORTING_RELATIONS:
        assert reader.execute(relation(name)).fetchone() == owner.execute(relation(name)).fetchone(), name
    assert reader.execute(relation("missions_passees")).fetchone() == (8,)


def test_reader_cannot_read_core(reader):
    for table in ("missions", "hotel", "extra", "load_history", "rejected_rows"):
        with pytest.raises(errors.InsufficientPrivilege):
            reader.execute(relation(table, "core"))


WRITES = [
    "INSERT INTO reporting.recherche_hotels (hotel_id) VALUES ('HOT-9')",
    "UPDATE reporting.recherche_extras SET statuts = 'inactif'",
    "DELETE FROM reporting.recherche_hotels",
    "INSERT INTO core.hotel (hotel_id) VALUES ('HOT-9')",
    "DELETE FROM core.missions",
    "CREATE TABLE public.stolen (x int)",
    "CREATE TABLE reporting.stolen (x int)",
    "CREATE VIEW reporting.stolen AS SELECT 1 AS x",
    "CREATE TABLE core.stolen (x int)",
    "CREATE SCHEMA stolen",
    "CREATE TEMPORARY TABLE stolen (x int)",
]


def test_reader_cannot_write_or_create(reader):
    # Sessions start read-only; a reader can switch that off, and the grants must still refuse.
    for statement in WRITES:
        with pytest.raises((errors.ReadOnlySqlTransaction, errors.InsufficientPrivilege)):
            reader.execute(statement)
    reader.execute("SET default_transaction_read_only = off")
    for statement in WRITES:
        with pytest.raises(errors.InsufficientPrivilege, match="permission denied"):
            reader.execute(statement)


def test_tables_rebuilt_or_created_later_are_readable_without_a_new_grant(owner, reader):
    """Every publish rebuilds the tables aside and moves them in: the schema's default privileges must still reach them."""
    owner.execute("CREATE TABLE reporting.nouvelle_page AS SELECT hotel_id FROM core.hotel")
    build_reporting_tables(owner)  # what every publish does
    owner.commit()
    build_reporting_tables(owner, AFTER_FORECAST)  # and the reporting step after the forecast
    owner.commit()
    assert reader.execute(relation("nouvelle_page")).fetchone() == (3,)
    for name in REPORTING_RELATIONS:
        assert reader.execute(relation(name)).fetchone() == owner.execute(relation(name)).fetchone(), name
    assert reader.execute(relation("missions_passees")).fetchone() == (8,)
    # Read access only, as for the tables created in the schema.
    reader.execute("SET default_transaction_read_only = off")
    with pytest.raises(errors.InsufficientPrivilege):
        reader.execute("DELETE FROM reporting.missions_detail")


def test_reader_queries_are_bounded_in_time(owner, warehouse_url, monkeypatch):
    with psycopg.connect(warehouse_url, user=READER, password=PASSWORD) as conn:
        assert conn.execute("SHOW statement_timeout").fetchone() == ("1min",)  # the default, 60 s
    monkeypatch.setenv("MISSION_READER_STATEMENT_TIMEOUT_SECONDS", "1")
    ensure_reader_role(owner)
    owner.commit()
    with psycopg.connect(warehouse_url, user=READER, password=PASSWORD) as conn:
        assert conn.execute("SHOW statement_timeout").fetchone() == ("1s",)
        with pytest.raises(errors.QueryCanceled, match="statement timeout"):
            conn.execute("SELECT pg_sleep(3)")


def _scram_matches(verifier: str, password: str) -> bool:
    """Check a PostgreSQL SCRAM-SHA-256 verifier against a clear-text password (RFC 5802/7677)."""
    method, rest = verifier.split("$", 1)
    iterations_salt, keys = rest.split("$")
    iterations, salt = iterations_salt.split(":")
    stored_key, server_key = (base64.b64decode(k) for k in keys.split(":"))
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    return (method == "SCRAM-SHA-256" and hashlib.sha256(client_key).digest() == stored_key
            and hmac.new(salted, b"Server Key", "sha256").digest() == server_key)


def test_role_attributes_and_password(owner):
    row = owner.execute(
        "SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolinherit, rolpassword FROM pg_authid"
        " WHERE rolname = %s", (READER,)).fetchone()
    assert row[:4] == (True, False, False, False)
    assert _scram_matches(row[5], PASSWORD)
    assert not _scram_matches(row[5], PASSWORD + "x")
    # no password given: an existing password is kept, everything else still holds
    ensure_reader_role(owner)
    owner.commit()
    assert _scram_matches(owner.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (READER,)).fetchone()[0],
                          PASSWORD)


def test_a_privileged_role_of_that_name_is_refused(owner):
    owner.execute("CREATE ROLE reader_too_powerful CREATEDB")
    try:
        with pytest.raises(ValueError, match="reader_too_powerful"):
            ensure_reader_role(owner, "reader_too_powerful")
    finally:
        owner.rollback()


def test_run_by_a_non_owner_it_refuses_rather_than_leave_privileges(warehouse_url):
    """The RDS case: the pipeline role owns its schemas, not the database, so it cannot revoke PUBLIC's TEMPORARY.

    Rather than leave a reader that can create temporary tables, it says so and changes nothing.
    """
    admin = f"mp_pipeline_{uuid.uuid4().hex[:8]}"
    database = sql.Identifier(psycopg.conninfo.conninfo_to_dict(warehouse_url)["dbname"])
    with psycopg.connect(warehouse_url, autocommit=True) as superuser:
        superuser.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEROLE").format(sql.Identifier(admin)))
        try:
            superuser.execute(sql.SQL("GRANT CREATE ON DATABASE {} TO {}").format(database, sql.Identifier(admin)))
            with psycopg.connect(warehouse_url, user=admin) as conn:
                ensure_schema(conn)
                with pytest.raises(PermissionError, match="TEMPORARY on the database"):
                    ensure_reader_role(conn, f"{admin}_reader")
            assert superuser.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s",
                                     (f"{admin}_reader",)).fetchone() == (0,)
        finally:
            superuser.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(admin)))
            superuser.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(admin)))


def test_concurrent_calls_all_succeed(owner, warehouse_url):
    """Roles are cluster-wide and tests run side by side: racing set-ups must not fail."""
    start = threading.Barrier(4)
    failures: list[BaseException] = []

    def set_up() -> None:
        try:
            with psycopg.connect(warehouse_url) as conn:
                start.wait()
                ensure_reader_role(conn, password=PASSWORD)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=set_up) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
