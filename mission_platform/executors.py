"""Which engine runs the steps: multiprocess by default, in-process, or Celery (``MISSION_EXECUTOR``).

The local executor is Dagster's ``multi_or_in_process_executor`` with one switch in its run config,
``execution: {config: {in_process: true}}``: the command line sets it for its runs (a fresh Python
process per step costs seconds of imports; on one machine the command line is faster running every
step itself), the UI, the schedule and the sensor keep one process per step
(``MISSION_MAX_CONCURRENT_STEPS`` at a time). ``MISSION_EXECUTOR=in_process`` makes in-process the
default; ``celery`` sends every step to Celery workers (``mission_platform.celery``).

A bad executor setting never stops the definitions from loading: the job falls back to the local
executor on its defaults and its first step fails with the setting's message (``mission_platform.steps``).
"""

from __future__ import annotations

import logging

import dagster as dg

from mission_platform import settings

IN_PROCESS_RUN_CONFIG = {"execution": {"config": {"in_process": True}}}


def _max_concurrent_or_default() -> int:
    try:
        return settings.max_concurrent_steps()
    except settings.ConfigurationError:
        return settings.DEFAULT_MAX_CONCURRENT_STEPS  # the run's first step fails with the message


def local_executor(in_process: bool) -> dg.ExecutorDefinition:
    """Multiprocess or in-process, chosen by the run's config (default ``in_process``)."""

    def choose(config: dict) -> dict:
        if config["in_process"]:
            return {"in_process": {}}
        return {"multiprocess": {"max_concurrent": _max_concurrent_or_default()}}

    return dg.multi_or_in_process_executor.configured(
        choose,
        name="local",
        config_schema={"in_process": dg.Field(
            bool, default_value=in_process,
            description="Run every step in the run's own process (the command line does); "
            "otherwise one process per step, MISSION_MAX_CONCURRENT_STEPS at a time.")},
    )


def executor_named(kind: str) -> dg.ExecutorDefinition:
    if kind == "celery":
        from mission_platform.celery.executor import celery_executor_from_env

        return celery_executor_from_env()
    return local_executor(in_process=kind == "in_process")


def executor_from_env() -> dg.ExecutorDefinition:
    """The executor ``MISSION_EXECUTOR`` names (default multiprocess); ``ConfigurationError`` when it cannot be built."""
    return executor_named(settings.executor_kind() or "multiprocess")


def job_executor() -> dg.ExecutorDefinition:
    """``executor_from_env``, or the local executor when the setting is bad (the run then fails with its message)."""
    try:
        return executor_from_env()
    except settings.ConfigurationError as exc:
        logging.getLogger(__name__).warning("%s; runs will fail at their first step until it is fixed", exc)
        return local_executor(in_process=False)
