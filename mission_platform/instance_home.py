"""The local Dagster instance of the command line and the UI: created once, whole, whoever comes first.

Two processes starting on a new ``DAGSTER_HOME`` at the same moment (two
command lines, or the command line and the UI) would otherwise both create
the instance's tables: SQLite's ``table runs already exists``, or worse an
alembic version table with two heads that breaks every later run. So the
home is prepared under an exclusive file lock: the configuration is written
whole (a temporary file renamed into place, never an empty file after a full
disk), and the instance is opened once so its storage exists before anyone
else opens it.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path

LOCAL_INSTANCE_YAML = """\
# Local instance written by `mission-platform` (storage stays Dagster's own, under this folder).
# One warehouse writer at a time: the `warehouse` pool admits one step.
concurrency:
  pools:
    default_limit: 1
# What Dagster's run monitoring offers with the default run launcher (the daemon applies it to runs
# launched from the UI): a run that never starts, or runs past two hours, is marked failed.
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  max_runtime_seconds: 7200
telemetry:
  enabled: false
"""
LOCK_FILE = ".instance.lock"


@contextmanager
def locked(home: Path):
    """Hold the home's exclusive lock (released when the process dies, whatever kills it)."""
    home.mkdir(parents=True, exist_ok=True)
    with open(home / LOCK_FILE, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_whole(path: Path, text: str) -> None:
    """Write ``text`` at ``path`` whole or not at all: a temporary file, flushed, renamed into place."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def prepare(home: Path) -> Path:
    """Create (once) or check the instance at ``home``, set ``DAGSTER_HOME`` to it, and return it."""
    import dagster as dg

    home = home.expanduser().resolve()
    os.environ["DAGSTER_HOME"] = str(home)
    with locked(home):
        config = home / "dagster.yaml"
        if not config.exists() or not config.read_text(encoding="utf-8").strip():
            write_whole(config, LOCAL_INSTANCE_YAML)
        with dg.DagsterInstance.get() as instance:   # creates the storage's tables, under the lock
            instance.get_runs(limit=1)
    return home
