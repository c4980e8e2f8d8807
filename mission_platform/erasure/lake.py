"""Erasing people from the lake: the suppression list first, then every export rewritten without them.

Order, so that an erasure stopped anywhere completes when run again:

1. every export is searched for the people (the raw files parsed, else the
   parsed frames; the anonymised ones by id), and an id found nowhere and not
   already erased is refused before anything is written;
2. the suppression list gets the ids (``SUPPRESSION_KEY``), and the exports
   whose anonymised frames will change are noted as pending for the warehouse
   (``PENDING_KEY``: the next publish replaces their rejected rows too);
3. per export, the raw files (CSVs, and each member of Notion's zip), the parsed
   frames and the anonymised frames are rewritten without the people's values,
   each checked to hold none of them before it is written;
4. on a versioned S3 bucket, every earlier version under ``raw/``, ``parsed/``
   and ``anonymised/`` is deleted (an overwritten or deleted object lives on
   as one);
5. a line goes to the erasure log (``LOG_KEY``): ids, when, which objects were
   rewritten; never a value of a person.

Every step is idempotent: a rewritten file holds nothing to replace any more.
The warehouse side is one publish (``core_tables``), which reads the rewritten
exports and applies the suppression list at ingestion.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa

from mission_platform.anonymise.originals import PersonalIndex
from mission_platform.anonymise.pseudonyms import KIND_COLUMNS, assign_pseudonyms
from mission_platform.anonymise.text import canonical
from mission_platform.erasure.suppression import (
    ID_COLUMN,
    RELATION,
    SUPPRESSION_KEY,
    Erased,
    ErasureError,
    People,
    Replacement,
    SuppressionList,
    check_notion_id,
    holds_any,
    people_in,
    replaced,
    scrub_frames,
    suppress,
    notion_id_replacement,
    text_replacement,
)
from mission_platform.columns import SOURCES
from mission_platform.lake_io import read_frames
from mission_platform.lake_layout import ANONYMISED, PARSED, RAW_PREFIX, export_prefix, frame_key, group_by_export
from mission_platform.notion import ExportError, read_export
from mission_platform.notion.files import MAX_EXPORT_BYTES, member_name, text_encoding
from mission_platform.resources import parquet_bytes

LOG_KEY = "audit/erasure.jsonl"
PENDING_KEY = "erasure/pending.json"
TEXT_SUFFIXES = (".csv", ".md", ".txt", ".html")
# The kind of pseudonym a name gets, per database (the anonymiser's own mapping).
PSEUDONYM_KIND = {source: kind for kind, (source, column) in KIND_COLUMNS.items() if column == "name"}


def load_suppression(lake) -> SuppressionList:
    return SuppressionList.from_bytes(lake.read_bytes(SUPPRESSION_KEY) if lake.exists(SUPPRESSION_KEY) else None)


def pending_exports(lake) -> list[str]:
    """Exports whose anonymised frames an erasure rewrote and whose rejected rows the warehouse still holds as they were."""
    return json.loads(lake.read_bytes(PENDING_KEY))["exports"] if lake.exists(PENDING_KEY) else []


def clear_pending(lake, done: Iterable[str]) -> None:
    left = sorted(set(pending_exports(lake)) - set(done))
    if left:
        lake.write_bytes(PENDING_KEY, json.dumps({"exports": left}).encode())
    else:
        lake.delete(PENDING_KEY)


@dataclass
class Inventory:
    """The lake's exports, by area."""

    raw: dict[str, list[str]]          # export id -> keys of its raw objects
    parsed: set[str]
    anonymised: set[str]

    @classmethod
    def of(cls, lake) -> Inventory:
        raw = {e: [o.key for o in objects] for e, objects in group_by_export(lake.list(RAW_PREFIX)).items()}

        def frames(area: str) -> set[str]:
            keys = {o.key for o in lake.list(area)}
            return {e for e in {k.split("/")[1] for k in keys if k.count("/") == 2}
                    if all(frame_key(area, e, s) in keys for s in SOURCES)}

        return cls(raw, frames(PARSED), frames(ANONYMISED))

    @property
    def exports(self) -> list[str]:
        return sorted(set(self.raw) | self.parsed | self.anonymised)


# -- the raw files -----------------------------------------------------------------------------------

def _rewrite_text(data: bytes, replacements: list[Replacement], *, export_id: str, file: str) -> bytes | None:
    """The file's bytes without the values (same encoding, same lines otherwise); None when it holds none."""
    encoding = text_encoding(data, export_id, file)
    lines = pa.array(data.decode(encoding).splitlines(keepends=True), pa.large_string())
    rewritten, hit = replaced(lines, replacements)
    if not hit.any():
        return None
    if holds_any(rewritten.filter(pa.array(hit)), replacements).any():
        raise ErasureError(f"export {export_id}: {file} still holds a value of an erased person after rewriting; "
                           "nothing was written for it")
    return "".join(rewritten.to_pylist()).encode(encoding)


