"""Reading Notion exports into the raw frames: files, encodings, the example export, set-aside rules, errors."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from pathlib import Path
from typing import Callable

import pandas as pd
import pytest

from mission_platform.notion import ExportError, find_database_files, read_export
from mission_platform.columns import PARSED, conform
from mission_platform_tests.conftest import EXAMPLE_EXPORT, EXAMPLE_EXPORT_ID

Rows = list[list[str]]


# -- building exports ------------------------------------------------------------------

def csv_bytes(rows: Rows, *, excel: bool = False, bom: bool = True, newline: str = "\r\n",
              final_newline: bool = False) -> bytes:
    """A CSV as Notion writes it (UTF-8, BOM, CRLF, no final newline), or as a French Excel re-saves it."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";" if excel else ",", lineterminator=newline).writerows(rows)
    text = buffer.getvalue() if final_newline else buffer.getvalue().removesuffix(newline)
    if excel:
        return text.encode("cp1252", errors="replace")   # cp1252 has no arrow: it becomes '?'
    return (codecs.BOM_UTF8 if bom else b"") + text.encode("utf-8")


def rows_of(data: bytes) -> Rows:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def example_files() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in Path(EXAMPLE_EXPORT).iterdir() if p.suffix == ".csv"}


EXAMPLE_NAMES = find_database_files(example_files())


def example_rows(source: str) -> Rows:
    return rows_of(example_files()[EXAMPLE_NAMES[source]])


def edited(**edits: Callable[[Rows], Rows]) -> dict[str, bytes]:
    """The example export with some databases' rows (header first) rewritten."""
    files = example_files()
    for source, edit in edits.items():
        files[EXAMPLE_NAMES[source]] = csv_bytes(edit(example_rows(source)))
    return files


def zipped(members: dict[str, bytes], *, utf8_flag: bool = True) -> bytes:
    """A zip of ``members``; without ``utf8_flag``, names are UTF-8 bytes but unflagged, as some tools write them."""
    buffer = io.BytesIO()
    placeholders = {}
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for i, (name, data) in enumerate(members.items()):
            if not utf8_flag:   # an ASCII name of the same length, swapped for the UTF-8 bytes below
                placeholders[name] = f"{i:0{len(name.encode())}d}"
            archive.writestr(placeholders.get(name, name), data)
    raw = buffer.getvalue()
    for name, placeholder in placeholders.items():
        raw = raw.replace(placeholder.encode(), name.encode())
    return raw


def plain(values: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in values]


def paris(stamps: pd.Series) -> list[str | None]:
    return [None if pd.isna(s) else s.strftime("%Y-%m-%d %H:%M") for s in stamps.dt.tz_convert("Europe/Paris")]


@pytest.fixture(scope="module")
def example():
    return read_export(example_files(), EXAMPLE_EXPORT_ID)


# -- the example export, as its README says ----------------------------------------------

# record, ID, start and end in Paris, hours, hotel, extra, urgent, cancelled by, overtime h, unparsed, rate, reason kind
EXPECTED_MISSIONS = [
    (1, "MIS-1001", "2024-03-04 07:00", "2024-03-04 15:00", 8, "HOT-1", "EXT-1", False, None, 0.0, False, 28.0, None),
    (2, "MIS-1002", "2024-03-04 23:00", "2024-03-05 07:00", 8, "HOT-2", "EXT-2", True, None, 1.5, False, 27.5, None),
    (3, "MIS-1003", "2024-03-05 15:00", "2024-03-05 23:00", 8, "HOT-3", "EXT-1", False, "hotel", 0.0, False, 30.0, None),
    (4, "MIS-1004", "2024-03-06 07:00", "2024-03-06 15:00", 8, "HOT-1", "EXT-2", False, "extra", 0.0, False, 28.0, None),
    (5, "MIS-1005", "2024-03-30 23:00", "2024-03-31 07:00", 7, "HOT-1", "EXT-1", False, None, 0.5, False, 28.0, None),
    (6, "MIS-1006", "2024-04-12 07:00", "2024-04-12 15:00", 8, "HOT-2", None, True, None, 0.0, False, 27.5, None),
    (7, "MIS-1007", "2024-04-13 15:00", "2024-04-13 23:00", 8, None, "EXT-2", False, None, 0.0, False, 28.0,
     "missing hotel"),
    (8, "MIS-1008", "2024-03-07 07:00", "2024-03-07 15:00", 8, "HOT-1", "EXT-1", False, None, 0.0, True, 28.0, None),
    (9, "MIS-1009", "2024-03-11 07:00", "2024-03-11 15:00", 8, "HOT-1", "EXT-2", False, None, 0.0, False, 28.0, None),
    (10, "MIS-1010", "2024-10-26 23:00", "2024-10-27 07:00", 9, "HOT-2", "EXT-1", False, None, 0.0, False, 27.5, None),
    (11, "MIS-1001", "2024-03-04 07:00", "2024-03-04 15:00", 8, "HOT-1", "EXT-1", False, None, 0.0, False, 28.0,
     "duplicate"),
    (12, "MIS-1012", "2024-03-08 07:00", "2024-03-08 15:00", 8, None, "EXT-1", False, None, 0.0, False, 29.0,
     "ambiguous hotel"),
    (13, "MIS-1013", "2024-03-09 07:00", "2024-03-09 15:00", 8, "HOT-3", "EXT-2", False, "extra", 1.0, False, 30.0,
     None),
]


