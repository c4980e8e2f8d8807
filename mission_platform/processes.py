"""Stopping cleanly: SIGINT and SIGTERM become an exception in the main thread, and a service started as a
process group is stopped whole (a service manager, a closed terminal or Ctrl-C never leaves a server behind)."""

from __future__ import annotations

import os
import signal
import subprocess


class Stopped(BaseException):
    """SIGINT or SIGTERM: stop what was started, then exit 128 + the signal's number (130, 143)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


def stop_on_signals() -> None:
    """Turn SIGINT and SIGTERM into ``Stopped`` in the main thread, so ``finally`` blocks and atexit run."""
    def stop(signum, _frame):
        raise Stopped(signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)


def run_service(command: list[str], env: dict[str, str] | None = None) -> int:
    """Run ``command`` in a process group of its own; on SIGINT or SIGTERM stop the whole group, then ourselves.

    ``dagster dev`` starts a webserver, a daemon and code servers, Streamlit its server: stopping only this
    wrapper would leave them serving. On our way out the embedded PostgreSQL is stopped too (its handle's exit
    hook), unless another process still holds it.
    """
    process = subprocess.Popen(command, env=env, start_new_session=True)
    try:
        return process.wait()
    except Stopped:
        for signum, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
            try:
                os.killpg(process.pid, signum)
                process.wait(grace)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
        raise