def _rewrite_zip(data: bytes, replacements: list[Replacement], *, export_id: str, file: str) -> bytes | None:
    """Notion's zip with each text member (and every member's name) rewritten; None when no member changes."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ErasureError(f"export {export_id}: {file} is not a readable zip ({exc})") from exc
    with archive:
        infos = archive.infolist()
        inflated = sum(info.file_size for info in infos)
        if inflated > MAX_EXPORT_BYTES:
            raise ErasureError(f"export {export_id}: {file} would inflate to {inflated:,} bytes, over the limit of "
                               f"{MAX_EXPORT_BYTES:,}")
        names = [member_name(info) for info in infos]
        new_names = replaced(pa.array(names, pa.large_string()), replacements)[0].to_pylist()
        out, changed = io.BytesIO(), new_names != names
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as rewritten:
            for info, name, new_name in zip(infos, names, new_names):
                content = archive.read(info)
                if not info.is_dir() and name.lower().endswith(TEXT_SUFFIXES):
                    new_content = _rewrite_text(content, replacements, export_id=export_id, file=f"{file}/{name}")
                    if new_content is not None:
                        content, changed = new_content, True
                member = zipfile.ZipInfo(new_name, date_time=info.date_time)
                member.compress_type, member.external_attr = zipfile.ZIP_DEFLATED, info.external_attr
                rewritten.writestr(member, content)
    return out.getvalue() if changed else None


def rewrite_raw_object(name: str, data: bytes, people: People, *, export_id: str) -> bytes | None:
    """A raw object's bytes without the people's values, or None when it holds none (or is not text)."""
    replacements = people.replacements
    if name.lower().endswith(".zip"):
        return _rewrite_zip(data, replacements, export_id=export_id, file=name)
    if name.lower().endswith(TEXT_SUFFIXES):
        return _rewrite_text(data, replacements, export_id=export_id, file=name)
    return None


# -- the anonymised frames ---------------------------------------------------------------------------

def _pseudonym(label: str, kind: str, key: bytes, taken: pd.DataFrame, source: str) -> str:
    """The pseudonym anonymisation gives ``label``, never one of ``taken``'s names (those of the other rows)."""
    others = taken.assign(**{c: pd.Series(pd.NA, index=taken.index, dtype="string")
                             for c in ("phone", "email") if c not in taken})
    index = PersonalIndex.from_raw({source: others})
    words = canonical(pa.array([label], pa.large_string())).to_pylist()
    return assign_pseudonyms({kind: words}, key=key, index=index).by_kind[kind][words[0]]


def rewrite_anonymised(frames: dict[str, pd.DataFrame], erased: list[Erased], *, key: bytes
                       ) -> dict[str, pd.DataFrame] | None:
    """Anonymised frames with each erased person under the opaque id and a pseudonym of the label; None when absent.

    Their old pseudonym (keyed on their name) and address pseudonym are
    replaced wherever they were written; so is the Notion ID.
    """
    out = {source: frame.copy() for source, frame in frames.items()}
    replacements: list[Replacement] = []
    for e in erased:
        frame, id_column = out[e.source], ID_COLUMN[e.source]
        mine = frame[id_column].isin([e.notion_id, e.opaque_id])
        pointing = out["missions"][f"{RELATION[e.source]}_id"] == e.notion_id
        if not mine.any() and not pointing.any():
            continue
        if mine.any():
            new_name = _pseudonym(e.label, PSEUDONYM_KIND[e.source], key, frame[~mine], e.source)
            old = {v for v in frame.loc[mine, "name"].dropna() if v != new_name}
            replacements += [text_replacement(v, new_name) for v in sorted(old, key=len, reverse=True)]
            frame.loc[mine, "name"] = new_name
            if e.source == "hotels":
                old_addresses = set(frame.loc[mine, "address"].dropna())
                replacements += [text_replacement(v, "") for v in old_addresses]
                frame.loc[mine, "address"] = pd.NA
            frame.loc[mine, id_column] = e.opaque_id
        out["missions"].loc[pointing, f"{RELATION[e.source]}_id"] = e.opaque_id
        replacements.append(notion_id_replacement(e.notion_id, e.opaque_id))
    out = scrub_frames(out, replacements)
    return out if any(not out[s].equals(frames[s]) for s in out) else None


# -- the erasure ---------------------------------------------------------------------------------------

@dataclass
class ErasureReport:
    erased: list[Erased]
    rewritten: dict[str, list[str]] = field(default_factory=lambda: {"raw": [], "parsed": [], "anonymised": []})
    exports: list[str] = field(default_factory=list)   # exports searched
    versions_deleted: int = 0                          # earlier object versions of a versioned S3 bucket


def _raw_files(lake, export_id: str, keys: list[str]) -> dict[str, bytes]:
    prefix = export_prefix(export_id)
    return {key[len(prefix) + 1:]: lake.read_bytes(key) for key in keys}


