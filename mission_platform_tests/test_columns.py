"""The column registry: it refuses an ill-formed column at import, and the stages really read it."""

from __future__ import annotations

import pandas as pd
import pytest

from mission_platform.columns import (
    DATABASES,
    PERSONAL,
    PUBLIC,
    Column,
    Parse,
    Property,
    TEXT,
    RegistryError,
    Shared,
    conform,
)
from mission_platform.notion import read_export
from mission_platform.notion.files import read_table
from mission_platform.warehouse.tables import TABLES, PUBLISHED
from mission_platform_tests.conftest import EXAMPLE_EXPORT_ID
from mission_platform_tests.test_notion_parse import csv_bytes, edited, example_rows


def test_a_column_without_a_privacy_class_is_refused():
    with pytest.raises(RegistryError, match="'fax' has no privacy class"):
        Column("fax", "string", None, "A fax number.")


def test_a_personal_column_cannot_be_shared_as_it_is():
    with pytest.raises(RegistryError, match="must drop, empty or pseudonymise it"):
        Column("fax", "string", PERSONAL, "A fax number.")


def test_every_registered_column_has_a_privacy_class_down_to_the_warehouse():
    for database in DATABASES.values():
        for column in database.columns:
            assert column.privacy in set(type(column.privacy)), column.name
    for table in TABLES.values():
        unclassified = [c.name for c in table.columns if c.privacy is None]
        assert not unclassified, f"core.{table.name}: {unclassified}"


def test_the_published_tables_are_the_registry_s_tables_loaded_from_notion():
    loaded = {db.table for db in DATABASES.values()}
    assert loaded <= set(PUBLISHED)
    for database in DATABASES.values():
        table = TABLES[database.table]
        assert [c.name for c in database.warehouse_columns()] == list(table.column_names[:-2])


def test_an_optional_property_missing_from_an_older_export_is_read_as_empty_cells():
    optional = Property("Date de relance", "reminder", Parse.DATE,
                        (Column("reminder", "datetime64[ns]", PUBLIC, "A reminder."),), required=False)
    data = csv_bytes([["ID", "nom"], ["HOT-1", "Hôtel des Arts"]])
    hotels = DATABASES["hotels"]
    table = read_table(data, [hotels.prop("hotel_id"), hotels.prop("name"), optional], export_id="x", file="f.csv")
    assert table.known["reminder"].isna().all() and len(table.known) == 1
    with pytest.raises(ValueError, match="missing required column 'adresse'"):
        read_table(data, hotels.properties, export_id="x", file="f.csv")


def _set(source: str, record: int, header: str, value: str):
    def edit(rows):
        rows[record][rows[0].index(header)] = value
        return rows
    return {source: edit}


@pytest.mark.parametrize(("source", "header", "value", "reason"), [
    ("missions", "tarif horaire", "-28", "negative value in tarif horaire: '-28'"),
    ("missions", "tarif urgence", "-3,5", "negative value in tarif urgence: '-3,5'"),
    ("hotels", "tarif horaire ", "-1", "negative value in tarif horaire: '-1'"),
    ("hotels", "nombre de chambres", "-4", "negative value in nombre de chambres: '-4'"),
    ("hotels", "code postal", "75 006", "not a five-digit postal code in code postal: '75 006'"),
    ("hotels", "code postal", "Paris VI", "not a five-digit postal code in code postal"),   # words are never quoted
    ("extras", "nombre de missions", "-2", "negative value in nombre de missions: '-2'"),
])
def test_a_value_the_warehouse_would_refuse_sets_its_row_aside(source, header, value, reason):
    """Each column rule of the warehouse is a row rule of the reader first: nothing reaches the publish that it refuses."""
    record = 2   # the example's first mission has an exact copy further down
    parsed = read_export(edited(**_set(source, record, header, value)), EXAMPLE_EXPORT_ID)
    frame = getattr(parsed, source)
    assert frame.loc[frame["row_number"] == record, "reject_reason"].tolist() == [reason]
    assert parsed.stats[source].rows_read == len(example_rows(source)) - 1   # nothing lost


def test_a_mission_without_a_date_is_set_aside():
    parsed = read_export(edited(**_set("missions", 2, "date", "")), EXAMPLE_EXPORT_ID)
    assert parsed.missions.loc[parsed.missions["row_number"] == 2, "reject_reason"].tolist() == ["missing date"]


def test_the_anonymised_frames_follow_what_the_registry_says_is_shared():
    missions = DATABASES["missions"]
    dropped = {c.name for c in missions.columns if c.shared is Shared.DROP}
    assert dropped == {"title", "hotel_title", "extra_title", "hotel_page_id", "extra_page_id"}
    assert set(missions.anonymised) == set(missions.parsed) - dropped
    assert pd.api.types.is_string_dtype(pd.Series(dtype=DATABASES["hotels"].anonymised["notes"]))


# -- what the door lets in (issue: no single bad row fails an export) ---------------------------

