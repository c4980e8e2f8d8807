"""Who was erased, what their values were, and how a frame or a text is rid of them (frames in, frames out).

An erased extra or hotel keeps a row (their missions stay, with every amount)
under an opaque id, ``EXT-ERASED-<token>``, and a label, ``Effacé <token>``,
where their name was; the token is random, so no key links either back to
the person. The suppression list (``SUPPRESSION_KEY`` in the lake) maps each
erased Notion ID to its token: ids only, never a value of the person.

A person's *values* are what an export holds of them: their ID, their name,
phone, e-mail (an extra) or name, address and notes (a hotel), the titles and
page ids of the relations pointing at them. A value another record of the same
column also holds (two hotels called "Hôtel du Parc") is not theirs alone and
is left where it is. Values are found in any text as written (case and
spacing aside; a phone in any of its usual spellings) and replaced: the ID by
the opaque id, the name by the label, the rest by nothing; a Notion link to
their page is removed whole.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from mission_platform.anonymise.originals import string_columns
from mission_platform.anonymise.text import decode, encode, find_contacts, to_strings
from mission_platform.columns import DATABASES, FREE_TEXT, PERSONAL, Shared

SUPPRESSION_KEY = "erasure/suppressed.json"

# Which database each kind of Notion ID belongs to, and the relation columns of a mission that point at it.
PREFIXES = {"EXT": "extras", "HOT": "hotels"}
ID_COLUMN = {"extras": "extra_id", "hotels": "hotel_id"}
RELATION = {"extras": "extra", "hotels": "hotel"}    # missions' <relation>_id, _title, _page_id
NOTION_ID = re.compile(r"^(EXT|HOT)-[0-9]+$")
# Personal columns emptied on an erased row (the name becomes the label): what anonymisation never shares.
EMPTIED = {
    source: tuple(c for c in DATABASES[source].names(
        lambda c: c.privacy is PERSONAL or (c.privacy is FREE_TEXT and c.shared is not Shared.KEEP)) if c != "name")
    for source in ID_COLUMN
}
_EDGE = r"[^\pL\pN]"   # a value is found between non-alphanumeric characters (or the ends of the text)


class ErasureError(ValueError):
    """An erasure request that cannot be carried out (ill-formed or unknown id): nothing was changed."""


@dataclass(frozen=True)
class Erased:
    notion_id: str          # 'EXT-87'
    token: str              # random, upper-case hex

    @property
    def source(self) -> str:
        return PREFIXES[self.notion_id.split("-", 1)[0]]

    @property
    def opaque_id(self) -> str:
        return f"{self.notion_id.split('-', 1)[0]}-ERASED-{self.token}"

    @property
    def label(self) -> str:
        return f"Effacé {self.token}"


def check_notion_id(value: str) -> str:
    """``value`` when it is an extra's or a hotel's Notion ID, else one clear error."""
    if not NOTION_ID.match(value):
        raise ErasureError(f"{value!r} is not an extra's or a hotel's Notion ID (expected EXT-<number> or HOT-<number>)")
    return value


class SuppressionList:
    """The erased Notion IDs and their tokens, as the lake keeps them (``SUPPRESSION_KEY``)."""

    def __init__(self, entries: Mapping[str, dict] | None = None) -> None:
        self.entries = dict(entries or {})   # notion id -> {"token": ..., "erased_at": ...}

    @classmethod
    def from_bytes(cls, data: bytes | None) -> SuppressionList:
        return cls(json.loads(data)["erased"] if data else {})

    def to_bytes(self) -> bytes:
        return json.dumps({"erased": self.entries}, indent=1, sort_keys=True).encode()

    def __contains__(self, notion_id: str) -> bool:
        return notion_id in self.entries

    def add(self, notion_ids: Iterable[str]) -> SuppressionList:
        """A list with ``notion_ids`` added (those already there keep their token)."""
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        entries = dict(self.entries)
        for notion_id in notion_ids:
            entries.setdefault(check_notion_id(notion_id), {"token": secrets.token_hex(5).upper(), "erased_at": now})
        return SuppressionList(entries)

    def erased(self) -> list[Erased]:
        return [Erased(i, entry["token"]) for i, entry in sorted(self.entries.items())]


# -- values and how they are found -----------------------------------------------------------------

@dataclass(frozen=True)
class Replacement:
    pattern: str                  # RE2, with groups 1 and 2 the characters around the value
    text: str
    literal: str | None = None    # held (in any case) by every match: strings without it are not searched


def _around(body: str, value: str) -> str:
    left = f"(^|{_EDGE})" if value[:1].isalnum() else "(^|)"
    right = f"({_EDGE}|$)" if value[-1:].isalnum() else "(|$)"
    return f"(?i){left}{body}{right}"


def text_replacement(value: str, text: str) -> Replacement:
    """``value`` written with any spacing between its words, a quote possibly doubled (CSV escaping)."""
    words = value.split()
    pattern = _around(r"\s+".join(re.escape(w).replace('"', '"{1,2}') for w in words), value)
    plain = [w for w in words if '"' not in w]
    return Replacement(pattern, text, max(plain, key=len) if plain else None)


def _phone_pattern(phone: str) -> str | None:
    digits = re.sub(r"\D", "", phone)
    for country in ("0033", "33"):
        if digits.startswith(country) and len(digits) >= len(country) + 9:
            digits = "0" + digits[len(country):].removeprefix("0")
            break
    if len(digits) != 10 or not digits.startswith("0"):
        return None
    national = r"[\s.\-]*".join(digits[1:])
    return rf"(?i)(^|\D)(?:\+\s*33\s*(?:\(0\)\s*)?|0033\s*|0){national}(\D|$)"


def notion_id_replacement(notion_id: str, text: str) -> Replacement:
    return Replacement(rf"(^|[^\pL\pN-]){re.escape(notion_id)}([^\pL\pN-]|$)", text, notion_id)


def _replacements(erased: Erased, values: Mapping[str, set[str]]) -> list[Replacement]:
    """The person's values, most specific first: links to their pages, page ids, ID, long texts, then names."""
    pages = sorted(values["page_id"])
    out = [Replacement(rf"(?i)()\s*\(https?://[^\s()]*{p}[^\s()]*\)()", "", p) for p in pages]
    out += [Replacement(rf"(?i)(){p}()", "", p) for p in pages]
    out.append(notion_id_replacement(erased.notion_id, erased.opaque_id))
    out += [text_replacement(v, "") for v in sorted(values["text"], key=len, reverse=True)]
    out += [Replacement(p, "") for p in filter(None, map(_phone_pattern, sorted(values["phone"])))]
    out += [text_replacement(v, erased.label) for v in sorted(values["name"], key=len, reverse=True)]
    return out


