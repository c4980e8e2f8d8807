"""Loading and publishing the core tables into a real PostgreSQL (fixture ``warehouse_url``)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from datetime import date, datetime
from decimal import Decimal

import pandas as pd
import psycopg
import pytest
from psycopg import sql

from mission_platform.warehouse import publish, queries, writes
from mission_platform.warehouse.ddl import ensure_schema, read_definitions
from mission_platform.warehouse.resources import WarehouseResource
from mission_platform.warehouse.tables import CORE_TABLES, key_columns, references
from mission_platform.warehouse.tables import PUBLISHED as PUBLISHED_TABLES
from mission_platform.warehouse.transform import CoreTables
from mission_platform_tests.warehouse_examples import (
    EXPECTED_COLUMNS,
    EXPECTED_MISSIONS,
    EXPORT_ID,
    LATER_EXPORT,
    example_rejected,
    example_tables,
    later_tables,
)


@pytest.fixture
def warehouse(warehouse_url):
    return WarehouseResource(url=warehouse_url)


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every published table's rows in key order, ``loaded_at`` aside."""
    out = {}
    with psycopg.connect(url) as conn:
        for table in PUBLISHED_TABLES:
            columns = [r[0] for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'core' AND table_name = %s "
                "AND column_name <> 'loaded_at' ORDER BY ordinal_position", (table,)).fetchall()]
            keys = sql.SQL(", ").join(map(sql.Identifier, key_columns(table)))
            out[table] = conn.execute(sql.SQL("SELECT {} FROM core.{} ORDER BY {}").format(
                sql.SQL(", ").join(map(sql.Identifier, columns)), sql.Identifier(table), keys)).fetchall()
    return out


