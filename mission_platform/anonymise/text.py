"""Normalised words: how two spellings of a personal value are recognised as the same.

One rule, defined character by character, serves everything (pseudonym keys,
conflict checks, scrubbing, the leak check): each character is decomposed
(NFKD), case-folded, stripped of accents and other combining marks, and every
character that is not then a letter, a digit or a hyphen becomes a space.
Words are what the spaces separate, so ``Meyer-Bonnin`` is one word while
``Le Lys, Boutique Hôtel (Paris 6e)`` is the six words ``le lys boutique
hotel paris 6e``. A value's normalised form is its words joined by single
spaces.

Because the rule is per character it has two exact implementations: Python's
``str.translate`` for a few strings, and a vectorised one for Arrow arrays of
millions of distinct cells (a byte lookup table for ASCII over the whole
buffer, then Python only for the few distinct words holding other characters).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Phone numbers (French forms: 06 12 34 56 78, 06.12.34.56.78, +33 6 12 34 56 78,
# 0033 6..., +33 (0)6...) and e-mail addresses. Both Python `re` and RE2 (Arrow) syntax.
PHONE_PATTERN = (
    r"(?:\+|\b00)33[ .\-]?(?:\(0\)[ .\-]?)?[1-9](?:[ .\-]?[0-9]{2}){4}\b"
    r"|\b0[1-9](?:[ .\-]?[0-9]{2}){4}\b"
)
EMAIL_PATTERN = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
# Web links carry page slugs and ids (a Notion relation: "Hôtel X (https://www.notion.so/Hotel-X-<id>?pvs=21)").
URL_PATTERN = r"https?://[^\s()<>\[\]\"]+"
HEX_ID_PATTERN = r"[0-9a-fA-F]{32}"
PHONE_PLACEHOLDER = "[téléphone]"
EMAIL_PLACEHOLDER = "[email]"
URL_PLACEHOLDER = "[lien]"


@lru_cache(maxsize=None)
def _char_words(char: str) -> str:
    """The normalised form of one character: lower-case letters, digits, hyphens or spaces."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", char).casefold())
    return "".join(
        c if (c.isalnum() or c == "-") else " " for c in folded if not unicodedata.category(c).startswith("M")
    )


class _Table(dict):
    """``str.translate`` table filled on first sight of each character."""

    def __missing__(self, codepoint: int) -> str:
        mapped = _char_words(chr(codepoint))
        self[codepoint] = mapped
        return mapped


_TABLE = _Table()


def words_of(text: str) -> str:
    """The normalised form of one string (Python; for a handful of values)."""
    return " ".join(text.translate(_TABLE).split())


def mapped_chars(text: str) -> list[str]:
    """Per character of ``text``, what it becomes (to map words back to spans of the original)."""
    return [_TABLE[ord(c)] for c in text]


# ASCII bytes map to themselves lower-cased when they are letters, digits or '-', else to a
# space; bytes >= 0x80 (parts of multi-byte characters) pass through untouched.
_ASCII_LUT = np.array([ord(_char_words(chr(b))) if b < 128 else b for b in range(256)], dtype=np.uint8)