def _frames_of(lake, inventory: Inventory, export_id: str, *, years_back: int, years_ahead: int
               ) -> dict[str, pd.DataFrame] | None:
    """The export's parsed frames: from its raw files when the lake has them, else from ``parsed/``."""
    if export_id in inventory.raw:
        try:
            parsed = read_export(_raw_files(lake, export_id, inventory.raw[export_id]), export_id,
                                 years_back=years_back, years_ahead=years_ahead)
        except ExportError:
            parsed = None   # an unreadable export holds nothing this can find; its files are still searched
        if parsed is not None:
            return {"missions": parsed.missions, "hotels": parsed.hotels, "extras": parsed.extras}
    if export_id in inventory.parsed:
        return read_frames(lake, PARSED, export_id)
    return None


def _in_anonymised(lake, export_id: str, erased: list[Erased]) -> set[str]:
    found = set()
    for source in ID_COLUMN:
        ids = set(lake.read_parquet(frame_key(ANONYMISED, export_id, source))[ID_COLUMN[source]].dropna())
        found |= {e.notion_id for e in erased if e.source == source and (e.notion_id in ids or e.opaque_id in ids)}
    return found


def erase_from_lake(lake, notion_ids: Iterable[str], *, key: bytes, years_back: int, years_ahead: int,
                    say: Callable[[str], None] = lambda _: None) -> ErasureReport:
    """Erase the extras and hotels ``notion_ids`` from every export of the lake (see the module doc)."""
    ids = sorted({check_notion_id(i) for i in notion_ids})
    if not ids:
        raise ErasureError("no id to erase: give --extra EXT-<number> or --hotel HOT-<number>")
    already = load_suppression(lake)
    suppression = already.add(ids)
    wanted = SuppressionList({i: suppression.entries[i] for i in ids})
    erased = wanted.erased()
    inventory = Inventory.of(lake)
    report = ErasureReport(erased, exports=inventory.exports)

    people, found = People((), {}), set()
    for export_id in inventory.exports:
        frames = _frames_of(lake, inventory, export_id, years_back=years_back, years_ahead=years_ahead)
        if frames is not None:
            here = people_in(frames, wanted)
            people = people.merge(here)
            found |= {e.notion_id for e in here.erased}
        if export_id in inventory.anonymised:
            found |= _in_anonymised(lake, export_id, erased)
        say(f"searched export {export_id}")
    unknown = [i for i in ids if i not in found and i not in already]
    if unknown:
        raise ErasureError(f"{', '.join(unknown)}: found in no export of the lake at {lake.location()} and never "
                           "erased; check the ID in Notion (nothing was changed)")

    # The list first: from now on every ingestion suppresses them, whatever happens to the rest.
    lake.write_bytes(SUPPRESSION_KEY, suppression.to_bytes())
    pending = sorted(set(pending_exports(lake)) | inventory.anonymised)
    if pending:
        lake.write_bytes(PENDING_KEY, json.dumps({"exports": pending}).encode())

    for export_id in inventory.exports:
        done = sum(map(len, report.rewritten.values()))
        for object_key in inventory.raw.get(export_id, []):
            name = object_key.rsplit("/", 1)[-1]
            data = rewrite_raw_object(name, lake.read_bytes(object_key), people, export_id=export_id)
            if data is not None:
                lake.write_bytes(object_key, data)
                report.rewritten["raw"].append(object_key)
        if export_id in inventory.parsed:
            before = read_frames(lake, PARSED, export_id)
            frames, _ = suppress(before, wanted, also=people)
            if any(not frames[s].equals(before[s]) for s in frames):
                for source, frame in frames.items():
                    lake.write_bytes(frame_key(PARSED, export_id, source), parquet_bytes(frame))
                report.rewritten["parsed"].append(f"{PARSED}/{export_id}/")
        if export_id in inventory.anonymised:
            frames = rewrite_anonymised(read_frames(lake, ANONYMISED, export_id), erased, key=key)
            if frames is not None:
                for source, frame in frames.items():
                    lake.write_bytes(frame_key(ANONYMISED, export_id, source), parquet_bytes(frame))
                report.rewritten["anonymised"].append(f"{ANONYMISED}/{export_id}/")
        rewritten = sum(map(len, report.rewritten.values())) - done
        say(f"export {export_id}: " + (f"{rewritten} files or frame folders rewritten" if rewritten
                                       else "nothing of them left"))
    # A versioned S3 bucket keeps what was overwritten or deleted (retention): no older version may hold them.
    report.versions_deleted = sum(lake.delete_earlier_versions(area) for area in (RAW_PREFIX, PARSED, ANONYMISED))

    entry = {
        "erased": [{"notion_id": e.notion_id, "opaque_id": e.opaque_id} for e in erased],
        "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "rewritten": report.rewritten,
        "earlier_versions_deleted": report.versions_deleted,
    }
    previous = lake.read_bytes(LOG_KEY) if lake.exists(LOG_KEY) else b""
    lake.write_bytes(LOG_KEY, previous + (json.dumps(entry, sort_keys=True) + "\n").encode())
    return report