def test_example_missions_row_by_row(example):
    m = example.missions
    hours = ((m["end"] - m["start"]).dt.total_seconds() / 3600).tolist()
    kinds = [None if pd.isna(r) else r.split(":")[0] for r in m["reject_reason"]]
    got = list(zip(
        m["row_number"], m["mission_id"], paris(m["start"]), paris(m["end"]), hours, plain(m["hotel_id"]),
        plain(m["extra_id"]), m["urgent"], plain(m["cancelled_by"]), m["overtime_hours"], m["overtime_unparsed"],
        m["hourly_rate"], kinds,
    ))
    assert got == EXPECTED_MISSIONS


def test_example_missions_details(example):
    m = example.missions.set_index("row_number")
    assert m.loc[11, "reject_reason"] == "duplicate: copy of record 1"
    assert m.loc[12, "reject_reason"].startswith("ambiguous hotel: 2 hotels")
    assert m.loc[2, "hotel_title"] == "Le Lys, Boutique Hôtel (Paris 6e)"
    assert m.loc[2, "hotel_page_id"] == "0e1d2c3b4a5968778695a4b3c2d1e0f9"
    assert m.loc[2, "extra_title"] == "Yanis Benali"
    assert m.loc[8, "overtime_text"] == "resté pour aider"
    assert m.loc[2, "overtime_text"] == "1h30 supp"
    assert m.loc[1, "statuses"] == "confirmée, facturée"
    assert m.loc[1, "invoice"] == "F2024-0101" and m.loc[1, "payment_status"] == "payé"
    assert m.loc[2, "urgent_rate"] == 33.0
    assert m.loc[4, "date_text"] == "March 6, 2024 7:00 AM (GMT+1) → 3:00 PM"
    assert pd.isna(m.loc[6, "extra_title"]) and pd.isna(m.loc[7, "hotel_title"])


def test_example_counts_and_conservation(example):
    stats = example.stats["missions"]
    assert (stats.rows_read, stats.rows_kept, stats.rows_set_aside) == (13, 10, 3)
    assert stats.set_aside == {"ambiguous hotel": 1, "duplicate": 1, "missing hotel": 1}
    assert stats.overtime_unparsed == 1
    for source in ("missions", "hotels", "extras"):
        frame = getattr(example, source)
        assert len(frame) == len(example_rows(source)) - 1
        assert frame["row_number"].tolist() == list(range(1, len(frame) + 1))
        kept = frame["reject_reason"].isna().sum()
        assert example.stats[source].rows_kept + example.stats[source].rows_set_aside == len(frame) == \
            kept + frame["reject_reason"].notna().sum()
    assert example.files == EXAMPLE_NAMES