def test_nul_characters_are_removed_at_the_door_and_counted():
    parsed = read_export(edited(**_set("missions", 2, "Texte", "1h30\x00 supp")), EXAMPLE_EXPORT_ID)
    row = parsed.missions[parsed.missions["row_number"] == 2].iloc[0]
    assert row["overtime_text"] == "1h30 supp" and row["overtime_hours"] == 1.5 and pd.isna(row["reject_reason"])
    assert parsed.stats["missions"].nul_removed == 1 and parsed.stats["hotels"].nul_removed == 0


@pytest.mark.parametrize("date", ["04/03/1900 07:00 (UTC+1) → 15:00", "04/03/2099 07:00 (UTC+1) → 15:00",
                                  "March 4, 1900 7:00 AM (GMT+1) → 3:00 PM"])
def test_a_mission_dated_centuries_away_is_set_aside(date):
    parsed = read_export(edited(**_set("missions", 2, "date", date)), EXAMPLE_EXPORT_ID)
    reason = parsed.missions.loc[parsed.missions["row_number"] == 2, "reject_reason"].iloc[0]
    assert reason.startswith("implausible date: more than 20 years before or 2 after the export, in ")
    assert reason[-4:] in ("1900", "2099")


def test_holidays_ending_before_they_start_set_the_extra_aside():
    parsed = read_export(edited(**_set("extras", 2, "vacances", "15 juillet 2024 00:00 → 1 juillet 2024 00:00")),
                         EXAMPLE_EXPORT_ID)
    reason = parsed.extras.loc[parsed.extras["row_number"] == 2, "reject_reason"].iloc[0]
    assert reason.startswith("holidays end before they start in vacances")


def test_a_two_megabyte_cell_sets_its_row_aside_with_the_column_named():
    from mission_platform.notion.files import MAX_CELL_CHARS

    parsed = read_export(edited(**_set("missions", 2, "Texte", "x" * 2_000_000)), EXAMPLE_EXPORT_ID)
    row = parsed.missions[parsed.missions["row_number"] == 2].iloc[0]
    assert row["reject_reason"] == "cell too long in Texte: 2000000 characters"
    assert len(row["overtime_text"]) < MAX_CELL_CHARS + 10   # cut: the rejected row does not carry 2 MB on
    assert len(parsed.missions) == len(example_rows("missions")) - 1


def test_a_record_longer_than_the_limit_is_one_clear_error(monkeypatch):
    from mission_platform.notion import ExportError, files

    monkeypatch.setattr(files, "MAX_LINE_BYTES", 1 << 16)
    with pytest.raises(ExportError, match=r"file 'Missions .*': a record at or after line 3 is longer than 65,536 bytes"):
        read_export(edited(**_set("missions", 2, "Texte", "y" * 200_000)), EXAMPLE_EXPORT_ID)


def test_a_zip_that_would_inflate_past_the_limit_is_refused_before_inflating(monkeypatch):
    import io
    import zipfile

    from mission_platform.notion import ExportError, files
    from mission_platform_tests.test_notion_parse import example_files

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in example_files().items():
            archive.writestr(name, data + b"\r\n" + b" " * 3_000_000)   # compresses to almost nothing
    monkeypatch.setattr(files, "MAX_EXPORT_BYTES", 5_000_000)
    inflated = []
    monkeypatch.setattr(zipfile.ZipFile, "read", lambda *a, **k: inflated.append(a) or b"")
    with pytest.raises(ExportError, match=r"would inflate to 9,0\d\d,\d\d\d bytes, over the limit of 5,000,000"):
        read_export({"Export-1.zip": buffer.getvalue()}, EXAMPLE_EXPORT_ID)
    assert inflated == []


