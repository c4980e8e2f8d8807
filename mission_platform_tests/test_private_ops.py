"""Schemas ``private`` and ``ops`` and who reads them, exercised by connecting as each role.

The pipeline runs on the example export (real PostgreSQL, local lake): ``private`` holds the real names and
contacts of the kept rows, ``ops`` joins them into the people-facing pages, ``ops_reader`` reads ``ops`` and
``reporting`` only, ``looker_reader`` is refused both, and the blocking check catches a privilege granted by hand.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import dagster as dg
import pandas as pd
import psycopg
import pytest
from psycopg import errors, sql

from mission_platform.columns import EXTRAS, HOTELS, empty_frame
from mission_platform.warehouse import publish, reporting
from mission_platform.warehouse.ddl import ensure_schema
from mission_platform.warehouse.resources import WarehouseResource
from mission_platform.warehouse.transform import build_private_tables
from mission_platform_tests.conftest import EXAMPLE_EXPORT, EXAMPLE_EXPORT_ID, copy_export, run_pipeline
from mission_platform_tests.warehouse_examples import EXPORT_ID, LATER_EXPORT, example_tables, later_tables


def rows(url: str, query, params=None, **connect) -> list[tuple]:
    with psycopg.connect(url, **connect) as conn:
        return conn.execute(query, params).fetchall()


def relations_of(url: str, schema: str) -> list[str]:
    return [name for (name,) in rows(url, "SELECT relname FROM pg_class WHERE relnamespace = to_regnamespace(%s)"
                                          " AND relkind IN ('r', 'v', 'm', 'p') ORDER BY 1", (schema,))]


def check_failures(result) -> list[str]:
    return [f"{e.asset_key.to_user_string()}:{e.check_name}" for e in result.get_asset_check_evaluations()
            if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR]


@pytest.fixture
def published(pipeline_env):
    copy_export(EXAMPLE_EXPORT, Path(pipeline_env["lake_url"]), EXAMPLE_EXPORT_ID)
    result = run_pipeline(EXAMPLE_EXPORT_ID, **pipeline_env)
    assert result.success and check_failures(result) == []
    return pipeline_env


def test_private_holds_the_real_names_and_contacts_and_ops_joins_them_in(published):
    url = published["warehouse_url"]
    assert rows(url, "SELECT extra_id, nom, telephone, email FROM private.extra ORDER BY extra_id") == [
        ("EXT-1", "Camille Martin", "06 12 34 56 78", "camille.martin@example.org"),
        ("EXT-2", "Yanis Benali", "+33 7 98 76 54 32", "yanis.b@example.org"),
    ]
    assert rows(url, "SELECT hotel_nom, hotel_adresse, notes FROM private.hotel WHERE hotel_id = 'HOT-1'") == [
        ("Hôtel des Arts", "12 rue des Beaux-Arts", "Contact : Mme Durand, 01 42 33 44 55, reception@hoteldesarts.fr")]
    # One private row per published row, no more (the same people as core).
    for table in ("extra", "hotel"):
        assert rows(url, sql.SQL("SELECT array_agg({k} ORDER BY {k}) FROM private.{t}").format(
            k=sql.Identifier(f"{table}_id"), t=sql.Identifier(table))) == rows(
            url, sql.SQL("SELECT array_agg({k} ORDER BY {k}) FROM core.{t}").format(
                k=sql.Identifier(f"{table}_id"), t=sql.Identifier(table)))
    # Every ops page has its reporting counterpart's rows and columns, then the contact columns.
    for name in reporting.OPS_RELATIONS:
        ops_columns = [c for (c,) in rows(url, "SELECT column_name FROM information_schema.columns WHERE table_schema ="
                                               " 'ops' AND table_name = %s ORDER BY ordinal_position", (name,))]
        reporting_columns = [c for (c,) in rows(url, "SELECT column_name FROM information_schema.columns WHERE "
                                                     "table_schema = 'reporting' AND table_name = %s"
                                                     " ORDER BY ordinal_position", (name,))]
        assert ops_columns[:len(reporting_columns)] == reporting_columns, name
        assert len(ops_columns) > len(reporting_columns), name
        count = sql.SQL("SELECT count(*) FROM {}")
        assert rows(url, count.format(sql.Identifier("ops", name))) == rows(
            url, count.format(sql.Identifier("reporting", name))), name
    assert rows(url, "SELECT extra_nom, extra_telephone FROM ops.recherche_extras ORDER BY extra_id") == [
        ("Camille Martin", "06 12 34 56 78"), ("Yanis Benali", "+33 7 98 76 54 32")]
    # The rankings and the past missions are about people too: real names there as well.
    assert rows(url, "SELECT extra_nom, nb_missions FROM ops.classement_extras ORDER BY extra_id") == rows(
        url, "SELECT p.nom, r.nb_missions FROM reporting.classement_extras r JOIN private.extra p USING (extra_id)"
             " ORDER BY extra_id")
    assert rows(url, "SELECT hotel_nom, hotel_adresse FROM ops.classement_hotels WHERE hotel_id = 'HOT-1'") == [
        ("Hôtel des Arts", "12 rue des Beaux-Arts")]
    assert rows(url, "SELECT DISTINCT extra_nom FROM ops.missions_passees WHERE extra_id IS NOT NULL ORDER BY 1") == [
        ("Camille Martin",), ("Yanis Benali",)]
    # The pseudonymised side is untouched: reporting still shows no real name.
    assert not {"Camille Martin", "Yanis Benali"} & {n for (n,) in rows(url, "SELECT extra_nom FROM reporting.recherche_extras")}


def test_ops_reader_reads_ops_and_reporting_with_real_names_and_nothing_else(published):
    url = published["warehouse_url"]
    with psycopg.connect(url, user="ops_reader", autocommit=True) as ops:
        assert ops.execute("SHOW statement_timeout").fetchone() == ("1min",)
        for name in relations_of(url, "ops") + [f"reporting.{n}" for n in reporting.REPORTING_RELATIONS]:
            schema, _, relation = name.rpartition(".")
            ops.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema or "ops", relation)))
        names = {n for (n,) in ops.execute("SELECT extra_nom FROM ops.recherche_extras")}
        assert names == {"Camille Martin", "Yanis Benali"}
        for schema in ("private", "core"):
            for name in relations_of(url, schema):
                with pytest.raises(errors.InsufficientPrivilege, match="permission denied"):
                    ops.execute(sql.SQL("SELECT 1 FROM {} LIMIT 1").format(sql.Identifier(schema, name)))
        # The ops views join two relations, which no one can write through; nor may ops_reader.
        writable = ops.execute(
            "SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'ops'::regnamespace"
            " AND has_table_privilege('ops_reader', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')").fetchall()
        assert writable == []
        ops.execute("SET default_transaction_read_only = off")
        for statement in ("INSERT INTO reporting.recherche_hotels (hotel_id) VALUES ('HOT-9')",
                          "DELETE FROM reporting.recherche_extras",
                          "CREATE TABLE ops.stolen AS SELECT * FROM ops.recherche_extras",
                          "CREATE TABLE public.stolen (x int)", "CREATE TEMPORARY TABLE stolen (x int)"):
            with pytest.raises(errors.InsufficientPrivilege, match="permission denied"):
                ops.execute(statement)


def test_looker_reader_is_refused_every_relation_of_private_and_ops(published):
    url = published["warehouse_url"]
    refused = [(s, n) for s in ("private", "ops") for n in relations_of(url, s)]
    assert len(refused) == 2 + len(reporting.OPS_RELATIONS)
    with psycopg.connect(url, user="looker_reader", autocommit=True) as looker:
        looker.execute("SELECT count(*) FROM reporting.recherche_extras")
        for schema, name in refused:
            with pytest.raises(errors.InsufficientPrivilege, match="permission denied"):
                looker.execute(sql.SQL("SELECT 1 FROM {} LIMIT 1").format(sql.Identifier(schema, name)))


@pytest.mark.parametrize("grant", [
    "GRANT USAGE ON SCHEMA private TO looker_reader",
    "GRANT USAGE ON SCHEMA private TO PUBLIC",
    "GRANT USAGE ON SCHEMA ops TO looker_reader",
])
def test_the_blocking_check_fails_when_a_privilege_is_granted_by_hand(published, grant):
    url = published["warehouse_url"]
    with psycopg.connect(url, autocommit=True) as owner:
        owner.execute(grant)
        owner.execute("GRANT SELECT ON ALL TABLES IN SCHEMA private, ops TO looker_reader")
        held = reporting.refused_privileges_held(owner)
    assert held and all(h.startswith(("looker_reader: ", "ops_reader: ", "PUBLIC: ")) for h in held)
    # The next run republishes private and ops (fresh tables) and still finds the schema grant: it stops there.
    result = run_pipeline(EXAMPLE_EXPORT_ID, **published)
    assert not result.success
    assert check_failures(result) == ["private/extra:private_not_readable"]
    evaluation = next(e for e in result.get_asset_check_evaluations() if e.check_name == "private_not_readable")
    assert any("USAGE on schema" in h for h in evaluation.metadata["privileges_held"].value)
    materialised = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "private/extra" in materialised and "weekly_missions" not in materialised  # blocked downstream


def test_set_aside_rows_are_not_loaded_into_private():
    extras = empty_frame(EXTRAS.parsed)
    extras = pd.concat([extras, pd.DataFrame({
        "row_number": [1, 2, 3], "extra_id": ["EXT-1", "EXT-2", None], "name": ["Ana Kept", "Bo Aside", "Cy NoId"],
        "phone": ["0600000001", "0600000002", None], "email": ["a@x.org", "b@x.org", None],
        "reject_reason": [None, "duplicate id: EXT-2", "missing id"],
    }).astype({"row_number": "int64"})], ignore_index=True)
    hotels = empty_frame(HOTELS.parsed)
    tables = build_private_tables({"extras": extras, "hotels": hotels, "missions": None}, export_id="2024-04-08")
    assert tables["extra"][["extra_id", "nom", "telephone", "email"]].values.tolist() == [
        ["EXT-1", "Ana Kept", "0600000001", "a@x.org"]]
    assert tables["hotel"].empty and list(tables["hotel"].columns) == ["hotel_id", "hotel_nom", "hotel_adresse",
                                                                       "notes", "export_id"]


def test_the_readers_cannot_connect_to_another_database_the_pipeline_role_owns(new_database, postgres_server_url):
    """PostgreSQL roles are server-wide: PUBLIC's CONNECT would open every database to the readers.

    As on a managed server, the pipeline's role is no superuser and owns its databases: setting up the
    readers grants them CONNECT on the warehouse only and takes PUBLIC's CONNECT away from its other databases.
    """
    pipeline = f"mp_pipeline_{uuid.uuid4().hex[:8]}"
    readers = {f"{pipeline}_looker": (reporting.REPORTING,), f"{pipeline}_ops": (reporting.OPS, reporting.REPORTING)}
    warehouse_url, other_url = new_database(), new_database()
    with psycopg.connect(postgres_server_url, autocommit=True) as superuser:
        superuser.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEROLE").format(sql.Identifier(pipeline)))
        try:
            for url in (warehouse_url, other_url):
                superuser.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                    sql.Identifier(psycopg.conninfo.conninfo_to_dict(url)["dbname"]), sql.Identifier(pipeline)))
            # Before: a fresh role of the server can open the other database (PUBLIC's default CONNECT).
            superuser.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(f"{pipeline}_probe")))
            assert rows(other_url, "SELECT current_user", user=f"{pipeline}_probe") == [(f"{pipeline}_probe",)]
            with psycopg.connect(warehouse_url, user=pipeline) as conn:
                ensure_schema(conn)
                for name, schemas in readers.items():
                    reporting.ensure_reader_role(conn, name, schemas=schemas)
            for name in readers:
                assert rows(warehouse_url, "SELECT current_user", user=name) == [(name,)]
                with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
                    psycopg.connect(other_url, user=name).close()
            # The server's own databases (postgres) belong to the DBA: README, "Personal data".
        finally:
            for url in (warehouse_url, other_url):
                superuser.execute(sql.SQL("ALTER DATABASE {} OWNER TO CURRENT_USER").format(
                    sql.Identifier(psycopg.conninfo.conninfo_to_dict(url)["dbname"])))
            for role in (*readers, f"{pipeline}_probe", pipeline):
                if superuser.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                    for url in (warehouse_url, other_url):
                        with psycopg.connect(url, autocommit=True) as conn:
                            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
                    superuser.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def _private_frames(export_id: str, name: str) -> dict[str, pd.DataFrame]:
    return {
        "extra": pd.DataFrame({"extra_id": ["EXT-1"], "nom": [name], "telephone": ["0600000001"],
                               "email": ["a@x.org"], "export_id": [export_id]}, dtype="string"),
        "hotel": pd.DataFrame({"hotel_id": ["HOT-1"], "hotel_nom": ["Hôtel Réel"], "hotel_adresse": ["1 rue Vraie"],
                               "notes": [None], "export_id": [export_id]}, dtype="string"),
    }


def test_a_failed_ops_build_rolls_the_whole_publish_back(warehouse_url, tariffs, monkeypatch):
    """private and ops are published in the core tables' transaction: an ops view that fails undoes all of it."""
    warehouse = WarehouseResource(url=warehouse_url)
    first = publish.publish_core_tables(warehouse, example_tables(tariffs), export_id=EXPORT_ID,
                                        private=_private_frames(EXPORT_ID, "Ana Première"))
    assert first.private_rows == {"extra": 1, "hotel": 1}
    state = ("SELECT (SELECT max(export_id) FROM core.missions), (SELECT string_agg(nom, ',') FROM private.extra),"
             " (SELECT string_agg(DISTINCT extra_nom, ',') FROM ops.recherche_extras),"
             " (SELECT export_id FROM reporting.fraicheur_donnees)")
    before = rows(warehouse_url, state)
    assert before == [(EXPORT_ID, "Ana Première", "Ana Première", EXPORT_ID)]

    select_sql = reporting.select_sql

    def failing(name, schema=reporting.REPORTING):
        if schema == reporting.OPS and name == reporting.OPS_RELATIONS[-1]:  # the last ops view: all else is built
            return sql.SQL("SELECT no_such_column FROM reporting.missions_detail")
        return select_sql(name, schema)

    monkeypatch.setattr(reporting, "select_sql", failing)
    with pytest.raises(psycopg.errors.UndefinedColumn):
        publish.publish_core_tables(warehouse, later_tables(tariffs), export_id=LATER_EXPORT,
                                    private=_private_frames(LATER_EXPORT, "Bo Seconde"))
    assert rows(warehouse_url, state) == before
