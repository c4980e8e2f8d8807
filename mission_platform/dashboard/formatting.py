"""French number, money and date formats, as the original Looker Studio report showed them.

No locale is needed on the machine: the separators are written out (a narrow no-break
space between thousands, a comma before decimals, a no-break space before ``€`` and ``%``).
"""

from __future__ import annotations

import math

import pandas as pd

THOUSANDS = "\u202f"  # narrow no-break space, as in French typography
NBSP = "\u00a0"
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")
MONTHS_SHORT = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")
DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MISSING = "–"


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT


def number(value, decimals: int = 0) -> str:
    """``12345.6`` → ``12 345,6`` (with ``decimals=1``)."""
    if _missing(value):
        return MISSING
    text = f"{float(value):,.{decimals}f}"
    return text.replace(",", THOUSANDS).replace(".", ",")


def euros(value, decimals: int = 0) -> str:
    """``12345.6`` → ``12 346 €``."""
    return MISSING if _missing(value) else f"{number(value, decimals)}{NBSP}€"


def euros_compact(value) -> str:
    """Tiles: ``2 834 120`` → ``2,8 M €``, ``48 250`` → ``48,3 k €``, ``950`` → ``950 €``."""
    if _missing(value):
        return MISSING
    value = float(value)
    for scale, unit in ((1e9, "Md"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{number(value / scale, 1)}{NBSP}{unit}{NBSP}€"
    return euros(value)


def percent(ratio, decimals: int = 1) -> str:
    """``0.4521`` → ``45,2 %``."""
    return MISSING if _missing(ratio) else f"{number(float(ratio) * 100, decimals)}{NBSP}%"


def date(value) -> str:
    """``2024-09-16`` → ``16/09/2024``."""
    if _missing(value):
        return MISSING
    return pd.Timestamp(value).strftime("%d/%m/%Y")


def date_time(value) -> str:
    """``16/09/2024 09:30``."""
    if _missing(value):
        return MISSING
    return pd.Timestamp(value).strftime("%d/%m/%Y %H:%M")


def long_date(value) -> str:
    """``lundi 16 septembre 2024``."""
    if _missing(value):
        return MISSING
    day = pd.Timestamp(value)
    return f"{DAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"


def month(value) -> str:
    """``2024-09-01`` → ``sept. 2024``."""
    if _missing(value):
        return MISSING
    day = pd.Timestamp(value)
    return f"{MONTHS_SHORT[day.month - 1]} {day.year}"


def week(value) -> str:
    """A week by its Monday: ``sem. du 16/09/2024``."""
    return MISSING if _missing(value) else f"sem. du {date(value)}"


def month_labels(values: pd.Series) -> pd.Series:
    """``month`` over a column, vectorised through the distinct months."""
    stamps = pd.to_datetime(values)
    short = pd.Series(MONTHS_SHORT)
    return (short.iloc[stamps.dt.month - 1].to_numpy() + " " + stamps.dt.year.astype(str)).astype(object)


# Vega expressions for chart axes, so that charts read like the tiles.
EUROS_AXIS = (
    "abs(datum.value) >= 1e6 ? replace(format(datum.value / 1e6, ',.1f'), '.', ',') + ' M €'"
    " : abs(datum.value) >= 1e3 ? replace(format(datum.value / 1e3, ',.0f'), '.', ',') + ' k €'"
    " : format(datum.value, '.0f') + ' €'"
)
NUMBER_AXIS = "replace(format(datum.value, ',.0f'), regexp(',', 'g'), ' ')"