# Every constraint of the loaded core tables, and what in the reader keeps a row that would break it away from
# the publish (a reject reason, or the rule that computes the column). A constraint added without a guard fails here.
GUARDS = {
    "hotel_pkey": "duplicate / ID conflict", "extra_pkey": "duplicate / ID conflict",
    "missions_pkey": "duplicate / ID conflict",
    "hotel_hotel_id_check": "missing ID", "extra_extra_id_check": "missing ID", "missions_mission_id_check": "missing ID",
    "hotel_zipcode_check": "not a five-digit postal code in code postal",
    "hotel_nbre_chambre_check": "negative value in nombre de chambres",
    "hotel_tarif_horaire_check": "negative value in tarif horaire",
    "hotel_hotel_logiciel_fkey": "computed: core.logiciel holds every software named",
    "extra_nbre_mission_check": "negative value in nombre de missions",
    "extra_vacances_check": "holidays end before they start in vacances",
    "missions_hotel_id_fkey": "missing hotel / unknown hotel / ambiguous hotel",
    "missions_extra_id_fkey": "unknown extra / ambiguous extra",
    "missions_tarif_horaire_check": "negative value in tarif horaire",
    "missions_tarif_urgence_check": "negative value in tarif urgence",
    "missions_duree_mission_check": "end before start / longer than 24 h",
    "missions_annulation_check": "computed: statuses parse to 'extra', 'hotel' or null",
    "missions_heures_supp_check": "computed: overtime hours are sums of durations found, never negative",
    "missions_total_ht_check": "computed from non-negative hours, rates and tariffs",
    "missions_total_ttc_check": "computed from non-negative hours, rates and tariffs",
    "missions_extra_salaire_check": "computed from non-negative hours and tariffs",
    "missions_annulation_amounts_check": "computed: a cancelled mission's amounts are 0",
    "missions_benefice_check": "computed: benefice = total_ht - extra_salaire",
    "missions.hotel_id NOT NULL": "missing hotel",
    "missions.date_debut NOT NULL": "missing date / unparseable date",
    "missions.date_fin NOT NULL": "missing date / unparseable date",
    "missions.duree_mission NOT NULL": "computed from the dates",
    "missions.urgent NOT NULL": "computed: a boolean",
    "missions.heures_supp NOT NULL": "computed: 0 without overtime",
    **{f"{t}.{c} NOT NULL": "missing ID" for t, c in (("hotel", "hotel_id"), ("extra", "extra_id"),
                                                      ("missions", "mission_id"))},
    **{f"{t}.{c} NOT NULL": "computed: the load fills it" for t in ("hotel", "extra", "missions")
       for c in ("export_id", "loaded_at")},
}


@pytest.mark.postgres
def test_every_constraint_of_the_loaded_tables_has_a_guard_in_the_reader(warehouse_url):
    import psycopg

    from mission_platform.warehouse.ddl import ensure_schema

    with psycopg.connect(warehouse_url) as conn:
        ensure_schema(conn)
        tables = [db.table for db in DATABASES.values()]
        # NOT NULL is counted from information_schema below; PostgreSQL 18 (the embedded server) also lists
        # it in pg_constraint, as contype 'n'.
        constraints = {name for (name,) in conn.execute(
            "SELECT k.conname FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'core' AND c.relname = ANY(%s) "
            "AND k.contype <> 'n'", (tables,))}
        not_null = {f"{t}.{c} NOT NULL" for t, c in conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'core' "
            "AND table_name = ANY(%s) AND is_nullable = 'NO'", (tables,))}
    assert constraints | not_null == set(GUARDS)
    reader_reasons = [g for g in GUARDS.values() if not g.startswith("computed")]
    for reason in {r.split(" / ")[0] for r in reader_reasons}:
        assert reason in _REASONS_SEEN_IN_TESTS, reason


_REASONS_SEEN_IN_TESTS = {   # each produced and asserted by a test of this module or test_notion_parse.py
    "duplicate", "missing ID", "not a five-digit postal code in code postal", "negative value in nombre de chambres",
    "negative value in tarif horaire", "negative value in nombre de missions",
    "holidays end before they start in vacances", "missing hotel", "unknown extra", "negative value in tarif urgence",
    "end before start", "missing date",
}


def test_the_plausible_span_is_a_setting(monkeypatch):
    from mission_platform import settings

    monkeypatch.setenv("MISSION_MAX_YEARS_BACK", "1")
    span = settings.mission_date_span()
    parsed = read_export(edited(**_set("missions", 2, "date", "04/03/2022 07:00 (UTC+1) → 15:00")), EXAMPLE_EXPORT_ID,
                         years_back=span.years_back, years_ahead=span.years_ahead)
    reason = parsed.missions.loc[parsed.missions["row_number"] == 2, "reject_reason"].iloc[0]
    assert reason == "implausible date: more than 1 years before or 2 after the export, in 2022"
    default = read_export(edited(**_set("missions", 2, "date", "04/03/2022 07:00 (UTC+1) → 15:00")), EXAMPLE_EXPORT_ID)
    assert pd.isna(default.missions.loc[default.missions["row_number"] == 2, "reject_reason"].iloc[0])


def test_conform_orders_and_casts_and_leaves_a_conforming_frame_as_it_is():
    schema = {"id": TEXT, "rooms": "float64"}
    frame = pd.DataFrame({"extra": ["x", "y"], "rooms": [3, 4], "id": pd.array(["H-1", None], dtype=object)})
    out = conform(frame, schema, keep_extra=True)
    assert list(out.columns) == ["id", "rooms", "extra"]
    assert out["id"].dtype == pd.StringDtype("pyarrow") and out["rooms"].dtype == "float64"
    assert out["id"].isna().tolist() == [False, True] and out["rooms"].tolist() == [3.0, 4.0]
    assert list(conform(frame, schema).columns) == ["id", "rooms"]
    assert conform(out, schema, keep_extra=True) is out   # nothing to reorder or cast: no copy of a million rows
    with pytest.raises(KeyError, match="rooms"):
        conform(frame.drop(columns="rooms"), schema)
