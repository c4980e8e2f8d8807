"""Reading a resource field: inside a run Dagster has resolved ``dg.EnvVar`` fields to their values; outside a run
(the command line builds resources itself) the field still holds the ``EnvVar``."""

from __future__ import annotations

import dagster as dg


def field_value(value):
    return value.get_value() if isinstance(value, dg.EnvVar) else value
