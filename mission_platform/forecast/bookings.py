"""The forecast that starts from what is already booked ("pickup" forecasting), its backtest and staffing.

Definitions (``missions``: one row per mission, ``date_debut``, ``date_creation``
= Notion's created time, ``annulation``; naive Europe/Paris times):

- **As-of moment**: the export's. ``as_of`` is the export date; a date (or a
  timestamp at midnight) means the end of that day, since an export holds what
  was created up to its taking; a timestamp with a time is taken as it is. The
  weeks before the as-of date's week are complete (``weekly_series``).
- **Lead** of forecast week ``k`` (0 = the as-of week): its Monday minus the
  as-of moment, in days (negative for the as-of week: it has begun). A week
  ``w`` is **booked at lead L** by its missions created before ``Monday(w) - L``;
  a mission entered after it happened is booked from its creation on, like
  any other. The **pickup** of a week at lead L is what came in after: its
  final count minus what was booked at L.
- **Cancellations**: the model counts the missions that go ahead (the weekly
  series' rule), at every lead: a cancelled mission is never booked. Notion
  keeps no cancellation date, so a past week's curve cannot hold the missions
  that were booked then cancelled later, and staffing needs the missions that
  go ahead anyway. Consequences, said rather than hidden: "already booked" is
  the missions not cancelled at the export, and a booked mission cancelled
  after the export can bring a week below it (the forecast never goes below
  it); the backtest knows, at each origin, which booked missions were to be
  cancelled (about 7 % of missions in the sample data), so its near-week
  errors are slightly optimistic.

Models (names as in the league table; the series models of ``models`` run too):

- ``npts_pickup`` (production, ``PRODUCTION_MODEL``): for each forecast week,
  GluonTS's NPTS (week-of-year kernel, as ``npts``) on the series of past
  pickups *at that week's lead*, sampled ``k + 1`` weeks ahead, added to what
  is booked. Each past pickup is divided by the level of the weeks completed
  when it was that far ahead (mean of the last ``NPTS_PICKUP_LEVEL_WEEKS``),
  and the draws multiplied back by today's level: NPTS draws how much still
  comes in relative to the recent weeks, and a past year's same season serves
  despite the growth. A pickup is never negative, so the forecast never goes
  below what is booked; the near weeks have little left to come, so their
  p10-p90 band is narrow. Kernel, window and level were chosen by backtest:
  see the constants below and docs/forecast.md.
- ``pickup_additive``: booked + the mean pickup at that lead over the last
  ``PICKUP_WEEKS`` weeks (the classic additive pickup).
- ``pickup_multiplicative``: booked x (final / booked at that lead) over the
  last ``PICKUP_WEEKS`` weeks, a ratio of sums (the classic multiplicative
  pickup); when nothing was booked that early in those weeks, the additive
  pickup.
  Both baselines are point methods: their p10/p90 add the 10th/90th
  percentiles of the rule's own in-sample errors at the same lead, as the
  series point models do.

Backtest (``backtest_bookings``): origins as in ``backtest`` (the last
``origins`` weeks whose ``horizon`` weeks are complete), each at the as-of
moment's weekday and time, ``horizon`` to ``origins + horizon - 1`` weeks earlier. At an
origin, only missions created before it count as booked for the weeks ahead,
and the pickup history uses, for each past week, what was booked at the same
lead: every count comes from creation times before the origin (nothing leaks
from the future), while the weeks before the origin are complete.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .backtest import ERROR_COLUMNS, backtest_errors, league_table, origin_cutoffs, origin_scales
from .models import (
    MODEL_NAMES,
    SEASON,
    SERIES_MODEL,
    NotEnoughHistory,
    Prediction,
    _npts,
    history_problem,
    history_warning,
    predict,
)
from .weekly import WeeklySeries, _checked, extras_needed, week_start, weekly_series

PRODUCTION_MODEL = "npts_pickup"
SERIES_FALLBACK = SERIES_MODEL  # without creation dates
PICKUP_WEEKS = 8
# NPTS on the pickup, chosen by backtest on 10 generated exports (seeds 0-9, 12 origins x 4 weeks each; the grid
# and its figures in docs/forecast.md), by weighted quantile loss with the 80 % interval holding 70-90 % of the
# actuals at every horizon (``bench_forecast.py --choose-kernel 10``). MAPE at 1 / 2 / 3 / 4 weeks ahead:
# - the chosen kernel: 3.0 / 5.6 / 8.2 / 9.6 %, interval holding 75 / 83 / 82 / 88 %;
# - pickups not scaled by the level of the last NPTS_PICKUP_LEVEL_WEEKS weeks: 3.5 / 8.3 / 16.7 / 20.4 %
#   (NPTS draws past counts, a year lower with the growth); scaled by 4 weeks: 3.0 / 5.6 / 9.2 / 11.0 %;
# - window: 52 weeks scores the same as two years; 26 weeks (no past year) 3.3 / 8.2 / 15.6 / 21.7 %;
# - time weight 6 (the plain npts's): 3.2 / 7.6 / 14.0 / 18.8 %, the draws narrowed to a few recent weeks, the
#   interval holding 50-58 %; weights of 0 to 2 scored within noise of 1 (an earlier, finer grid);
# - season weight 2: 3.1 / 6.8 / 10.5 / 11.5 % (other seasons drawn); 10: 3.7 / 7.1 / 9.5 / 11.1 %, intervals
#   holding 62-74 % (too few weeks drawn).
NPTS_PICKUP_WINDOW = 104
NPTS_PICKUP_TIME_WEIGHT = 1.0
NPTS_PICKUP_SEASON_WEIGHT = 4.0
NPTS_PICKUP_LEVEL_WEEKS = 12
BOOKING_MODEL_NAMES = ("npts_pickup", "pickup_additive", "pickup_multiplicative")
ALL_MODEL_NAMES = BOOKING_MODEL_NAMES + MODEL_NAMES
NO_CREATION_DATES = (
    "the missions carry no date_creation (an export from before Notion's 'Date de création' was exported): "
    "plain npts on the weekly series, raised to what is already booked"
)


@dataclass(frozen=True)
class Bookings:
    """What the booking models read, for every week of the series and every forecast step.

    ``booked[w, k]``: missions (not cancelled) of week ``weeks[w]`` created before
    its Monday minus ``leads[k]``; the weeks are the completed weeks
    (``weekly.history``) then the ``horizon`` forecast weeks.
    """

    weekly: WeeklySeries
    weeks: pd.DatetimeIndex
    leads: np.ndarray  # days, one per forecast step
    booked: np.ndarray  # len(weeks) x horizon, int64


def as_of_moment(as_of: dt.date | pd.Timestamp) -> pd.Timestamp:
    """The moment of the export: the end of the day for a date, the timestamp itself when it has a time."""
    moment = pd.Timestamp(as_of)
    if moment.tz is not None:
        raise ValueError("as_of must be a date or a naive Europe/Paris timestamp, not time-zone aware")
    return moment + pd.Timedelta(days=1) if moment == moment.normalize() else moment


def _creation_times(missions: pd.DataFrame) -> pd.Series | None:
    """The missions' ``date_creation``, or None when the frame has none (an older export)."""
    if "date_creation" not in missions.columns or missions["date_creation"].isna().all():
        return None
    created = pd.to_datetime(missions["date_creation"])
    if created.dt.tz is not None:
        raise ValueError("missions date_creation must be naive Europe/Paris local time, not time-zone aware")
    missing = created.isna()
    if missing.any():
        names = missions.loc[missing, "mission_id"].head(3).tolist() if "mission_id" in missions else []
        raise ValueError(
            f"missions: {int(missing.sum())} of {len(missions)} rows have no date_creation {names}: "
            "either every mission has its created time or none (an older export)"
        )
    return created


