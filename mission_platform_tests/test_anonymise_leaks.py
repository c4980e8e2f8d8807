"""The leak check: planted personal values are found, clean output passes, reports never show values."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from mission_platform.anonymise import LeakChecker, find_leaks, find_leaks_in_parquet
from mission_platform_tests.test_anonymise import anonymise, example_raw, hotels_frame


@pytest.fixture(scope="module")
def export():
    raw = example_raw()
    return raw, anonymise(raw).frames()


def planted(frames: dict[str, pd.DataFrame], source: str, row: int, column: str, value: str) -> dict[str, pd.DataFrame]:
    out = {s: f.copy() for s, f in frames.items()}
    out[source].loc[row, column] = value
    return out


def parquet_bytes(frames: dict[str, pd.DataFrame]) -> dict[str, bytes]:
    out = {}
    for source, frame in frames.items():
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        out[source] = buffer.getvalue()
    return out


def test_clean_output_passes(export):
    raw, frames = export
    report = find_leaks(raw, frames)
    assert report.ok and report.total == 0 and report.by_column == {}
    assert report.cells_checked > 100 and report.personal_values > 20
    assert find_leaks_in_parquet(raw, parquet_bytes(frames)).ok


def test_a_real_name_left_in_free_text_is_caught_without_being_shown(export):
    raw, frames = export
    report = find_leaks(raw, planted(frames, "missions", 7, "overtime_text", "resté pour aider Camille Martin"))
    assert report.total == 1
    assert report.by_column == {("missions", "overtime_text"): 1}
    assert report.by_origin[("extras", "name")] == 1 and report.by_origin[("missions", "extra_title")] == 1
    for text in (str(report), repr(report), repr(LeakChecker.from_raw(raw))):
        assert "camille" not in text.lower() and "martin" not in text.lower()
    assert "missions.overtime_text: 1" in str(report)


@pytest.mark.parametrize(
    ("source", "column", "value", "origin"),
    [
        ("missions", "invoice", "+33 6 12 34 56 78", ("extras", "phone")),            # EXT-1's phone, other format
        ("missions", "invoice", "06.12.34.56.78", ("extras", "phone")),
        ("missions", "statuses", "confirmée, yanis.b@example.org", ("extras", "email")),
        ("extras", "software", "Opera 1f2e3d4c5b6a47988776655443322110", ("missions", "extra_page_id")),
        ("hotels", "city", "01 42 33 44 55", ("text", "phone")),                      # from HOT-1's notes
        ("hotels", "notes", "rappeler en mai", ("hotels", "notes")),                  # HOT-3's notes, whole
        ("hotels", "name", "  HÔTEL des ARTS ", ("hotels", "name")),                  # case, accents, spaces
        ("missions", "date_text", "vu au 12 rue des Beaux-Arts hier", ("hotels", "address")),
        # A page id glued to its slug, as in a Notion link, counts although it is not a word by itself.
        ("missions", "invoice", "notion.so/Hotel-des-Arts-5B0C2D9E8F7A41B3A6C4D2E1F0A9B8C7?pvs=21", ("missions", "hotel_page_id")),
    ],
)
def test_each_kind_of_personal_value_is_caught_anywhere(export, source, column, value, origin):
    raw, frames = export
    report = find_leaks(raw, planted(frames, source, 0, column, value))
    assert report.by_column == {(source, column): 1}
    assert origin in report.by_origin


def test_set_aside_rows_are_checked_too(export):
    raw, frames = export
    rejected = frames["missions"].index[frames["missions"]["reject_reason"].notna()][0]
    report = find_leaks(raw, planted(frames, "missions", rejected, "reject_reason", "extra Yanis Benali inconnu"))
    assert report.by_column == {("missions", "reject_reason"): 1}


@pytest.mark.parametrize(
    ("value", "leaks"),
    [
        ("Camille Martinez", False),         # a longer word is another word
        ("Martin Camille", False),           # words out of order
        ("camille-martin", False),           # a hyphen joins words: one other word
        ("vu Camille  Martin.", True),       # a run of whole words inside a text, punctuation around
        ("CAMILLE MARTÍN", True),            # case and accents do not matter
    ],
)
def test_whole_word_runs(export, value, leaks):
    raw, frames = export
    assert find_leaks(raw, planted(frames, "missions", 7, "overtime_text", value)).total == int(leaks)


def test_short_one_word_originals_count_only_as_whole_cells():
    raw = example_raw()
    raw["hotels"] = pd.concat([raw["hotels"], hotels_frame([
        ("HOT-6", "Lys", "1 place du Lys", "75001", "Paris", "Mews", 30.0, "client", None),
        ("HOT-7", "Negresco", "37 promenade des Anglais", "06000", "Nice", "Opera", 40.0, "client", None),
    ]).assign(row_number=[6, 7])], ignore_index=True)
    frames = anonymise(raw).frames()
    assert find_leaks(raw, frames).ok
    for value, leaks in (("Lys", True), ("fleur de lys", False), ("Negresco", True), ("dîner au Negresco", True)):
        assert find_leaks(raw, planted(frames, "missions", 7, "overtime_text", value)).total == int(leaks), value


def test_a_hotel_named_after_a_public_value_does_not_flag_that_value():
    raw = example_raw()
    raw["hotels"] = pd.concat([raw["hotels"], hotels_frame([
        ("HOT-6", "Paris", "3 rue de Rivoli", "75001", "Paris", "Mews", 30.0, "client", None),
    ]).assign(row_number=6)], ignore_index=True)
    result = anonymise(raw)
    assert (result.hotels["city"] == "Paris").sum() == 3  # the city column stays as it is
    assert result.hotels.loc[5, "name"] != "Paris"          # the hotel's own name is still replaced
    assert find_leaks(raw, result.frames()).ok


def test_the_written_parquet_files_are_checked_with_their_metadata(export):
    raw, frames = export
    leaked = planted(frames, "extras", 1, "software", "Yanis Benali")
    report = find_leaks_in_parquet(raw, parquet_bytes(leaked))
    assert report.by_column == {("extras", "software"): 1}
    renamed = {**frames, "hotels": frames["hotels"].rename(columns={"software": "Hôtel des Arts"})}
    report = find_leaks_in_parquet(raw, parquet_bytes(renamed))
    assert set(report.by_column) == {("hotels", "(parquet metadata)")}


def test_a_column_named_after_a_person_is_caught_and_never_named(export):
    raw, frames = export
    renamed = {**frames, "extras": frames["extras"].rename(columns={"software": "Camille Martin"})}
    renamed["extras"].loc[0, "Camille Martin"] = "Yanis Benali"
    report = find_leaks(raw, renamed)
    assert report.by_column == {("extras", "(column names)"): 1, ("extras", "(a column named after personal data)"): 1}
    assert "camille" not in str(report).lower() and "yanis" not in str(report).lower()