def test_example_hotels(example):
    h = example.hotels
    assert h["hotel_id"].tolist() == ["HOT-1", "HOT-2", "HOT-3", "HOT-4", "HOT-5"]
    assert h["name"].tolist()[0] == "Hôtel des Arts"          # trailing space trimmed
    assert h["zipcode"].tolist() == ["75006", "75006", "06000", "69001", "06000"]
    assert h["reject_reason"].isna().all()                   # HOT-4 and HOT-5 share a title: both kept
    assert plain(h["rooms"]) == [48, None, 31, 60, 22]
    assert h["hourly_rate"].tolist() == [28.0, 27.5, 30.0, 29.0, 29.0]
    assert h["notes"].iloc[0] == "Contact : Mme Durand, 01 42 33 44 55, reception@hoteldesarts.fr"
    assert h["last_contact"].astype(str).tolist()[:3] == ["2024-03-03", "2024-02-15", "NaT"]
    assert h["created_at"].iloc[0] == pd.Timestamp("2022-01-12 14:30")
    assert h["created_at"].iloc[2] == pd.Timestamp("2023-08-28 17:45")
    assert plain(h["procedures_status"]) == ["à jour", "à faire", None, "à jour", None]


def test_example_extras(example):
    e = example.extras
    assert e["phone"].tolist() == ["06 12 34 56 78", "+33 7 98 76 54 32"]
    assert e["availability_slots"].tolist() == ["matin, soir", "nuit"]
    assert e["availability_days"].tolist() == ["semaine, week-end", "week-end, jours fériés"]
    assert e["holiday_start"].iloc[0] == pd.Timestamp("2024-07-01")
    assert e["holiday_end"].iloc[0] == pd.Timestamp("2024-07-15")
    assert e["holiday_start"].isna().iloc[1]
    assert e["missions_count"].tolist() == [6, 3]
    assert e["software"].tolist() == ["Opera, Medialog", "Mews, Opera, Protel"]


def test_frames_conform_exactly_to_the_schemas(example):
    for source, schema in PARSED.items():
        frame = getattr(example, source)
        assert list(frame.columns) == list(schema)
        assert {c: str(t) for c, t in frame.dtypes.items()} == {c: str(pd.Series(dtype=t).dtype)
                                                                for c, t in schema.items()}
        pd.testing.assert_frame_equal(frame, conform(frame, schema))


# -- every file form and encoding gives the same frames ---------------------------------

def excel_resave(files: dict[str, bytes]) -> dict[str, bytes]:
    return {name: csv_bytes(rows_of(data), excel=True) for name, data in files.items()}


def unix_text(files: dict[str, bytes]) -> dict[str, bytes]:
    return {name: csv_bytes(rows_of(data), bom=False, newline="\n", final_newline=True) for name, data in files.items()}


def legacy_names(files: dict[str, bytes]) -> dict[str, bytes]:
    legacy = {"missions": "00_missions.csv", "hotels": "01_hotel.csv", "extras": "02_extras.csv"}
    return {legacy[source]: files[name] for source, name in EXAMPLE_NAMES.items()}


def notion_zip(files: dict[str, bytes]) -> dict[str, bytes]:
    members = {f"Private & Shared/Sub folder/{name}": data for name, data in files.items()}
    return {"Export-1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed.zip": zipped(members)}


def zip_without_utf8_flag(files: dict[str, bytes]) -> dict[str, bytes]:
    return {"Export-1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed.zip": zipped(files, utf8_flag=False)}


def zip_of_legacy_names(files: dict[str, bytes]) -> dict[str, bytes]:
    return {"Export-x.zip": zipped(legacy_names(files))}


def plain_names_and_other_files(files: dict[str, bytes]) -> dict[str, bytes]:
    """Names without `_all`, unaccented or shouted titles, and files that are not databases."""
    renamed = {name.replace("_all", "").replace("Hôtels", "HOTELS"): data for name, data in files.items()}
    return {**renamed, ".DS_Store": b"\x00\x01", "notes.txt": b"hello", "Autre 0123456789abcdef0123456789abcdef.csv": b"x"}


@pytest.mark.parametrize("variant", [excel_resave, unix_text, legacy_names, notion_zip, zip_without_utf8_flag,
                                     zip_of_legacy_names, plain_names_and_other_files])
def test_every_form_and_encoding_reads_the_same(example, variant):
    parsed = read_export(variant(example_files()), EXAMPLE_EXPORT_ID)
    for source in ("missions", "hotels", "extras"):
        got, want = getattr(parsed, source), getattr(example, source)
        if variant is excel_resave and source == "missions":   # the arrow is lost; the dates are not
            assert not got["date_text"].str.contains("→").any()
            got, want = got.drop(columns="date_text"), want.drop(columns="date_text")
        pd.testing.assert_frame_equal(got, want)


