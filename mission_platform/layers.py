"""What every asset of a layer carries, applied once where the definitions are assembled: freshness, owner, tags.

Freshness: how old each asset may get before the UI flags it.
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


OWNER = "team:data-platform"

# By group: which layer it is, and what it holds about people. The raw frames hold names, phones and e-mails;
# pseudonymised data is still personal data (GDPR): keyed pseudonyms, the key kept apart; the forecast counts only.
LAYER_TAGS: dict[str, dict[str, str]] = {
    "notion": {"layer": "raw", "personal_data": "yes"},
    "anonymised": {"layer": "anonymised", "personal_data": "pseudonymised"},
    "warehouse": {"layer": "warehouse", "personal_data": "pseudonymised"},
    "forecast": {"layer": "forecast", "personal_data": "no"},
    "reporting": {"layer": "reporting", "personal_data": "pseudonymised"},
    # Schemas private and ops: real names and contact details, read by the operations role only.
    "private": {"layer": "private", "personal_data": "yes"},
}


def with_layer_settings(assets: Iterable[dg.AssetsDefinition]) -> list[dg.AssetsDefinition]:
    """Every asset of ``assets`` with the freshness policy, the owner and its layer's tags."""
    policy = freshness_policy()

    def settle(spec: dg.AssetSpec) -> dg.AssetSpec:
        if spec.group_name not in LAYER_TAGS:
            raise ValueError(f"asset {spec.key.to_user_string()} is in group {spec.group_name!r}, which has no layer "
                             f"tags: add it to LAYER_TAGS ({', '.join(LAYER_TAGS)})")
        return spec.replace_attributes(freshness_policy=policy, owners=[OWNER]).merge_attributes(
            tags=LAYER_TAGS[spec.group_name])

    return list(dg.map_asset_specs(settle, assets))
