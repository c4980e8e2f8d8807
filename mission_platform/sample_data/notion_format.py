"""How Notion renders values in a CSV export (docs/NOTION_EXPORTS.md), vectorised.

Every function takes and returns whole arrays: the generator renders a
million cells with a handful of array operations, never one Python call per
cell. Columns with few distinct values are rendered once per distinct value
(a vocabulary) and then indexed by integer codes.
"""

from __future__ import annotations

import io
import re
import unicodedata
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

BOM = "\ufeff"
LINE_END = "\r\n"
ARROW = " → "

FRENCH_MONTHS = np.array(
    ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre",
     "décembre"],
    dtype=object,
)
ENGLISH_MONTHS = np.array(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
     "December"],
    dtype=object,
)

_NEEDS_QUOTES = r'[,"\r\n]'


def text(values) -> np.ndarray:
    """An object array of Python strings (the type every renderer works on)."""
    return np.asarray(values, dtype=object)


def ints(values: np.ndarray) -> np.ndarray:
    """Integers as decimal text."""
    return pd.Series(np.asarray(values, dtype=np.int64)).astype(str).to_numpy(dtype=object)


def zero_padded(values: np.ndarray, width: int) -> np.ndarray:
    return pd.Series(np.asarray(values, dtype=np.int64)).astype(str).str.zfill(width).to_numpy(dtype=object)


def needs_quotes(cells: np.ndarray) -> np.ndarray:
    """Whether each cell holds a comma, a quote or a line break."""
    return pd.Series(cells, dtype=object).str.contains(_NEEDS_QUOTES, regex=True).to_numpy(dtype=bool)


def quote(cells: np.ndarray) -> np.ndarray:
    """CSV minimal quoting: a cell holding a comma, a quote or a line break is wrapped in quotes."""
    series = pd.Series(cells, dtype=object)
    mask = needs_quotes(cells)
    if not mask.any():
        return np.asarray(cells, dtype=object)
    out = np.array(cells, dtype=object)
    out[mask] = ('"' + series[mask].str.replace('"', '""', regex=False) + '"').to_numpy(dtype=object)
    return out


def with_empty(vocabulary: Sequence[str] | np.ndarray) -> np.ndarray:
    """The quoted cells of ``vocabulary`` followed by the empty cell, so that code -1 selects it."""
    return quote(np.append(text(vocabulary), ""))


def csv_bytes(header: Sequence[str], chunks: Iterable[Sequence[np.ndarray | tuple]]) -> bytes:
    """A Notion CSV file: UTF-8 with BOM, CRLF, comma-delimited, no final newline.

    ``chunks`` yields lists of columns of equal length; building the file chunk by
    chunk bounds the memory of the row text to one chunk. A column is an array of
    quoted cells, or a tuple of fragments (arrays or constant strings) whose
    concatenation is the cell: fragments must need no quoting. Each line is laid
    out as its cells and separators side by side and the whole chunk is one
    ``str.join``, so no intermediate string is built per row.
    """
    out = io.BytesIO()
    out.write((BOM + ",".join(quote(text(header)))).encode("utf-8"))
    for columns in chunks:
        if len(columns) != len(header):
            # The column registry gained a property the generator does not render yet.
            raise ValueError(f"{len(columns)} columns rendered for a header of {len(header)}: {list(header)}")
        fragments = [column if isinstance(column, tuple) else (column,) for column in columns]
        n = len(next(f for column in fragments for f in column if isinstance(f, np.ndarray)))
        if n == 0:
            continue
        grid = np.empty((n, 1 + sum(len(column) for column in fragments) + len(fragments) - 1), dtype=object)
        position = 0
        for index, column in enumerate(fragments):
            grid[:, position] = LINE_END if index == 0 else ","
            for fragment in column:
                position += 1
                grid[:, position] = fragment
            position += 1
        out.write("".join(grid.ravel().tolist()).encode("utf-8"))
    return out.getvalue()


def number(values: np.ndarray, *, decimals: int | None = None) -> np.ndarray:
    """Numbers as a French Notion renders them: ``28``, ``27,5``; or with fixed ``decimals`` (``28,00``)."""
    values = np.asarray(values, dtype=float)
    if decimals is None:
        # Shortest round-trip form, then the French decimal comma.
        rendered = pd.Series(values).map(repr).str.replace(r"\.0$", "", regex=True)
    else:
        rendered = pd.Series(np.round(values, decimals)).map(f"{{:.{decimals}f}}".format)
    return rendered.str.replace(".", ",", regex=False).to_numpy(dtype=object)


def french_date(stamps: pd.Series | pd.DatetimeIndex, *, with_time: bool = False) -> np.ndarray:
    """``3 mars 2024`` or ``12 janvier 2022 14:30``."""
    stamps = pd.Series(pd.DatetimeIndex(stamps))
    out = ints(stamps.dt.day) + " " + FRENCH_MONTHS[stamps.dt.month.to_numpy() - 1] + " " + ints(stamps.dt.year)
    if with_time:
        out = out + " " + hh_mm(stamps)
    return out


