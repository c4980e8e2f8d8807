"""Notion cell renderings -> typed values, a whole column at a time.

Every parser takes a Series of strings (NA = empty cell) and works with
column-level regular expressions. Columns repeat few distinct values (a
million missions share some thousands of date texts, a few hundred hotel
relations), so :func:`on_distinct` parses each distinct value once and maps
the results back by position.
"""

from __future__ import annotations

import re
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from mission_platform.columns import TEXT

PARIS = "Europe/Paris"

_MONTHS = {
    # French (accents folded away before lookup), full and abbreviated.
    "janvier": 1, "janv": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "avril": 4, "avr": 4, "mai": 5,
    "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "sept": 9, "octobre": 10, "novembre": 11,
    "decembre": 12, "dec": 12,
    # English.
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
    "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sep": 9, "october": 10,
    "oct": 10, "november": 11, "nov": 11, "december": 12,
}


def _distinct(values: pd.Series, *, strip: bool) -> tuple[np.ndarray, pd.Series]:
    """Each cell's code and the distinct values (Python strings and None), stripped unless told not to.

    Stripping distinct values costs nothing, stripping a million cells would copy them.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    # Python strings and None: the parsers' regular expressions are Python's, not Arrow's RE2.
    uniques = pd.Series(uniques, dtype=object)
    if strip:
        uniques = uniques.str.strip()
        uniques = uniques.mask(uniques == "")
    return codes, uniques.where(uniques.notna(), None)


def on_distinct(values: pd.Series, parse: Callable[[pd.Series], pd.DataFrame], *, strip: bool = True) -> pd.DataFrame:
    """``parse(values)``, computed once per distinct value (NA included) and mapped back by position.

    With ``strip``, ``parse`` sees the values without stray leading or trailing
    spaces, a value of spaces as None.
    """
    codes, uniques = _distinct(values, strip=strip)
    parsed = parse(uniques)
    # Text results are spread over the rows as Arrow strings, not as a Python object per row.
    text = {c: TEXT for c in parsed.columns
            if parsed[c].dtype == object and pd.api.types.infer_dtype(parsed[c], skipna=True) == "string"}
    out = parsed.astype(text).take(codes)
    out.index = values.index
    return out


# The UTF-8 bytes that begin and end the characters Python's str.strip() strips (str.isspace(); U+3000 is
# the highest): a cell whose first or last byte is one of them may need stripping, any other cannot.
_SPACES = [c.encode() for c in map(chr, range(0x3001)) if c.isspace()]
_FIRST_BYTES, _LAST_BYTES = np.zeros(256, dtype=bool), np.zeros(256, dtype=bool)
_FIRST_BYTES[[space[0] for space in _SPACES]] = True
_LAST_BYTES[[space[-1] for space in _SPACES]] = True


def _may_strip(text: pd.Series) -> np.ndarray:
    """Rows whose text is blank or starts or ends with a space byte: a few cells among a million, found
    from the Arrow buffers (first and last byte of each cell) without making a Python string of any."""
    arrow = pa.array(text.array)
    chunks = arrow.chunks if isinstance(arrow, pa.ChunkedArray) else [arrow]
    found = [np.zeros(0, dtype=bool)]
    for chunk in (c.cast(pa.large_string()) for c in chunks):
        _, offsets, data = chunk.buffers()
        offsets = np.frombuffer(offsets, dtype=np.int64)[chunk.offset:chunk.offset + len(chunk) + 1]
        data = np.frombuffer(data, dtype=np.uint8) if data is not None and data.size else np.zeros(1, dtype=np.uint8)
        starts, ends = offsets[:-1], offsets[1:]
        empty = starts == ends
        found.append(empty | _FIRST_BYTES[data[np.where(empty, 0, starts)]] | _LAST_BYTES[data[np.where(empty, 0, ends - 1)]])
    return np.concatenate(found) & text.notna().to_numpy()


def strings(values: pd.Series, *, strip: bool = True) -> pd.Series:
    """``values`` as Arrow-backed text: stripped as Python strips, blank as NA (unless told not to strip)."""
    text = values.astype(TEXT)
    if not strip:
        return text
    fix = _may_strip(text)
    if not fix.any():
        return text
    codes, uniques = _distinct(text[fix], strip=True)
    stripped = text.copy()
    stripped[fix] = pc.take(pa.array(uniques, type=pa.string()), pa.array(codes))
    return stripped


def fold_series(text: pd.Series) -> pd.Series:
    """Case- and accent-insensitive form of each string (NA stays NA)."""
    bare = text.str.normalize("NFKD").str.replace(r"[\u0300-\u036f]", "", regex=True)
    return bare.str.casefold()


def squeeze(text: pd.Series) -> pd.Series:
    """Stripped, inner runs of spaces reduced to one; empty -> NA. The key titles are matched on."""
    out = text.str.replace(r"\s+", " ", regex=True).str.strip()
    return out.mask(out == "")


# Digits, separators and the words of date renderings: such a value carries no personal data
# and may be quoted in a reject reason.
_SAFE_WORDS = "|".join(sorted(_MONTHS, key=len, reverse=True)) + "|utc|gmt|am|pm|er|min|minutes|h"


def quotable(text: pd.Series) -> pd.Series:
    """The value quoted for a reject reason when it can hold no personal data, else NA."""
    words_removed = fold_series(text).str.replace(rf"(?<![^\W\d_])(?:{_SAFE_WORDS})(?![^\W\d_])", "", regex=True)
    safe = ~words_removed.str.contains(r"[^\W\d_]", regex=True, na=True) & (text.str.len() <= 60)
    return ("'" + text + "'").where(safe)


# -- numbers ---------------------------------------------------------------------------

def _numbers(text: pd.Series) -> pd.DataFrame:
    # Thousands separators (spaces, no-break spaces) and a euro sign are dropped; decimal comma or point.
    cleaned = text.str.replace(r"[\s€]", "", regex=True)
    ok = cleaned.str.fullmatch(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)", na=False).astype(bool)
    value = pd.to_numeric(cleaned.where(ok).str.replace(",", ".", regex=False), errors="coerce")
    return pd.DataFrame({"value": value.astype("float64"), "bad": text.notna() & ~ok})


def parse_numbers(text: pd.Series) -> pd.DataFrame:
    """``value`` (float, NaN when empty or bad) and ``bad`` (text present but not a number).

    Accepts ``28``, ``27,5`` (decimal comma), ``27.5``, ``1 234,5`` and a stray ``€``.
    """
    return on_distinct(text, _numbers)


def parse_integers(text: pd.Series) -> pd.DataFrame:
    """Like :func:`parse_numbers`, ``value`` as nullable ``Int64``; a fraction is bad."""
    numbers = parse_numbers(text)
    fraction = numbers["value"].notna() & (numbers["value"] % 1 != 0)
    return pd.DataFrame({
        "value": numbers["value"].mask(fraction).astype("Int64"),
        "bad": numbers["bad"] | fraction,
    })


def _zipcodes(text: pd.Series) -> pd.DataFrame:
    short = text.str.fullmatch(r"\d{1,4}", na=False).astype(bool)
    return text.mask(short, text.str.zfill(5)).to_frame("zipcode")


def restore_zipcode(text: pd.Series) -> pd.Series:
    """French postal codes as 5 digits: Excel turns ``06000`` into ``6000``; other text is kept."""
    return on_distinct(text, _zipcodes)["zipcode"]


# -- relations -------------------------------------------------------------------------

# The URL has no spaces, so it is the last parenthesised group; the title (which may hold
# commas and parentheses) is everything before it.
_RELATION = r"^(?P<title>.*?)\s*\((?P<url>https?://\S*)\)$"
_PAGE_ID = r"(?P<page_id>[0-9a-f]{32})(?:[?#][^/]*)?$"


def split_relations(cell: pd.Series) -> pd.DataFrame:
    """``Title (https://www.notion.so/…-<32 hex>?pvs=21)`` -> ``title`` and ``page_id``, value by value.

    The title is everything before the last `` (https://`` (titles hold commas
    and parentheses), stripped with inner spaces squeezed; a cell without URL
    is all title. ``several``: the cell points to more than one page.
    """
    parts = cell.str.extract(_RELATION)
    title = squeeze(parts["title"].fillna(cell))
    return pd.DataFrame({
        "title": title,
        "page_id": parts["url"].str.extract(_PAGE_ID, expand=False).astype(object),
        "several": cell.str.count(r"\(https?://").fillna(0) > 1,
    })


def parse_relations(cell: pd.Series) -> pd.DataFrame:
    """:func:`split_relations` of a whole column, once per distinct cell."""
    return on_distinct(cell, split_relations)


# -- statuses --------------------------------------------------------------------------

def _statuses(text: pd.Series) -> pd.DataFrame:
    folded = fold_series(text)
    by_extra = folded.str.contains(r"\bannule\w*\s+extra", regex=True, na=False)
    by_hotel = folded.str.contains(r"\bannule\w*\s+hotel", regex=True, na=False)
    cancelled_by = pd.Series(np.select([by_extra, by_hotel], ["extra", "hotel"], None), index=text.index, dtype=object)
    return pd.DataFrame({
        "urgent": folded.str.contains(r"\burgente?\b", regex=True, na=False).astype(bool),
        "cancelled_by": cancelled_by.mask(by_extra & by_hotel),
        "cancelled_by_both": by_extra & by_hotel,
    })


def parse_statuses(text: pd.Series) -> pd.DataFrame:
    """Mission multi-select -> ``urgent`` (``urgente``), ``cancelled_by`` ('extra', 'hotel', NA).

    ``annulé extra`` / ``annulé hôtel`` are matched case- and accent-insensitively;
    ``cancelled_by_both`` flags a mission marked cancelled by both sides.
    """
    return on_distinct(text, _statuses)


# -- overtime --------------------------------------------------------------------------

# '1h30', '2 h', '2h30 heures', '1,5h', '2 heures 15' | '30 min', '30 minutes', '45mn'.
_DURATION = (
    r"(?P<hours>\d+(?:[.,]\d+)?)\s*h(?:eures?|rs?)?(?![^\W\d_])(?:\s*(?P<hour_minutes>\d{1,2})(?!\d))?"
    r"|(?P<minutes>\d+(?:[.,]\d+)?)\s*(?:minutes?|mins?|mn)(?![^\W\d_])"
)


def _overtime(text: pd.Series) -> pd.DataFrame:
    found = text.str.extractall(_DURATION)
    numbers = found.apply(lambda col: pd.to_numeric(col.str.replace(",", ".", regex=False))).astype("float64")
    hours = (numbers["hours"].fillna(0) + numbers["hour_minutes"].fillna(0) / 60 + numbers["minutes"].fillna(0) / 60)
    total = hours.groupby(level=0).sum().reindex(text.index)
    return pd.DataFrame({
        "hours": total.fillna(0.0).astype("float64"),
        "unparsed": text.notna() & total.isna(),
    })


def parse_overtime(text: pd.Series) -> pd.DataFrame:
    """Overtime typed by people -> ``hours`` (float) and ``unparsed``.

    Every duration in the text counts (``1h30 supp``, ``2h30 heures supp``,
    ``30 minutes heures supp``, ``2 h``, ``45 min``). A text with no duration
    in it gives 0 hours and ``unparsed`` true; an empty cell gives 0 and false.
    """
    return on_distinct(text, _overtime)


# -- dates -----------------------------------------------------------------------------

_DATE_RENDERINGS = {
    # A group that never matches keeps the columns of every rendering the same.
    "numeric": r"(?P<{p}day>\d{1,2})/(?P<{p}month>\d{1,2})/(?P<{p}year>\d{4})(?P<{p}month_name>(?!))?",
    "french": r"(?P<{p}day>\d{1,2})(?:er)?\s+(?P<{p}month_name>[^\W\d_]+)\.?\s+(?P<{p}year>\d{4})(?P<{p}month>(?!))?",
    "english": r"(?P<{p}month_name>[^\W\d_]+)\.?\s+(?P<{p}day>\d{1,2}),?\s+(?P<{p}year>\d{4})(?P<{p}month>(?!))?",
}
_TIME = r"(?P<{p}hour>\d{1,2})[:h](?P<{p}minute>\d{2})(?:\s*(?P<{p}meridiem>[AaPp])\.?\s?[Mm]\.?)?"
_TAG = r"(?P<{p}tag>\(\s*(?:UTC|GMT)\s*(?:(?P<{p}sign>[+-])\s*(?P<{p}offset_hours>\d{1,2})(?::?(?P<{p}offset_minutes>\d{2}))?)?\s*\))"
# Notion's arrow, and what a cp1252 re-save makes of it.
_ARROW = r"(?P<arrow>→|->|\?)"
_NUMBERS = ("year", "month", "day", "hour", "minute", "offset_hours", "offset_minutes")


def _range_pattern(date: str) -> str:
    def side(pattern: str, p: str) -> str:
        return pattern.replace("{p}", p)

    start = rf"{side(date, 's_')}(?:\s+{side(_TIME, 's_')})?(?:\s*{side(_TAG, 's_')})?"
    end = rf"(?:{side(date, 'e_')})?\s*(?:{side(_TIME, 'e_')})?(?:\s*{side(_TAG, 'e_')})?"
    return rf"^\s*{start}(?:\s*{_ARROW}\s*{end})?\s*$"


_RANGE_PATTERNS = [_range_pattern(date) for date in _DATE_RENDERINGS.values()]


# How Notion writes nearly every page's creation time ("11 octobre 2024 02:45"): read by splitting at the
# spaces in Arrow, which gives the groups the renderings' regular expressions would, in a fraction of their time
# (646,586 distinct creation times: 12.9 s to parse before, 3.4-3.9 s now, benchmarks/bench_reporting.py --graph).
_PLAIN_DATE_TIME = r"^[0-9]{1,2} \pL+ [0-9]{4} [0-9]{1,2}:[0-9]{2}$"
_PLAIN_GROUPS = ("s_day", "s_month_name", "s_year", "s_hour", "s_minute")
_DATE_GROUPS = tuple(re.compile(_RANGE_PATTERNS[0]).groupindex)
_NUMBER_GROUPS = tuple(p + name for p in ("s_", "e_") for name in _NUMBERS)


def _extract_dates(text: pd.Series) -> pd.DataFrame:
    """The regex groups of the first rendering each text matches (NaN everywhere for none), numbers as floats."""
    values = pa.array(text.to_numpy(dtype=object), type=pa.string())
    plain = pc.fill_null(pc.match_substring_regex(values, _PLAIN_DATE_TIME), False).to_numpy(zero_copy_only=False)
    # Filled column by column, made a frame once: a frame's cells set in place cost a copy of its blocks each time.
    parts = {group: np.full(len(text), np.nan, dtype=float if group in _NUMBER_GROUPS else object)
             for group in _DATE_GROUPS}
    if plain.any():
        words = pc.split_pattern(values.filter(pa.array(plain)), " ")
        day, month_name, year, clock = (pc.list_element(words, i) for i in range(4))
        hour, minute = (pc.list_element(pc.split_pattern(clock, ":"), i) for i in range(2))
        for group, cells in zip(_PLAIN_GROUPS, (day, month_name, year, hour, minute)):
            cells = cells.cast(pa.float64()) if group in _NUMBER_GROUPS else cells
            parts[group][plain] = cells.to_numpy(zero_copy_only=False)
    todo = ~plain & text.notna().to_numpy()
    for pattern in _RANGE_PATTERNS:   # the renderings in order, on what the previous ones left
        if not todo.any():
            break
        found = text[todo].str.extract(pattern)
        hit = found["s_year"].notna().to_numpy()
        rows = np.flatnonzero(todo)[hit]
        for group in _DATE_GROUPS:
            cells = found[group].to_numpy()[hit]
            parts[group][rows] = cells.astype(float) if group in _NUMBER_GROUPS else cells
        todo[rows] = False
    # Each column's dtype given, and kept apart: pandas would otherwise scan every object column for dates and
    # copy the columns into one block per dtype (0.6-0.8 s at 1M missions, for columns read one by one).
    return pd.DataFrame({group: pd.Series(cells, index=text.index, dtype=cells.dtype, copy=False)
                         for group, cells in parts.items()}, copy=False)


def _month_numbers(names: pd.Series) -> pd.DataFrame:
    # Folded once per distinct name: a column of 646,586 creation dates holds a few dozen month names.
    return fold_series(names).str.rstrip(".").map(_MONTHS).astype("float64").to_frame("month")


def _side(parts: pd.DataFrame, p: str, fallback: pd.DataFrame | None) -> pd.DataFrame:
    """Year, month, day, hour, minute (floats, NaN when absent) and the tag's offset of one side."""
    numbers = parts[[p + name for name in _NUMBERS]].set_axis(_NUMBERS, axis=1)
    month = numbers["month"].fillna(on_distinct(parts[p + "month_name"], _month_numbers, strip=False)["month"])
    hour = numbers["hour"]
    meridiem = parts[p + "meridiem"].str.upper()
    twelve_hour = meridiem.notna()
    # 12 AM is midnight, 12 PM noon; a 12-hour clock reads 1-12 only.
    hour = hour.mask(twelve_hour, (hour % 12) + np.where(meridiem == "P", 12, 0))
    hour = hour.mask(twelve_hour & ~numbers["hour"].between(1, 12))
    sign = np.where(parts[p + "sign"] == "-", -1.0, 1.0)
    offset = sign * (numbers["offset_hours"].fillna(0) * 60 + numbers["offset_minutes"].fillna(0))
    side = pd.DataFrame({
        "year": numbers["year"], "month": month, "day": numbers["day"],
        "hour": hour, "minute": numbers["minute"],
        "has_date": parts[p + "year"].notna(),
        "has_time": parts[p + "hour"].notna(),
        "offset_minutes": offset.where(parts[p + "tag"].notna()),
    })
    if fallback is not None:   # an end written as a time alone is on the start's day
        for name in ("year", "month", "day"):
            side[name] = side[name].where(side["has_date"], fallback[name])
    return side


# The minutes a pandas timestamp can hold (1677-09-21 00:13 to 2262-04-11 23:47).
_FIRST_MINUTE, _LAST_MINUTE = (np.datetime64(t.to_datetime64(), "m")
                               for t in (pd.Timestamp.min.ceil("min"), pd.Timestamp.max.floor("min")))


def _timestamps(side: pd.DataFrame) -> pd.Series:
    """Naive timestamps from the components; midnight for a date alone, NaT for an impossible date or time.

    Calendar arithmetic on numpy datetimes: a month's first day plus the days, checked to stay in that
    month (31 February is NaT), then the minutes. pandas' assembly from components took 16 times as long.
    """
    hour = side["hour"].where(side["has_time"], 0).to_numpy(dtype=float)
    minute = side["minute"].where(side["has_time"], 0).to_numpy(dtype=float)
    year, month, day = (side[name].to_numpy(dtype=float) for name in ("year", "month", "day"))
    # NaN fails every comparison; years are written with four digits.
    ok = ((hour >= 0) & (hour <= 23) & (minute >= 0) & (minute <= 59) & (month >= 1) & (month <= 12)
          & (day >= 1) & (day <= 31) & (year >= 1000) & (year <= 9999))
    first = ((year[ok] - 1970) * 12 + month[ok] - 1).astype("int64").astype("datetime64[M]")
    days = first.astype("datetime64[D]") + (day[ok] - 1).astype("int64")
    stamps = days.astype("datetime64[m]") + (hour[ok] * 60 + minute[ok]).astype("int64")
    real = (days.astype("datetime64[M]") == first) & (stamps >= _FIRST_MINUTE) & (stamps <= _LAST_MINUTE)
    out = np.full(len(side), np.datetime64("NaT"), dtype="datetime64[m]")
    out[np.flatnonzero(ok)[real]] = stamps[real]
    return pd.Series(out.astype("datetime64[ns]"), index=side.index)


def _date_ranges(text: pd.Series) -> pd.DataFrame:
    """Notion date renderings -> naive wall-clock ``start`` / ``end`` and the zone tags as written.

    Renderings: day first ``03/03/2023 08:00``, French month names
    ``12 janvier 2022 14:30`` / ``3 mars 2023``, English
    ``March 3, 2023 8:00 AM``; optionally a tag ``(UTC)``, ``(UTC+1)``,
    ``(GMT+1)`` after either side, and an end after ``→`` (or Excel's ``?`` /
    ``->``): a full date and time, a date, or a time alone, which is on the
    start's day, or on the next day when it is earlier than the start (night
    shifts). ``ok`` is false for a text that is present but not a date.
    """
    parts = _extract_dates(text)
    start_side = _side(parts, "s_", None)
    end_side = _side(parts, "e_", start_side)
    start = _timestamps(start_side)
    end = _timestamps(end_side)
    has_end = end_side["has_date"] | end_side["has_time"]
    # A night shift: an end time alone, earlier than the start time, is on the next day.
    next_day = has_end & ~end_side["has_date"] & (end < start)
    end = end.mask(next_day, end + pd.Timedelta(days=1))
    matched = parts["s_year"].notna() & (parts["arrow"].isna() | has_end)
    ok = matched & start.notna() & (end.notna() | ~has_end)
    return pd.DataFrame({
        "ok": ok,
        "start": start.where(ok),
        "end": end.where(ok & has_end),
        "has_time": start_side["has_time"] & ok,
        "has_end": has_end & ok,
        "end_has_time": end_side["has_time"] & ok,
        "start_offset_minutes": start_side["offset_minutes"].where(ok),
        "end_offset_minutes": end_side["offset_minutes"].where(ok),
    })


def _to_utc(naive: pd.Series, offset_minutes: pd.Series) -> pd.Series:
    tagged = naive - pd.to_timedelta(offset_minutes, unit="min")
    paris = naive.dt.tz_localize(
        PARIS, ambiguous=np.ones(len(naive), dtype=bool), nonexistent=pd.Timedelta(hours=1),
    ).dt.tz_convert("UTC")
    return tagged.dt.tz_localize("UTC").where(offset_minutes.notna(), paris)


def _mission_dates(text: pd.Series) -> pd.DataFrame:
    ranges = _date_ranges(text)
    complete = ranges["ok"] & ranges["has_time"] & ranges["has_end"] & ranges["end_has_time"]
    start_offset = ranges["start_offset_minutes"].fillna(ranges["end_offset_minutes"])
    end_offset = ranges["end_offset_minutes"].fillna(ranges["start_offset_minutes"])
    return pd.DataFrame({
        "start": _to_utc(ranges["start"].where(complete), start_offset),
        "end": _to_utc(ranges["end"].where(complete), end_offset),
        "bad": text.notna() & ~complete,
    })


def parse_mission_dates(text: pd.Series) -> pd.DataFrame:
    """A mission's ``date`` cell -> ``start`` and ``end`` as UTC instants, ``bad`` when unreadable.

    The cell must hold a start date and time and an end (see
    :func:`_date_ranges` for the renderings). Time zone rule:

    - a tag gives the UTC offset the times next to it are written in; a tag on
      one side only applies to both (``04/03/2024 07:00 (UTC+1) → 15:00`` is
      07:00–15:00 at UTC+1, i.e. Paris time in March);
    - with no tag, the times are Europe/Paris wall-clock time. A local time
      that a clock change makes nonexistent (02:30 on the last Sunday of
      March) or ambiguous (02:30 on the last Sunday of October) is read with
      the offset in force before the change: +01:00 in March, +02:00 in
      October.

    Durations are then real elapsed time: 7 h or 9 h on the nights the clocks change.
    """
    return on_distinct(text, _mission_dates)


def _local_dates(text: pd.Series) -> pd.DataFrame:
    ranges = _date_ranges(text)
    # These Notion dates carry no zone: a tag would need a conversion nobody asked for.
    ok = ranges["ok"] & ranges["start_offset_minutes"].isna() & ranges["end_offset_minutes"].isna()
    return pd.DataFrame({
        "start": ranges["start"].where(ok),
        "end": ranges["end"].where(ok & ranges["has_end"], ranges["start"].where(ok)),
        "has_end": ranges["has_end"] & ok,
        "bad": text.notna() & ~ok,
    })


def parse_local_dates(text: pd.Series) -> pd.DataFrame:
    """Zone-less Notion dates (creation times, last contact, holidays) -> naive Paris ``start`` / ``end``.

    ``3 mars 2023``, ``12 janvier 2022 14:30``, ``1 juillet 2023 00:00 → 15
    juillet 2023 00:00``, and the day-first ``03/03/2023`` an Excel re-save
    writes. ``end`` is the start when the text holds a single date.
    """
    return on_distinct(text, _local_dates)