KINDS = ("page_id", "text", "phone", "name")


@dataclass(frozen=True)
class People:
    """Erased people and their values (kind -> values, see ``KINDS``)."""

    erased: tuple[Erased, ...]
    values: Mapping[str, Mapping[str, frozenset[str]]]     # notion id -> kind -> values

    def __bool__(self) -> bool:
        return bool(self.erased)

    def merge(self, other: People) -> People:
        """These people and ``other``'s, with the values both found (exports hold different spellings, numbers)."""
        erased = {e.notion_id: e for e in (*self.erased, *other.erased)}
        values = {i: {k: self.values.get(i, {}).get(k, frozenset()) | other.values.get(i, {}).get(k, frozenset())
                      for k in KINDS} for i in erased}
        return People(tuple(erased[i] for i in sorted(erased)), values)

    @property
    def replacements(self) -> list[Replacement]:
        return [r for e in self.erased for r in _replacements(e, self.values[e.notion_id])]


def holds_any(values: pa.Array, replacements: list[Replacement]) -> np.ndarray:
    """Per string, whether it holds one of the replacements' values."""
    found = np.zeros(len(values), dtype=bool)
    values = values.cast(pa.large_string())
    # One pattern at a time (their alternation, case-folded with Unicode classes, exceeds RE2's DFA budget
    # and runs hundreds of times slower), each only on the strings holding its literal.
    for r in replacements:
        rows = np.arange(len(values))
        if r.literal:
            rows = np.flatnonzero(_flags(pc.match_substring(values, r.literal, ignore_case=True)))
        if rows.size:
            found[rows] |= _flags(pc.match_substring_regex(values.take(pa.array(rows)), r.pattern))
    return found


def _flags(mask: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(mask, False), dtype=bool)


def replaced(values: pa.Array, replacements: list[Replacement]) -> tuple[pa.LargeStringArray, np.ndarray]:
    """``values`` with every replacement made, and which changed; only the strings holding a value are touched."""
    values = values.cast(pa.large_string())
    hit = holds_any(values, replacements)
    if not hit.any():
        return values, hit
    touched = values.filter(pa.array(hit))
    # Twice: a value whose edge character was taken by the match before it is found on the second pass.
    for _ in range(2):
        for r in replacements:
            touched = pc.replace_substring_regex(touched, r.pattern, r"\1" + r.text + r"\2")
    return pc.replace_with_mask(values, pa.array(hit), touched), hit


def _distinct(series: pd.Series) -> set[str]:
    return {v for v in series.dropna().astype(str).str.strip() if v}


def _own(column: pd.Series, mine: pd.Series) -> set[str]:
    """The values of ``column`` on the rows ``mine`` that no other row holds."""
    return _distinct(column[mine]) - _distinct(column[~mine])


def _ids(e: Erased) -> list[str]:
    return [e.notion_id, e.opaque_id]


