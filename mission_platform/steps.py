"""What every step does around its work: check the settings first, and end with a cause a person can act on.

``step_guard(*resources)`` wraps an asset's body:

1. every setting of the environment (``settings.check_environment``) and of the resources given is
   parsed before the step does anything, so a bad value fails the run at its first step, before
   anything is written, with one line naming the variable (a ``dg.Failure``, no traceback);
2. a transient fault (a store still unreachable after ``with_retries``) asks Dagster to rerun the step,
   ``STEP_RETRIES`` times, ``STEP_RETRY_WAIT`` seconds apart; after the last rerun the step fails with the
   fault itself as its message (not Dagster's "Exceeded max_retries");
3. a problem a person must fix (a bad setting, a lake object missing or unwritable) fails the step at
   once with its one-line message; anything else (bad data, a bug) fails it at once as it is;
4. before the step's work, the memory earlier steps of the process freed goes back to the system
   (``release_memory``): in one process (the command line), Arrow's pool and the C heap otherwise keep
   what a step freed, and the next step's peak adds to it.

A step-level RetryPolicy would also rerun steps that failed on bad data, which only repeats the same failure.
Bound on a store that stays down: (STEP_RETRIES + 1) step attempts, each making MISSION_RETRY_ATTEMPTS
attempts per call (see retry.py), plus STEP_RETRIES x STEP_RETRY_WAIT seconds.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from contextlib import contextmanager

import dagster as dg
import pyarrow as pa

from mission_platform import settings
from mission_platform.resources.lake import LakeError
from mission_platform.retry import TransientFailure, describe_fault, is_transient

STEP_RETRIES = 2
STEP_RETRY_WAIT = 5.0  # seconds


def check_settings(*resources) -> None:
    """Parse every setting of the environment and of ``resources``; a bad one fails the step with its line."""
    try:
        settings.check_environment()
        for resource in resources:
            resource.check_settings()
    except settings.ConfigurationError as exc:
        raise dg.Failure(description=settings.redact(str(exc)), allow_retries=False) from None


_LIBC = ctypes.CDLL(ctypes.util.find_library("c"))


_frozen = False   # gc.get_freeze_count() would walk the 270,000 frozen objects to tell


def release_memory() -> None:
    """Return freed memory to the system: Arrow's pool keeps its freed pages, glibc's heap its freed top."""
    global _frozen
    gc.collect()
    if not _frozen:
        # What outlives the process's first collection (modules, definitions, the instance: 270,000 objects)
        # lives as long as the process: frozen, later collections skip it (0.13 s each, at every step, before).
        gc.freeze()
        _frozen = True
    pa.default_memory_pool().release_unused()
    if hasattr(_LIBC, "malloc_trim"):   # glibc only
        _LIBC.malloc_trim(0)


@contextmanager
def step_guard(*resources):
    check_settings(*resources)
    release_memory()
    try:
        yield
    except (dg.Failure, dg.RetryRequested):
        raise
    except Exception as exc:  # noqa: BLE001 - re-raised, or turned into a Failure naming the cause
        if is_transient(exc):
            context = dg.OpExecutionContext.get()
            if context.retry_number < STEP_RETRIES:
                raise dg.RetryRequested(max_retries=STEP_RETRIES, seconds_to_wait=STEP_RETRY_WAIT) from exc
            cause = settings.redact(str(exc)) if isinstance(exc, TransientFailure) else describe_fault(exc)
            raise dg.Failure(description=f"{cause} (the step was tried {STEP_RETRIES + 1} times)",
                             allow_retries=False) from exc
        if isinstance(exc, (settings.ConfigurationError, LakeError)):
            raise dg.Failure(description=settings.redact(str(exc)), allow_retries=False) from exc
        raise
