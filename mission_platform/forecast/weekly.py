"""The weekly mission series from ``core.missions``, and the staffing a forecast implies.

Weeks are ISO weeks, named by their Monday (``week_start``). Rules:

- A mission counts in the week of its ``date_debut`` (Paris local time) unless
  it is cancelled (``annulation`` is ``'extra'`` or ``'hotel'``).
- History = the completed weeks before the export date's week. The export
  date's own week is not complete: it is the first forecast week (the
  ``as_of_week`` of ``core.mission_forecast``), and its missions, like those of
  the following weeks, are only "already booked".
- The series starts on the first Monday on or after the earliest mission
  (cancelled ones included: they show the data covers that day). A first
  week the data joins after its Monday is partial, so it is left out.
- Weeks with no mission are 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

CANCELLATIONS = ("extra", "hotel")


@dataclass(frozen=True)
class WeeklySeries:
    table: pd.DataFrame      # core.weekly_missions: week_start (date), missions, already_booked (Int64)
    history: pd.Series       # completed weeks: missions, int64, indexed by week_start (Monday Timestamps)
    booked: pd.Series        # forecast weeks: missions already booked, int64, indexed like history
    as_of_week: pd.Timestamp  # Monday of the export date's week, the first forecast week


def week_start(timestamps: pd.Series) -> pd.Series:
    """The Monday (midnight) of each timestamp's ISO week."""
    days = timestamps.to_numpy(dtype="datetime64[D]")
    # Day 0 of datetime64 (1970-01-01) was a Thursday: (day + 3) % 7 is the weekday, Monday = 0.
    mondays = days - (days.astype("int64") + 3) % 7
    return pd.Series(mondays.astype("datetime64[ns]"), index=timestamps.index)


def monday_of(day: dt.date | pd.Timestamp) -> pd.Timestamp:
    day = pd.Timestamp(day).normalize()
    return day - pd.Timedelta(days=day.dayofweek)


def _checked(missions: pd.DataFrame, columns: tuple[str, ...]) -> tuple[pd.Series, pd.Series]:
    """The missions' ``date_debut`` and whether each is cancelled, after checking the frame."""
    missing = [c for c in columns if c not in missions.columns]
    if missing:
        raise KeyError(f"core.missions frame lacks the columns {missing}")
    starts = pd.to_datetime(missions["date_debut"])
    if starts.dt.tz is not None:
        raise ValueError("core.missions date_debut must be naive Europe/Paris local time, not time-zone aware")
    undated = starts.isna()
    if undated.any():
        names = missions.loc[undated, "mission_id"].head(3).tolist() if "mission_id" in missions else []
        raise ValueError(f"core.missions has {int(undated.sum())} missions without date_debut {names}: they belong to no week")
    cancelled = missions["annulation"].notna()
    unknown = set(missions.loc[cancelled, "annulation"].unique()) - set(CANCELLATIONS)
    if unknown:
        raise ValueError(f"core.missions annulation must be null, 'extra' or 'hotel'; found {sorted(map(str, unknown))}")
    return starts, cancelled


def weekly_series(missions: pd.DataFrame, export_date: dt.date, horizon: int = 4) -> WeeklySeries:
    """Missions per ISO week from a ``core.missions``-shaped frame (``date_debut``, ``annulation``).

    Returns the completed weeks (``history``), the missions already booked for
    the ``horizon`` weeks from the export date's week (``booked``), and both as
    the rows of ``core.weekly_missions`` (``table``: past weeks have
    ``missions``, future weeks ``already_booked``, the other column null).
    """
    starts, cancelled = _checked(missions, ("date_debut", "annulation"))
    as_of = monday_of(export_date)
    counts = week_start(starts)[~cancelled].value_counts()
    if len(starts):
        first_day = starts.min().normalize()
        first = first_day + pd.Timedelta(days=(7 - first_day.dayofweek) % 7)
    else:
        first = as_of
    history_weeks = pd.date_range(first, as_of - pd.Timedelta(weeks=1), freq="W-MON", name="week_start")
    future = pd.date_range(as_of, periods=horizon, freq="W-MON", name="week_start")
    history = counts.reindex(history_weeks, fill_value=0).astype("int64").rename("missions")
    booked = counts.reindex(future, fill_value=0).astype("int64").rename("already_booked")
    table = pd.DataFrame(
        {
            "week_start": history_weeks.append(future).date,
            "missions": pd.array([*history, *[None] * horizon], dtype="Int64"),
            "already_booked": pd.array([*[None] * len(history), *booked], dtype="Int64"),
        }
    )
    return WeeklySeries(table=table, history=history, booked=booked, as_of_week=as_of)


def missions_per_active_extra(missions: pd.DataFrame, export_date: dt.date, weeks: int = 8) -> float:
    """Missions an active extra does per week, over the ``weeks`` completed weeks before the export date's week.

    Non-cancelled missions with an extra, divided by the sum over those weeks
    of the distinct extras who had one (a ratio of sums: quiet weeks weigh
    less than busy ones). NaN when no extra worked in that window.
    """
    starts, cancelled = _checked(missions, ("extra_id", "date_debut", "annulation"))
    as_of = monday_of(export_date)
    week = week_start(starts)
    worked = ~cancelled & missions["extra_id"].notna() & (week >= as_of - pd.Timedelta(weeks=weeks)) & (week < as_of)
    extra_weeks = missions.loc[worked, "extra_id"].groupby(week[worked].to_numpy()).nunique().sum()
    return float(worked.sum() / extra_weeks) if extra_weeks else float("nan")


def extras_needed(forecast_frame: pd.DataFrame, missions_per_extra: float) -> pd.DataFrame:
    """The forecast with ``extras_needed_p50`` and ``extras_needed_p90`` (Int64) added.

    Extras needed = ceil(missions at that quantile / missions per active extra);
    null when the rate is unknown (NaN, 0).
    """
    out = forecast_frame.copy()
    usable = np.isfinite(missions_per_extra) and missions_per_extra > 0
    for level in ("p50", "p90"):
        if usable:
            # Rounded first: float noise (0.3 / 0.1 = 2.9999999999999996, 0.7 / 0.1 = 6.999999999999999)
            # must not move the ceiling.
            needed = np.ceil(np.round(out[level].to_numpy(dtype=float) / missions_per_extra, 9))
            out[f"extras_needed_{level}"] = pd.array(needed.astype("int64"), dtype="Int64")
        else:
            out[f"extras_needed_{level}"] = pd.array([None] * len(out), dtype="Int64")
    return out