def people_in(frames: Mapping[str, pd.DataFrame], suppression: SuppressionList) -> People:
    """The erased people that parsed ``frames`` (any of the three) hold, by original or opaque id, and their values."""
    present, values = [], {}
    missions = frames.get("missions")
    # One look-up per id column for the whole list (which only grows), then only the people the frames hold.
    held: set[str] = set()
    for source, column in ID_COLUMN.items():
        ids = {i for e in suppression.erased() if e.source == source for i in _ids(e)}
        for frame, where in ((frames.get(source), column), (missions, f"{RELATION[source]}_id")):
            if frame is not None and ids:
                held |= set(frame[where][frame[where].isin(ids)].unique())
    for e in (e for e in suppression.erased() if held & set(_ids(e))):
        frame, relation = frames.get(e.source), RELATION[e.source]
        mine = frame[ID_COLUMN[e.source]].isin(_ids(e)) if frame is not None else None
        pointing = missions[f"{relation}_id"].isin(_ids(e)) if missions is not None else None
        if not (mine is not None and mine.any()) and not (pointing is not None and pointing.any()):
            continue
        found: dict[str, set[str]] = {kind: set() for kind in KINDS}
        if mine is not None and mine.any():
            found["name"] |= _own(frame["name"], mine)
            for column in EMPTIED[e.source]:
                found["phone" if column == "phone" else "text"] |= _own(frame[column], mine)
            # Contact details inside their notes are theirs too, wherever else they are written.
            phones, emails = find_contacts(pa.array(sorted(found["text"]), pa.large_string()))
            found["phone"] |= set(phones)
            found["text"] |= set(emails)
        if pointing is not None and pointing.any():
            found["name"] |= _own(missions[f"{relation}_title"], pointing)
            found["page_id"] |= {p.lower() for p in _own(missions[f"{relation}_page_id"], pointing)}
        found["name"].discard(e.label)
        present.append(e)
        values[e.notion_id] = {kind: frozenset(v) for kind, v in found.items()}
    return People(tuple(present), values)


def scrub_frames(frames: Mapping[str, pd.DataFrame], replacements: list[Replacement]) -> dict[str, pd.DataFrame]:
    """``frames`` with the replacements made in every string column (new frames; unchanged columns shared).

    The distinct values of every column are searched together, once: a
    regular expression costs more to compile than to run on a column.
    """
    columns = [(source, c) for source, frame in frames.items() for c in string_columns(frame)]
    encoded = [encode(to_strings(frames[source][c])) for source, c in columns]
    everything = pa.concat_arrays([values for values, _ in encoded]) if encoded else pa.array([], pa.large_string())
    scrubbed, hit = replaced(everything, replacements)
    out = {source: frame.copy(deep=False) for source, frame in frames.items()}
    start = 0
    for (source, column), (values, codes) in zip(columns, encoded):
        end = start + len(values)
        if hit[start:end].any():
            series = frames[source][column]
            rows = decode(scrubbed.slice(start, end - start), codes).to_numpy(zero_copy_only=False)
            out[source][column] = pd.Series(rows, index=series.index, dtype=series.dtype).where(series.notna())
        start = end
    return out


def suppress(frames: Mapping[str, pd.DataFrame], suppression: SuppressionList, *,
             also: People | None = None) -> tuple[dict[str, pd.DataFrame], People]:
    """Parsed ``frames`` with every erased person replaced (see the module doc), and the people found.

    Their rows stay, under the opaque id and the label, personal columns empty;
    the missions pointing at them keep everything but the relation's title and
    page id. Their values (those the frames hold, and ``also``'s: what other
    exports held of them) are replaced in every string column of every frame.
    """
    people = people_in(frames, suppression)
    if also is not None:
        people = people.merge(also)
    if not people:
        return dict(frames), people
    out = scrub_frames(frames, people.replacements)
    # Whole columns are replaced, never cells: the frames share their other columns with ``frames``.
    for e in people.erased:
        frame = out.get(e.source)
        if frame is not None:
            mine = frame[ID_COLUMN[e.source]].isin(_ids(e))
            frame[ID_COLUMN[e.source]] = frame[ID_COLUMN[e.source]].mask(mine, e.opaque_id)
            frame["name"] = frame["name"].mask(mine, e.label)
            for column in EMPTIED[e.source]:
                frame[column] = frame[column].mask(mine)
        missions, relation = out.get("missions"), RELATION[e.source]
        if missions is not None:
            pointing = missions[f"{relation}_id"].isin(_ids(e))
            missions[f"{relation}_id"] = missions[f"{relation}_id"].mask(pointing, e.opaque_id)
            missions[f"{relation}_title"] = missions[f"{relation}_title"].mask(pointing, e.label)
            missions[f"{relation}_page_id"] = missions[f"{relation}_page_id"].mask(pointing)
    return out, people