def _utf8(values: pa.Array) -> tuple[pa.LargeStringArray, np.ndarray, np.ndarray]:
    """The strings as one byte buffer: (array, offsets rebased to 0, bytes)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if values.null_count:
        raise ValueError("text functions expect no nulls: drop them first")
    arr = values.cast(pa.large_string())
    if len(arr) == 0:
        return arr, np.zeros(1, np.int64), np.empty(0, np.uint8)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset: arr.offset + len(arr) + 1]
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8) if arr.buffers()[2] else np.empty(0, np.uint8)
    return arr, offsets - offsets[0], data[offsets[0]: offsets[-1]]


def _blank_separators(data: np.ndarray) -> None:
    """Overwrite, in place, the bytes of non-ASCII separators (``→``, ``–``, ``«``, no-break spaces) with spaces.

    Same length, so offsets hold; Notion writes ``→`` in every date, and this
    spares those strings the per-word path of ``tokenise``.
    """
    lead = np.flatnonzero(data >= 0xC0)
    if lead.size == 0:
        return
    last = data.size - 1
    b0 = data[lead].astype(np.uint32)
    b1, b2, b3 = (data[np.minimum(lead + k, last)].astype(np.uint32) & 0x3F for k in (1, 2, 3))
    length = 2 + (b0 >= 0xE0) + (b0 >= 0xF0)
    code = np.where(
        length == 2,
        ((b0 & 0x1F) << 6) | b1,
        np.where(length == 3, ((b0 & 0x0F) << 12) | (b1 << 6) | b2, ((b0 & 0x07) << 18) | (b1 << 12) | (b2 << 6) | b3),
    )
    distinct = np.unique(code)
    separators = distinct[[_char_words(chr(c)).isspace() for c in distinct]]
    blank = np.isin(code, separators)
    for k in range(4):
        at = lead[blank & (length > k)] + k
        data[at] = 0x20


def tokenise(values: pa.Array) -> tuple[pa.LargeStringArray, np.ndarray, np.ndarray]:
    """Normalised words of every (non-null) string: (words, string of each word, per-string word offsets).

    ASCII is mapped by a byte table over the whole buffer; only the distinct
    words that still hold non-ASCII characters go through ``words_of``, and
    may split further (``l’hôtel`` -> ``l hotel``) or vanish (``→``).
    """
    _, offsets, data = _utf8(values)
    mapped = _ASCII_LUT[data]
    _blank_separators(mapped)
    lists = pc.ascii_split_whitespace(
        pa.LargeStringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(mapped))
    )
    tokens, parents = pc.list_flatten(lists), np.asarray(pc.list_parent_indices(lists), dtype=np.int64)
    if mapped.size and mapped.max() >= 0x80:
        wide = pc.invert(pc.string_is_ascii(tokens))
        distinct = pc.unique(tokens.filter(wide))
        folded = [words_of(t) for t in distinct.to_pylist()]
        tokens = pc.if_else(wide, pc.take(pa.array(folded, pa.large_string()), pc.index_in(tokens, value_set=distinct)), tokens)
        if any(" " in f for f in folded):
            lists = pc.ascii_split_whitespace(tokens)
            tokens, parents = pc.list_flatten(lists), parents[np.asarray(pc.list_parent_indices(lists), dtype=np.int64)]
    real = np.asarray(pc.not_equal(tokens, ""), dtype=bool)
    if not real.all():
        tokens, parents = tokens.filter(pa.array(real)), parents[real]
    counts = np.bincount(parents, minlength=len(offsets) - 1)
    return tokens, parents, np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)


def canonical(values: pa.Array) -> pa.LargeStringArray:
    """Vectorised ``words_of``: each string's words joined by single spaces."""
    words, _, offsets = tokenise(values)
    lists = pa.LargeListArray.from_arrays(pa.array(offsets, pa.int64()), words)
    return pc.binary_join(lists, pa.scalar(" ", pa.large_string()))


def to_strings(series: pd.Series) -> pa.LargeStringArray:
    """A pandas column as an Arrow string array (nulls kept), whatever its string dtype."""
    if series.dtype == object:
        series = series.astype("string")
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "python":
        # Straight from the object array: several times faster than pandas' own conversion.
        return pa.array(np.asarray(series.array), type=pa.large_string(), from_pandas=True)
    arr = pa.array(series, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.large_string())


def encode(values: pa.Array) -> tuple[pa.LargeStringArray, np.ndarray]:
    """(distinct non-null values, per row the position of its value or -1 for null)."""
    encoded = pc.dictionary_encode(values)
    return encoded.dictionary.cast(pa.large_string()), encoded.indices.fill_null(-1).to_numpy()


def decode(values: pa.Array, codes: np.ndarray) -> pa.Array:
    """The per-row array back from ``encode``'s pair (nulls where the code is -1)."""
    return pc.take(values, pa.array(codes, mask=codes < 0))


