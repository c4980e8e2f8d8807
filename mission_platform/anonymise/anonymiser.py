"""One export's raw frames -> the shareable anonymised frames.

- Extras' names, hotels' names and street addresses become stable keyed
  pseudonyms (``pseudonyms``); the Notion unique IDs (``hotel_id``,
  ``extra_id``, ``mission_id``) stay, so every relation still joins.
- Removed: extras' phone and e-mail, hotels' notes (set to null), missions'
  title, relation titles and page ids, and any column the raw stage kept
  beyond the schema (nobody vouched for its content).
- Every other string column is scrubbed (``scrub``); set-aside rows are
  anonymised exactly like the others and stay in the frames.
- With the public-demo profile on, a stable sample of hotels and extras and
  the missions between them, hotel rates scaled (``demo``). Off, no row is
  dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from mission_platform.anonymise.demo import apply_demo_profile
from mission_platform.anonymise.originals import FREE_TEXT_COLUMNS, PersonalIndex
from mission_platform.anonymise.pseudonyms import KIND_COLUMNS, assign_pseudonyms
from mission_platform.anonymise.scrub import replacement_for, scrub_column
from mission_platform.anonymise.text import StringColumns, canonical, decode
from mission_platform.columns import ANONYMISED, DATABASES, PARSED, SOURCES, TEXT, Shared, conform, text_series
from mission_platform.settings import DemoProfile


@dataclass(frozen=True)
class AnonymisationStats:
    """Counts only (safe for logs and Dagster metadata)."""

    rows_read: dict[str, int]
    rows_written: dict[str, int]
    sampled_out: dict[str, int]                  # rows left out by the public-demo profile (0 when off)
    pseudonyms: dict[str, int]                   # distinct originals per kind: person, hotel, address
    redrawn_pseudonyms: int                      # pseudonyms whose first draw conflicted
    scrubbed_cells: dict[tuple[str, str], int]   # (source, column) -> cells changed by scrubbing
    unknown_columns_dropped: dict[str, int]
    personal_values: int                         # distinct originals searched for


@dataclass(frozen=True)
class AnonymisedExport:
    missions: pd.DataFrame
    hotels: pd.DataFrame
    extras: pd.DataFrame
    stats: AnonymisationStats = field(repr=False)
    # The personal values searched for in the raw frames: what a leak check searches the output for.
    index: PersonalIndex = field(repr=False)

    def frames(self) -> dict[str, pd.DataFrame]:
        return {"missions": self.missions, "hotels": self.hotels, "extras": self.extras}


KIND_OF = {where: kind for kind, where in KIND_COLUMNS.items()}


def _raw(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """The raw frame with the schema's dtypes (unknown columns kept for now); copies only what it casts."""
    schema = PARSED[source]
    missing = [c for c in schema if c not in frame.columns]
    if missing:
        raise KeyError(f"the raw {source} frame lacks the columns {missing}")
    wrong = {c: t for c, t in schema.items() if frame[c].dtype != t}
    return frame.astype(wrong) if wrong else frame


def anonymise_export(
    missions: pd.DataFrame,
    hotels: pd.DataFrame,
    extras: pd.DataFrame,
    *,
    key: bytes,
    profile: DemoProfile,
) -> AnonymisedExport:
    """Anonymise one export's parsed frames (``columns.PARSED``) into the shareable ones (``columns.ANONYMISED``)."""
    if not key:
        raise ValueError("the anonymisation key is empty")
    raw = {"missions": _raw(missions, "missions"), "hotels": _raw(hotels, "hotels"), "extras": _raw(extras, "extras")}
    columns = {source: StringColumns(frame) for source, frame in raw.items()}
    index = PersonalIndex.from_columns(columns)
    pseudonyms = assign_pseudonyms(
        {kind: canonical(columns[source].distinct(column)).to_pylist() for kind, (source, column) in KIND_COLUMNS.items()},
        key=key,
        index=index,
    )
    sampled_out = {source: 0 for source in SOURCES}
    if profile.enabled:
        frames, sampled_out = apply_demo_profile(raw, key=key, profile=profile)
        columns = {source: StringColumns(frame) for source, frame in frames.items()}

    replacement = replacement_for(index, pseudonyms)
    scrubbed: dict[tuple[str, str], int] = {}
    out = {}
    for source in SOURCES:
        frame = columns[source].frame
        set_aside = frame["reject_reason"].notna().to_numpy()
        new: dict[str, pd.Series] = {}
        for column, dtype in ANONYMISED[source].items():
            if dtype != TEXT:
                continue
            values, codes = columns[source].encoded(column)
            if (source, column) in KIND_OF:
                new[column] = text_series(decode(pseudonyms.apply(values, KIND_OF[(source, column)]), codes), frame.index)
            elif DATABASES[source][column].shared is Shared.NULL:
                new[column] = pd.Series(pd.NA, index=frame.index, dtype=TEXT)
            else:
                scrubbed_values, changed = scrub_column(
                    values, codes,
                    free_text=column in FREE_TEXT_COLUMNS[source],
                    set_aside=set_aside,
                    index=index,
                    replacement=replacement,
                )
                scrubbed[(source, column)] = int(changed.sum())
                if changed.any():  # patch the few changed cells; the column is otherwise shared, not rebuilt
                    patched = frame[column].copy()
                    patched[changed] = text_series(decode(scrubbed_values, codes[changed]), patched.index[changed])
                    new[column] = patched
        assembled = pd.DataFrame({c: new[c] if c in new else frame[c] for c in ANONYMISED[source]}, copy=False)
        out[source] = conform(assembled, ANONYMISED[source])
        out[source].index = pd.RangeIndex(len(frame))

    stats = AnonymisationStats(
        rows_read={s: len(raw[s]) for s in SOURCES},
        rows_written={s: len(out[s]) for s in SOURCES},
        sampled_out=sampled_out,
        pseudonyms={kind: len(mapping) for kind, mapping in pseudonyms.by_kind.items()},
        redrawn_pseudonyms=pseudonyms.redrawn,
        scrubbed_cells={k: n for k, n in scrubbed.items() if n},
        unknown_columns_dropped={s: len(raw[s].columns) - len(PARSED[s]) for s in SOURCES},
        personal_values=len(index),
    )
    return AnonymisedExport(missions=out["missions"], hotels=out["hotels"], extras=out["extras"], stats=stats,
                            index=index)
