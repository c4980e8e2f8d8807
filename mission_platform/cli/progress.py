"""What the command line shows while a run goes: read from the run's event log in the instance.

One line per materialised asset and per failed check, warning or failed step, each with the time
since the run started; while stdout is a terminal, a live last line names the steps running now.
Dagster's own event log is not printed (``--verbose`` shows it): the instance keeps every event.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Callable, Optional

import dagster as dg
from dagster._core.events import DagsterEventType

from mission_platform.cli.terminal import terminal
from mission_platform.settings import redact

STEP_DONE = {DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE, DagsterEventType.STEP_UP_FOR_RETRY,
             DagsterEventType.STEP_SKIPPED}


def root_cause(error) -> str:
    """The first line of the first error under Dagster's wrappers ("Error occurred while executing op ..."):
    the store's or the step's own error, which names what failed and why."""
    while (error.cls_name or "").startswith("Dagster") and (error.cause or error.context) is not None:
        error = error.cause or error.context
    lines = (error.message or "").strip().splitlines()
    if not lines:
        return error.cls_name or "unknown error"
    # Python's "module.Class: message": the project's own errors speak for themselves, others keep their class name.
    qualified, sep, message = lines[0].strip().partition(": ")
    if sep and re.fullmatch(r"[\w.]+", qualified):
        return message if qualified.startswith("mission_platform.") else f"{qualified.rsplit('.', 1)[-1]}: {message}"
    return lines[0].strip()


def failure_line(event) -> str:
    """One line for a failed step: our ``dg.Failure`` description, else the innermost error's message."""
    data = event.step_failure_data
    if data is None or data.error is None:
        return "see the run log"
    description = data.user_failure_data.description if data.user_failure_data else None
    return redact((description or root_cause(data.error)).strip().splitlines()[0])


class RunProgress:
    """Follows one run's event log; ``poll()`` prints what happened since the last call."""

    def __init__(self, instance: dg.DagsterInstance, run_id: str, *, say: Callable[[str], None],
                 started: float, live: Optional[bool] = None):
        self.instance, self.run_id, self.say, self.started = instance, run_id, say, started
        self.out = terminal()
        self.live = self.out.isatty() if live is None else live
        self.cursor: Optional[str] = None
        self.running: dict[str, float] = {}
        self.started_steps: set[str] = set()
        self.materialised: set[dg.AssetKey] = set()
        self.failed_checks: list[str] = []
        self.failures: list[str] = []  # "step X: cause", in order
        self._live_shown = False

    def _elapsed(self, at: Optional[float] = None) -> str:
        return f"{(at or time.monotonic()) - self.started:6.1f}s"

    def _print(self, line: str) -> None:
        self._clear_live()
        self.say(f"  {self._elapsed()}  {line}")

    def _clear_live(self) -> None:
        if self._live_shown:
            self.out.write("\r\033[K")
            self._live_shown = False

    def _show_live(self) -> None:
        if not self.live or not self.running:
            self._clear_live()
            return
        now = time.monotonic()
        steps = ", ".join(f"{key} ({now - since:.0f}s)" for key, since in self.running.items())
        self.out.write(f"\r\033[K  {self._elapsed(now)}  running {steps}")
        self.out.flush()
        self._live_shown = True

    def poll(self) -> None:
        while True:
            page = self.instance.get_records_for_run(self.run_id, cursor=self.cursor, limit=500)
            for record in page.records:
                self._handle(record.event_log_entry)
            self.cursor = page.cursor
            if not page.has_more:
                break
        self._show_live()

    def finish(self) -> None:
        self.poll()
        self.running.clear()
        self._clear_live()

    def _handle(self, entry) -> None:
        event = entry.dagster_event
        if event is None:
            # A message a running step logged (context.log, Dagster's logger): warnings and errors are shown. The
            # engine's own notes about steps it did not start ("Dependencies ... Not executing") are left out.
            if entry.level >= logging.WARNING and entry.step_key in self.started_steps:
                where = f"{entry.step_key}: " if entry.step_key else ""
                self._print(f"warning: {where}{redact(entry.user_message.strip().splitlines()[0])}")
            return
        kind = event.event_type
        if kind == DagsterEventType.STEP_START:
            self.running[event.step_key] = time.monotonic()
            self.started_steps.add(event.step_key)
        elif kind in STEP_DONE:
            self.running.pop(event.step_key, None)
        if kind == DagsterEventType.ASSET_MATERIALIZATION:
            key = event.asset_key
            self.materialised.add(key)
            rows = event.materialization.metadata.get("dagster/row_count")
            rows_text = f" ({rows.value:,} rows)" if rows is not None else ""
            self._print(f"materialised {key.to_user_string()}{rows_text}")
        elif kind == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if not evaluation.passed:
                name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
                severity = evaluation.severity.value if evaluation.severity else "ERROR"
                if severity == "ERROR":
                    self.failed_checks.append(name)
                self._print(f"check {name} FAILED ({severity.lower()})")
        elif kind == DagsterEventType.STEP_FAILURE:
            cause = failure_line(event)
            self.failures.append(f"step {event.step_key}: {cause}")
            self._print(f"step {event.step_key} failed: {cause}")
        elif kind == DagsterEventType.STEP_UP_FOR_RETRY:
            error = event.event_specific_data.error
            cause = redact(root_cause(error)) if error else "a transient fault"
            self._print(f"step {event.step_key} will be retried: {cause}")
        elif kind == DagsterEventType.RUN_FAILURE and not self.failures:
            self.failures.append(redact((event.message or "the run failed").strip().splitlines()[0]))
            self._print(f"run failed: {self.failures[-1]}")
