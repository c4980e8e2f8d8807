"""What every step does first: hand back the memory earlier steps freed, without rescanning the process each time."""

from __future__ import annotations

import gc
import subprocess
import sys
import weakref

from mission_platform import steps
from mission_platform.steps import release_memory


class Node:
    """An object in a reference cycle: only the cyclic collector frees it."""

    def __init__(self) -> None:
        self.itself = self


def test_release_memory_frees_cycles_and_freezes_what_lived_before_once(monkeypatch):
    gc.unfreeze()   # as in a fresh process
    monkeypatch.setattr(steps, "_frozen", False)
    try:
        before = Node()
        freed_before = weakref.ref(before)
        del before
        release_memory()
        assert freed_before() is None
        frozen = gc.get_freeze_count()
        assert frozen > 0

        after = Node()   # made after the freeze: still collected by the next step's call
        freed_after = weakref.ref(after)
        del after
        release_memory()
        assert freed_after() is None
        assert gc.get_freeze_count() <= frozen   # frozen once per process, not again at every step
    finally:
        gc.unfreeze()


_FIRST_SCHEMA = """
import gc, weakref
import pandas as pd
from mission_platform.metadata import frame_metadata

frame = pd.DataFrame({"mission_id": ["MIS-1", "MIS-2"]})
described = weakref.ref(frame)
frame_metadata(frame)
del frame
gc.collect()
print(described() is None)
"""


def test_the_first_frame_described_is_not_kept_for_the_life_of_the_process():
    """Dagster keeps the caller's variables of a record type's first construction: never a step's data."""
    # A fresh process: in this one, an earlier test may have built the first TableSchema already.
    result = subprocess.run([sys.executable, "-c", _FIRST_SCHEMA], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["True"]
