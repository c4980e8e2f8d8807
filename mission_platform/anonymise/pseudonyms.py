"""Stable keyed pseudonyms: the same person or hotel gets the same fake in every run and export.

A value's pseudonym is drawn from its pool (``pools``) by HMAC-SHA256 of the
secret key and the value's normalised form (``text``), prefixed by its kind
(person, hotel or address) so that a hotel and a person sharing a name are
drawn independently: ``HMAC(key, kind \\x1f words \\x1f draw)``. The first
64-bit word of the digest picks the template, the second the combination.

A draw is refused when the fake holds an original of the export (equal to
it, or containing it as a run of whole words: ``originals``) or equals a
pseudonym already given; the value then draws again with the next counter.
Draws are resolved in rounds, in the order of the values' first digests, so a
pseudonym changes only when a newly arrived original conflicts with it.
Everything is computed once per distinct value, never per row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from mission_platform.anonymise.originals import PersonalIndex
from mission_platform.anonymise.pools import POOLS, render
from mission_platform.anonymise.text import canonical
from mission_platform.columns import DATABASES, PSEUDONYM_KINDS
from mission_platform.keyed import keyed_digests

# Which raw column each kind of pseudonym replaces (the column registry's ``shared``), in the order of
# PSEUDONYM_KINDS: a text naming both a person and a hotel is scrubbed as the person's first.
_LOCATIONS = {column.shared: (source, column.name)
              for source, db in DATABASES.items() for column in db.columns if column.shared in PSEUDONYM_KINDS}
KIND_COLUMNS: dict[str, tuple[str, str]] = {kind: _LOCATIONS[shared] for shared, kind in PSEUDONYM_KINDS.items()}
MAX_DRAWS = 1000  # a value that finds no free pseudonym in this many draws means the pools are too small


def _draw(key: bytes, kinds: np.ndarray, words: np.ndarray, draw: int) -> np.ndarray:
    return keyed_digests(key, [f"{k}\x1f{w}\x1f{draw}" for k, w in zip(kinds, words)])


@dataclass(frozen=True, repr=False)
class Pseudonyms:
    """Per kind, normalised original -> pseudonym. Never printed (it holds the originals)."""

    by_kind: Mapping[str, Mapping[str, str]]
    redrawn: int  # values whose first draw was refused

    def __repr__(self) -> str:
        counts = {kind: len(mapping) for kind, mapping in self.by_kind.items()}
        return f"Pseudonyms({counts}, redrawn={self.redrawn})"

    def apply(self, values: pa.Array, kind: str) -> pa.Array:
        """Distinct ``values`` replaced by their pseudonyms (blank values become null)."""
        words = pd.Series(canonical(values).to_numpy(zero_copy_only=False))
        return pa.array(words.map(self.by_kind[kind]).to_numpy(dtype=object), type=pa.large_string(), from_pandas=True)


def assign_pseudonyms(originals: Mapping[str, list[str]], *, key: bytes, index: PersonalIndex) -> Pseudonyms:
    """Pseudonyms for the distinct normalised values of each kind ('person', 'hotel', 'address')."""
    entries = pd.DataFrame(
        [(kind, w) for kind, words in originals.items() for w in dict.fromkeys(words) if w],
        columns=["kind", "words"],
    )
    kinds, words = entries["kind"].to_numpy(dtype=object), entries["words"].to_numpy(dtype=object)
    first = _draw(key, kinds, words, 0)
    order = np.lexsort(first.T[::-1])
    kinds, words, first = kinds[order], words[order], first[order]

    fakes = np.empty(len(words), dtype=object)
    draws = np.zeros(len(words), dtype=np.int64)
    given: set[str] = set()
    pending = np.arange(len(words))
    for draw in range(MAX_DRAWS):
        if pending.size == 0:
            break
        digests = first[pending] if draw == 0 else _draw(key, kinds[pending], words[pending], draw)
        candidates = np.empty(pending.size, dtype=object)
        for kind in POOLS:
            mine = kinds[pending] == kind
            if mine.any():
                candidates[mine] = render(POOLS[kind], digests[mine, 0], digests[mine, 1])
        arrow = pa.array(candidates, type=pa.large_string())
        normalised = pd.Series(canonical(arrow).to_numpy(zero_copy_only=False))
        taken = np.fromiter((n in given for n in normalised), dtype=bool, count=len(normalised))
        refused = index.holds_any(arrow) | normalised.duplicated().to_numpy() | taken
        accepted = ~refused
        fakes[pending[accepted]] = candidates[accepted]
        draws[pending[accepted]] = draw
        given.update(normalised[accepted])
        pending = pending[refused]
    if pending.size:
        raise RuntimeError(
            f"{pending.size} values found no free pseudonym in {MAX_DRAWS} draws: the pools in pools.py are too small"
        )
    by_kind: dict[str, dict[str, str]] = {kind: {} for kind in originals}
    for kind, w, fake in zip(kinds, words, fakes):
        by_kind[kind][w] = fake
    return Pseudonyms(by_kind=by_kind, redrawn=int(np.count_nonzero(draws)))

