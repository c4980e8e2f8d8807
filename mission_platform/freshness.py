"""How old each layer may get before the UI flags it.

The pipeline runs weekly: a layer older than 7 days is a warning, older than
8 days a failure. Both are configurable for teams that refresh more often.
"""

from __future__ import annotations

import datetime as dt
import os

import dagster as dg


def layer_freshness() -> dg.FreshnessPolicy:
    warn = float(os.environ.get("MISSION_FRESHNESS_WARN_DAYS", "7"))
    fail = float(os.environ.get("MISSION_FRESHNESS_FAIL_DAYS", "8"))
    if not 0 < warn < fail:
        raise ValueError(f"MISSION_FRESHNESS_WARN_DAYS ({warn}) must be positive and below MISSION_FRESHNESS_FAIL_DAYS ({fail})")
    return dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(days=fail), warn_window=dt.timedelta(days=warn))
