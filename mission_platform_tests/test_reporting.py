"""The reporting tables on a small hand-made warehouse, every expected value worked out by hand.

The export is 2024-04-08 (a Monday): missions starting before that date are past.

Extras and why each is or is not a candidate for MIS-10 (HOT-1, software Opera, 16 April 08:00-16:00):
  EXT-1 Opera+Mews, 1 mission done at HOT-1; MIS-13 starts when MIS-10 ends (no overlap)  -> candidate, 1st
  EXT-2 Opera, on holiday 12-16 April (the end day counts)                                -> excluded
  EXT-3 Mews only                                                                         -> excluded
  EXT-4 Opera, booked on MIS-12 (14:00-22:00 that day)                                     -> excluded
  EXT-5 Opera, inactif                                                                    -> excluded
  EXT-6 Opera, nothing done (MIS-6 cancelled by them); MIS-15 overlaps but is cancelled   -> candidate, 3rd
  EXT-7 Opera, 3 missions done, none at HOT-1; MIS-16 ends when MIS-10 starts              -> candidate, 2nd
MIS-11 (HOT-3, no software known, 25 April) takes every active, free extra, whatever their software.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row

from mission_platform.warehouse.reporting import AFTER_FORECAST, BY_NAME, REPORTING_RELATIONS, build_reporting_tables
from mission_platform.warehouse.ddl import ensure_schema

EXPORT_ID = "2024-04-08"
EXPORT_DATE = date(2024, 4, 8)
LOADED_AT = "2024-04-08 09:30:00+00"
D = Decimal


HOTELS = [
    # HOT-1's notes are personal: no relation may show them.
    dict(hotel_id="HOT-1", hotel_nom="Hôtel Alpha", hotel_adresse="1 rue A", zipcode="75001", hotel_ville="Paris",
         hotel_logiciel="Opera", nbre_chambre=40, tarif_horaire=25, maj_procedure="à jour", status="client",
         last_contact=date(2024, 3, 1), notes="secret-note call 06 01 02 03 04", date_de_creation=datetime(2024, 1, 10)),
    dict(hotel_id="HOT-2", hotel_nom="Hôtel Beta", hotel_adresse="2 rue B", zipcode="69002", hotel_ville="Lyon",
         hotel_logiciel="Mews", nbre_chambre=80, tarif_horaire=25, maj_procedure=None, status="prospect",
         last_contact=None, notes=None, date_de_creation=datetime(2024, 2, 5)),
    dict(hotel_id="HOT-3", hotel_nom="Hôtel Gamma", hotel_adresse="3 rue C", zipcode="06000", hotel_ville="Nice",
         hotel_logiciel=None, nbre_chambre=20, tarif_horaire=27.5, maj_procedure=None, status="perdu",
         last_contact=None, notes=None, date_de_creation=datetime(2024, 2, 20)),
]

LOGICIELS = [dict(logiciel_id="1", logiciel_name="Opera"), dict(logiciel_id="2", logiciel_name="Mews")]


def _extra(extra_id, nom, software, statuts="disponible", holiday=(None, None)):
    return dict(extra_id=extra_id, nom=nom, logiciel=", ".join(software), statuts=statuts, vacance_debut=holiday[0],
                vacance_fin=holiday[1], disponibilites="matin, soir", date_de_creation=datetime(2023, 6, 1),
                nbre_mission=0)


EXTRAS = [
    _extra("EXT-1", "Alice", ["Opera", "Mews"]),
    _extra("EXT-2", "Bruno", ["Opera"], holiday=(datetime(2024, 4, 12), datetime(2024, 4, 16))),
    _extra("EXT-3", "Chloé", ["Mews"]),
    _extra("EXT-4", "David", ["Opera"]),
    _extra("EXT-5", "Emma", ["Opera"], statuts="inactif"),
    _extra("EXT-6", "Farid", ["Opera"]),
    _extra("EXT-7", "Gaëlle", ["Opera"]),
]
SOFTWARE_ID = {row["logiciel_name"]: row["logiciel_id"] for row in LOGICIELS}
LOGICIEL_EXTRA = [
    dict(extra_id=e["extra_id"], logiciel_id=SOFTWARE_ID[name]) for e in EXTRAS for name in e["logiciel"].split(", ")
]


def _mission(mission_id, hotel_id, extra_id, start, end, hours, ht=0, ttc=0, pay=0, margin=0, *,
             urgent=False, cancelled=None, overtime=0):
    return dict(mission_id=mission_id, hotel_id=hotel_id, extra_id=extra_id, tarif_horaire=25, tarif_urgence=33,
                facture=None, reglement=None, texte="secret-texte" if overtime else None,
                date_debut=datetime.fromisoformat(start), date_fin=datetime.fromisoformat(end), duree_mission=D(hours),
                urgent=urgent, annulation=cancelled, heures_supp=D(overtime), total_ht=D(ht), total_ttc=D(ttc),
                extra_salaire=D(pay), benefice=D(margin))


MISSIONS = [
    # past
    _mission("MIS-1", "HOT-1", "EXT-1", "2024-02-10 08:00", "2024-02-10 16:00", 8, 200, 240, 120, 80),
    _mission("MIS-2", "HOT-2", "EXT-2", "2024-03-12 22:00", "2024-03-13 06:00", 8, 304, "364.8", 162, 142,
             urgent=True, overtime=1),
    _mission("MIS-3", "HOT-2", "EXT-7", "2024-03-01 08:00", "2024-03-01 15:00", 7, 175, 210, 105, 70),
    _mission("MIS-4", "HOT-2", "EXT-7", "2024-03-08 08:00", "2024-03-08 15:30", "7.5", "187.5", 225, "112.5", 75),
    _mission("MIS-5", "HOT-2", "EXT-7", "2024-03-15 08:00", "2024-03-15 16:00", 8, 200, 240, 120, 80),
    _mission("MIS-6", "HOT-1", "EXT-6", "2024-03-20 08:00", "2024-03-20 16:00", 8, cancelled="extra"),
    _mission("MIS-7", "HOT-1", "EXT-2", "2024-03-22 08:00", "2024-03-22 16:00", 8, cancelled="hotel"),
    # starts the evening before the export date: past, in April
    _mission("MIS-8", "HOT-3", "EXT-3", "2024-04-07 23:00", "2024-04-08 07:00", 8, 220, 264, 120, 100),
    # upcoming
    _mission("MIS-10", "HOT-1", None, "2024-04-16 08:00", "2024-04-16 16:00", 8, 200, 240, 120, 80),
    _mission("MIS-11", "HOT-3", None, "2024-04-25 09:00", "2024-04-25 17:00", 8, 220, 264, 120, 100),
    _mission("MIS-12", "HOT-2", "EXT-4", "2024-04-16 14:00", "2024-04-16 22:00", 8, 200, 240, 120, 80),
    _mission("MIS-13", "HOT-1", "EXT-1", "2024-04-16 16:00", "2024-04-16 23:00", 7, 175, 210, 105, 70),
    _mission("MIS-14", "HOT-2", None, "2024-04-18 08:00", "2024-04-18 16:00", 8, cancelled="hotel"),
    _mission("MIS-15", "HOT-2", "EXT-6", "2024-04-16 09:00", "2024-04-16 12:00", 3, cancelled="extra"),
    _mission("MIS-16", "HOT-2", "EXT-7", "2024-04-16 04:00", "2024-04-16 08:00", 4, 100, 120, 60, 40),
]



def _publish(export_id, export_date, published_at, counted=()):
    """A core.load_history row (row counts of the published tables, zero where not given)."""
    counts = {f"{table}_rows": 0 for table in ("hotel", "extra", "missions", "logiciel", "logiciel_extra", "rejected")}
    counts.update(counted)
    return dict(export_id=export_id, export_date=export_date, published_at=published_at, **counts)


LOAD_HISTORY = [
    _publish("2024-03-25", date(2024, 3, 25), "2024-03-25 08:00:00+00"),
    # 09:30 UTC is 11:30 in Paris (summer time since 31 March)
    _publish(EXPORT_ID, EXPORT_DATE, LOADED_AT, dict(hotel_rows=len(HOTELS), extra_rows=len(EXTRAS),
                                                     missions_rows=len(MISSIONS), logiciel_rows=len(LOGICIELS),
                                                     logiciel_extra_rows=len(LOGICIEL_EXTRA))),
]


def insert(conn: psycopg.Connection, table: str, rows: list[dict], *, with_export: bool = True) -> None:
    extra = {"export_id": EXPORT_ID, "loaded_at": LOADED_AT} if with_export else {}
    columns = list(rows[0]) + list(extra)
    statement = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier("core", table),
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL(", ").join(sql.Placeholder() * len(columns)),
    )
    with conn.cursor() as cur:
        cur.executemany(statement, [[*row.values(), *extra.values()] for row in rows])


def seed(conn: psycopg.Connection) -> None:
    insert(conn, "logiciel", LOGICIELS)
    insert(conn, "hotel", HOTELS)
    insert(conn, "extra", EXTRAS)
    insert(conn, "logiciel_extra", LOGICIEL_EXTRA)
    insert(conn, "missions", MISSIONS)
    insert(conn, "load_history", LOAD_HISTORY, with_export=False)


def query(conn: psycopg.Connection, statement: str, params=None) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(statement, params)
        return cur.fetchall()


@pytest.fixture
def conn(warehouse_url):
    with psycopg.connect(warehouse_url) as connection:
        ensure_schema(connection)  # which builds the (empty) reporting tables too
        seed(connection)
        build_reporting_tables(connection)  # what a publish does once the core tables are in
        connection.commit()
        yield connection


def test_every_relation_exists_and_answers(conn):
    listed = query(conn, "SELECT table_name FROM information_schema.tables"
                         " WHERE table_schema = 'reporting' AND table_type = 'BASE TABLE'")
    assert {row["table_name"] for row in listed} == set(REPORTING_RELATIONS)
    for name in REPORTING_RELATIONS:
        assert name == name.lower() and name.isascii() and " " not in name
        query(conn, sql.SQL("SELECT * FROM {}").format(sql.Identifier("reporting", name)))


def test_the_build_gathers_statistics_for_the_named_columns_only(conn):
    def analysed(name):
        return {r["attname"] for r in query(conn, "SELECT attname FROM pg_stats WHERE schemaname = 'reporting'"
                                                  " AND tablename = %s", (name,))}

    columns = {r["column_name"] for r in query(conn, "SELECT column_name FROM information_schema.columns"
                                                     " WHERE table_schema = 'reporting'"
                                                     " AND table_name = 'missions_detail'")}
    named = [r for r in BY_NAME.values() if r.statistics]
    assert {r.name for r in named} == {"missions_detail", "missions_passees"}
    for relation in named:
        assert analysed(relation.name) == set(relation.statistics) < columns
    assert analysed("classement_extras") >= {"extra_id", "nb_missions"}  # no list named: every column


def test_an_empty_warehouse_answers_with_no_rows(warehouse_url):
    with psycopg.connect(warehouse_url) as connection:
        ensure_schema(connection)
        for name in REPORTING_RELATIONS:
            assert query(connection, sql.SQL("SELECT * FROM {}").format(sql.Identifier("reporting", name))) == [], name


def test_fraicheur_donnees_is_the_latest_publish(conn):
    assert query(conn, "SELECT * FROM reporting.fraicheur_donnees") == [
        dict(export_id=EXPORT_ID, date_export=EXPORT_DATE, derniere_mise_a_jour=datetime(2024, 4, 8, 11, 30))
    ]


def test_past_and_upcoming_split_at_the_export_date(conn):
    def ids(relation):
        return [r["mission_id"] for r in query(conn, f"SELECT mission_id FROM reporting.{relation} ORDER BY date_debut")]

    assert ids("missions_passees") == ["MIS-1", "MIS-3", "MIS-4", "MIS-2", "MIS-5", "MIS-6", "MIS-7", "MIS-8"]
    # cancelled MIS-14 and MIS-15 are no longer booked
    assert ids("missions_a_venir") == ["MIS-16", "MIS-10", "MIS-12", "MIS-13", "MIS-11"]
    assert ids("missions_a_affecter") == ["MIS-10", "MIS-11"]
    (row,) = query(conn, "SELECT * FROM reporting.missions_passees WHERE mission_id = 'MIS-2'")
    assert (row["hotel_nom"], row["extra_nom"], row["total_ht"], row["benefice"]) == ("Hôtel Beta", "Bruno", D(304), D(142))


def test_the_reference_date_is_the_published_export_not_the_clock(conn):
    insert(conn, "load_history", [_publish("2024-04-17", date(2024, 4, 17), "2024-04-17 06:00+00")], with_export=False)
    build_reporting_tables(conn)
    ids = [r["mission_id"] for r in query(conn, "SELECT mission_id FROM reporting.missions_a_affecter")]
    assert ids == ["MIS-11"]
    conn.rollback()


def test_vue_ensemble_and_depenses_gains_per_month(conn):
    march_ca = D(304) + D(175) + D("187.5") + D(200)  # MIS-2..5; MIS-6 and MIS-7 cancelled
    march_margin = D(142) + D(70) + D(75) + D(80)
    expected = [
        dict(mois=date(2024, 2, 1), annee=2024, chiffre_affaires=D(200), benefice_brut=D(80), nb_missions_passees=1,
             rentabilite_brute=D("0.4")),
        dict(mois=date(2024, 3, 1), annee=2024, chiffre_affaires=march_ca, benefice_brut=march_margin,
             nb_missions_passees=4, rentabilite_brute=march_margin / march_ca),
        dict(mois=date(2024, 4, 1), annee=2024, chiffre_affaires=D(220), benefice_brut=D(100), nb_missions_passees=1,
             rentabilite_brute=D(100) / D(220)),
    ]
    rows = query(conn, "SELECT * FROM reporting.vue_ensemble ORDER BY mois")
    assert [{k: v for k, v in r.items() if k != "rentabilite_brute"} for r in rows] == [
        {k: v for k, v in e.items() if k != "rentabilite_brute"} for e in expected
    ]
    for row, want in zip(rows, expected):
        assert abs(row["rentabilite_brute"] - want["rentabilite_brute"]) < D("1e-12")

    (march,) = query(conn, "SELECT * FROM reporting.depenses_gains WHERE mois = '2024-03-01'")
    assert march == dict(mois=date(2024, 3, 1), annee=2024, nb_missions=4, heures=D(8 + 1 + 7) + D("7.5") + D(8),
                         chiffre_affaires=march_ca, chiffre_affaires_ttc=D("364.8") + D(210) + D(225) + D(240),
                         salaires_extras=D(162) + D(105) + D("112.5") + D(120), benefice=march_margin)


def test_extras_candidats_filters_and_ranks(conn):
    rows = query(conn, "SELECT mission_id, rang, extra_id, missions_hotel, missions_total FROM reporting.extras_candidats"
                       " ORDER BY mission_id, rang")
    got = [(r["mission_id"], r["rang"], r["extra_id"], r["missions_hotel"], r["missions_total"]) for r in rows]
    assert got == [
        ("MIS-10", 1, "EXT-1", 1, 1),  # one mission done at HOT-1 beats three elsewhere
        ("MIS-10", 2, "EXT-7", 0, 3),
        ("MIS-10", 3, "EXT-6", 0, 0),  # the mission they cancelled does not count
        ("MIS-11", 1, "EXT-3", 1, 1),  # no software known at HOT-3: Mews-only EXT-3 qualifies
        ("MIS-11", 2, "EXT-7", 0, 3),
        ("MIS-11", 3, "EXT-1", 0, 1),
        ("MIS-11", 4, "EXT-2", 0, 1),  # back from holiday by the 25th
        ("MIS-11", 5, "EXT-4", 0, 0),
        ("MIS-11", 6, "EXT-6", 0, 0),
    ]


def test_rankings_directories_and_acquisition(conn):
    extras = {r["extra_id"]: r for r in query(conn, "SELECT * FROM reporting.classement_extras")}
    assert set(extras) == {e["extra_id"] for e in EXTRAS}
    assert (extras["EXT-7"]["nb_missions"], extras["EXT-7"]["heures"], extras["EXT-7"]["chiffre_affaires"]) == (
        3, D(7) + D("7.5") + D(8), D(175) + D("187.5") + D(200))
    assert (extras["EXT-2"]["nb_missions"], extras["EXT-2"]["heures_supp"], extras["EXT-2"]["annulations_extra"]) == (
        1, D(1), 0)  # MIS-7 was cancelled by the hotel, not by Bruno
    assert (extras["EXT-6"]["nb_missions"], extras["EXT-6"]["annulations_extra"]) == (0, 2)  # MIS-6 and MIS-15
    # An extra with no mission at all counts zeros, not NULLs (the missions are summed before the join).
    idle = [r for r in extras.values() if r["nb_missions"] == 0 and r["annulations_extra"] == 0]
    assert idle and all(r[c] == 0 for r in idle for c in ("heures", "heures_supp", "chiffre_affaires", "benefice"))

    hotels = {r["hotel_id"]: r for r in query(conn, "SELECT * FROM reporting.classement_hotels")}
    assert {h: (r["nb_missions"], r["chiffre_affaires"], r["benefice"], r["annulations_hotel"]) for h, r in hotels.items()} == {
        "HOT-1": (1, D(200), D(80), 1),  # MIS-7 cancelled by the hotel
        "HOT-2": (4, D(304) + D(175) + D("187.5") + D(200), D(142) + D(70) + D(75) + D(80), 1),  # MIS-14 upcoming
        "HOT-3": (1, D(220), D(100), 0),
    }

    places = query(conn, "SELECT hotel_id, zipcode, hotel_ville, pays, nb_missions, chiffre_affaires"
                         " FROM reporting.localisation_hotels ORDER BY hotel_id")
    assert places[2] == dict(hotel_id="HOT-3", zipcode="06000", hotel_ville="Nice", pays="FR", nb_missions=1,
                             chiffre_affaires=D(220))
    assert {p["pays"] for p in places} == {"FR"}

    assert [r["hotel_id"] for r in query(conn, "SELECT hotel_id FROM reporting.recherche_hotels ORDER BY 1")] == [
        "HOT-1", "HOT-2", "HOT-3"]
    (bruno,) = query(conn, "SELECT * FROM reporting.recherche_extras WHERE extra_id = 'EXT-2'")
    assert (bruno["logiciel"], bruno["vacance_debut"], bruno["vacance_fin"]) == (
        "Opera", datetime(2024, 4, 12), datetime(2024, 4, 16))

    # hotels created: HOT-1 January (client), HOT-2 and HOT-3 February (prospect, perdu);
    # first missions done: HOT-1 February (MIS-1), HOT-2 March (MIS-3), HOT-3 April (MIS-8)
    rows = query(conn, "SELECT mois, nouveaux_hotels, premieres_missions, nouveaux_clients, nouveaux_prospects,"
                       " nouveaux_perdus FROM reporting.acquisition_client ORDER BY mois")
    assert [tuple(r.values()) for r in rows] == [
        (date(2024, 1, 1), 1, 0, 1, 0, 0),
        (date(2024, 2, 1), 2, 1, 0, 1, 1),
        (date(2024, 3, 1), 0, 1, 0, 0, 0),
        (date(2024, 4, 1), 0, 1, 0, 0, 0),
    ]


PREDICTION_COLUMNS = ["week_start", "actual", "mean", "p10", "p50", "p90", "already_booked", "extras_needed_p50",
                      "extras_needed_p90", "model", "as_of_week", "extras_to_find_p50", "extras_to_find_p90",
                      "p50_h1", "p50_h2", "p50_h3", "p50_h4", "erreur_h1", "erreur_h2", "erreur_h3", "erreur_h4"]


def test_predictions_columns_while_empty_then_filled(conn):
    columns = query(conn, "SELECT column_name FROM information_schema.columns"
                          " WHERE table_schema = 'reporting' AND table_name = 'predictions' ORDER BY ordinal_position")
    assert [c["column_name"] for c in columns] == PREDICTION_COLUMNS
    assert query(conn, "SELECT * FROM reporting.predictions") == []

    weeks = [date(2024, 3, 18), date(2024, 3, 25), date(2024, 4, 1)]
    future = [date(2024, 4, 8), date(2024, 4, 15), date(2024, 4, 22), date(2024, 4, 29)]
    insert(conn, "weekly_missions", [dict(week_start=w, missions=n, already_booked=None) for w, n in zip(weeks, [5, 6, 4])]
           + [dict(week_start=w, missions=None, already_booked=b) for w, b in zip(future, [3, 1, 0, 0])])

    def forecast(as_of, model, level):
        horizon = [as_of + timedelta(weeks=k) for k in range(4)]
        return [dict(as_of_week=as_of, week_start=w, model=model, mean=level, p10=level - 2, p50=level, p90=level + 3,
                     already_booked=b, extras_needed_p50=int(level), extras_needed_p90=int(level) + 3)
                for w, b in zip(horizon, [3, 1, 0, 0])]

    # an older as-of week and another model must not show
    insert(conn, "mission_forecast", forecast(future[0], "npts", 5.0) + forecast(weeks[2], "npts", 9.0)
           + forecast(future[0], "seasonal_naive", 7.0))
    build_reporting_tables(conn, AFTER_FORECAST)  # what the reporting step does after the forecast
    rows = query(conn, "SELECT * FROM reporting.predictions ORDER BY week_start")
    assert [(r["week_start"], r["actual"]) for r in rows] == [(w, n) for w, n in zip(weeks, [5, 6, 4])] + [
        (w, None) for w in future]
    assert all(r["model"] is None and r["p50"] is None for r in rows[:3])
    assert [(r["model"], r["as_of_week"], r["p10"], r["p50"], r["p90"], r["already_booked"], r["extras_needed_p90"])
            for r in rows[3:]] == [("npts", date(2024, 4, 8), 3.0, 5.0, 8.0, b, 8) for b in [3, 1, 0, 0]]
    # The forecast made as of 1 April for its own week (9 missions at the median) against the 4 that happened.
    (first_april,) = [r for r in rows if r["week_start"] == date(2024, 4, 1)]
    assert (first_april["p50_h1"], first_april["p50_h2"], first_april["erreur_h1"]) == (9.0, None, 1.25)
    conn.rollback()


PERSONAL_COLUMN_NAMES = ("phone", "telephone", "email", "e_mail", "mail", "notes", "texte")


def test_no_relation_exposes_personal_data(conn):
    columns = query(conn, "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'reporting'")
    assert {c["table_name"] for c in columns} == set(REPORTING_RELATIONS)
    assert [c for c in columns if any(word in c["column_name"] for word in PERSONAL_COLUMN_NAMES)] == []
    # nor their content, under any name
    for name in REPORTING_RELATIONS:
        dump = query(conn, sql.SQL("SELECT coalesce(string_agg(t::text, '|'), '') AS dump FROM {} t").format(
            sql.Identifier("reporting", name)))[0]["dump"]
        assert "secret-" not in dump, name


def test_tables_follow_a_core_table_swapped_in_one_transaction(conn):
    """What a publish does: new core table, old one dropped, new one renamed, reporting rebuilt; nothing committed before."""
    conn.execute("CREATE TABLE core.missions_new (LIKE core.missions INCLUDING ALL)")
    conn.execute("INSERT INTO core.missions_new SELECT * FROM core.missions WHERE mission_id <> 'MIS-10'")
    conn.execute("DROP TABLE core.missions CASCADE")
    conn.execute("ALTER TABLE core.missions_new RENAME TO missions")
    build_reporting_tables(conn)
    assert [r["mission_id"] for r in query(conn, "SELECT mission_id FROM reporting.missions_a_affecter")] == ["MIS-11"]
    conn.rollback()  # build_reporting_tables committed nothing: the old state is intact
    assert [r["mission_id"] for r in query(conn, "SELECT mission_id FROM reporting.missions_a_affecter ORDER BY 1")] == [
        "MIS-10", "MIS-11"]


def test_rebuilding_the_tables_is_idempotent(conn):
    before = {name: query(conn, sql.SQL("SELECT * FROM {}").format(sql.Identifier("reporting", name)))
              for name in REPORTING_RELATIONS}
    build_reporting_tables(conn)
    build_reporting_tables(conn)
    conn.commit()
    after = {name: query(conn, sql.SQL("SELECT * FROM {}").format(sql.Identifier("reporting", name)))
             for name in REPORTING_RELATIONS}
    assert after == before