def reporting_views(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'reporting' ORDER BY 1").fetchall()]
        for name in names:  # every relation still answers
            conn.execute(sql.SQL("SELECT count(*) FROM reporting.{}").format(sql.Identifier(name))).fetchone()
    return names


def test_example_export_loads_as_its_readme_says(warehouse, warehouse_url, tariffs):
    result = publish.publish_core_tables(warehouse, example_tables(tariffs), export_id=EXPORT_ID, rejected=example_rejected())
    assert result.published and result.previous_export_id is None
    assert result.counts == {"logiciel": 4, "hotel": 5, "extra": 2, "missions": 10, "logiciel_extra": 5}
    assert result.rejected_rows == 3
    with psycopg.connect(warehouse_url) as conn:
        rows = conn.execute(sql.SQL("SELECT {} FROM core.missions ORDER BY mission_id").format(
            sql.SQL(", ").join(map(sql.Identifier, EXPECTED_COLUMNS)))).fetchall()
        for got, want in zip(rows, EXPECTED_MISSIONS, strict=True):
            assert got[0] == want[0]
            assert got[1] == datetime.fromisoformat(want[1]) and got[2] == datetime.fromisoformat(want[2])
            assert got[5] == want[5]
            assert [Decimal(str(v)) for v in want[3:5] + want[6:]] == list(got[3:5] + got[6:]), want[0]
        assert conn.execute("SELECT zipcode FROM core.hotel WHERE hotel_id = 'HOT-3'").fetchone()[0] == "06000"
        rejected = conn.execute(
            "SELECT source, row_number, raw->>'mission_id', reason FROM core.rejected_rows ORDER BY row_number").fetchall()
        assert rejected == [("missions", 7, "MIS-1007", "missing hotel"), ("missions", 11, "MIS-1001", "duplicate of record 1"),
                            ("missions", 12, "MIS-1012", "ambiguous hotel: Hôtel du Parc")]
        assert queries.published_export(conn) == EXPORT_ID
        assert queries.published_export_date(conn) == date(2024, 4, 8)
        history = conn.execute("SELECT export_id, export_date, missions_rows, rejected_rows FROM core.load_history").fetchall()
        assert history == [(EXPORT_ID, date(2024, 4, 8), 10, 3)]
        assert queries.orphan_references(conn) == dict.fromkeys(queries.orphan_references(conn), 0)
        assert all(queries.duplicate_keys(conn, t) == 0 for t in CORE_TABLES)
        report = queries.conservation(conn, EXPORT_ID, {"missions": 13, "hotels": 5, "extras": 2}).set_index("source")
        assert report["ok"].all() and report.loc["missions", "rejected"] == 3 and report.loc["missions", "loaded"] == 10
        assert queries.conservation(conn, EXPORT_ID, {"missions": 14})["ok"].tolist() == [False]
        counts = queries.table_counts(conn)
        assert counts["missions"] == 10 and counts["rejected_rows"] == 3 and set(counts) == set(CORE_TABLES)


def test_constraints_refuse_what_the_business_rules_forbid(warehouse, warehouse_url, tariffs):
    publish.publish_core_tables(warehouse, example_tables(tariffs), export_id=EXPORT_ID)
    columns = "(mission_id, hotel_id, date_debut, date_fin, duree_mission, urgent, heures_supp, annulation, total_ht, total_ttc, extra_salaire, benefice, export_id)"
    bad = {
        "negative duration": "('MIS-1', 'HOT-1', now(), now(), -1, false, 0, NULL, 0, 0, 0, 0, 'x')",
        "unknown canceller": "('MIS-1', 'HOT-1', now(), now(), 8, false, 0, 'client', 0, 0, 0, 0, 'x')",
        "cancelled but billed": "('MIS-1', 'HOT-1', now(), now(), 8, false, 0, 'hotel', 224, 268.8, 120, 104, 'x')",
        "margin not HT minus pay": "('MIS-1', 'HOT-1', now(), now(), 8, false, 0, NULL, 224, 268.8, 120, 100, 'x')",
        "negative amount": "('MIS-1', 'HOT-1', now(), now(), 8, false, 0, NULL, -1, 0, 0, -1, 'x')",
        "unknown hotel": "('MIS-1', 'HOT-99', now(), now(), 8, false, 0, NULL, 0, 0, 0, 0, 'x')",
        "repeated id": "('MIS-1001', 'HOT-1', now(), now(), 8, false, 0, NULL, 0, 0, 0, 0, 'x')",
        "no start": "('MIS-1', 'HOT-1', NULL, now(), 8, false, 0, NULL, 0, 0, 0, 0, 'x')",
    }
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        conn.execute(f"INSERT INTO core.missions {columns} VALUES ('MIS-1', 'HOT-1', now(), now(), 8, false, 0, NULL, 0, 0, 0, 0, 'x')")
        conn.execute("DELETE FROM core.missions WHERE mission_id = 'MIS-1'")
        for what, values in bad.items():
            with pytest.raises(psycopg.errors.IntegrityError):
                conn.execute(f"INSERT INTO core.missions {columns} VALUES {values}")
                pytest.fail(f"accepted: {what}")
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("UPDATE core.hotel SET zipcode = '6000' WHERE hotel_id = 'HOT-3'")
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            conn.execute("INSERT INTO core.logiciel_extra (extra_id, logiciel_id, export_id) VALUES ('EXT-1', 'fidelio', 'x')")


def test_bad_data_fails_the_publish_and_keeps_the_published_state(warehouse, warehouse_url, tariffs):
    publish.publish_core_tables(warehouse, example_tables(tariffs), export_id=EXPORT_ID)
    before, views = snapshot(warehouse_url), reporting_views(warehouse_url)
    good = later_tables(tariffs)
    repeated = pd.concat([good.missions, good.missions.head(1)], ignore_index=True)
    broken = CoreTables(**{**good.frames(), "missions": repeated, "export_id": LATER_EXPORT})
    with pytest.raises(writes.WarehouseLoadError, match=r"export 2024-04-15T0930: core.missions .*MIS-1001"):
        publish.publish_core_tables(warehouse, broken, export_id=LATER_EXPORT)
    negative = good.missions.assign(duree_mission=-good.missions["duree_mission"])
    with pytest.raises(writes.WarehouseLoadError, match=r"core.missions .*duree_mission_check"):
        publish.publish_core_tables(warehouse, CoreTables(**{**good.frames(), "missions": negative, "export_id": LATER_EXPORT}),
                                 export_id=LATER_EXPORT)
    assert snapshot(warehouse_url) == before
    assert reporting_views(warehouse_url) == views


def test_a_failure_between_staging_and_publish_leaves_the_old_state(warehouse, warehouse_url, tariffs):
    publish.publish_core_tables(warehouse, example_tables(tariffs), export_id=EXPORT_ID)
    before, views = snapshot(warehouse_url), reporting_views(warehouse_url)
    seen = {}

    def fail(conn):
        seen["staged"] = conn.execute("SELECT count(*) FROM core_staging.missions").fetchone()[0]
        raise RuntimeError("injected failure")

    with pytest.raises(RuntimeError, match="injected failure"):
        publish.publish_core_tables(warehouse, later_tables(tariffs), export_id=LATER_EXPORT, before_publish=fail)
    assert seen["staged"] == 9  # the new data was fully staged

    def drop_connection(conn):
        with psycopg.connect(warehouse_url, autocommit=True) as killer:
            killer.execute("SELECT pg_terminate_backend(%s)", (conn.info.backend_pid,))

    with pytest.raises(psycopg.OperationalError):
        publish.publish_core_tables(warehouse, later_tables(tariffs), export_id=LATER_EXPORT, before_publish=drop_connection)

    assert snapshot(warehouse_url) == before
    assert reporting_views(warehouse_url) == views
    with psycopg.connect(warehouse_url) as conn:
        assert queries.published_export(conn) == EXPORT_ID
        assert conn.execute("SELECT to_regnamespace('core_staging')").fetchone()[0] is None
    # And the next publish goes through, the views following the new tables.
    publish.publish_core_tables(warehouse, later_tables(tariffs), export_id=LATER_EXPORT)
    assert snapshot(warehouse_url)["missions"] != before["missions"]
    assert reporting_views(warehouse_url) == views
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute("SELECT count(*) FROM reporting.missions_detail").fetchone()[0] == 9


def test_a_killed_publisher_leaves_the_old_state(warehouse_url, tariffs, tmp_path):
    with psycopg.connect(warehouse_url) as conn:
        ensure_schema(conn)
    publish.publish_core_tables(lambda: psycopg.connect(warehouse_url), example_tables(tariffs), export_id=EXPORT_ID)
    before = snapshot(warehouse_url)
    script = f"""
import sys, time, psycopg
from mission_platform.settings import Tariffs
from mission_platform.warehouse import publish
from mission_platform_tests.warehouse_examples import later_tables
tables = later_tables(Tariffs(40, 15, 18, 0.2, is_sample=True))
def wait(conn):
    print("staged", flush=True)
    time.sleep(60)
publish.publish_core_tables(lambda: psycopg.connect({warehouse_url!r}), tables, export_id=tables.export_id, before_publish=wait)
"""
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "staged"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(10)
    # The server notices the closed socket and rolls the transaction back.
    assert snapshot(warehouse_url) == before
    with psycopg.connect(warehouse_url) as conn:
        assert queries.published_export(conn) == EXPORT_ID


def test_loading_the_same_export_twice_gives_the_same_tables(warehouse, warehouse_url, tariffs):
    first = publish.publish_core_tables(warehouse, example_tables(tariffs), export_id=EXPORT_ID, rejected=example_rejected())
    before = snapshot(warehouse_url)
    again = publish.publish_core_tables(warehouse, example_tables(tariffs), export_id=EXPORT_ID, rejected=example_rejected())
    assert again.published and again.previous_export_id == EXPORT_ID and again.counts == first.counts
    assert snapshot(warehouse_url) == before
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute("SELECT count(*) FROM core.rejected_rows").fetchone()[0] == 3
        assert conn.execute("SELECT count(*) FROM core.load_history").fetchone()[0] == 2
        assert queries.last_two_publishes(conn) == (first.counts, again.counts)


def test_an_older_export_never_rolls_the_warehouse_back(warehouse, warehouse_url, tariffs):
    publish.publish_core_tables(warehouse, later_tables(tariffs), export_id=LATER_EXPORT)
    before = snapshot(warehouse_url)
    result = publish.publish_core_tables(warehouse, example_tables(tariffs), export_id=EXPORT_ID)
    assert not result.published and result.previous_export_id == LATER_EXPORT
    assert "older than the published export 2024-04-15T0930" in result.reason
    assert snapshot(warehouse_url) == before
    with psycopg.connect(warehouse_url) as conn:
        assert queries.published_export(conn) == LATER_EXPORT
        # Its rejected rows are still kept (every export), but nothing counts as loaded for it.
        writes.replace_rejected_rows(conn, EXPORT_ID, example_rejected())
        report = queries.conservation(conn, EXPORT_ID, {"missions": 13})
        assert report["rejected"].tolist() == [3] and report["loaded"].isna().all() and report["ok"].isna().all()
    with pytest.raises(ValueError, match="neither YYYY-MM-DD"):
        publish.publish_core_tables(warehouse, example_tables(tariffs, "latest"), export_id="latest")


def test_a_second_publisher_waits_and_never_interleaves(warehouse, warehouse_url, tariffs):
    with psycopg.connect(warehouse_url) as conn:
        ensure_schema(conn)
    events: list[str] = []
    release = threading.Event()
    results: dict[str, publish.PublishResult] = {}
    errors: list[BaseException] = []

    def run(name, tables, hook):
        try:
            results[name] = publish.publish_core_tables(warehouse, tables, export_id=tables.export_id, before_publish=hook)
            events.append(f"{name} committed")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def hold(conn):
        events.append("first staged")
        release.wait(30)

    first = threading.Thread(target=run, args=("first", example_tables(tariffs), hold))
    first.start()
    while "first staged" not in events:
        time.sleep(0.02)
    def second_staged(conn):
        # What the second publisher sees once it holds the lock: the first one's publish, committed. (The
        # first's "committed" event comes only after its post-commit VACUUM, which may end after this.)
        seen = [r[0] for r in conn.execute("SELECT export_id FROM core.load_history ORDER BY load_id")]
        events.append(f"second staged, seeing {seen}")

    second = threading.Thread(target=run, args=("second", later_tables(tariffs), second_staged))
    second.start()
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        deadline = time.monotonic() + 20
        while not conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'advisory'"
        ).fetchone()[0]:
            assert time.monotonic() < deadline, "the second publisher never waited for the lock"
            time.sleep(0.02)
    assert not any(e.startswith("second staged") for e in events)
    release.set()
    first.join(30)
    second.join(30)
    assert not errors
    assert events[0] == "first staged" and events[-1] == "second committed"
    assert sorted(events[1:3]) == ["first committed", f"second staged, seeing {[EXPORT_ID]}"]
    assert results["second"].previous_export_id == EXPORT_ID
    with psycopg.connect(warehouse_url) as conn:
        assert [r[0] for r in conn.execute("SELECT export_id FROM core.load_history ORDER BY load_id")] == [EXPORT_ID, LATER_EXPORT]


