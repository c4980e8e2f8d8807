"""The calendar of a generated export and the daily demand for missions.

Demand = growth over the years x yearly seasonality of hotel demand (quiet
January and August, busy June and September-October) x a weekly rhythm (busier
Friday and Saturday) x French public holidays x a little week-to-week noise.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

# How far ahead missions are already booked at export time.
FUTURE_DAYS = 35

ANNUAL_GROWTH = 0.35
# Relative demand in the middle of each month, January to December.
MONTHLY_SEASONALITY = np.array([0.72, 0.85, 0.95, 1.02, 1.08, 1.22, 1.0, 0.7, 1.25, 1.2, 0.98, 0.92])
# Monday to Sunday.
WEEKDAY_RHYTHM = np.array([0.85, 0.9, 0.92, 0.98, 1.15, 1.25, 0.95])
HOLIDAY_FACTOR = 1.3
WEEKLY_NOISE = 0.05


@dataclass(frozen=True)
class Calendar:
    """Day 0 is the first day of history; ``export_day`` is the export date's index."""

    first_day: dt.date
    export_day: int
    n_days: int

    @classmethod
    def for_export(cls, export_date: dt.date, weeks: int) -> "Calendar":
        history = 7 * weeks
        return cls(export_date - dt.timedelta(days=history), history, history + FUTURE_DAYS + 1)

    def dates(self, day_index: np.ndarray | None = None) -> pd.DatetimeIndex:
        """Midnight of each day index (all days when none are given)."""
        index = np.arange(self.n_days) if day_index is None else np.asarray(day_index)
        return pd.DatetimeIndex(pd.Timestamp(self.first_day) + pd.to_timedelta(index, unit="D"))

    def holidays(self) -> np.ndarray:
        """Whether each day is a French public holiday."""
        dates = self.dates()
        holidays = np.concatenate([french_holidays(year) for year in range(dates[0].year, dates[-1].year + 1)])
        return dates.isin(pd.DatetimeIndex(holidays))

    def weekend(self) -> np.ndarray:
        return self.dates().dayofweek.to_numpy() >= 5


def easter_sunday(year: int) -> dt.date:
    """Gregorian Easter (the anonymous algorithm of Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 (the algorithm's name)
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def french_holidays(year: int) -> np.ndarray:
    """The eleven French public holidays of ``year`` (mainland)."""
    easter = easter_sunday(year)
    fixed = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
    moving = [easter + dt.timedelta(days=n) for n in (1, 39, 50)]  # Easter Monday, Ascension, Whit Monday
    return np.array([dt.date(year, m, d) for m, d in fixed] + moving, dtype="datetime64[D]")


def seasonality(dates: pd.DatetimeIndex) -> np.ndarray:
    """Monthly factors interpolated smoothly over the day of the year (cyclic)."""
    mid_month = np.array([15, 46, 74, 105, 135, 166, 196, 227, 258, 288, 319, 349], dtype=float)
    xp = np.concatenate([mid_month - 365, mid_month, mid_month + 365])
    fp = np.tile(MONTHLY_SEASONALITY, 3)
    return np.interp(dates.dayofyear.to_numpy(dtype=float), xp, fp)


def daily_demand(calendar: Calendar, missions_per_week: float, rng: np.random.Generator) -> np.ndarray:
    """Expected missions per day, scaled so that history averages ``missions_per_week``."""
    dates = calendar.dates()
    years_from_export = (np.arange(calendar.n_days) - calendar.export_day) / 365.25
    weeks = np.arange(calendar.n_days) // 7
    noise = rng.lognormal(0.0, WEEKLY_NOISE, size=weeks[-1] + 1)[weeks]
    shape = (
        np.exp(np.log1p(ANNUAL_GROWTH) * years_from_export)
        * seasonality(dates)
        * WEEKDAY_RHYTHM[dates.dayofweek.to_numpy()]
        * np.where(calendar.holidays(), HOLIDAY_FACTOR, 1.0)
        * noise
    )
    history = shape[: calendar.export_day]
    return shape * (missions_per_week * len(history) / 7 / history.sum())
