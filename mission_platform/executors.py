"""Which engine runs the steps: Dagster's multiprocess executor by default.

``MISSION_EXECUTOR=celery`` switches every step to Dagster's Celery executor
(see the README's production layout); nothing in the assets assumes one
process, since steps exchange data only through the lake and the warehouse.
"""

from __future__ import annotations

import os

import dagster as dg


def executor_from_env() -> dg.ExecutorDefinition:
    kind = os.environ.get("MISSION_EXECUTOR", "multiprocess").strip().lower()
    if kind == "multiprocess":
        return dg.multiprocess_executor.configured(
            {"max_concurrent": int(os.environ.get("MISSION_MAX_CONCURRENT_STEPS", "2"))}
        )
    if kind == "in_process":
        return dg.in_process_executor
    raise ValueError(f"MISSION_EXECUTOR={kind!r} is not one of multiprocess, in_process, celery")