def catalogue(url: str) -> tuple:
    with psycopg.connect(url) as conn:
        definitions = read_definitions(conn, "core", CORE_TABLES)
        oids = conn.execute("SELECT relname, oid FROM pg_class WHERE relnamespace = 'core'::regnamespace ORDER BY 1").fetchall()
    return {t: (d.columns, d.constraints, d.indexes) for t, d in definitions.items()}, oids


def test_ensure_schema_is_idempotent(warehouse_url):
    with psycopg.connect(warehouse_url) as conn:
        ensure_schema(conn)
    first = catalogue(warehouse_url)
    assert set(first[0]) == set(CORE_TABLES)
    missions = first[0]["missions"]
    assert {"missions_pkey", "missions_hotel_id_fkey", "missions_duree_mission_check", "missions_annulation_check"} <= set(missions[1])
    assert [c.name for c in missions[0]][:3] == ["mission_id", "hotel_id", "extra_id"]
    with psycopg.connect(warehouse_url) as conn:
        ensure_schema(conn)
    assert catalogue(warehouse_url) == first
    # Without the fingerprint that lets it stop early, the full comparison changes nothing either.
    with psycopg.connect(warehouse_url) as conn:
        conn.execute("COMMENT ON SCHEMA core IS NULL")
    with psycopg.connect(warehouse_url) as conn:
        ensure_schema(conn)
    assert catalogue(warehouse_url) == first
    # A table dropped by hand is noticed and recreated.
    with psycopg.connect(warehouse_url) as conn:
        conn.execute("DROP TABLE core.forecast_backtest")
    with psycopg.connect(warehouse_url) as conn:
        ensure_schema(conn)
    assert set(catalogue(warehouse_url)[0]) == set(CORE_TABLES)


