"""One Notion export (the objects of ``raw/notion/<export_id>/``) -> three typed frames."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import pandas as pd

from mission_platform.columns import DATABASES, reason_kind
from mission_platform.notion.files import database_files, read_table
from mission_platform.notion.frames import (
    YEARS_AFTER_EXPORT,
    YEARS_BEFORE_EXPORT,
    parse_extras,
    parse_hotels,
    parse_missions,
)


@dataclass(frozen=True)
class SourceStats:
    """What happened to one database file, for the asset's metadata."""

    file: str
    rows_read: int
    rows_kept: int
    set_aside: dict[str, int]              # reason kind -> rows
    overtime_unparsed: int | None = None   # missions only: overtime texts without a duration
    nul_removed: int = 0                   # NUL characters removed at the door

    @property
    def rows_set_aside(self) -> int:
        return self.rows_read - self.rows_kept


@dataclass(frozen=True)
class ParsedExport:
    export_id: str
    missions: pd.DataFrame
    hotels: pd.DataFrame
    extras: pd.DataFrame
    files: dict[str, str]                  # source -> file read ('<zip>/<member>' inside a zip)
    stats: dict[str, SourceStats] = field(default_factory=dict)


def _stats(frame: pd.DataFrame, file: str, nul_removed: int) -> SourceStats:
    reasons = frame["reject_reason"].dropna()
    return SourceStats(
        file=file,
        nul_removed=nul_removed,
        rows_read=len(frame),
        rows_kept=len(frame) - len(reasons),
        set_aside={str(k): int(v) for k, v in reason_kind(reasons).value_counts().sort_index().items()},
        overtime_unparsed=int(frame["overtime_unparsed"].sum()) if "overtime_unparsed" in frame else None,
    )


def read_export(files: Mapping[str, bytes], export_id: str, *, years_back: int = YEARS_BEFORE_EXPORT,
                years_ahead: int = YEARS_AFTER_EXPORT) -> ParsedExport:
    """Parse an export folder's objects (names relative to the folder -> bytes).

    The folder holds the three CSVs or Notion's zip (see
    :func:`files.find_database_files`). Raises :class:`ExportError` for what
    makes the export unreadable (a database missing, an empty file, a missing
    column, undecodable bytes, a broken zip); bad rows are set aside instead.
    """
    chosen = database_files(files, export_id)
    # The bytes are dropped as soon as each file is read, not held through the parse (372 MB at 1M missions):
    # when the caller passes the mapping without keeping it, the references here are the last ones.
    del files
    names = {source: found.name for source, found in chosen.items()}
    tables = {}
    for source in names:
        found = chosen.pop(source)
        tables[source] = read_table(found.data, DATABASES[source].properties, export_id=export_id, file=found.name)
        del found
    hotels = parse_hotels(tables["hotels"], export_id=export_id, file=names["hotels"])
    extras = parse_extras(tables["extras"], export_id=export_id, file=names["extras"])
    missions = parse_missions(tables["missions"], hotels, extras, export_id=export_id, file=names["missions"],
                              years_before=years_back, years_after=years_ahead)
    frames = {"missions": missions, "hotels": hotels, "extras": extras}
    return ParsedExport(
        export_id=export_id,
        **frames,
        files=names,
        stats={source: _stats(frame, names[source], tables[source].nul_removed) for source, frame in frames.items()},
    )
