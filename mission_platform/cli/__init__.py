"""The ``mission-platform`` command: commands.py (arguments and commands), progress.py (what a run shows
while it goes, from the instance's event log), summary.py (the demo's closing summary)."""

from mission_platform.cli.commands import main

__all__ = ["main"]