def test_ensure_schema_evolves_an_older_database(warehouse_url, tariffs):
    with psycopg.connect(warehouse_url) as conn:
        conn.execute("""
            CREATE SCHEMA core;
            CREATE TABLE core.weekly_missions (week_start date PRIMARY KEY, missions integer, export_id text, loaded_at timestamptz);
            INSERT INTO core.weekly_missions VALUES ('2024-04-01', 12, '2024-04-08', now());
            CREATE TABLE core.hotel (hotel_id text PRIMARY KEY, hotel_nom text);
            INSERT INTO core.hotel VALUES ('HOT-1', 'Hôtel 3f9a1c');
        """)
    with psycopg.connect(warehouse_url) as conn:
        ensure_schema(conn)
    defs, _ = catalogue(warehouse_url)
    weekly = {c.name: c for c in defs["weekly_missions"][0]}
    assert "already_booked" in weekly and weekly["already_booked"].type == "integer"
    assert "weekly_missions_week_start_check" in defs["weekly_missions"][1]  # the Monday rule, added
    hotel = {c.name: c for c in defs["hotel"][0]}
    assert {"zipcode", "hotel_logiciel", "date_de_creation"} <= set(hotel)
    assert hotel["loaded_at"].default == "now()"
    assert not hotel["export_id"].not_null  # existing rows have none: left nullable, data kept
    assert "missions_hotel_id_fkey" in defs["missions"][1]  # a new table pointing at an older one
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute("SELECT missions FROM core.weekly_missions").fetchone()[0] == 12
        assert conn.execute("SELECT hotel_nom FROM core.hotel").fetchone()[0] == "Hôtel 3f9a1c"
    # The next publish installs the current definition of the published tables.
    publish.publish_core_tables(lambda: psycopg.connect(warehouse_url), example_tables(tariffs), export_id=EXPORT_ID)
    defs, _ = catalogue(warehouse_url)
    assert {c.name: c.not_null for c in defs["hotel"][0]}["export_id"]