class StringColumns:
    """A frame's columns as distinct Arrow strings plus per-row codes, each encoded once."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self._encoded: dict[str, tuple[pa.LargeStringArray, np.ndarray]] = {}

    def encoded(self, column: str) -> tuple[pa.LargeStringArray, np.ndarray]:
        if column not in self._encoded:
            self._encoded[column] = encode(to_strings(self.frame[column]))
        return self._encoded[column]

    def distinct(self, column: str, rows: np.ndarray | None = None) -> pa.LargeStringArray:
        """The column's distinct non-null values (of the rows selected by the mask ``rows``)."""
        values, codes = self.encoded(column)
        if rows is None:
            return values
        used = np.zeros(len(values), dtype=bool)
        used[codes[rows & (codes >= 0)]] = True
        return values.filter(pa.array(used))


def replace_contacts(values: pa.Array) -> pa.Array:
    """Links, e-mail addresses and phone numbers (by pattern, known or not) replaced by placeholders."""
    out = pc.replace_substring_regex(values, URL_PATTERN, URL_PLACEHOLDER)
    out = pc.replace_substring_regex(out, EMAIL_PATTERN, EMAIL_PLACEHOLDER)
    return pc.replace_substring_regex(out, PHONE_PATTERN, PHONE_PLACEHOLDER)


_HEX_RUN_RE = re.compile(f"(?=({HEX_ID_PATTERN}))")


def hex_runs(text: str) -> set[str]:
    """Every 32-hex-digit run in ``text`` (overlapping ones too), lower-cased."""
    return {m.lower() for m in _HEX_RUN_RE.findall(text)}


_PHONE_RE = re.compile(PHONE_PATTERN)
_EMAIL_RE = re.compile(EMAIL_PATTERN)


_IS_DIGIT = np.zeros(256, dtype=np.uint8)
_IS_DIGIT[ord("0"): ord("9") + 1] = 1


def find_contacts(values: pa.Array) -> tuple[list[str], list[str]]:
    """Every phone number and e-mail address written inside the strings: (phones, e-mails), distinct."""
    arr, offsets, data = _utf8(pc.drop_null(values))
    if len(arr) == 0:
        return [], []
    # Cheap filters first (a phone has 9+ digits, an e-mail an '@'), then RE2 picks the strings
    # that hold one, then Python lists every occurrence in those few.
    starts = offsets[:-1]
    digits = np.zeros(len(arr), dtype=np.int64)
    if data.size:
        digits = np.add.reduceat(_IS_DIGIT[data], np.minimum(starts, data.size - 1), dtype=np.int64)
        digits[starts == offsets[1:]] = 0  # reduceat gives an empty string its neighbour's byte
    found: dict[str, set[str]] = {"phone": set(), "email": set()}
    for kind, candidates, pattern, regex in (
        ("phone", arr.filter(pa.array(digits >= 9)), PHONE_PATTERN, _PHONE_RE),
        ("email", arr.filter(pc.match_substring(arr, "@")), EMAIL_PATTERN, _EMAIL_RE),
    ):
        for text in candidates.filter(pc.match_substring_regex(candidates, pattern)).to_pylist():
            found[kind].update(regex.findall(text))
    return sorted(found["phone"]), sorted(found["email"])


def phone_variants(phone: str) -> list[str]:
    """The usual ways of writing a French number, so each spelling is recognised as the same number."""
    digits = re.sub(r"\D", "", phone)
    for country in ("0033", "33"):
        if digits.startswith(country) and len(digits) >= len(country) + 9:
            digits = "0" + digits[len(country):].removeprefix("0")  # +33 (0)6 ... -> 06 ...
            break
    if len(digits) != 10 or not digits.startswith("0"):
        return [phone]
    pairs = [digits[i: i + 2] for i in range(0, 10, 2)]
    international = "+33 " + digits[1] + " " + " ".join(pairs[1:])
    return [phone, digits, " ".join(pairs), "-".join(pairs), international, "+33" + digits[1:]]
