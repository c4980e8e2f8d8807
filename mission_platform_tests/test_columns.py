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
    RegistryError,
    Shared,
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