def test_forecast_and_rejected_rows_writers(warehouse_url):
    with psycopg.connect(warehouse_url) as conn:
        ensure_schema(conn)
        weeks = pd.DataFrame({"week_start": pd.to_datetime(["2024-04-01", "2024-04-08"]), "missions": [12, None],
                              "already_booked": [None, 5], "export_id": EXPORT_ID})
        assert writes.replace_table(conn, "weekly_missions", weeks) == 2
        assert writes.replace_table(conn, "weekly_missions", weeks.tail(1)) == 1
        assert conn.execute("SELECT week_start, missions, already_booked FROM core.weekly_missions").fetchall() == [
            (date(2024, 4, 8), None, 5)]

        forecast = pd.DataFrame({"as_of_week": pd.to_datetime(["2024-04-08"] * 2), "week_start": pd.to_datetime(["2024-04-15", "2024-04-22"]),
                                 "model": "npts", "mean": [10.0, 11.0], "p10": [7.0, 8.0], "p50": [10.0, 11.0], "p90": [13.0, 14.0],
                                 "already_booked": [3, 1], "extras_needed_p50": [2.0, 2.0], "extras_needed_p90": [3, 3],
                                 "export_id": EXPORT_ID})
        assert writes.upsert_rows(conn, "mission_forecast", forecast, ["as_of_week", "week_start", "model"]) == 2
        changed = forecast.tail(1).assign(mean=12.5)
        assert writes.upsert_rows(conn, "mission_forecast", changed, ["as_of_week", "week_start", "model"]) == 1
        assert conn.execute("SELECT week_start, mean, extras_needed_p50 FROM core.mission_forecast ORDER BY 1").fetchall() == [
            (date(2024, 4, 15), 10.0, 2), (date(2024, 4, 22), 12.5, 2)]
        with pytest.raises(ValueError, match="only through publish_core_tables"):
            writes.replace_table(conn, "missions", forecast)

        writes.replace_rejected_rows(conn, EXPORT_ID, example_rejected())
        writes.replace_rejected_rows(conn, LATER_EXPORT, example_rejected(LATER_EXPORT).head(1))
        writes.replace_rejected_rows(conn, EXPORT_ID, example_rejected().head(2))  # a rerun replaces that export's rows only
        assert conn.execute("SELECT export_id, count(*) FROM core.rejected_rows GROUP BY 1 ORDER BY 1").fetchall() == [
            (EXPORT_ID, 2), (LATER_EXPORT, 1)]
        raw = conn.execute("SELECT raw FROM core.rejected_rows WHERE row_number = 7 AND export_id = %s", (EXPORT_ID,)).fetchone()[0]
        assert raw["start"].startswith("2024-04-13T13:00") and raw == json.loads(example_rejected()["raw"].iloc[0])
        with pytest.raises(ValueError, match="passed for"):
            writes.replace_rejected_rows(conn, LATER_EXPORT, example_rejected())


