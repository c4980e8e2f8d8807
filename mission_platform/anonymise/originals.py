"""The personal values of a raw export, and where they show up in other strings.

The originals are every distinct value of the personal columns (``PERSONAL_COLUMNS``) in the
raw frames (set-aside rows included; page ids are among them), every phone
number and e-mail address written in free text or in a set-aside row, and the
usual other spellings of each phone number. A string *holds* an original when
the original's words appear in it as a run of whole words (see ``text``),
which includes being the whole string; page ids are also found inside a word
(``Hotel-des-Arts-<id>`` in a Notion link), as 32 hexadecimal digits anywhere.

Two rules keep ordinary words from counting as personal data:

- A one-word original shorter than ``MIN_RUN_WORD_CHARS`` characters (a hotel
  called ``Lys``, a note reading ``ok``) counts only as a whole string: as a
  word inside a longer text it is too likely to be that ordinary word.
- An original that is also a value, a comma-separated item or a word of a
  public column of a kept row (a city, a postal code, a software, a status)
  is not personal by itself: a hotel named ``Paris`` does not make every hotel
  in Paris a leak, and the city column stays public.

Matching is vectorised over the distinct strings: words are looked up in the
originals' vocabulary, then word runs are extended one word at a time while
they remain a prefix of some original (rolling 64-bit hashes, every hit
verified word by word), so the work stays proportional to the words that
could start an original.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from mission_platform.anonymise.text import (
    HEX_ID_PATTERN,
    StringColumns,
    canonical,
    find_contacts,
    hex_runs,
    phone_variants,
    tokenise,
)
from mission_platform.columns import DATABASES, FREE_TEXT, PERSONAL, Shared

MIN_RUN_WORD_CHARS = 4

# From the column registry. Personal values: the personal columns, and the free-text columns
# anonymisation does not keep (their whole values are never shared, so none may show up).
PERSONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    source: db.names(lambda c: c.privacy is PERSONAL or (c.privacy is FREE_TEXT and c.shared is not Shared.KEEP))
    for source, db in DATABASES.items()
}
# Columns where people type whatever they like: contact details are searched there
# (and in every column of a set-aside row).
FREE_TEXT_COLUMNS: dict[str, tuple[str, ...]] = {
    source: db.names(lambda c: c.privacy is FREE_TEXT) for source, db in DATABASES.items()
}
# Columns whose values are public vocabulary (places, software, statuses).
PUBLIC_COLUMNS: dict[str, tuple[str, ...]] = {
    source: db.names(lambda c: c.vocabulary) for source, db in DATABASES.items()
}
# Where an original came from: a personal column, or a contact detail found in text.
ORIGINS: tuple[tuple[str, str], ...] = (
    *((source, column) for source, columns in PERSONAL_COLUMNS.items() for column in columns),
    ("text", "phone"),
    ("text", "email"),
)
_BIT = {origin: 1 << i for i, origin in enumerate(ORIGINS)}
_PAGE_ID_BITS = _BIT[("missions", "hotel_page_id")] | _BIT[("missions", "extra_page_id")]
_HASH_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)


def string_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if pd.api.types.is_string_dtype(frame[c].dtype) or frame[c].dtype == object]


def _columns(frame: pd.DataFrame, source: str, columns: tuple[str, ...]) -> list[str]:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"the raw {source} frame lacks the columns {missing}")
    return list(columns)


@dataclass(frozen=True)
class Matches:
    """Where originals occur: per hit, the string, the first word, the number of words, the original."""

    doc: np.ndarray
    start: np.ndarray
    length: np.ndarray
    original: np.ndarray

    @staticmethod
    def concat(parts: list[Matches]) -> Matches:
        return Matches(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("doc", "start", "length", "original")))


class PersonalIndex:
    """The originals of one raw export, ready to be searched for in any strings.

    Never prints the values it holds.
    """

    def __init__(self, words: pa.LargeStringArray, origins: np.ndarray) -> None:
        """``words``: the distinct normalised originals; ``origins``: per original, a bit per origin."""
        self.words = words
        self.origins = origins
        tokens, parents, offsets = tokenise(self.words)
        self.vocab = pc.unique(tokens)
        ids = np.asarray(pc.index_in(tokens, value_set=self.vocab), dtype=np.int64)
        lengths = np.diff(offsets)
        chars = np.asarray(pc.utf8_length(self.words), dtype=np.int64)
        anywhere = (lengths >= 2) | (chars >= MIN_RUN_WORD_CHARS)
        self._ids, self._offsets = ids, offsets
        # Page ids are also searched inside words: Notion glues them to the page's slug in URLs.
        hex_ids = np.flatnonzero(np.asarray(pc.match_substring_regex(words, f"^{HEX_ID_PATTERN}$"), dtype=bool))
        self._page_ids = {words[int(i)].as_py(): int(origins[i]) for i in hex_ids if origins[i] & _PAGE_ID_BITS}

        # One-word originals: direct look-up tables over the vocabulary.
        self._whole_of_id = np.full(len(self.vocab), -1, dtype=np.int64)
        self._single_of_id = np.full(len(self.vocab), -1, dtype=np.int64)
        single = np.flatnonzero(lengths == 1)
        whole = single[~anywhere[single]]
        self._whole_of_id[ids[offsets[whole]]] = whole
        run1 = single[anywhere[single]]
        self._single_of_id[ids[offsets[run1]]] = run1

        # Longer originals: rolling hashes of every prefix.
        multi = np.flatnonzero(lengths >= 2)
        self._starts_run = np.zeros(len(self.vocab), dtype=bool)
        self._starts_run[ids[offsets[multi]]] = True
        self.max_words = int(lengths[multi].max()) if multi.size else 1
        self._prefixes: dict[int, np.ndarray] = {}
        self._complete: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        h = np.zeros(multi.size, dtype=np.uint64)
        for n in range(1, self.max_words + 1):
            live = lengths[multi] >= n
            h[live] = h[live] * _HASH_MULTIPLIER + (ids[offsets[multi[live]] + n - 1] + 1).astype(np.uint64)
            if n >= 2:
                self._prefixes[n] = np.unique(h[lengths[multi] > n])
                done = lengths[multi] == n
                if done.any():
                    order = np.argsort(h[done], kind="stable")
                    hashes, owners = h[done][order], multi[done][order]
                    if (np.diff(hashes) == 0).any():
                        raise RuntimeError("two personal values share a 64-bit word hash; change _HASH_MULTIPLIER")
                    self._complete[n] = (hashes, owners)

    def __repr__(self) -> str:
        return f"PersonalIndex({len(self.words)} originals)"

    def __len__(self) -> int:
        return len(self.words)

    @classmethod
    def from_raw(cls, raw: Mapping[str, pd.DataFrame]) -> PersonalIndex:
        """The originals of raw frames (any of 'missions', 'hotels', 'extras'), see the module doc."""
        return cls.from_columns({source: StringColumns(frame) for source, frame in raw.items()})

    @classmethod
    def from_columns(cls, raw: Mapping[str, StringColumns]) -> PersonalIndex:
        """``from_raw`` on frames whose string columns are (or will be) converted once."""
        values: list[pa.Array] = []
        bits: list[int] = []
        public: list[pa.Array] = []

        def add(array: pa.Array, origin: tuple[str, str]) -> None:
            values.append(array.cast(pa.large_string()))
            bits.append(_BIT[origin])

        for source, columns in raw.items():
            frame = columns.frame
            personal = _columns(frame, source, PERSONAL_COLUMNS[source])
            set_aside = frame[_columns(frame, source, ("reject_reason",))[0]].notna().to_numpy()
            for column in personal:
                distinct = columns.distinct(column)
                if (source, column) == ("extras", "phone"):
                    distinct = pa.array([v for p in distinct.to_pylist() for v in phone_variants(p)], pa.large_string())
                add(distinct, (source, column))
            texts = [columns.distinct(c) for c in _columns(frame, source, FREE_TEXT_COLUMNS[source])]
            if set_aside.any():
                texts += [columns.distinct(c, set_aside) for c in string_columns(frame) if c not in personal]
            phones, emails = find_contacts(pa.chunked_array(texts, pa.large_string()).combine_chunks())
            add(pa.array([v for p in phones for v in phone_variants(p)], pa.large_string()), ("text", "phone"))
            add(pa.array(emails, pa.large_string()), ("text", "email"))
            for column in _columns(frame, source, PUBLIC_COLUMNS[source]):
                distinct = columns.distinct(column, ~set_aside)
                items = pc.list_flatten(pc.split_pattern(distinct, ","))
                words = pc.list_flatten(pc.ascii_split_whitespace(canonical(distinct)))
                public += [canonical(distinct), canonical(items), words]

        words = canonical(pa.chunked_array(values, pa.large_string()).combine_chunks())
        origin = np.repeat(np.array(bits, dtype=np.int64), [len(v) for v in values])
        public_values = pa.chunked_array(public, pa.large_string()).combine_chunks()
        keep = pc.and_(pc.not_equal(words, ""), pc.invert(pc.is_in(words, value_set=public_values)))
        words, origin = words.filter(keep), origin[np.asarray(keep, dtype=bool)]
        distinct = pc.unique(words)
        position = np.asarray(pc.index_in(words, value_set=distinct), dtype=np.int64)
        origins = np.zeros(len(distinct), dtype=np.int64)
        for bit in np.unique(origin):
            present = np.zeros(len(distinct), dtype=bool)
            present[position[origin == bit]] = True
            origins[present] |= bit
        return cls(distinct, origins)

    def has_origin(self, original: int, origin: tuple[str, str]) -> bool:
        return bool(self.origins[original] & _BIT[origin])

    def match(self, values: pa.Array) -> Matches:
        """Every occurrence of an original in the (non-null) strings ``values``."""
        tokens, parents, offsets = tokenise(values)
        if len(self.vocab) == 0 or len(tokens) == 0:
            empty = np.empty(0, np.int64)
            return Matches(empty, empty, empty, empty)
        ids = pc.index_in(tokens, value_set=self.vocab).fill_null(-1).to_numpy()
        found = [self._whole_matches(ids, offsets)]

        pos = np.flatnonzero(ids >= 0)
        single = self._single_of_id[ids[pos]]
        hit = single >= 0
        found.append(self._hits(pos[hit], 1, single[hit], parents, offsets))
        pos = pos[self._starts_run[ids[pos]]]
        h = (ids[pos] + 1).astype(np.uint64)
        for n in range(2, self.max_words + 1):
            nxt = pos + n - 1
            ok = nxt < ids.size
            pos, h, nxt = pos[ok], h[ok], nxt[ok]
            ok = (parents[nxt] == parents[pos]) & (ids[nxt] >= 0)
            pos, h, nxt = pos[ok], h[ok], nxt[ok]
            if pos.size == 0:
                break
            h = h * _HASH_MULTIPLIER + (ids[nxt] + 1).astype(np.uint64)
            if n in self._complete:
                hashes, owners = self._complete[n]
                at = np.minimum(np.searchsorted(hashes, h), hashes.size - 1)
                candidate = hashes[at] == h
                cpos, owner = pos[candidate], owners[at[candidate]]
                same = np.ones(cpos.size, dtype=bool)
                for k in range(n):
                    same &= ids[cpos + k] == self._ids[self._offsets[owner] + k]
                found.append(self._hits(cpos[same], n, owner[same], parents, offsets))
            prefixes = self._prefixes.get(n)
            if prefixes is None or prefixes.size == 0:
                break
            at = np.minimum(np.searchsorted(prefixes, h), prefixes.size - 1)
            keep = prefixes[at] == h
            pos, h = pos[keep], h[keep]
        return Matches.concat(found)

    def _whole_matches(self, ids: np.ndarray, offsets: np.ndarray) -> Matches:
        docs = np.flatnonzero(np.diff(offsets) == 1)
        word = ids[offsets[docs]]
        docs, word = docs[word >= 0], word[word >= 0]
        owner = self._whole_of_id[word]
        docs, owner = docs[owner >= 0], owner[owner >= 0]
        zeros = np.zeros(docs.size, np.int64)
        return Matches(docs, zeros, zeros + 1, owner)

    @staticmethod
    def _hits(pos: np.ndarray, n: int, owner: np.ndarray, parents: np.ndarray, offsets: np.ndarray) -> Matches:
        doc = parents[pos]
        return Matches(doc, pos - offsets[doc], np.full(pos.size, n, np.int64), owner.astype(np.int64))

    def is_page_id(self, text: str) -> bool:
        return text.lower() in self._page_ids

    def page_ids_inside(self, values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
        """The strings holding a page id anywhere, even glued to other characters: (strings, origin bits)."""
        if not self._page_ids:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        candidates = np.flatnonzero(np.asarray(pc.match_substring_regex(values, HEX_ID_PATTERN), dtype=bool))
        docs, bits = [], []
        for doc in candidates:
            found = [self._page_ids[h] for h in hex_runs(values[int(doc)].as_py()) if h in self._page_ids]
            if found:
                docs.append(doc)
                bits.append(np.bitwise_or.reduce(found))
        return np.array(docs, dtype=np.int64), np.array(bits, dtype=np.int64)

    def holds_any(self, values: pa.Array) -> np.ndarray:
        """Per string of ``values``: does it hold an original (a run of its words, or a page id inside)?"""
        out = np.zeros(len(values), dtype=bool)
        out[self.match(values).doc] = True
        out[self.page_ids_inside(values)[0]] = True
        return out
