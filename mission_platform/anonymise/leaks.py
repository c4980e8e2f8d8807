"""The leak check: does any personal value of the raw export show through the anonymised data?

Every string cell of the anonymised frames (set-aside rows included), every
column name, and the metadata of written Parquet files are searched for every
original of the raw frames (``originals``: personal columns, page ids, phone
numbers and e-mail addresses), as the whole cell or as a run of whole words,
after normalisation; page ids also inside words. Numbers, dates and booleans
cannot hold a name and are not searched. The report gives counts per column
and per origin, never the values themselves (nor the name of a column named
after one).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mission_platform.anonymise.originals import ORIGINS, PersonalIndex, string_columns
from mission_platform.anonymise.text import encode, to_strings

METADATA_COLUMN = "(parquet metadata)"
NAMES_COLUMN = "(column names)"
RENAMED_COLUMN = "(a column named after personal data)"


@dataclass(frozen=True)
class LeakReport:
    """How many cells hold a personal value, where, and of which kind. Never the values."""

    total: int                                  # cells holding at least one personal value
    by_column: dict[tuple[str, str], int]       # (source, column) of the anonymised data -> cells
    by_origin: dict[tuple[str, str], int]       # (source, column) the leaked values come from -> cells
    cells_checked: int
    personal_values: int                        # distinct originals searched for

    @property
    def ok(self) -> bool:
        return self.total == 0

    def __str__(self) -> str:
        if self.ok:
            return f"no personal value in {self.cells_checked} cells ({self.personal_values} values searched)"
        where = ", ".join(f"{s}.{c}: {n}" for (s, c), n in sorted(self.by_column.items()))
        origin = ", ".join(f"{s}.{c}: {n}" for (s, c), n in sorted(self.by_origin.items()))
        return f"{self.total} cells hold personal values ({where}); they come from {origin}"


class LeakChecker:
    """The originals of one raw export, to check several anonymised outputs against."""

    def __init__(self, index: PersonalIndex) -> None:
        self.index = index

    @classmethod
    def from_raw(cls, raw: Mapping[str, pd.DataFrame]) -> LeakChecker:
        return cls(PersonalIndex.from_raw(raw))

    def __repr__(self) -> str:
        return f"LeakChecker({len(self.index)} personal values)"

    def check_frames(self, anonymised: Mapping[str, pd.DataFrame]) -> LeakReport:
        """The frames' string cells, and their column names."""

        def columns():
            for source, frame in anonymised.items():
                for column in string_columns(frame):
                    yield source, column, *encode(to_strings(frame[column]))
                yield source, NAMES_COLUMN, *encode(pa.array([str(c) for c in frame.columns], pa.large_string()))

        return self._report(columns())

    def check_parquet(self, parquet_by_source: Mapping[str, bytes]) -> LeakReport:
        """The written files: every string column, and the names and metadata the files carry."""

        def columns():
            for source, data in parquet_by_source.items():
                table = pq.read_table(io.BytesIO(data))
                for name in table.column_names:
                    column = table[name]
                    if pa.types.is_dictionary(column.type):
                        column = column.cast(column.type.value_type)
                    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
                        yield source, name, *encode(column.combine_chunks())
                metadata = table.schema.metadata or {}
                texts = [*table.column_names, *(v.decode("utf-8", "replace") for v in metadata.values())]
                yield source, METADATA_COLUMN, *encode(pa.array(texts, pa.large_string()))

        return self._report(columns())

    def _report(self, columns: Iterable[tuple[str, str, pa.Array, np.ndarray]]) -> LeakReport:
        """``columns``: (source, column, distinct values, per-row codes) to search."""
        by_column: dict[tuple[str, str], int] = {}
        by_origin: dict[tuple[str, str], int] = {}
        checked = 0
        for source, column, values, codes in columns:
            cells = np.bincount(codes[codes >= 0], minlength=len(values))
            checked += int(cells.sum())
            matches = self.index.match(values)
            glued, glued_origins = self.index.page_ids_inside(values)
            if matches.doc.size == 0 and glued.size == 0:
                continue
            origins = np.zeros(len(values), dtype=np.int64)
            np.bitwise_or.at(origins, matches.doc, self.index.origins[matches.original])
            np.bitwise_or.at(origins, glued, glued_origins)
            leaked = origins != 0
            label = RENAMED_COLUMN if self.index.holds_any(pa.array([column], pa.large_string()))[0] else column
            by_column[(source, label)] = by_column.get((source, label), 0) + int(cells[leaked].sum())
            for bit, origin in enumerate(ORIGINS):
                n = int(cells[(origins >> bit) & 1 == 1].sum())
                if n:
                    by_origin[origin] = by_origin.get(origin, 0) + n
        return LeakReport(
            total=sum(by_column.values()),
            by_column=by_column,
            by_origin=by_origin,
            cells_checked=checked,
            personal_values=len(self.index),
        )


def find_leaks(raw: Mapping[str, pd.DataFrame], anonymised: Mapping[str, pd.DataFrame]) -> LeakReport:
    """Personal values of ``raw`` found in ``anonymised`` (both map 'missions'/'hotels'/'extras' to frames)."""
    return LeakChecker.from_raw(raw).check_frames(anonymised)


def find_leaks_in_parquet(raw: Mapping[str, pd.DataFrame], parquet_by_source: Mapping[str, bytes]) -> LeakReport:
    """Personal values of ``raw`` found in written Parquet files (source -> file content)."""
    return LeakChecker.from_raw(raw).check_parquet(parquet_by_source)
