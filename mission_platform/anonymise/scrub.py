"""Scrubbing the text that stays: personal values inside cells replaced, contact details masked.

Every string column that anonymisation keeps goes through here (identifiers
and categories included: a set-aside row may hold anything anywhere), one
distinct value at a time:

1. In free-text columns, and in every column of a set-aside row, links,
   e-mail addresses and phone numbers are replaced by ``[lien]``,
   ``[email]`` / ``[téléphone]`` by pattern, whether or not they belong to
   someone in the export.
2. Each original held as a run of whole words (``originals``) is replaced by
   its pseudonym (a person's or hotel's name, a hotel's address) or by a
   placeholder (phones, e-mails, anything else personal); a page id glued
   inside a word is replaced by ``[masqué]``.
3. A value that still holds an original after that (a replacement can form a
   new run with its neighbours) is replaced whole by ``[masqué]``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mission_platform.anonymise.originals import Matches, PersonalIndex
from mission_platform.anonymise.pseudonyms import KIND_COLUMNS, Pseudonyms
from mission_platform.anonymise.text import (
    EMAIL_PLACEHOLDER,
    PHONE_PLACEHOLDER,
    hex_runs,
    mapped_chars,
    replace_contacts,
)

PLACEHOLDER = "[masqué]"


def replacement_for(index: PersonalIndex, pseudonyms: Pseudonyms) -> Callable[[int], str]:
    """What replaces original number ``i`` of ``index`` inside a text."""

    def replacement(original: int) -> str:
        words = index.words[original].as_py()
        for kind, origin in KIND_COLUMNS.items():
            if index.has_origin(original, origin):
                return pseudonyms.by_kind[kind][words]
        if index.has_origin(original, ("extras", "phone")) or index.has_origin(original, ("text", "phone")):
            return PHONE_PLACEHOLDER
        if index.has_origin(original, ("extras", "email")) or index.has_origin(original, ("text", "email")):
            return EMAIL_PLACEHOLDER
        return PLACEHOLDER

    return replacement


def _word_spans(text: str) -> list[tuple[int, int]]:
    """Per normalised word of ``text``, the span of original characters it comes from."""
    spans: list[tuple[int, int]] = []
    start = end = None
    for i, mapped in enumerate(mapped_chars(text)):
        if not mapped and start is not None:  # an accent after a letter belongs to its word
            end = i + 1
        for char in mapped:
            if char == " ":
                if start is not None:
                    spans.append((start, end))
                start = None
            else:
                start = i if start is None else start
                end = i + 1
    if start is not None:
        spans.append((start, end))
    return spans


def _replace_runs(text: str, hits: Matches, replacement: Callable[[int], str]) -> str:
    """``text`` with each matched run of words replaced (leftmost, then longest, first)."""
    spans = _word_spans(text)
    chosen: list[tuple[int, int, int]] = []
    next_free = 0
    for start, length, original in sorted(zip(hits.start, hits.length, hits.original), key=lambda h: (h[0], -h[1])):
        if start >= next_free:
            chosen.append((spans[start][0], spans[start + length - 1][1], original))
            next_free = start + length
    for begin, end, original in reversed(chosen):
        text = text[:begin] + replacement(original) + text[end:]
    return text


def _mask_page_ids(text: str, index: PersonalIndex) -> str:
    """Page ids glued inside words (``Hotel-X-<id>``) replaced by the placeholder."""
    for page_id in hex_runs(text):
        if index.is_page_id(page_id):
            text = re.sub(page_id, PLACEHOLDER, text, flags=re.IGNORECASE)
    return text


def scrub_values(
    values: pa.Array, contacts: np.ndarray, *, index: PersonalIndex, replacement: Callable[[int], str]
) -> pa.Array:
    """Scrub distinct non-null strings; ``contacts`` says which get the phone/e-mail patterns."""
    values = values.cast(pa.large_string())
    if contacts.any():
        values = pc.replace_with_mask(values, pa.array(contacts), replace_contacts(values.filter(pa.array(contacts))))
    matches = index.match(values)
    glued = index.page_ids_inside(values)[0]
    docs = np.union1d(matches.doc, glued)
    if docs.size:
        order = np.argsort(matches.doc, kind="stable")
        sorted_docs = matches.doc[order]
        bounds = np.searchsorted(sorted_docs, docs), np.searchsorted(sorted_docs, docs, side="right")
        texts = []
        for doc, lo, hi in zip(docs, *bounds):
            part = order[lo:hi]
            hits = Matches(matches.doc[part], matches.start[part], matches.length[part], matches.original[part])
            texts.append(_mask_page_ids(_replace_runs(values[int(doc)].as_py(), hits, replacement), index))
        replaced = pa.array(texts, type=pa.large_string())
        still = index.holds_any(replaced)
        replaced = pc.if_else(pa.array(still), pa.scalar(PLACEHOLDER, pa.large_string()), replaced)
        mask = np.zeros(len(values), dtype=bool)
        mask[docs] = True
        values = pc.replace_with_mask(values, pa.array(mask), replaced)
    return values


def scrub_column(
    values: pa.Array,
    codes: np.ndarray,
    *,
    free_text: bool,
    set_aside: np.ndarray,
    index: PersonalIndex,
    replacement: Callable[[int], str],
) -> tuple[pa.Array, np.ndarray]:
    """Scrub one column given as (distinct values, per-row codes), see the module doc.

    Returns the scrubbed distinct values and, per row, whether its cell changed.
    """
    contacts = np.full(len(values), free_text, dtype=bool)
    contacts[codes[set_aside & (codes >= 0)]] = True
    scrubbed = scrub_values(values, contacts, index=index, replacement=replacement)
    changed = np.append(np.asarray(pc.not_equal(values, scrubbed), dtype=bool), False)  # code -1 (null): never
    return scrubbed, changed[codes]
