"""Retry with backoff: the one retry layer of the lake's S3 calls and of warehouse connections.

Only transient faults are retried (refused or dropped connections, timeouts,
throttling); a bad request fails at once. ``MISSION_RETRY_ATTEMPTS`` attempts
(default 5) with waits of 0.5 s, 1 s, 2 s, ... between them (7.5 s in all for 5
attempts, on top of the attempts themselves). After the last attempt the error
is re-raised as ``TransientFailure``, one line naming the store, what was being
done and the last fault, so a person reading the run log knows which store was
down and why. Above this layer the step itself is rerun (``mission_platform.steps``).
"""

from __future__ import annotations

import time
from typing import Callable, TypeVar

from mission_platform import settings

T = TypeVar("T")
BASE_DELAY = 0.5  # seconds; doubled after each attempt


class TransientFailure(RuntimeError):
    """A store stayed unreachable through every retry."""


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    import psycopg

    # OperationalError covers refused/dropped connections and server shutdowns;
    # data and integrity errors are not operational and are never retried.
    if isinstance(exc, psycopg.OperationalError):
        return True
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
    return False


def is_transient(exc: BaseException) -> bool:
    """A fault worth another attempt: a store that was unreachable, not bad data."""
    return isinstance(exc, TransientFailure) or _is_transient(exc)


def describe_fault(exc: BaseException) -> str:
    """``Type: first line of the message``, without secrets."""
    lines = str(exc).strip().splitlines()
    return settings.redact(f"{type(exc).__name__}: {lines[0].strip() if lines else ''}".rstrip(": "))


def with_retries(fn: Callable[[], T], what: str, *, attempts: int | None = None, base_delay: float = BASE_DELAY) -> T:
    """Call ``fn``; on a transient error wait 0.5 s, 1 s, 2 s, … and try again, ``attempts`` times in all."""
    import dagster as dg

    attempts = attempts or settings.retry_attempts()
    started = time.monotonic()
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - filtered just below
            if not _is_transient(exc):
                raise
            if attempt == attempts:
                raise TransientFailure(
                    f"{what} failed after {attempts} attempt{'s' if attempts > 1 else ''} over "
                    f"{time.monotonic() - started:.1f} s: {describe_fault(exc)}"
                ) from exc
            delay = base_delay * 2 ** (attempt - 1)
            # Inside a step, Dagster's logger puts the line into the run's event log (shown as a warning by the CLI).
            dg.get_dagster_logger().warning(
                f"{what}: {describe_fault(exc)} (attempt {attempt} of {attempts}); retrying in {delay:.1f} s")
            time.sleep(delay)
    raise AssertionError("unreachable")