def _booked(starts: pd.Series, created: pd.Series, cancelled: pd.Series, weeks: pd.DatetimeIndex,
            leads: np.ndarray) -> np.ndarray:
    """len(weeks) x len(leads): each week's missions, not cancelled, created more than each lead (days) before
    its Monday; a mission entered after it started has a negative lead."""
    live = ~cancelled.to_numpy()
    monday = week_start(starts)[live]
    week_of = weeks.get_indexer(monday)
    lead = ((monday - created[live]) / pd.Timedelta(days=1)).to_numpy()
    in_weeks = week_of >= 0
    return np.stack([np.bincount(week_of[in_weeks & (lead > L)], minlength=len(weeks)) for L in leads],
                    axis=1).astype(np.int64)


def bookings(missions: pd.DataFrame, as_of: dt.date | pd.Timestamp, horizon: int = 4) -> Bookings | None:
    """The booking counts of ``missions`` as of ``as_of`` (see ``Bookings``); None without creation dates."""
    starts, cancelled = _checked(missions, ("date_debut", "annulation"))
    moment = as_of_moment(as_of)
    weekly = weekly_series(missions, pd.Timestamp(as_of).date(), horizon=horizon)
    created = _creation_times(missions)
    if created is None:
        return None
    weeks = weekly.history.index.append(pd.date_range(weekly.as_of_week, periods=horizon, freq="W-MON"))
    leads = ((weeks[len(weekly.history):] - moment) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    return Bookings(weekly=weekly, weeks=weeks, leads=leads, booked=_booked(starts, created, cancelled, weeks, leads))


def booking_curves(missions: pd.DataFrame, as_of: dt.date | pd.Timestamp, max_lead_days: int = 35) -> pd.DataFrame:
    """For every completed week and every lead from 0 to ``max_lead_days`` days: how much was booked that early.

    One row per week and lead: ``week_start``, ``lead_days``, ``booked`` (its
    missions not cancelled, created more than ``lead_days`` days before
    its Monday), ``missions`` (its final count, as in ``weekly_series``) and
    ``booked_share`` (NaN for a week with no mission). Cancelled missions are
    left out at every lead (see the module docstring). Raises ``ValueError``
    when the missions have no ``date_creation``.
    """
    starts, cancelled = _checked(missions, ("date_debut", "annulation"))
    created = _creation_times(missions)
    if created is None:
        raise ValueError("booking curves need the missions' date_creation (Notion's 'Date de création'); "
                         "these missions have none (an export from before it was exported)")
    history = weekly_series(missions, pd.Timestamp(as_of).date(), horizon=1).history
    leads = np.arange(max_lead_days + 1)
    booked = _booked(starts, created, cancelled, history.index, leads)
    final = history.to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = booked / final[:, None]
    return pd.DataFrame({
        "week_start": np.repeat(history.index.to_numpy(), len(leads)),
        "lead_days": np.tile(leads, len(history)),
        "booked": booked.ravel(),
        "missions": np.repeat(final, len(leads)),
        "booked_share": np.where(final[:, None] > 0, share, np.nan).ravel(),
    })


# -- models ---------------------------------------------------------------------------------------

BookingModel = Callable[[np.ndarray, pd.DatetimeIndex, np.ndarray, np.ndarray, int], Prediction]


def npts_pickup(window: int | None, time_weight: float, season_weight: float, level_weeks: int | None) -> BookingModel:
    """NPTS on the pickup at each forecast week's lead, added to what is booked.

    ``level_weeks``: when given, each past pickup is divided by the mean final
    count of the ``level_weeks`` weeks completed when it was ``k + 1`` weeks
    ahead, and the sample multiplied back by the current level: NPTS then
    draws shapes (how much comes in, relative to the recent weeks) rather
    than counts of another level. None: plain counts.
    """

    def predict_pickup(finals: np.ndarray, weeks: pd.DatetimeIndex, booked: np.ndarray, booked_now: np.ndarray,
                       seed: int) -> Prediction:
        weeks_seen = len(finals)
        # The first weeks have fewer than level_weeks weeks before them: the mean of those they have.
        level = (pd.Series(finals).rolling(level_weeks, min_periods=1).mean().to_numpy() if level_weeks
                 else np.ones(weeks_seen))
        level = np.maximum(level, 1.0)  # a run of empty weeks: counts, not a division by 0
        rows = []
        for k in range(len(booked_now)):
            # Pickup of week t (t > k) in units of the level known k + 1 weeks before it.
            scaled = (finals - booked[:, k])[k + 1:] / level[:weeks_seen - k - 1]
            pickup = _npts(scaled, weeks[k + 1:], k + 1, seed, yearly=True, time_weight=time_weight,
                           season_weight=season_weight, window=window)
            rows.append([booked_now[k] + level[-1] * np.asarray(q, dtype=float)[k]
                         for q in (pickup.mean, pickup.p10, pickup.p50, pickup.p90)])
        mean, p10, p50, p90 = np.array(rows).T
        return Prediction(mean=mean, p10=p10, p50=p50, p90=p90)

    return predict_pickup


def _pickup(multiplicative: bool) -> BookingModel:
    """The classic pickup rule; intervals from its in-sample errors at the same lead."""

    def predict_rule(finals: np.ndarray, weeks: pd.DatetimeIndex, booked: np.ndarray, booked_now: np.ndarray,
                     seed: int) -> Prediction:
        weeks_seen = len(finals)
        point, low, high = (np.empty(len(booked_now)) for _ in range(3))
        for k in range(len(booked_now)):
            b = booked[:, k].astype(float)
            # Index t: the rule learnt on the PICKUP_WEEKS weeks ending with week t.
            level = pd.Series(finals - b).rolling(PICKUP_WEEKS).mean().to_numpy()
            ratio = np.full(weeks_seen, np.nan)
            if multiplicative:
                booked_sum = pd.Series(b).rolling(PICKUP_WEEKS).sum().to_numpy()
                final_sum = pd.Series(finals).rolling(PICKUP_WEEKS).sum().to_numpy()
                np.divide(final_sum, booked_sum, out=ratio, where=booked_sum > 0)

            def rule(booked_k: np.ndarray, at: np.ndarray) -> np.ndarray:
                return np.where(np.isfinite(ratio[at]), booked_k * ratio[at], booked_k + level[at])

            point[k] = rule(np.array([booked_now[k]]), np.array([weeks_seen - 1]))[0]
            # In sample, week t is forecast k + 1 weeks after the last week the rule learnt from.
            errors = finals[k + 1:] - rule(b[k + 1:], np.arange(weeks_seen - k - 1))
            errors = errors[np.isfinite(errors)]
            errors = errors if errors.size else np.zeros(1)
            low[k], high[k] = point[k] + np.quantile(errors, [0.1, 0.9])
        return Prediction(mean=point, p10=low, p50=point, p90=high)

    return predict_rule


BOOKING_MODELS: dict[str, BookingModel] = {
    "npts_pickup": npts_pickup(NPTS_PICKUP_WINDOW, NPTS_PICKUP_TIME_WEIGHT, NPTS_PICKUP_SEASON_WEIGHT,
                               NPTS_PICKUP_LEVEL_WEEKS),
    "pickup_additive": _pickup(multiplicative=False),
    "pickup_multiplicative": _pickup(multiplicative=True),
}


def _predict_booking(model: BookingModel, book: Bookings, cutoff: int, seed: int) -> Prediction:
    """``model`` at the origin after the first ``cutoff`` weeks: never below booked, quantiles in order."""
    problem = history_problem(SERIES_FALLBACK, cutoff)
    if problem is not None:
        raise NotEnoughHistory(problem)
    horizon = len(book.leads)
    booked_now = book.booked[cutoff + np.arange(horizon), np.arange(horizon)].astype(float)
    finals = book.weekly.history.to_numpy(dtype=float)[:cutoff]
    return _at_least(model(finals, book.weeks[:cutoff], book.booked[:cutoff], booked_now, seed), booked_now)


def _at_least(raw: Prediction, booked: np.ndarray) -> Prediction:
    """The prediction raised to what is booked, quantiles in order."""
    quantiles = np.sort(np.maximum(np.vstack([raw.p10, raw.p50, raw.p90]), booked), axis=0)
    return Prediction(mean=np.maximum(raw.mean, booked), p10=quantiles[0], p50=quantiles[1], p90=quantiles[2])


# -- the forecast and its backtest ----------------------------------------------------------------

def forecast_bookings(missions: pd.DataFrame, as_of: dt.date | pd.Timestamp, horizon: int = 4,
                      seed: int = 0) -> pd.DataFrame:
    """The production forecast of the ``horizon`` weeks from the as-of date's week.

    Columns: ``week_start``, ``mean``, ``p10``, ``p50``, ``p90`` (as ``forecast``)
    and ``already_booked`` (missions not cancelled, created by the as-of moment).
    Never below ``already_booked``; same seed, same forecast.
    ``attrs["warnings"]``: caveats (less than a year of history; no creation
    dates: plain ``npts``, raised to what is booked); ``attrs["model"]``: the
    model that made it. Raises ``NotEnoughHistory`` below ``MIN_WEEKS``
    completed weeks.
    """
    if horizon < 1:
        raise ValueError(f"horizon must be at least 1 week, not {horizon}")
    book = bookings(missions, as_of, horizon)
    if book is None:
        weekly = weekly_series(missions, pd.Timestamp(as_of).date(), horizon=horizon)
        booked_now = weekly.booked.to_numpy(dtype=float)
        prediction = _at_least(predict(SERIES_FALLBACK, weekly.history.astype(float), horizon, seed), booked_now)
        warnings, model = [NO_CREATION_DATES], SERIES_FALLBACK
    else:
        weekly = book.weekly
        prediction = _predict_booking(BOOKING_MODELS[PRODUCTION_MODEL], book, len(weekly.history), seed)
        booked_now = book.booked[len(weekly.history) + np.arange(horizon), np.arange(horizon)]
        warnings, model = [], PRODUCTION_MODEL
    caveat = history_warning(SERIES_FALLBACK, len(weekly.history))
    frame = pd.DataFrame({
        "week_start": pd.date_range(weekly.as_of_week, periods=horizon, freq="W-MON", name="week_start"),
        "mean": prediction.mean, "p10": prediction.p10, "p50": prediction.p50, "p90": prediction.p90,
        "already_booked": np.asarray(booked_now).astype(np.int64),
    })
    frame.attrs["warnings"] = warnings + ([caveat] if caveat else [])
    frame.attrs["model"] = model
    return frame


def booking_errors(book: Bookings, model: BookingModel, name: str, cutoffs: range, seed: int = 0) -> pd.DataFrame:
    """The backtest rows (``ERROR_COLUMNS``) of one booking model, named ``name``, at the origins ``cutoffs``
    (numbers of completed weeks before each origin, see ``origin_cutoffs``)."""
    history = book.weekly.history
    y = history.to_numpy(dtype=float)
    scales, _ = origin_scales(y, cutoffs)
    horizon = len(book.leads)
    blocks = []
    for cutoff in cutoffs:
        p = _predict_booking(model, book, cutoff, seed)
        blocks.append(pd.DataFrame({
            "model": name, "as_of_week": history.index[cutoff],
            "week_start": history.index[cutoff:cutoff + horizon], "step": np.arange(1, horizon + 1),
            "actual": y[cutoff:cutoff + horizon], "mean": p.mean, "p10": p.p10, "p50": p.p50, "p90": p.p90,
            "scale": scales[cutoff],
        }))
    return pd.concat(blocks, ignore_index=True)[ERROR_COLUMNS]


def backtest_bookings_errors(missions: pd.DataFrame, as_of: dt.date | pd.Timestamp, horizon: int = 4,
                             origins: int = 12, models: Iterable[str] = ALL_MODEL_NAMES,
                             seed: int = 0) -> pd.DataFrame:
    """Every backtest forecast next to what happened: the ``backtest_errors`` columns plus ``already_booked``.

    One row per model, origin and week; ``models`` mixes booking models and
    series models (``MODEL_NAMES``). Without creation dates only the series
    models run, with a warning. ``attrs``: ``warnings``, ``mase_scale``.
    """
    names = [models] if isinstance(models, str) else list(models)
    unknown = sorted(set(names) - set(ALL_MODEL_NAMES))
    if unknown:
        raise ValueError(f"unknown forecast models {unknown}; known models: {', '.join(ALL_MODEL_NAMES)}")
    book = bookings(missions, as_of, horizon)
    weekly = weekly_series(missions, pd.Timestamp(as_of).date(), horizon=horizon) if book is None else book.weekly
    history = weekly.history.astype(float)
    cutoffs = origin_cutoffs(len(history), horizon, origins)
    series_names = [n for n in names if n in MODEL_NAMES]
    warnings: list[str] = []
    blocks = []
    mase_scale = None
    if series_names:
        series_errors = backtest_errors(history, horizon, origins, models=series_names, seed=seed)
        warnings += series_errors.attrs["warnings"]
        mase_scale = series_errors.attrs["mase_scale"]
        blocks.append(series_errors)
    booking_names = [n for n in names if n in BOOKING_MODEL_NAMES]
    if booking_names and book is None:
        warnings.append(f"{', '.join(booking_names)} left out of the backtest: {NO_CREATION_DATES}")
    elif booking_names:
        _, season = origin_scales(history.to_numpy(), cutoffs)
        mase_scale = mase_scale or ("seasonal_naive_52" if season == SEASON else "naive_1")
        blocks += [booking_errors(book, BOOKING_MODELS[name], name, cutoffs, seed) for name in booking_names]
    if not blocks:
        raise NotEnoughHistory("; ".join(warnings) or "no model to backtest")
    errors = pd.concat(blocks, ignore_index=True)[ERROR_COLUMNS]
    if book is not None:
        # What was booked at each origin for each of its weeks: model-independent.
        step = errors["step"].to_numpy() - 1
        errors["already_booked"] = book.booked[book.weeks.get_indexer(errors["week_start"]), step]
    else:
        errors["already_booked"] = pd.array([None] * len(errors), dtype="Int64")
    errors.attrs["warnings"] = warnings
    errors.attrs["mase_scale"] = mase_scale
    return errors


def backtest_bookings(missions: pd.DataFrame, as_of: dt.date | pd.Timestamp, horizon: int = 4,
                      origins: int = 12) -> pd.DataFrame:
    """League table of the booking-aware backtest: one row per model (booking and series models), best first.

    Same columns as ``backtest`` (``model``, ``origins``, ``mape``, ``smape``,
    ``mase``, ``wql``, ``coverage_80``) and ``attrs``. Raises
    ``NotEnoughHistory`` when fewer than 2 origins fit in the history.
    """
    return league_table(backtest_bookings_errors(missions, as_of, horizon=horizon, origins=origins))


# -- staffing -------------------------------------------------------------------------------------

def staffing(forecast_frame: pd.DataFrame, missions: pd.DataFrame, missions_per_extra: float) -> pd.DataFrame:
    """The forecast with the extras it takes and how many are still to find.

    Adds ``extras_needed_p50``/``extras_needed_p90`` (``extras_needed``),
    ``extras_assigned`` (distinct extras already on a mission, not cancelled,
    of that week) and ``extras_to_find_p50``/``extras_to_find_p90`` (needed
    minus assigned, never below 0; null when the rate is unknown). All Int64.
    """
    starts, cancelled = _checked(missions, ("extra_id", "date_debut", "annulation"))
    out = extras_needed(forecast_frame, missions_per_extra)
    weeks = pd.DatetimeIndex(pd.to_datetime(out["week_start"]))
    assigned_rows = ~cancelled & missions["extra_id"].notna()
    assigned = (missions.loc[assigned_rows, "extra_id"].groupby(week_start(starts)[assigned_rows].to_numpy())
                .nunique().reindex(weeks, fill_value=0))
    out["extras_assigned"] = pd.array(assigned.to_numpy(dtype=np.int64), dtype="Int64")
    for level in ("p50", "p90"):
        out[f"extras_to_find_{level}"] = (out[f"extras_needed_{level}"] - out["extras_assigned"]).clip(lower=0)
    return out