def test_data_checks_see_what_constraints_would_have_refused(warehouse, warehouse_url, tariffs):
    publish.publish_core_tables(warehouse, example_tables(tariffs), export_id=EXPORT_ID)
    with psycopg.connect(warehouse_url) as conn:
        conn.execute("ALTER TABLE core.missions DROP CONSTRAINT missions_hotel_id_fkey")
        conn.execute("ALTER TABLE core.logiciel_extra DROP CONSTRAINT logiciel_extra_pkey")
        conn.execute("UPDATE core.missions SET hotel_id = 'HOT-99' WHERE mission_id IN ('MIS-1001', 'MIS-1002')")
        conn.execute("INSERT INTO core.logiciel_extra SELECT * FROM core.logiciel_extra WHERE extra_id = 'EXT-1'")
        assert queries.orphan_references(conn)["missions.hotel_id -> hotel.hotel_id"] == 2
        assert sum(queries.orphan_references(conn).values()) == 2
        assert queries.duplicate_keys(conn, "logiciel_extra") == 2
        assert queries.duplicate_keys(conn, "missions") == 0


def test_the_data_checks_count_only_what_no_validated_constraint_enforces(warehouse, warehouse_url, tariffs):
    publish.publish_core_tables(warehouse, example_tables(tariffs), export_id=EXPORT_ID)
    with psycopg.connect(warehouse_url) as conn:
        assert all(queries.enforced(conn, t, key_columns(t)) for t in PUBLISHED_TABLES)
        assert all(queries.enforced(conn, t, (c,), references=(target, (k,))) for t, c, target, k in references())
        assert not queries.enforced(conn, "missions", ("hotel_id",), references=("extra", ("extra_id",)))
        assert not queries.enforced(conn, "logiciel_extra", ("extra_id",))  # a part of the key is not the key
        # A constraint added NOT VALID does not vouch for the rows already there: they are counted.
        conn.execute("ALTER TABLE core.missions DROP CONSTRAINT missions_hotel_id_fkey")
        conn.execute("UPDATE core.missions SET hotel_id = 'HOT-99' WHERE mission_id = 'MIS-1001'")
        conn.execute("ALTER TABLE core.missions ADD CONSTRAINT missions_hotel_id_fkey FOREIGN KEY (hotel_id)"
                     " REFERENCES core.hotel (hotel_id) NOT VALID")
        assert not queries.enforced(conn, "missions", ("hotel_id",), references=("hotel", ("hotel_id",)))
        assert queries.orphan_references(conn)["missions.hotel_id -> hotel.hotel_id"] == 1


def test_row_count_drop():
    previous = {"missions": 1000, "hotel": 50, "extra": 0}
    assert queries.row_count_drop(previous, {"missions": 790, "hotel": 50, "extra": 0}, 0.2) == ["missions"]
    assert queries.row_count_drop(previous, {"missions": 800, "hotel": 41}, 0.2) == []
    assert queries.row_count_drop(previous, {"missions": 1200}, 0.2) == ["hotel"]


def test_query_frame_reads_each_type_and_tells_null_from_empty_text(warehouse):
    frame = warehouse.query_frame(
        "SELECT * FROM (VALUES (1::int, 2.5::numeric, true, DATE '2026-03-01', TIMESTAMP '2026-03-01 07:30:00.25', "
        "'a,\"b\"'::text, ''::text, 'x'::text), "
        "(NULL, NULL, false, NULL, NULL, NULL, NULL, 'y')) AS t(n, amount, flag, day, moment, quoted, empty, label) "
        "WHERE label = ANY(%s)", (["x", "y"],))
    assert frame["n"].tolist()[0] == 1 and pd.isna(frame["n"][1])
    assert frame["amount"].tolist()[0] == 2.5 and pd.isna(frame["amount"][1])
    assert frame["flag"].tolist() == [True, False]
    assert frame["day"].tolist() == [date(2026, 3, 1), None]
    assert frame["moment"][0] == pd.Timestamp("2026-03-01 07:30:00.25") and pd.isna(frame["moment"][1])
    assert frame["quoted"][0] == 'a,"b"' and pd.isna(frame["quoted"][1])
    assert frame["empty"][0] == "" and pd.isna(frame["empty"][1])
    empty = warehouse.query_frame("SELECT 1::int AS n, 'a'::text AS label WHERE false")
    assert list(empty.columns) == ["n", "label"] and len(empty) == 0
