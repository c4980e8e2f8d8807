"""Anonymisation: stable keyed pseudonyms, contact details removed, free text scrubbed, leak check.

Plain functions over pandas frames; ``assets.py`` wraps them for Dagster.
"""

from mission_platform.anonymise.anonymiser import AnonymisationStats, AnonymisedExport, anonymise_export
from mission_platform.anonymise.leaks import LeakChecker, LeakReport, find_leaks, find_leaks_in_parquet

__all__ = [
    "AnonymisationStats",
    "AnonymisedExport",
    "LeakChecker",
    "LeakReport",
    "anonymise_export",
    "find_leaks",
    "find_leaks_in_parquet",
]
