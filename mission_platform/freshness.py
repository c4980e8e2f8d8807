"""How old each asset may get before the UI flags it, applied to every asset where the definitions are assembled.

The pipeline runs weekly: an asset older than 7 days is a warning, older than
8 days a failure (``MISSION_FRESHNESS_WARN_DAYS``, ``MISSION_FRESHNESS_FAIL_DAYS``).
A bad value never stops the definitions from loading: the defaults apply and
every run fails at its first step with the setting's message.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable

import dagster as dg

from mission_platform import settings


def freshness_policy() -> dg.FreshnessPolicy:
    try:
        days = settings.freshness()
    except settings.ConfigurationError:
        days = settings.DEFAULT_FRESHNESS
    return dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(days=days.fail_days),
                                          warn_window=dt.timedelta(days=days.warn_days))


def with_freshness(assets: Iterable[dg.AssetsDefinition]) -> list[dg.AssetsDefinition]:
    """Every asset of ``assets`` with the freshness policy."""
    policy = freshness_policy()
    return list(dg.map_asset_specs(lambda spec: spec.replace_attributes(freshness_policy=policy), assets))
