"""The command line's own output stream."""

from __future__ import annotations

import os
import sys
from typing import Optional, TextIO

_source: Optional[TextIO] = None  # the sys.stdout that _terminal duplicates
_terminal: Optional[TextIO] = None


def terminal() -> TextIO:
    """Where the command line speaks to the person: the process's stdout, duplicated at the first call.

    Steps run in this process, and while one runs Dagster mirrors file descriptor 1 into the step's
    compute log (a pipe to a tee): written there, our lines would land in every step's log in the UI and
    stdout would no longer look like a terminal. A duplicate of the descriptor, taken before any run,
    keeps pointing at the terminal (or the file stdout was redirected to). A stdout without a descriptor
    (a test's capture) is used as it is.
    """
    global _source, _terminal
    if sys.stdout is not _source:
        _source = sys.stdout
        try:
            fd = os.dup(sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):  # io.UnsupportedOperation is both an OSError and a ValueError
            _terminal = sys.stdout
        else:
            sys.stdout.flush()
            _terminal = open(fd, "w", buffering=1, encoding=sys.stdout.encoding or "utf-8", errors="replace")
    return _terminal
