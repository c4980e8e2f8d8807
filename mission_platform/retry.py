"""Retry with backoff for the lake and the warehouse.

Only transient faults are retried (refused or dropped connections, timeouts,
throttling); a bad request fails at once. After the last attempt the error is
re-raised as ``TransientFailure`` naming what was being done, so a person
reading the run log knows which store was down.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from typing import Callable, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


class TransientFailure(RuntimeError):
    """A store stayed unreachable through every retry."""


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    try:
        import psycopg

        # OperationalError covers refused/dropped connections and server shutdowns;
        # data and integrity errors are not operational and are never retried.
        if isinstance(exc, psycopg.OperationalError):
            return True
    except ImportError:  # pragma: no cover - psycopg is a core dependency
        pass
    try:
        from botocore.exceptions import (
            ClientError,
            ConnectionClosedError,
            ConnectTimeoutError,
            EndpointConnectionError,
            ReadTimeoutError,
        )

        if isinstance(exc, (EndpointConnectionError, ConnectionClosedError, ConnectTimeoutError, ReadTimeoutError)):
            return True
        if isinstance(exc, ClientError):
            code = exc.response.get("Error", {}).get("Code", "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            return code in {"SlowDown", "Throttling", "RequestTimeout", "ServiceUnavailable"} or status >= 500
    except ImportError:  # pragma: no cover - boto3 is a core dependency
        pass
    return False


def retry_attempts() -> int:
    from mission_platform.settings import int_env

    return max(1, int_env("MISSION_RETRY_ATTEMPTS", 5))


def with_retries(fn: Callable[[], T], what: str, *, attempts: int | None = None, base_delay: float = 0.5) -> T:
    """Call ``fn``; on a transient error wait 0.5 s, 1 s, 2 s, … and try again."""
    attempts = attempts or retry_attempts()
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - filtered just below
            if not _is_transient(exc):
                raise
            if attempt == attempts:
                raise TransientFailure(
                    f"{what} failed after {attempts} attempts: {type(exc).__name__}: {exc}".strip()
                ) from exc
            delay = base_delay * 2 ** (attempt - 1)
            log.warning("%s: %s (attempt %d of %d); retrying in %.1f s", what, type(exc).__name__, attempt, attempts, delay)
            time.sleep(delay)
    raise AssertionError("unreachable")


def is_transient(exc: BaseException) -> bool:
    """A fault worth another attempt: a store that was unreachable, not bad data."""
    return isinstance(exc, TransientFailure) or _is_transient(exc)


@contextmanager
def retry_step_on_transient_faults(max_retries: int = 2, seconds_to_wait: float = 5.0):
    """Inside a Dagster step: a transient fault asks Dagster to rerun the step; anything else fails it at once.

    A step-level RetryPolicy would also rerun steps that failed on bad data,
    which only repeats the same failure.
    """
    import dagster as dg

    try:
        yield
    except Exception as exc:  # noqa: BLE001 - re-raised unless transient
        if is_transient(exc):
            raise dg.RetryRequested(max_retries=max_retries, seconds_to_wait=seconds_to_wait) from exc
        raise
