"""Claims on a concurrency pool held by runs that are no longer alive: found, freed, and said so.

A run that holds the ``warehouse`` pool's only slot and is killed (SIGKILL, a
closed terminal, a lost worker) never gives its slot back: every later run
would wait for it forever. A claim is dead when its run has ended (success,
failure, cancellation) or when its process is gone: the process is the one
the run's tags name (``mission_platform/pid`` on ``mission_platform/host``,
set by the command line) or, on a local instance (its storage on this
machine), the one that started the claiming step. A run whose process is gone
is marked failed. Claims of runs on other machines are left to Dagster's run
monitoring, which marks their runs failed; they are freed once it has.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

import dagster as dg

POOL = "warehouse"
PID_TAG = "mission_platform/pid"
HOST_TAG = "mission_platform/host"
FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


def process_tags() -> dict[str, str]:
    """The tags that let a later run tell whether this process is still alive."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


@dataclass(frozen=True)
class Holder:
    run_id: str
    step_key: str
    status: dg.DagsterRunStatus | None
    pid: int | None
    started: float | None      # the run's start, seconds since the epoch
    alive: bool | None         # None: cannot tell from this machine

    def describe(self) -> str:
        since = f", started {_clock(self.started)}" if self.started else ""
        return f"run {self.run_id[:8]} (step {self.step_key}{f', pid {self.pid}' if self.pid else ''}{since})"


def _clock(timestamp: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


def _is_local(instance: dg.DagsterInstance) -> bool:
    return "sqlite" in type(instance.run_storage).__name__.lower()


def _alive(pid: int, started: float | None) -> bool:
    import psutil

    try:
        process = psutil.Process(pid)
        # A pid reused by a process younger than the run is not the run's.
        return process.status() != psutil.STATUS_ZOMBIE and (started is None or process.create_time() <= started + 1)
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


def _step_pid(instance: dg.DagsterInstance, run_id: str, step_key: str) -> int | None:
    records = instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_START)
    pids = [r.dagster_event.pid for r in records if r.dagster_event and r.dagster_event.step_key == step_key]
    return pids[-1] if pids else None


def holders(instance: dg.DagsterInstance, pool: str = POOL) -> list[Holder]:
    """Who holds the pool's slots now, and whether each is alive."""
    out = []
    for slot in instance.event_log_storage.get_concurrency_info(pool).claimed_slots:
        record = instance.get_run_record_by_id(slot.run_id)
        run = record.dagster_run if record else None
        started = record.start_time if record else None
        pid, alive = None, None
        if run is None or run.status in FINISHED:
            alive = False
        elif run.tags.get(HOST_TAG) == socket.gethostname() and run.tags.get(PID_TAG, "").isdigit():
            pid = int(run.tags[PID_TAG])
            alive = _alive(pid, started)
        elif HOST_TAG not in run.tags and _is_local(instance):
            pid = _step_pid(instance, slot.run_id, slot.step_key)
            alive = _alive(pid, started) if pid else None
        out.append(Holder(slot.run_id, slot.step_key, run.status if run else None, pid, started, alive))
    return out


def blocking(instance: dg.DagsterInstance, run_id: str, pool: str = POOL) -> list[Holder]:
    """The other runs holding the pool while a step of ``run_id`` waits for it (empty when it does not wait)."""
    info = instance.event_log_storage.get_concurrency_info(pool)
    if not any(step.run_id == run_id and step.assigned_timestamp is None for step in info.pending_steps):
        return []
    return [holder for holder in holders(instance, pool) if holder.run_id != run_id]


def free_dead_claims(instance: dg.DagsterInstance, pool: str = POOL) -> list[str]:
    """Free the slots of runs that are no longer alive (marking them failed); one line per run freed."""
    freed = []
    for holder in holders(instance, pool):
        if holder.alive is not False or any(f"run {holder.run_id[:8]}" in line for line in freed):
            continue
        run = instance.get_run_by_id(holder.run_id)
        if run is not None and run.status not in FINISHED:
            instance.report_run_failed(run, f"its process (pid {holder.pid}) is gone while it held the {pool} pool")
        instance.event_log_storage.free_concurrency_slots_for_run(holder.run_id)
        freed.append(f"freed the {pool} pool slot held by {holder.describe()}: "
                     + ("its process is gone" if holder.status not in FINISHED else f"the run had ended ({holder.status.value.lower()})"))
    return freed


@dg.sensor(
    name="stale_pool_claims",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Frees the warehouse pool's slots held by runs whose process is gone, so no run waits for them forever.",
)
def stale_pool_claims(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    freed = free_dead_claims(context.instance)
    for line in freed:
        context.log.warning(line)
    return dg.SkipReason("; ".join(freed) or "no stale claim on the warehouse pool")
