"""The lake's layout: where each stage's files live, and how exports are named.

```
raw/notion/<export_id>/...            the Notion export as dropped (three CSVs or Notion's zip): private
parsed/<export_id>/<source>.parquet   the raw stage's typed frames: private
anonymised/<export_id>/<source>.parquet + _manifest.json   the shareable data set
erasure/suppressed.json, erasure/pending.json   the erased ids (ids only: erasure/)
audit/retention.jsonl, audit/erasure.jsonl       what retention and erasure did (ids, times, keys)
```

An ``export_id`` is the day the export was taken, ``YYYY-MM-DD``, or
``YYYY-MM-DDTHHMM`` when there are several that day: it sorts in time order
and is the export's partition key.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Protocol

RAW_PREFIX = "raw/notion"
PARSED = "parsed"
ANONYMISED = "anonymised"
MANIFEST = "_manifest.json"

EXPORT_ID = re.compile(r"^(\d{4}-\d{2}-\d{2})(T\d{4})?$")


def is_export_id(value: str) -> bool:
    return bool(EXPORT_ID.match(value))


def export_date(export_id: str) -> dt.date:
    """The day of an export id (``YYYY-MM-DD`` or ``YYYY-MM-DDTHHMM``)."""
    match = EXPORT_ID.match(export_id)
    if not match:
        raise ValueError(f"export id {export_id!r} is neither YYYY-MM-DD nor YYYY-MM-DDTHHMM")
    try:
        return dt.date.fromisoformat(match.group(1))
    except ValueError:
        raise ValueError(f"export id {export_id!r} is not a real date") from None


def export_prefix(export_id: str) -> str:
    """The folder of an export's raw files."""
    return f"{RAW_PREFIX}/{export_id}"


def frame_key(area: str, export_id: str, source: str) -> str:
    """A stage's frame of one database (``parsed`` or ``anonymised``)."""
    return f"{area}/{export_id}/{source}.parquet"


def manifest_key(area: str, export_id: str) -> str:
    return f"{area}/{export_id}/{MANIFEST}"


class _Keyed(Protocol):
    key: str


def group_by_export(objects: Iterable[_Keyed]) -> dict[str, list]:
    """Objects under ``raw/notion/`` grouped by their export folder (ill-named folders and hidden files ignored)."""
    groups: dict[str, list] = {}
    for obj in objects:
        parts = obj.key[len(RAW_PREFIX) + 1:].split("/", 1)
        if len(parts) == 2 and is_export_id(parts[0]) and not parts[1].split("/")[-1].startswith("."):
            groups.setdefault(parts[0], []).append(obj)
    return groups
