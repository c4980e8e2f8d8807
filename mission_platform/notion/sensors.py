"""The export sensor: a complete, settled export folder in the lake becomes a partition and a run.

An export is ready when its folder holds the three databases (or a zip) and
its listing (names, sizes, versions) is the same as at the previous tick: a
folder still being uploaded changes between ticks. The cursor remembers the
fingerprint each export was last run with, so the same content never runs
twice, a changed re-upload runs again, and several exports arriving between
two ticks each get their own run.
"""


import hashlib
import json
from dataclasses import dataclass, field

import dagster as dg

from mission_platform.lake_layout import RAW_PREFIX, group_by_export
from mission_platform.notion import find_database_files
from mission_platform.partitions import exports_partitions
from mission_platform.resources import LakeObject, LakeResource


@dataclass
class ScanState:
    """The sensor's cursor: fingerprints seen at the last tick, and those already run."""

    seen: dict[str, str] = field(default_factory=dict)
    run: dict[str, str] = field(default_factory=dict)

    def dumps(self) -> str:
        return json.dumps({"seen": self.seen, "run": self.run}, sort_keys=True)

    @classmethod
    def loads(cls, cursor: str | None) -> "ScanState":
        if not cursor:
            return cls()
        data = json.loads(cursor)
        return cls(seen=dict(data.get("seen", {})), run=dict(data.get("run", {})))


def fingerprint(objects: list[LakeObject]) -> str:
    listing = "\n".join(f"{o.key}\t{o.size}\t{o.version}" for o in sorted(objects, key=lambda o: o.key))
    return hashlib.sha256(listing.encode()).hexdigest()[:20]


def is_complete(objects: list[LakeObject]) -> bool:
    names = [o.key.rsplit("/", 1)[-1] for o in objects]
    if any(n.lower().endswith(".zip") for n in names):
        return True
    try:
        return len(find_database_files(names)) == 3
    except ValueError:
        return False


def scan(objects: list[LakeObject], state: ScanState) -> tuple[list[tuple[str, str]], ScanState]:
    """Which exports to run now, as (export_id, fingerprint), oldest first, and the next state."""
    current = {
        export_id: fingerprint(group)
        for export_id, group in group_by_export(objects).items()
        if is_complete(group)
    }
    ready = [
        (export_id, fp)
        for export_id, fp in sorted(current.items())
        if state.seen.get(export_id) == fp and state.run.get(export_id) != fp
    ]
    run = dict(state.run)
    run.update(ready)
    return ready, ScanState(seen=current, run=run)


@dg.sensor(
    name="notion_export_sensor",
    description="Watches raw/notion/ in the lake; a new or re-uploaded complete export gets its partition and one run.",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    job_name="mission_platform_job",
)
def notion_export_sensor(context: dg.SensorEvaluationContext, lake: LakeResource) -> dg.SensorResult:
    state = ScanState.loads(context.cursor)
    ready, next_state = scan(lake.list(RAW_PREFIX), state)
    known = set(context.instance.get_dynamic_partitions(exports_partitions.name))
    new = [export_id for export_id, _ in ready if export_id not in known]
    requests = [
        dg.RunRequest(partition_key=export_id, run_key=f"{export_id}:{fp}", tags={"mission_platform/export_fingerprint": fp})
        for export_id, fp in ready
    ]
    return dg.SensorResult(
        run_requests=requests or None,
        dynamic_partitions_requests=[exports_partitions.build_add_request(new)] if new else None,
        cursor=next_state.dumps(),
        skip_reason=None if requests else "no new or changed complete export in the lake",
    )
