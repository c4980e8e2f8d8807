"""A run killed while it holds the warehouse pool never blocks the next one."""

from __future__ import annotations

import os
import socket
import subprocess
import uuid

import dagster as dg

from mission_platform.operations.pool_claims import HOST_TAG, PID_TAG, free_dead_claims, holders, stale_pool_claims


def _run_holding_the_slot(instance: dg.DagsterInstance, pid: int, step: str = "core_tables") -> str:
    run_id = uuid.uuid4().hex
    instance.add_run(dg.DagsterRun(job_name="mission_platform_job", run_id=run_id, status=dg.DagsterRunStatus.STARTED,
                                   tags={PID_TAG: str(pid), HOST_TAG: socket.gethostname()}))
    instance.event_log_storage.initialize_concurrency_limit_to_default("warehouse")   # as a run's executor does
    claim = instance.event_log_storage.claim_concurrency_slot("warehouse", run_id, step)
    assert claim.is_claimed
    return run_id


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_a_dead_run_s_claim_is_freed_and_its_run_marked_failed():
    with dg.instance_for_test(overrides={"concurrency": {"pools": {"default_limit": 1}}}) as instance:
        run_id = _run_holding_the_slot(instance, _dead_pid())
        assert [h.alive for h in holders(instance)] == [False]
        (line,) = free_dead_claims(instance)
        assert line.startswith(f"freed the warehouse pool slot held by run {run_id[:8]} (step core_tables, pid ")
        assert instance.event_log_storage.get_concurrency_info("warehouse").claimed_slots == []
        assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE
        # The slot can be claimed again at once.
        assert instance.event_log_storage.claim_concurrency_slot("warehouse", uuid.uuid4().hex, "core_tables").is_claimed


def test_a_live_run_keeps_its_claim():
    with dg.instance_for_test(overrides={"concurrency": {"pools": {"default_limit": 1}}}) as instance:
        run_id = _run_holding_the_slot(instance, os.getpid())
        assert free_dead_claims(instance) == []
        assert [(h.run_id, h.alive) for h in holders(instance)] == [(run_id, True)]


def test_the_sensor_frees_dead_claims_for_runs_launched_from_the_ui():
    with dg.instance_for_test(overrides={"concurrency": {"pools": {"default_limit": 1}}}) as instance:
        _run_holding_the_slot(instance, _dead_pid())
        result = stale_pool_claims(dg.build_sensor_context(instance=instance))
        assert "freed the warehouse pool slot" in result.skip_message
        assert "no stale claim" in stale_pool_claims(dg.build_sensor_context(instance=instance)).skip_message
