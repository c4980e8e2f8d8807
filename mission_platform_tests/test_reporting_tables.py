"""The reporting relations as tables: the same rows as the views they replace, rebuilt atomically, read by the reader.

The reference is what each relation returned as a view: every SELECT is created as a
view in a scratch schema (``reporting.create_views``), with the old, unbounded
extras_candidats (fixtures/extras_candidats_view.sql); the table must hold the same
rows (extras_candidats: the view's rows with rang <= the bound) with the same columns.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import Counter
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from mission_platform.warehouse.resources import WarehouseResource
from mission_platform.settings import reporting_settings
from mission_platform.warehouse import publish, reporting
from mission_platform.warehouse.ddl import ensure_schema
from mission_platform.warehouse.reporting import ensure_reader_role
from mission_platform_tests.conftest import run_pipeline
from mission_platform_tests.test_pipeline import SMALL, generate
from mission_platform_tests.test_reporting import seed
from mission_platform_tests.test_warehouse_load import snapshot
from mission_platform_tests.warehouse_examples import EXPORT_ID, LATER_EXPORT, example_tables, later_tables

OLD_EXTRAS_CANDIDATS = (Path(__file__).parent / "fixtures" / "extras_candidats_view.sql").read_text(encoding="utf-8")
SCRATCH = "reporting_views_reference"


def columns(conn: psycopg.Connection, schema: str, name: str) -> list[tuple[str, str]]:
    return conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = %s AND table_name = %s"
        " ORDER BY ordinal_position", (schema, name)).fetchall()


def rows(conn: psycopg.Connection, schema: str, name: str, where: str = "") -> Counter:
    statement = sql.SQL("SELECT * FROM {} {}").format(sql.Identifier(schema, name), sql.SQL(where))
    return Counter(conn.execute(statement).fetchall())


def assert_tables_equal_their_views(conn: psycopg.Connection) -> dict[str, int]:
    """Compare every reporting table with its view; return the row count of each table."""
    reporting.create_views(conn, SCRATCH, replaced={"extras_candidats": OLD_EXTRAS_CANDIDATS})
    bound = reporting_settings().candidates_per_mission
    counts = {}
    for name in reporting.REPORTING_RELATIONS:
        kind = conn.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", (f"reporting.{name}",)).fetchone()
        assert kind == ("r",), name
        assert columns(conn, "reporting", name) == columns(conn, SCRATCH, name), name
        where = f"WHERE rang <= {bound}" if name == "extras_candidats" else ""
        table = rows(conn, "reporting", name)
        assert table == rows(conn, SCRATCH, name, where), name
        counts[name] = sum(table.values())
    conn.rollback()  # the scratch views
    return counts


@pytest.fixture
def hand_made(warehouse_url):
    with psycopg.connect(warehouse_url) as conn:
        ensure_schema(conn)
        seed(conn)
        reporting.build_reporting_tables(conn)
        conn.commit()
        yield conn


def test_tables_equal_their_views_on_the_hand_made_warehouse(hand_made):
    counts = assert_tables_equal_their_views(hand_made)
    assert counts["missions_passees"] == 8 and counts["extras_candidats"] == 9


def test_the_past_missions_are_stored_once_inside_missions_detail(hand_made):
    conn = hand_made
    assert conn.execute("SELECT inhrelid::regclass::text, inhparent::regclass::text FROM pg_inherits"
                        " WHERE inhparent = 'reporting.missions_detail'::regclass").fetchall() == [
        ("reporting.missions_passees", "reporting.missions_detail")]
    own = conn.execute("SELECT count(*), count(*) FILTER (WHERE passee IS NOT TRUE)"
                       " FROM ONLY reporting.missions_detail").fetchone()
    (past,) = conn.execute("SELECT count(*) FROM reporting.missions_passees").fetchone()
    (every,) = conn.execute("SELECT count(*) FROM reporting.missions_detail").fetchone()
    assert own == (7, 7) and past == 8 and every == own[0] + past
    # The CHECKs let a query of one side skip the other table.
    def scanned(where: str) -> set[str]:
        plan = conn.execute(f"EXPLAIN SELECT * FROM reporting.missions_detail WHERE {where}").fetchall()
        return {table for (line,) in plan for table in re.findall(r"Scan on (\w+)", line)}

    assert scanned("NOT passee") == {"missions_detail"}
    assert scanned("passee") == {"missions_passees"}
    assert scanned("mission_id IS NOT NULL") == {"missions_detail", "missions_passees"}


def test_a_table_and_the_one_stored_inside_it_are_rebuilt_together(hand_made):
    for names in (("missions_detail",), ("fraicheur_donnees", "missions_passees")):
        with pytest.raises(ValueError, match="rebuild them together"):
            reporting.build_reporting_tables(hand_made, names)
    with pytest.raises(ValueError, match="child_of and rows_where"):
        reporting._check_registry(reporting.RelationSet("reporting", (
            reporting.ReportingRelation("a", "", ("core.missions",)),
            reporting.ReportingRelation("b", "", ("a",), child_of="a"))))


def test_extras_candidats_keeps_the_best_n_per_mission(hand_made, monkeypatch):
    monkeypatch.setenv("MISSION_CANDIDATES_PER_MISSION", "2")
    reporting.build_reporting_tables(hand_made)
    hand_made.commit()
    got = hand_made.execute("SELECT mission_id, rang, extra_id FROM reporting.extras_candidats ORDER BY 1, 2").fetchall()
    assert got == [("MIS-10", 1, "EXT-1"), ("MIS-10", 2, "EXT-7"), ("MIS-11", 1, "EXT-3"), ("MIS-11", 2, "EXT-7")]
    assert_tables_equal_their_views(hand_made)


def test_tables_equal_their_views_on_a_generated_export(pipeline_env, monkeypatch):
    # A bound below the candidates most missions have, so that it cuts.
    monkeypatch.setenv("MISSION_CANDIDATES_PER_MISSION", "5")
    export_id = generate(pipeline_env["lake_url"], dt.date(2024, 9, 16), **SMALL)
    result = run_pipeline(export_id, **pipeline_env)
    assert result.success
    with psycopg.connect(pipeline_env["warehouse_url"]) as conn:
        counts = assert_tables_equal_their_views(conn)
        reporting.create_views(conn, SCRATCH, replaced={"extras_candidats": OLD_EXTRAS_CANDIDATS})
        unbounded = conn.execute(f"SELECT count(*) FROM {SCRATCH}.extras_candidats").fetchone()[0]
        conn.rollback()
    assert counts["missions_detail"] > 2000 and counts["predictions"] > 0
    assert 0 < counts["extras_candidats"] < unbounded
    assert counts["missions_a_affecter"] > 0 and counts["extras_candidats"] <= 5 * counts["missions_a_affecter"]


def reporting_contents(url: str) -> dict[str, Counter]:
    with psycopg.connect(url) as conn:
        return {name: rows(conn, "reporting", name) for name in reporting.REPORTING_RELATIONS}


def test_a_failed_reporting_build_leaves_the_previous_publish_whole(warehouse_url, tariffs, monkeypatch):
    warehouse = WarehouseResource(url=warehouse_url)
    publish.publish_core_tables(warehouse, example_tables(tariffs), export_id=EXPORT_ID)
    core_before, reporting_before = snapshot(warehouse_url), reporting_contents(warehouse_url)
    assert sum(reporting_before["missions_detail"].values()) == 10

    select_sql = reporting.select_sql
    built = []

    def failing(name, schema=reporting.REPORTING):
        built.append(name)
        if name == "acquisition_client":  # late in the build: most new tables exist by then
            return sql.SQL("SELECT 1 / 0 AS mois")
        return select_sql(name, schema)

    monkeypatch.setattr(reporting, "select_sql", failing)
    with pytest.raises(psycopg.errors.DivisionByZero):
        publish.publish_core_tables(warehouse, later_tables(tariffs), export_id=LATER_EXPORT)
    assert built[-1] == "acquisition_client" and len(built) > 10
    assert snapshot(warehouse_url) == core_before
    assert reporting_contents(warehouse_url) == reporting_before
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute("SELECT export_id FROM reporting.fraicheur_donnees").fetchone() == (EXPORT_ID,)
        assert conn.execute("SELECT to_regnamespace('reporting_build')").fetchone() == (None,)

    monkeypatch.setattr(reporting, "select_sql", select_sql)
    publish.publish_core_tables(warehouse, later_tables(tariffs), export_id=LATER_EXPORT)
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute("SELECT export_id FROM reporting.fraicheur_donnees").fetchone() == (LATER_EXPORT,)
        assert conn.execute("SELECT count(*) FROM reporting.missions_detail").fetchone() == (9,)


def table_ids(conn: psycopg.Connection) -> dict[str, int]:
    return dict(conn.execute(
        "SELECT relname, oid::int FROM pg_class WHERE relnamespace = 'reporting'::regnamespace AND relkind = 'r'"
    ).fetchall())


def ops_views(conn: psycopg.Connection) -> set[str]:
    return {name for (name,) in conn.execute(
        "SELECT relname FROM pg_class WHERE relnamespace = 'ops'::regnamespace AND relkind = 'v'").fetchall()}


def test_ensure_schema_rebuilds_only_what_is_missing_or_outdated(hand_made, monkeypatch):
    built = table_ids(hand_made)
    assert set(built) == set(reporting.REPORTING_RELATIONS)
    ensure_schema(hand_made)
    hand_made.commit()
    assert table_ids(hand_made) == built  # up to date: nothing rebuilt

    # Another bound changes the SQL's fingerprint: everything is rebuilt once.
    monkeypatch.setenv("MISSION_CANDIDATES_PER_MISSION", "1")
    ensure_schema(hand_made)
    hand_made.commit()
    rebuilt = table_ids(hand_made)
    assert set(rebuilt) == set(built) and not set(rebuilt.values()) & set(built.values())
    assert hand_made.execute("SELECT max(rang) FROM reporting.extras_candidats").fetchone() == (1,)
    # Replacing the tables dropped the ops views over them: they were created again, over the new tables.
    assert ops_views(hand_made) == set(reporting.OPS_RELATIONS)
    assert hand_made.execute("SELECT max(rang) FROM ops.extras_candidats").fetchone() == (1,)
    ensure_schema(hand_made)
    assert table_ids(hand_made) == rebuilt

    # A database of the view era: its views are replaced by tables.
    hand_made.execute("DROP TABLE " + ", ".join(f"reporting.{n}" for n in reporting.REPORTING_RELATIONS) + " CASCADE")
    reporting.create_views(hand_made, "reporting", replaced={"extras_candidats": OLD_EXTRAS_CANDIDATS})
    hand_made.execute("COMMENT ON SCHEMA reporting IS NULL")
    hand_made.commit()
    ensure_schema(hand_made)
    hand_made.commit()
    assert set(table_ids(hand_made)) == set(reporting.REPORTING_RELATIONS)
    assert hand_made.execute("SELECT count(*) FROM information_schema.views WHERE table_schema = 'reporting'"
                             ).fetchone() == (0,)
    assert ops_views(hand_made) == set(reporting.OPS_RELATIONS)


def test_the_reader_of_a_pipeline_role_that_is_no_superuser_reads_every_rebuilt_table(warehouse_url):
    """As on RDS: the pipeline's role owns the database and what it creates, and may create roles.

    Default privileges are per creating role and per schema: the tables it rebuilds aside
    and moves into ``reporting`` must still reach the reader it set up.
    """
    pipeline = f"mp_pipeline_{uuid.uuid4().hex[:8]}"
    reader = f"{pipeline}_reader"
    database = sql.Identifier(psycopg.conninfo.conninfo_to_dict(warehouse_url)["dbname"])
    with psycopg.connect(warehouse_url, autocommit=True) as superuser:
        superuser.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEROLE").format(sql.Identifier(pipeline)))
        try:
            superuser.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(database, sql.Identifier(pipeline)))
            with psycopg.connect(warehouse_url, user=pipeline) as conn:
                ensure_schema(conn)
                seed(conn)
                ensure_reader_role(conn, reader)
                conn.commit()
                reporting.build_reporting_tables(conn)  # every table created after the reader's grants
                conn.commit()
                owners = conn.execute("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'reporting'").fetchall()
                assert owners == [(pipeline,)]
            with psycopg.connect(warehouse_url, user=reader) as conn:
                for name in reporting.REPORTING_RELATIONS:
                    conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("reporting", name)))
                assert conn.execute("SELECT count(*) FROM reporting.missions_passees").fetchone() == (8,)
        finally:
            for role in (reader, pipeline):
                if superuser.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                    superuser.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            superuser.execute(sql.SQL("ALTER DATABASE {} OWNER TO CURRENT_USER").format(database))
            superuser.execute(sql.SQL("DROP ROLE IF EXISTS {}, {}").format(sql.Identifier(reader), sql.Identifier(pipeline)))


@pytest.mark.parametrize("name, value", [("MISSION_CANDIDATES_PER_MISSION", "0"),
                                         ("MISSION_CANDIDATES_PER_MISSION", "twenty"),
                                         ("MISSION_READER_STATEMENT_TIMEOUT_SECONDS", "-1")])
def test_reporting_settings_refuse_nonsense(monkeypatch, name, value):
    from mission_platform.settings import ConfigurationError

    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=name):
        reporting_settings()
