"""How long the lake keeps the exports full of names and phone numbers: the raw files and the parsed frames.

After a successful run, the raw (``raw/notion/<id>/``) and parsed
(``parsed/<id>/``) folders of every export whose date is more than
``keep_days`` days before the newest export's are deleted; the newest export
is always kept, and so is every anonymised export (the shareable data set).
Each deletion is recorded, by export id, area and time only, in the lake's
``audit/retention.jsonl`` and in the log. On a versioned S3 bucket a deletion
only adds a delete marker: the bucket's lifecycle rule must also expire
non-current versions (README, "Personal data").
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass

from mission_platform.lake_layout import PARSED, RAW_PREFIX, export_date, group_by_export

AUDIT_KEY = "audit/retention.jsonl"


@dataclass(frozen=True)
class Deletion:
    export_id: str
    area: str            # 'raw' or 'parsed'
    objects: int
    deleted_at: str      # ISO 8601, UTC


def expired_exports(export_ids: list[str], keep_days: int) -> list[str]:
    """The exports dated more than ``keep_days`` days before the newest one (never the newest itself), oldest first."""
    if not export_ids:
        return []
    newest = max(export_ids)
    horizon = export_date(newest) - dt.timedelta(days=keep_days)
    return sorted(e for e in export_ids if e != newest and export_date(e) < horizon)


def _exports_in(lake, prefix: str) -> dict[str, list]:
    objects = lake.list(prefix)
    if prefix == RAW_PREFIX:
        return group_by_export(objects)
    groups: dict[str, list] = {}
    for obj in objects:
        groups.setdefault(obj.key.split("/")[1], []).append(obj)
    return groups


def apply_retention(lake, keep_days: int | None, *, log=None) -> list[Deletion]:
    """Delete the expired exports' raw and parsed folders; return (and audit) what was deleted."""
    if keep_days is None:
        return []
    raw, parsed = _exports_in(lake, RAW_PREFIX), _exports_in(lake, PARSED)
    deletions = []
    for export_id in expired_exports(sorted(set(raw) | set(parsed)), keep_days):
        for area, folders in (("raw", raw), ("parsed", parsed)):
            objects = folders.get(export_id, [])
            if not objects:
                continue
            for obj in objects:
                lake.delete(obj.key)
            deletion = Deletion(export_id, area, len(objects), dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
            deletions.append(deletion)
            if log is not None:
                log(f"retention: deleted the {area} files of export {export_id} ({len(objects)} objects), "
                    f"older than {keep_days} days before the newest export")
    if deletions:
        previous = lake.read_bytes(AUDIT_KEY) if lake.exists(AUDIT_KEY) else b""
        lines = "".join(json.dumps(asdict(d), sort_keys=True) + "\n" for d in deletions).encode()
        lake.write_bytes(AUDIT_KEY, previous + lines)
    return deletions