def day_month_year(stamps: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """``04/03/2024``."""
    stamps = pd.Series(pd.DatetimeIndex(stamps))
    return (zero_padded(stamps.dt.day, 2) + "/" + zero_padded(stamps.dt.month, 2) + "/" + ints(stamps.dt.year))


def day_month(stamps: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """``04/03`` (mission titles)."""
    stamps = pd.Series(pd.DatetimeIndex(stamps))
    return zero_padded(stamps.dt.day, 2) + "/" + zero_padded(stamps.dt.month, 2)


def hh_mm(stamps: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """``07:00``."""
    stamps = pd.Series(pd.DatetimeIndex(stamps))
    return zero_padded(stamps.dt.hour, 2) + ":" + zero_padded(stamps.dt.minute, 2)


def english_date(stamps: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """``March 3, 2023`` (English-interface rendering)."""
    stamps = pd.Series(pd.DatetimeIndex(stamps))
    return ENGLISH_MONTHS[stamps.dt.month.to_numpy() - 1] + " " + ints(stamps.dt.day) + ", " + ints(stamps.dt.year)


def english_time(stamps: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """``8:00 AM``, ``11:30 PM``, ``12:00 AM`` for midnight."""
    stamps = pd.Series(pd.DatetimeIndex(stamps))
    hour = stamps.dt.hour.to_numpy()
    clock = np.where(hour % 12 == 0, 12, hour % 12)
    return ints(clock) + ":" + zero_padded(stamps.dt.minute, 2) + np.where(hour < 12, " AM", " PM").astype(object)


def offset_tag(offset_hours: np.ndarray, prefix: str = "UTC") -> np.ndarray:
    """``(UTC+1)``, ``(UTC+2)``, ``(UTC)`` — or ``(GMT+1)`` with ``prefix='GMT'``."""
    offset_hours = np.asarray(offset_hours, dtype=np.int64)
    sign = np.where(offset_hours > 0, "+", "-").astype(object)
    body = np.where(offset_hours == 0, "", sign + ints(np.abs(offset_hours)))
    return "(" + prefix + body.astype(object) + ")"


def ascii_fold(values: np.ndarray) -> np.ndarray:
    """Accents removed (``Hôtel`` -> ``Hotel``)."""
    return pd.Series(values, dtype=object).map(
        lambda s: unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")
    ).to_numpy(dtype=object)


def normalised_title(title: str) -> str:
    """The key under which two titles count as the same (trimmed, case- and accent-insensitive)."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"\s+", " ", folded).strip().casefold()


def page_slugs(titles: np.ndarray) -> np.ndarray:
    """The title part of a Notion page URL: ``Le Lys, Boutique Hôtel (Paris 6e)`` -> ``Le-Lys-Boutique-Hotel-Paris-6e``."""
    return (pd.Series(ascii_fold(titles), dtype=object)
            .str.replace(r"[^A-Za-z0-9]+", "-", regex=True).str.strip("-").to_numpy(dtype=object))


def relation_cells(titles: np.ndarray, page_ids: np.ndarray) -> np.ndarray:
    """``Title (https://www.notion.so/Title-<32 hex>?pvs=21)``: a relation as Notion exports it."""
    titles = pd.Series(titles, dtype=object).str.strip().to_numpy(dtype=object)
    return titles + " (https://www.notion.so/" + page_slugs(titles) + "-" + page_ids + "?pvs=21)"


def hex_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` Notion page ids (32 lowercase hex digits) drawn from ``rng``."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    digits = np.array(list("0123456789abcdef"))
    nibbles = np.stack([raw >> 4, raw & 15], axis=2).reshape(n, 32)
    return digits[nibbles].view("<U32").ravel().astype(object)


def multi_select(flags: np.ndarray, options: Sequence[str]) -> np.ndarray:
    """A multi-select cell from a bit mask (bit i = ``options[i]``), options in their defined order."""
    flags = np.asarray(flags, dtype=np.int64)
    vocabulary = np.array([", ".join(o for i, o in enumerate(options) if mask >> i & 1)
                           for mask in range(1 << len(options))], dtype=object)
    return vocabulary[flags]


# Stray spaces by pad code: 1 a leading space, 2 a trailing space, 3 both (people's typing; readers trim).
PAD_LEAD = np.array(["", " ", "", " "], dtype=object)
PAD_TRAIL = np.array(["", "", " ", " "], dtype=object)


def stray_spaces(cells: np.ndarray, pad: np.ndarray) -> np.ndarray:
    """``cells`` with the stray spaces of their pad codes."""
    return PAD_LEAD[pad] + np.asarray(cells, dtype=object) + PAD_TRAIL[pad]


def rates(values: np.ndarray, style: np.ndarray) -> np.ndarray:
    """``28`` / ``27,5``; style 1 writes two decimals (``28,00``), as a re-typed cell may."""
    return np.where(style == 1, number(values, decimals=2), number(values)).astype(object)
