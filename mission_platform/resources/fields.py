"""Reading a resource field: inside a run Dagster has resolved ``dg.EnvVar`` fields to their values; outside a run
(the command line builds resources itself) the field still holds the ``EnvVar``."""

from __future__ import annotations

from typing import Optional

import dagster as dg

from mission_platform import settings


def env_var(name: str) -> Optional[dg.EnvVar]:
    """The variable as an EnvVar when set and not blank (the UI shows its name, a run reads its value); None otherwise."""
    return dg.EnvVar(name) if settings.raw(name) else None


def field_value(value):
    return value.get_value() if isinstance(value, dg.EnvVar) else value