def test_excel_resave_is_detected_as_cp1252_with_semicolons():
    files = excel_resave(example_files())
    data = files[EXAMPLE_NAMES["missions"]]
    assert b";" in data and b"\xe9" in data and not data.startswith(codecs.BOM_UTF8)   # é in cp1252
    parsed = read_export(files, EXAMPLE_EXPORT_ID)
    assert parsed.missions["date_text"].iloc[0] == "04/03/2024 07:00 (UTC+1) ? 15:00"
    assert parsed.missions["title"].iloc[0] == "Réception jour – Hôtel des Arts – 04/03"


def test_excel_postal_code_without_its_leading_zero_is_restored():
    def drop_zero(rows: Rows) -> Rows:
        return [rows[0]] + [[cell.lstrip("0") if i == 3 else cell for i, cell in enumerate(row)] for row in rows[1:]]

    files = edited(hotels=drop_zero)
    assert b",6000," in files[EXAMPLE_NAMES["hotels"]]
    assert read_export(files, EXAMPLE_EXPORT_ID).hotels["zipcode"].tolist() == [
        "75006", "75006", "06000", "69001", "06000",
    ]


def test_zip_and_csv_paths_are_reported():
    parsed = read_export(notion_zip(example_files()), EXAMPLE_EXPORT_ID)
    assert parsed.files["hotels"] == (
        "Export-1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed.zip/Private & Shared/Sub folder/" + EXAMPLE_NAMES["hotels"]
    )


# -- file discovery ------------------------------------------------------------------------

HEX = "7c1e4b2a9d8f4e6b8a3c5d7e9f1a2b3c"


def test_find_database_files_prefers_all_then_plain_then_legacy():
    names = [f"Missions {HEX}.csv", f"Missions {HEX}_all.csv", "00_missions.csv",
             f"Hôtels {HEX}.csv", "01_hotel.csv", "02_extras.csv", "README.md", "Export.zip"]
    assert find_database_files(names) == {
        "missions": f"Missions {HEX}_all.csv", "hotels": f"Hôtels {HEX}.csv", "extras": "02_extras.csv",
    }


def test_find_database_files_matches_titles_case_and_accent_insensitively_in_subfolders():
    names = [f"Export/Sub/MISSIONS {HEX}_all.csv", f"Hotels {HEX}_all.csv", f"extras {HEX}_ALL.csv",
             f"__MACOSX/Export/._Hôtels {HEX}_all.csv"]
    assert find_database_files(names) == {
        "missions": f"Export/Sub/MISSIONS {HEX}_all.csv", "hotels": f"Hotels {HEX}_all.csv",
        "extras": f"extras {HEX}_ALL.csv",
    }
    assert find_database_files(["Missions.csv", "Hôtels sans id.csv", "notes.csv"]) == {}


def test_find_database_files_refuses_to_choose_between_equals():
    with pytest.raises(ExportError, match=r"2024-04-08.*several files hold the Missions database"):
        find_database_files([f"Missions {HEX}_all.csv", f"Missions {'0' * 32}_all.csv"], export_id="2024-04-08")


def test_all_file_is_read_when_both_forms_are_present():
    files = example_files()
    broken_plain = csv_bytes([["ID", "date"], ["MIS-1", "01/01/2024 08:00 → 16:00"]])   # lacks columns
    files[EXAMPLE_NAMES["missions"].replace("_all", "")] = broken_plain
    parsed = read_export(files, EXAMPLE_EXPORT_ID)
    assert parsed.files["missions"] == EXAMPLE_NAMES["missions"]
    assert len(parsed.missions) == 13


# -- headers and columns ----------------------------------------------------------------------

def test_headers_match_whatever_the_case_accents_and_stray_spaces(example):
    respelled = {"hôtel": " HOTEL ", "règlement": "Reglement", "Propriété": "propriete", "ID": "id "}

    def respell_missions(rows: Rows) -> Rows:
        return [[respelled.get(h, h) for h in rows[0]]] + rows[1:]

    def respell_hotels(rows: Rows) -> Rows:   # 'tarif horaire ' without its trailing space, another salesperson
        header = ["tarif horaire" if h == "tarif horaire " else h for h in rows[0]]
        return [[h.replace("Arnaud", "Zoé") for h in header]] + rows[1:]

    parsed = read_export(edited(missions=respell_missions, hotels=respell_hotels), EXAMPLE_EXPORT_ID)
    pd.testing.assert_frame_equal(parsed.missions, example.missions)
    pd.testing.assert_frame_equal(parsed.hotels, example.hotels)


