"""Real-world mess on a small share of rows, drawn deterministically.

Each messy row gets exactly one kind. Harmless kinds must still parse to the
same mission; bad kinds must be set aside by the reader:

- ``missing_hotel``: the mission's ``hôtel`` cell is empty.
- ``unknown_hotel``: it points to a (deleted) hotel whose title is in no row of the hotel file.
- ``duplicate``: an exact copy of a clean row, placed after it; the copy is the bad row, the original is kept.
- ``conflicting_duplicate``: a copy with the same ID but a different ``Texte``, placed after it;
  both the original and the copy are bad (rows sharing an ID with different content are all set aside).
- ``unparseable_date``: the date cell holds words, no date (``à confirmer``).

Duplicated hotels or extras are exact copies only, so no relation to them becomes ambiguous.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mission_platform.sample_data.missions import OVERTIME_TEXTS, WORDS_WITHOUT_DURATION, DateStyle

HARMLESS = ("stray_spaces", "no_timezone", "english_date", "decimal_comma", "text_without_duration")
BAD = ("missing_hotel", "unknown_hotel", "duplicate", "conflicting_duplicate", "unparseable_date")
KINDS = {
    "missions": HARMLESS + BAD,
    "hotels": ("stray_spaces", "decimal_comma", "duplicate"),
    "extras": ("stray_spaces", "duplicate"),
}
ID_PREFIX = {"missions": "MIS-", "hotels": "HOT-", "extras": "EXT-"}
COPIED = ("duplicate", "conflicting_duplicate")
MARK_COLUMNS = ["source", "row_number", "id", "kind"]


@dataclass(frozen=True)
class Messed:
    frame: pd.DataFrame  # the file's records in file order, copies included
    marks: pd.DataFrame  # one row per messy record: source, row_number (1-based), id, kind


def _set(frame: pd.DataFrame, column: str, rows: np.ndarray, values) -> None:
    data = frame[column].to_numpy().copy()
    data[rows] = values
    frame[column] = data


def add_mess(rng: np.random.Generator, frame: pd.DataFrame, source: str, share: float,
             deleted_hotels: range = range(0)) -> Messed:
    """Mess up ``round(share * len(frame))`` distinct records of ``source``'s ``frame`` (codes, file order).

    ``deleted_hotels`` are the hotel codes of the pages absent from the hotel file.
    """
    n = len(frame)
    kinds = KINDS[source]
    count = int(round(share * n))
    rows = rng.choice(n, size=count, replace=False)
    kind_of = np.asarray(kinds, dtype=object)[rng.integers(0, len(kinds), size=count)]
    frame = frame.copy()
    marked = np.full(n, -1, dtype=np.int64)  # index into kinds, for original records

    def picked(kind: str) -> np.ndarray:
        return rows[kind_of == kind]

    for kind in kinds:
        at = picked(kind)
        k = len(at)
        if kind == "stray_spaces":
            _set(frame, "pad", at, rng.integers(1, 4, size=k))
        elif kind == "decimal_comma":
            _set(frame, "rate_style", at, 1)
        elif kind == "no_timezone":
            _set(frame, "date_style", at, rng.choice([DateStyle.NO_TAG, DateStyle.NO_TAG_FULL_END], size=k))
        elif kind == "english_date":
            _set(frame, "date_style", at, DateStyle.ENGLISH)
        elif kind == "text_without_duration":
            _set(frame, "overtime", at, len(OVERTIME_TEXTS) + rng.integers(0, len(WORDS_WITHOUT_DURATION), size=k))
        elif kind == "missing_hotel":
            _set(frame, "hotel", at, -1)
        elif kind == "unknown_hotel":
            deleted = rng.choice(np.asarray(deleted_hotels), size=k)
            _set(frame, "hotel", at, deleted)
            _set(frame, "title_hotel", at, deleted)
        elif kind == "unparseable_date":
            unparseable = [DateStyle.UNPARSEABLE_1, DateStyle.UNPARSEABLE_2, DateStyle.UNPARSEABLE_3]
            _set(frame, "date_style", at, rng.choice(unparseable, size=k))
        if kind != "duplicate":  # an exact duplicate's original is a clean, kept row
            marked[at] = kinds.index(kind)

    copied = [kind for kind in COPIED if kind in kinds]
    copy_rows = np.concatenate([picked(kind) for kind in copied] + [np.empty(0, dtype=np.int64)])
    copy_kind = np.concatenate([np.full(len(picked(kind)), kinds.index(kind)) for kind in copied]
                               + [np.empty(0, dtype=np.int64)])
    copies = frame.iloc[copy_rows].copy()
    if "conflicting_duplicate" in kinds:
        conflicting = np.flatnonzero(copy_kind == kinds.index("conflicting_duplicate"))
        changed = copies["overtime"].to_numpy()[conflicting]
        _set(copies, "overtime", conflicting, np.where(changed == -1, OVERTIME_TEXTS.index("1h supp"), -1))

    # A copy lands anywhere after its original, as a re-import or a second paste would put it.
    position = np.concatenate([
        np.arange(n, dtype=float),
        copy_rows + 0.5 + rng.random(len(copy_rows)) * (n - 1 - copy_rows),
    ])
    order = np.argsort(position, kind="stable")
    frame = pd.concat([frame, copies], ignore_index=True).iloc[order].reset_index(drop=True)
    marked = np.concatenate([marked, copy_kind])[order]

    at = np.flatnonzero(marked >= 0)
    marks = pd.DataFrame({
        "source": source,
        "row_number": at + 1,
        "id": ID_PREFIX[source] + frame["number"].to_numpy()[at].astype(str).astype(object),
        "kind": np.asarray(kinds, dtype=object)[marked[at]],
    }, columns=MARK_COLUMNS)
    return Messed(frame, marks)
