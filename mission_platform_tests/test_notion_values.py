"""Notion cell renderings -> values (docs/NOTION_EXPORTS.md, column by column)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from mission_platform.notion import values
from mission_platform.notion.values import (
    on_distinct,
    parse_integers,
    parse_local_dates,
    parse_mission_dates,
    parse_numbers,
    parse_overtime,
    parse_relations,
    parse_statuses,
    quotable,
    restore_zipcode,
    strings,
)


def texts(*values) -> pd.Series:
    return pd.Series(list(values), dtype=object)


def plain(values: pd.Series) -> list:
    """The values as a list, any missing value as None."""
    return [None if pd.isna(v) else v for v in values]


def paris(stamps: pd.Series) -> list[str | None]:
    return [None if pd.isna(s) else s.strftime("%Y-%m-%d %H:%M") for s in stamps.dt.tz_convert("Europe/Paris")]


# (date cell, start in Paris, end in Paris, hours really elapsed)
MISSION_DATES = [
    # Day first, tag on the start only: it applies to the end too (MIS-1001).
    ("04/03/2024 07:00 (UTC+1) → 15:00", "2024-03-04 07:00", "2024-03-04 15:00", 8),
    # (UTC): 08:00 UTC on a March day is 09:00 in Paris.
    ("03/03/2023 08:00 (UTC) → 17:00", "2023-03-03 09:00", "2023-03-03 18:00", 9),
    ("11/03/2024 06:00 (UTC) → 14:00", "2024-03-11 07:00", "2024-03-11 15:00", 8),
    # Night shift, end as a full date.
    ("28/02/2023 23:00 (UTC+1) → 01/03/2023 07:00", "2023-02-28 23:00", "2023-03-01 07:00", 8),
    # Night shift, end as a time earlier than the start: next day.
    ("04/03/2024 23:00 (UTC+1) → 07:00", "2024-03-04 23:00", "2024-03-05 07:00", 8),
    # No tag: Paris time, winter and summer.
    ("03/03/2023 08:00 → 17:00", "2023-03-03 08:00", "2023-03-03 17:00", 9),
    ("12/07/2023 08:00 → 17:00", "2023-07-12 08:00", "2023-07-12 17:00", 9),
    # Tag on the end only: it applies to the start too.
    ("12/07/2023 08:00 → 17:00 (UTC+2)", "2023-07-12 08:00", "2023-07-12 17:00", 9),
    ("12/07/2023 06:00 (UTC) → 15:00 (UTC)", "2023-07-12 08:00", "2023-07-12 17:00", 9),
    ("12/07/2023 09:00 (UTC+3) → 18:00", "2023-07-12 08:00", "2023-07-12 17:00", 9),
    # The nights the clocks change, tags on both ends (MIS-1005, MIS-1010) or none: 7 h and 9 h.
    ("30/03/2024 23:00 (UTC+1) → 31/03/2024 07:00 (UTC+2)", "2024-03-30 23:00", "2024-03-31 07:00", 7),
    ("26/10/2024 23:00 (UTC+2) → 27/10/2024 07:00 (UTC+1)", "2024-10-26 23:00", "2024-10-27 07:00", 9),
    ("30/03/2024 23:00 → 07:00", "2024-03-30 23:00", "2024-03-31 07:00", 7),
    ("26/10/2024 23:00 → 27/10/2024 07:00", "2024-10-26 23:00", "2024-10-27 07:00", 9),
    # English rendering (MIS-1004), 12-hour clock.
    ("March 6, 2024 7:00 AM (GMT+1) → 3:00 PM", "2024-03-06 07:00", "2024-03-06 15:00", 8),
    ("March 6, 2024 11:00 PM (GMT+1) → March 7, 2024 7:00 AM", "2024-03-06 23:00", "2024-03-07 07:00", 8),
    ("July 1, 2023 12:00 PM → 8:00 PM", "2023-07-01 12:00", "2023-07-01 20:00", 8),
    ("July 1, 2023 4:00 PM → 12:00 AM", "2023-07-01 16:00", "2023-07-02 00:00", 8),
    # Excel damage: the arrow as '?' or '->'; stray spaces.
    ("04/03/2024 07:00 (UTC+1) ? 15:00", "2024-03-04 07:00", "2024-03-04 15:00", 8),
    ("04/03/2024 07:00 -> 15:00", "2024-03-04 07:00", "2024-03-04 15:00", 8),
    ("  04/03/2024  07:00  (UTC+1)  →  15:00 ", "2024-03-04 07:00", "2024-03-04 15:00", 8),
]


@pytest.mark.parametrize(("text", "start", "end", "hours"), MISSION_DATES)
def test_mission_date_renderings(text, start, end, hours):
    parsed = parse_mission_dates(texts(text))
    assert not parsed["bad"].iloc[0]
    assert paris(parsed["start"]) == [start]
    assert paris(parsed["end"]) == [end]
    assert (parsed["end"] - parsed["start"]).dt.total_seconds().iloc[0] / 3600 == hours
    assert str(parsed["start"].dtype) == "datetime64[ns, UTC]"


def test_local_times_the_clock_change_skips_or_repeats_take_the_offset_before_the_change():
    parsed = parse_mission_dates(texts("31/03/2024 02:30 → 06:00", "27/10/2024 02:30 → 06:00"))
    # 02:30 does not exist on 31 March: read at +01:00. It exists twice on 27 October: read at +02:00.
    assert parsed["start"].dt.strftime("%H:%M").tolist() == ["01:30", "00:30"]
    assert parsed["end"].dt.strftime("%H:%M").tolist() == ["04:00", "05:00"]


@pytest.mark.parametrize("text", [
    "31/02/2024 07:00 → 15:00",     # no such day
    "04/03/2024 25:00 → 15:00",     # no such hour
    "04/03/2024 07:00",             # no end
    "04/03/2024 07:00 →",           # an arrow and nothing after it
    "04/03/2024 → 05/03/2024",      # no times
    "à confirmer",
    "March 6, 2024 13:00 PM → 3:00 PM",
])
def test_unreadable_mission_dates_are_flagged_not_guessed(text):
    parsed = parse_mission_dates(texts(text))
    assert parsed["bad"].tolist() == [True]
    assert parsed["start"].isna().all() and parsed["end"].isna().all()


def test_an_empty_date_is_not_flagged_as_unreadable():
    parsed = parse_mission_dates(texts(None))
    assert parsed["bad"].tolist() == [False]
    assert parsed["start"].isna().all()


FRENCH_MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                 "novembre", "décembre"]


def test_french_month_names_with_and_without_accents():
    written = [f"3 {m} 2023" for m in FRENCH_MONTHS] + ["3 fevrier 2023", "3 aout 2023", "3 decembre 2023",
                                                         "1er juillet 2023"]
    parsed = parse_local_dates(texts(*written))
    assert not parsed["bad"].any()
    assert parsed["start"].dt.month.tolist() == list(range(1, 13)) + [2, 8, 12, 7]
    assert parsed["start"].dt.day.tolist() == [3] * 15 + [1]


def test_local_dates_times_and_ranges():
    parsed = parse_local_dates(texts(
        "12 janvier 2022 14:30",
        "1 juillet 2023 00:00 → 15 juillet 2023 00:00",
        "1 juillet 2023 00:00 ? 15 juillet 2023 00:00",   # arrow lost by Excel
        "03/03/2023",                                    # a date Excel re-wrote day first
        "March 3, 2023",
        None,
        "bientôt",
    ))
    assert parsed["start"].astype(str).tolist() == [
        "2022-01-12 14:30:00", "2023-07-01 00:00:00", "2023-07-01 00:00:00", "2023-03-03 00:00:00",
        "2023-03-03 00:00:00", "NaT", "NaT",
    ]
    assert parsed["end"].astype(str).tolist()[1:3] == ["2023-07-15 00:00:00"] * 2
    assert parsed["end"].iloc[0] == parsed["start"].iloc[0]   # a single date: ends when it starts
    assert parsed["has_end"].tolist() == [False, True, True, False, False, False, False]
    assert parsed["bad"].tolist() == [False] * 6 + [True]
    assert str(parsed["start"].dtype) == "datetime64[ns]"



def test_creation_times_read_by_splitting_equal_what_the_renderings_read(monkeypatch):
    written = texts(
        "11 octobre 2024 02:45", "3 mars 2023 8:05", "1 août 2024 23:59", "29 février 2024 10:00",
        "31 février 2023 10:00", "3 mars 2023 24:00", "3 mars 2023 10:60", "3 brumaire 2023 10:00",
        "3 décembre 2023 10:00", "03 dec 2023 10:00", "3 mars 2023 10:00 → 12:00", "1er mars 2023 10:00",
        "3  mars 2023 10:00", "3 mars 2023", None,
    )
    split = parse_local_dates(written)
    # With the split path off (a pattern no text matches), every text goes through the renderings.
    monkeypatch.setattr(values, "_PLAIN_DATE_TIME", r"[^\x00-\x{10FFFF}]")
    pd.testing.assert_frame_equal(split, parse_local_dates(written))
    assert split["start"].astype(str).tolist()[:4] == [
        "2024-10-11 02:45:00", "2023-03-03 08:05:00", "2024-08-01 23:59:00", "2024-02-29 10:00:00"]
    assert split["bad"].tolist()[4:8] == [True] * 4   # no 31 February, no 24:00, no minute 60, no such month

def test_numbers_decimal_comma_and_french_excel():
    parsed = parse_numbers(texts("28", "27,5", "27.5", "1 234,5", "1\u202f234,5", "30 €", None, "abc", "1,2,3"))
    assert parsed["value"].tolist()[:6] == [28.0, 27.5, 27.5, 1234.5, 1234.5, 30.0]
    assert parsed["value"].iloc[6:].isna().all()
    assert parsed["bad"].tolist() == [False] * 7 + [True, True]


def test_integers_reject_fractions():
    parsed = parse_integers(texts("48", "12,0", "2,5", None))
    assert parsed["value"].tolist()[:2] == [48, 12]
    assert parsed["value"].iloc[2:].isna().all()
    assert parsed["bad"].tolist() == [False, False, True, False]
    assert str(parsed["value"].dtype) == "Int64"


def test_postal_codes_keep_or_regain_five_digits():
    assert plain(restore_zipcode(texts("06000", "6000", "75006", "2A004", None))) == [
        "06000", "06000", "75006", "2A004", None,
    ]


OVERTIME = [
    ("30 min supp", 0.5), ("1h supp", 1.0), ("1h30 supp", 1.5), ("2h supp", 2.0), ("2h30 heures supp", 2.5),
    ("3h supp", 3.0), ("30 minutes heures supp", 0.5), ("2 h", 2.0), ("1 h 15", 1.25), ("1,5h", 1.5),
    ("45mn", 0.75), ("1h + 30 min", 1.5), ("2 heures", 2.0),
]


@pytest.mark.parametrize(("text", "hours"), OVERTIME)
def test_overtime_durations(text, hours):
    parsed = parse_overtime(texts(text))
    assert parsed["hours"].tolist() == [hours]
    assert parsed["unparsed"].tolist() == [False]


def test_overtime_without_duration_is_zero_and_counted_empty_is_zero_and_not():
    parsed = parse_overtime(texts("resté pour aider", "2 hôtels ce soir", None))
    assert parsed["hours"].tolist() == [0.0, 0.0, 0.0]
    assert parsed["unparsed"].tolist() == [True, True, False]


def test_relations_title_before_the_last_url_and_page_id():
    parsed = parse_relations(texts(
        "Le Lys, Boutique Hôtel (Paris 6e) (https://www.notion.so/Le-Lys-Boutique-Hotel-Paris-6e-"
        "0e1d2c3b4a5968778695a4b3c2d1e0f9?pvs=21)",
        "  Hôtel des Arts   (https://www.notion.so/Hotel-des-Arts-5b0c2d9e8f7a41b3a6c4d2e1f0a9b8c7?pvs=21)",
        "Camille Martin (https://www.notion.so/1f2e3d4c5b6a47988776655443322110)",
        "Hôtel sans lien",
        "A (https://www.notion.so/A-5b0c2d9e8f7a41b3a6c4d2e1f0a9b8c7), B (https://www.notion.so/B-0e1d2c3b4a5968778695a4b3c2d1e0f9)",
        None,
    ))
    assert parsed["title"].tolist()[:4] == ["Le Lys, Boutique Hôtel (Paris 6e)", "Hôtel des Arts", "Camille Martin",
                                            "Hôtel sans lien"]
    assert plain(parsed["page_id"])[:4] == ["0e1d2c3b4a5968778695a4b3c2d1e0f9", "5b0c2d9e8f7a41b3a6c4d2e1f0a9b8c7",
                                              "1f2e3d4c5b6a47988776655443322110", None]
    assert parsed["several"].tolist() == [False, False, False, False, True, False]
    assert pd.isna(parsed["title"].iloc[5])


def test_statuses():
    parsed = parse_statuses(texts("confirmée, facturée", "urgente", "annulé hôtel", "Annule Hotel",
                                  "urgente, annulé extra", None, "annulé extra, annulé hôtel"))
    assert parsed["urgent"].tolist() == [False, True, False, False, True, False, False]
    assert plain(parsed["cancelled_by"]) == [
        None, None, "hotel", "hotel", "extra", None, None,
    ]
    assert parsed["cancelled_by_both"].tolist() == [False] * 6 + [True]


def test_quotable_values_never_carry_words_other_than_date_words():
    quoted = quotable(texts("31/02/2024 07:00 → 15:00", "March 40, 2024 7:00 AM", "voir avec Camille", "12,5,3",
                            "28 févr", None))
    assert quoted.tolist()[:2] == ["'31/02/2024 07:00 → 15:00'", "'March 40, 2024 7:00 AM'"]
    assert pd.isna(quoted.iloc[2])
    assert quoted.iloc[3] == "'12,5,3'"
    assert quoted.iloc[4] == "'28 févr'"


def test_on_distinct_maps_each_value_back_to_its_rows():
    values = pd.Series(["b", None, "a", "b", "a", None], index=[10, 11, 12, 13, 14, 15], dtype="string[pyarrow]")
    calls = []

    def parse(uniques: pd.Series) -> pd.DataFrame:
        calls.append(len(uniques))
        return pd.DataFrame({"upper": uniques.str.upper()})

    out = on_distinct(values, parse)
    assert calls == [3]
    assert out.index.tolist() == values.index.tolist()
    assert plain(out["upper"]) == ["B", None, "A", "B", "A", None]


def test_strings_are_arrow_text_stripped_as_python_strips_with_blanks_as_null():
    written = [" Hôtel des Arts ", "Hôtel des Arts", "   ", None, "", "\u3000Nice\xa0", "\x1cLyon", "Le  Mans", "Tours\t\n"]
    values = pd.Series(written, dtype="string[pyarrow]", index=range(7, 7 + len(written)))
    out = strings(values)
    assert out.dtype == pd.StringDtype("pyarrow")   # no Python object per cell
    assert out.index.tolist() == values.index.tolist()
    assert plain(out) == [(v.strip() or None) if v is not None else None for v in written]
    assert plain(out) == ["Hôtel des Arts", "Hôtel des Arts", None, None, None, "Nice", "Lyon", "Le  Mans", "Tours"]
    assert plain(strings(values, strip=False)) == written
    # As the CSV reader gives them: several Arrow chunks, and a slice starting inside one (its own offsets).
    chunked = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(
        [pa.array(written[:4], type=pa.large_string()), pa.array(written[4:], type=pa.large_string())])))
    assert plain(strings(chunked)) == plain(out)
    assert plain(strings(chunked.iloc[3:8])) == plain(out)[3:8]


def test_timestamps_from_components_equal_pandas_assembly_and_stay_in_bounds():
    rng = np.random.default_rng(7)
    n = 50_000

    def component(low: int, high: int) -> np.ndarray:
        values = rng.integers(low, high, n).astype(float)
        values[rng.random(n) < 0.05] = np.nan
        return values

    side = pd.DataFrame({"year": component(1600, 2400), "month": component(0, 14), "day": component(0, 33),
                         "hour": component(-1, 26), "minute": component(-1, 62), "has_time": rng.random(n) < 0.8},
                        index=np.arange(n) * 3)
    hour, minute = side["hour"].where(side["has_time"], 0), side["minute"].where(side["has_time"], 0)
    valid = hour.between(0, 23) & minute.between(0, 59)
    assembled = pd.to_datetime(side[["year", "month", "day"]].assign(hour=hour.where(valid, 0),
                                                                   minute=minute.where(valid, 0)),
                               errors="coerce").where(valid)
    pd.testing.assert_series_equal(values._timestamps(side), assembled)

    edges = pd.DataFrame({"year": [1677, 1677, 2262, 2262, 2024, 2023, 199], "month": [9, 9, 4, 4, 2, 2, 1],
                          "day": [21, 21, 11, 11, 29, 29, 1], "hour": [0, 0, 23, 23, 12, 12, 0],
                          "minute": [0, 13, 47, 48, 0, 0, 0], "has_time": [True] * 7})
    assert values._timestamps(edges).tolist()[:6] == [
        pd.NaT, pd.Timestamp("1677-09-21 00:13"), pd.Timestamp("2262-04-11 23:47"), pd.NaT,
        pd.Timestamp("2024-02-29 12:00"), pd.NaT]
    # A year written 0199 is no date (pandas' assembly read it as 1990-10-01).
    assert pd.isna(values._timestamps(edges).iloc[6])