def test_unknown_columns_are_kept_verbatim_after_the_schema_columns(example):
    def add_columns(rows: Rows) -> Rows:
        extra = [["Commentaire", "Commentaire", ""], ["", "x", ""], ["  à garder  ", "", "007"]]
        return [row + more for row, more in zip(rows, extra + [["", "x", ""]] * (len(rows) - 3))]

    parsed = read_export(edited(missions=add_columns), EXAMPLE_EXPORT_ID)
    m = parsed.missions
    assert list(m.columns) == [*PARSED["missions"], "Commentaire", "Commentaire (2)", "unnamed"]
    assert plain(m["Commentaire"])[:2] == [None, "  à garder  "]
    assert plain(m["Commentaire (2)"])[:2] == ["x", None]
    assert m["unnamed"].iloc[1] == "007"
    assert all(str(m[c].dtype) == "string" for c in ["Commentaire", "Commentaire (2)", "unnamed"])
    pd.testing.assert_frame_equal(m[list(PARSED["missions"])], example.missions)


def test_quoted_fields_with_delimiters_and_line_breaks_survive():
    def multiline_notes(rows: Rows) -> Rows:
        rows[1][11] = "Ligne 1,\r\nligne 2 ; \"citée\""
        return rows

    parsed = read_export(edited(hotels=multiline_notes), EXAMPLE_EXPORT_ID)
    assert parsed.hotels["notes"].iloc[0] == "Ligne 1,\r\nligne 2 ; \"citée\""
    assert len(parsed.hotels) == 5


def test_a_file_with_a_header_and_no_record_gives_an_empty_frame():
    files = edited(missions=lambda rows: rows[:1])
    parsed = read_export(files, EXAMPLE_EXPORT_ID)
    assert len(parsed.missions) == 0
    assert list(parsed.missions.columns) == list(PARSED["missions"])


# -- errors that make an export unreadable --------------------------------------------------

def without(source: str) -> Callable[[dict[str, bytes]], dict[str, bytes]]:
    return lambda files: {n: d for n, d in files.items() if n != EXAMPLE_NAMES[source]}


def replaced(source: str, data: bytes) -> Callable[[dict[str, bytes]], dict[str, bytes]]:
    return lambda files: {**files, EXAMPLE_NAMES[source]: data}


def dropped_column(source: str, header: str) -> Callable[[dict[str, bytes]], dict[str, bytes]]:
    def drop(files: dict[str, bytes]) -> dict[str, bytes]:
        rows = rows_of(files[EXAMPLE_NAMES[source]])
        at = rows[0].index(header)
        return {**files, EXAMPLE_NAMES[source]: csv_bytes([r[:at] + r[at + 1:] for r in rows])}
    return drop


def appended_field(files: dict[str, bytes]) -> dict[str, bytes]:
    return {**files, EXAMPLE_NAMES["extras"]: files[EXAMPLE_NAMES["extras"]] + b",surplus\r\nEXT-3,a,b"}


ERRORS = {
    "missing database": (without("extras"), None, ["lacks the Extras database"]),
    "no bytes": (replaced("missions", b""), "missions", ["empty file"]),
    "only a BOM": (replaced("hotels", codecs.BOM_UTF8 + b"\r\n"), "hotels", ["empty file"]),
    "missing column": (dropped_column("missions", "tarif urgence"), "missions",
                       ["missing required column 'tarif urgence'"]),
    "missing hotel rate": (dropped_column("hotels", "tarif horaire "), "hotels",
                           ["missing required column 'tarif horaire'"]),
    "missing last contact": (dropped_column("hotels", "Dernier contact Arnaud"), "hotels",
                             ["missing required column 'Dernier contact'"]),
    "bad UTF-8 after a BOM": (replaced("extras", codecs.BOM_UTF8 + b"ID,nom\r\nEXT-1,\xff"), "extras",
                              ["undecodable bytes"]),
    "neither UTF-8 nor cp1252": (replaced("extras", b"ID;nom\r\nEXT-1;\x81\xe9"), "extras", ["undecodable bytes"]),
    "a record with too many fields": (appended_field, "extras", ["malformed CSV", "12 fields, the header 11"]),
    "a column clashing with ours": (
        lambda files: edited(missions=lambda rows: [r + [v] for r, v in zip(rows, ["hotel_id"] + ["x"] * 13)]),
        "missions", ["hotel_id"],
    ),
    "two exports in one folder": (
        lambda files: {**files, f"Missions {'0' * 32}_all.csv": files[EXAMPLE_NAMES["missions"]]}, None,
        ["several files hold the Missions database"],
    ),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_unreadable_exports_raise_one_clear_error(case):
    make, source, fragments = ERRORS[case]
    with pytest.raises(ExportError) as raised:
        read_export(make(example_files()), EXAMPLE_EXPORT_ID)
    message = str(raised.value)
    assert EXAMPLE_EXPORT_ID in message
    if source:
        assert EXAMPLE_NAMES[source] in message
    for fragment in fragments:
        assert fragment in message
    assert isinstance(raised.value, ValueError)


def test_unreadable_zip():
    with pytest.raises(ExportError, match=r"2024-04-08.*'Export-abc\.zip'.*unreadable zip"):
        read_export({"Export-abc.zip": b"PK\x03\x04 not really a zip"}, EXAMPLE_EXPORT_ID)


def test_zip_lacking_a_database_names_the_zip_and_the_database():
    files = example_files()
    del files[EXAMPLE_NAMES["hotels"]]
    with pytest.raises(ExportError, match=r"2024-04-08.*the zip 'Export-abc\.zip' lacks the Hôtels database"):
        read_export({"Export-abc.zip": zipped(files)}, EXAMPLE_EXPORT_ID)


def test_an_empty_folder_names_what_is_missing():
    with pytest.raises(ExportError, match="lacks the Missions, Hôtels, Extras database"):
        read_export({"readme.txt": b"x"}, EXAMPLE_EXPORT_ID)


def test_malformed_csv_error_quotes_no_cell():
    with pytest.raises(ExportError) as raised:
        read_export(appended_field(example_files()), EXAMPLE_EXPORT_ID)
    assert "surplus" not in str(raised.value) and "EXT-3" not in str(raised.value)


# -- rows set aside ---------------------------------------------------------------------------

HOTEL_HEADER = example_rows("hotels")[0]
EXTRA_HEADER = example_rows("extras")[0]
MISSION_HEADER = example_rows("missions")[0]


def hotel(hotel_id: str, name: str, *, rooms: str = "20", rate: str = "28", created: str = "3 mars 2023") -> list[str]:
    return [hotel_id, name, "1 rue X", "75001", "Paris", "Opera", rooms, rate, "", "client", "", "", created]


def extra(extra_id: str, name: str, *, holidays: str = "", count: str = "1") -> list[str]:
    return [extra_id, name, "06 00 00 00 00", "x@example.org", "Opera", "disponible", holidays, "matin", "semaine",
            "3 mars 2023 10:00", count]


def relation(title: str) -> str:
    return f"{title} (https://www.notion.so/Page-{abs(hash(title)) % 16 ** 8:08x}{'a' * 24}?pvs=21)" if title else ""


def mission(mission_id: str, hotel_title: str = "Hôtel Alpha", extra_title: str = "Alice Durand", *,
            date: str = "04/03/2024 07:00 (UTC+1) → 15:00", statuses: str = "", text: str = "", rate: str = "28",
            urgent_rate: str = "34", created: str = "1 mars 2024 10:00") -> list[str]:
    return [mission_id, "Réception", relation(hotel_title), relation(extra_title), date, statuses, text, rate,
            urgent_rate, "", "", created]


HOTELS = [
    hotel("HOT-1", "Hôtel Alpha"),
    hotel("HOT-2", "Hôtel Bravo"), hotel("HOT-2", "Hôtel Bravo"),            # exact copy: not ambiguous
    hotel("HOT-3", "Hôtel Charlie"), hotel("HOT-4", "Hôtel Charlie"),        # two hotels, one title
    hotel("HOT-5", "Hôtel Delta"), hotel("HOT-5", "Hôtel Delta", rate="30"),  # one ID, two contents
    hotel("HOT-6", "Hôtel Echo", rooms="beaucoup"),
    hotel("", "Hôtel Sans Id"),
    hotel("HOT-7", "Hôtel Foxtrot", created="le 3 mars"),
    hotel("HOT-8", "Hôtel Golf", rate="27,5,1"),
]
EXTRAS = [
    extra("EXT-1", "Alice Durand"),
    extra("EXT-2", "Bruno Petit"), extra("EXT-3", "Bruno Petit"),
    extra("EXT-4", "Chloé Leroy", holidays="1 juillet 2024 00:00 → bientôt"),
    extra("EXT-5", "Denis Roux", count="3,5"),
]
MISSIONS = [
    # (row, expected reason or None)
    (mission("MIS-1"), None),
    (mission("MIS-2", "Hôtel Bravo", ""), None),                             # unassigned: valid
    (mission("", "Hôtel Alpha"), "missing ID"),
    (mission("MIS-4", ""), "missing hotel"),
    (mission("MIS-5", "Hôtel Inconnu"), "unknown hotel"),
    (mission("MIS-6", "Hôtel Charlie"), "ambiguous hotel: 2 hotels share the title"),
    (mission("MIS-7", "Hôtel Delta"), "hotel set aside: its row in the hotels file is set aside"),
    (mission("MIS-8", "Hôtel Echo"), "hotel set aside: its row in the hotels file is set aside"),
    (mission("MIS-9", "Hôtel Alpha", "Zoé Inconnue"), "unknown extra"),
    (mission("MIS-10", "Hôtel Alpha", "Bruno Petit"), "ambiguous extra: 2 extras share the title"),
    (mission("MIS-11", "Hôtel Alpha", "Chloé Leroy"), "extra set aside: its row in the extras file is set aside"),
    (mission("MIS-12", date="31/02/2024 07:00 → 15:00"), "unparseable date in date: '31/02/2024 07:00 → 15:00'"),
    (mission("MIS-13", date="à voir avec Alice"), "unparseable date in date"),
    (mission("MIS-14", date="05/03/2024 15:00 → 04/03/2024 23:00"),
     "end before start: '05/03/2024 15:00 → 04/03/2024 23:00'"),
    (mission("MIS-15", date="04/03/2024 07:00 → 06/03/2024 07:00"), "longer than 24 h: 48.0 h"),
    (mission("MIS-16", rate="vingt-huit"), "unparseable number in tarif horaire"),
    (mission("MIS-17", urgent_rate="34,5,0"), "unparseable number in tarif urgence: '34,5,0'"),
    (mission("MIS-18", statuses="annulé extra, annulé hôtel"), "cancelled by both the extra and the hotel"),
    (mission("MIS-19", "Hôtel Alpha", "Alice Durand", text="resté tard"), None),
    (mission("MIS-20", "Hôtel Bravo"), None),
    (mission("MIS-20", "Hôtel Bravo"), "duplicate: copy of record 20"),
    (mission("MIS-20", "Hôtel Bravo"), "duplicate: copy of record 20"),
    (mission("MIS-23", "Hôtel Alpha"), "ID conflict: 2 records share the ID with different content"),
    (mission("MIS-23", "Hôtel Alpha", text="1h supp"), "ID conflict: 2 records share the ID with different content"),
    (mission("MIS-25", "  Hôtel   Alpha "), None),                          # stray spaces in the title
    (mission("MIS-26", "Hôtel Alpha", "", date="04/03/2024 07:00 → 04/03/2024 07:00"), None),
    (mission("MIS-27", "A (https://www.notion.so/a), B (https://www.notion.so/b)"), "several hotels"),
    (mission("MIS-28", rate=""), "missing tarif horaire"),
    (mission("MIS-29", statuses="urgente", urgent_rate=""), "missing tarif urgence"),
    (mission("MIS-30", statuses="urgente", rate=""), None),                 # urgent: billed at tarif urgence
    (mission("MIS-31", statuses="annulé hôtel", rate="", urgent_rate=""), None),  # cancelled: costs nothing
]
EXPECTED_HOTEL_REASONS = [None, None, "duplicate: copy of record 2", None, None,
                          "ID conflict: 2 records share the ID with different content",
                          "ID conflict: 2 records share the ID with different content",
                          "unparseable number in nombre de chambres", "missing ID",
                          "unparseable date in Date de création", "unparseable number in tarif horaire: '27,5,1'"]
EXPECTED_EXTRA_REASONS = [None, None, None, "unparseable date in vacances",
                          "unparseable number in nombre de missions: '3,5'"]


@pytest.fixture(scope="module")
def messy():
    files = {
        f"Missions {HEX}_all.csv": csv_bytes([MISSION_HEADER] + [row for row, _ in MISSIONS]),
        f"Hôtels {HEX}_all.csv": csv_bytes([HOTEL_HEADER] + HOTELS),
        f"Extras {HEX}_all.csv": csv_bytes([EXTRA_HEADER] + EXTRAS),
    }
    return read_export(files, "2024-05-01")


def test_hotel_and_extra_rows_set_aside(messy):
    assert plain(messy.hotels["reject_reason"]) == EXPECTED_HOTEL_REASONS
    assert plain(messy.extras["reject_reason"]) == EXPECTED_EXTRA_REASONS


def test_mission_rows_set_aside_with_the_first_reason_that_applies(messy):
    assert plain(messy.missions["reject_reason"]) == [reason for _, reason in MISSIONS]


def test_a_file_without_any_id_sets_every_row_aside_as_missing_id():
    files = {
        f"Missions {HEX}_all.csv": csv_bytes([MISSION_HEADER]),
        f"Hôtels {HEX}_all.csv": csv_bytes([HOTEL_HEADER, hotel("HOT-1", "Hôtel Alpha")]),
        f"Extras {HEX}_all.csv": csv_bytes([EXTRA_HEADER, extra("", "Alice Durand"), extra("", "Bruno Petit")]),
    }
    parsed = read_export(files, "2024-05-01")
    assert plain(parsed.extras["reject_reason"]) == ["missing ID", "missing ID"]
    assert len(parsed.missions) == 0


def test_kept_missions_resolve_their_relations(messy):
    m = messy.missions.set_index("row_number")
    assert (m.loc[1, "hotel_id"], m.loc[1, "extra_id"]) == ("HOT-1", "EXT-1")
    assert m.loc[2, "hotel_id"] == "HOT-2" and pd.isna(m.loc[2, "extra_id"])   # the copy of HOT-2 is no rival
    assert m.loc[25, "hotel_id"] == "HOT-1" and m.loc[25, "hotel_title"] == "Hôtel Alpha"
    assert m.loc[19, "overtime_unparsed"] and m.loc[19, "overtime_hours"] == 0
    assert m.loc[26, "start"] == m.loc[26, "end"]
    assert m.loc[6, "hotel_title"] == "Hôtel Charlie" and pd.isna(m.loc[6, "hotel_id"])


def test_conservation_and_counts_by_kind(messy):
    stats = messy.stats["missions"]
    assert stats.rows_read == len(MISSIONS) == len(messy.missions)
    assert stats.rows_kept == sum(reason is None for _, reason in MISSIONS)
    assert sum(stats.set_aside.values()) == stats.rows_set_aside
    assert stats.set_aside["duplicate"] == 2 and stats.set_aside["ID conflict"] == 2
    assert messy.stats["hotels"].set_aside["ID conflict"] == 2


def test_reasons_quote_no_name_or_title(messy):
    personal = {c for source in ("hotels", "extras") for c in getattr(messy, source)["name"].dropna()}
    personal |= set(messy.missions["hotel_title"].dropna()) | set(messy.missions["extra_title"].dropna())
    personal |= {"Alice", "Réception"}
    reasons = pd.concat([getattr(messy, s)["reject_reason"] for s in ("missions", "hotels", "extras")]).dropna()
    assert len(reasons) > 20
    assert not [r for r in reasons for p in personal if p in r]


def test_missions_carry_their_creation_time_in_both_renderings(example):
    """Notion's created time says when a mission was booked; one entered after it happened is valid."""
    missions = example.missions.set_index("row_number")
    assert missions.loc[1, "created_at"] == pd.Timestamp("2024-02-20 10:12")
    assert missions.loc[4, "created_at"] == pd.Timestamp("2024-02-26 09:30")   # 'February 26, 2024 9:30 AM'
    late = missions.loc[8]                                                      # entered the day after it happened
    assert late["created_at"] == pd.Timestamp("2024-03-08 09:15") and late["created_at"] > late["start"].tz_localize(None)
    assert pd.isna(late["reject_reason"])


def test_an_unreadable_creation_time_sets_the_mission_aside():
    parsed = read_export(edited(missions=lambda rows: [rows[0], [*rows[2][:-1], "hier soir"], *rows[3:]]), EXAMPLE_EXPORT_ID)
    assert parsed.missions.loc[parsed.missions["row_number"] == 1, "reject_reason"].tolist() == [
        "unparseable date in Date de création"]
