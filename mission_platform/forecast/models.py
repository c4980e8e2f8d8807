"""The forecasting models, behind one signature, and :func:`forecast`.

Every model maps a weekly history (counts of missions, one per ISO week, the
weeks given by their Monday) to ``horizon`` weeks of ``mean``, ``p10``,
``p50`` and ``p90``. GluonTS periods use pandas frequency ``W`` (= ``W-SUN``,
weeks *ending* Sunday), so the period holding a Monday runs Monday to Sunday;
``W-MON`` would be weeks ending Monday, one day off.

Models (the names are used everywhere: warehouse, metadata, backtest):

- ``npts``: GluonTS's NPTS with yearly seasonality (``SERIES_MODEL``): the forecast when an export has no
  creation dates, and the baseline of the booking-aware production model (``bookings``).
  GluonTS's default time feature for weekly data is the day of the month
  (``npts_day_of_month`` below): it matches a week with the weeks that happen
  to share its day of month, whatever the season. (Asking for two default
  features adds the week of the year but keeps the day of the month, and the
  week number jumps from 52/53 to 1 at New Year.) Here the default features are
  off and the ISO week of the year is a dynamic feature on a circle (cosine,
  sine), so week 52/53 sits next to week 1. The kernel weighs each past week
  by its distance in the year to the forecast week (``NPTS_SEASON_WEIGHT``:
  the weight falls to about 1/e two to three weeks apart) and by its age
  (``NPTS_TIME_WEIGHT`` on GluonTS's time-index feature, which spans the
  history). The business grows (35 % a year in the sample data), so a week of
  last year weighs about e^-3 of a recent one: the samples come mostly from
  the last weeks nearest in the year, and partly (more so 3-4 weeks ahead)
  from the same weeks a year earlier. With GluonTS's default scale (1000)
  the kernel would sample only the exact same week of past years: one or two
  values with two years of history, biased low by the growth, and an "80 %"
  interval that held 1 to 37 % of the actuals in our backtests on synthetic
  seasonal series. With less than a year of history no past year is there to
  draw from, and the same kernel samples the recent weeks: ``npts`` still runs,
  with a warning.
- ``npts_day_of_month``: GluonTS's NPTS with its defaults.
- ``identity``: GluonTS's ``IdentityPredictor`` (Dataiku's "trivial
  identity"): the last ``horizon`` weeks, repeated as the next ``horizon``.
- ``seasonal_naive``: GluonTS's ``SeasonalNaivePredictor``, same week 52 weeks
  earlier.
- ``naive``: the last week's value (``SeasonalNaivePredictor`` with a season
  of 1).
- ``ets``: statsmodels' ETS with additive errors and a damped additive trend,
  no seasonality (runs from 8 weeks of history).
- ``fourier_arima``: statsmodels' ARIMA(1,0,0) with a linear trend and Fourier
  terms of the year (period 365.2425 / 7 weeks, 3 harmonics) as regressors:
  dynamic harmonic regression, the usual statistical model for weekly data:
  a year is not a whole number of weeks, and a 52-week seasonal component
  (ETS, or STL + ETS) estimated on two years fits each week of the year to one
  or two values (STLForecast's 80 % intervals came out with zero width).

statsmodels rather than statsforecast: statsmodels is already a dependency;
statsforecast would add numba (and its LLVM), a large install and a JIT warm-up
on every run, for models of the same family.

Intervals of the point models (``identity``, ``seasonal_naive``, ``naive``):
``p50`` and ``mean`` are the point forecast; ``p10``/``p90`` add the 10th/90th
percentiles of the model's own in-sample errors at the same lag (e.g. for
``naive`` at step 3, every ``y[t] - y[t-3]`` of the history). The statistical
models use the library's 80 % prediction interval; NPTS uses its samples.
Every model's output is then clipped at 0 and its quantiles sorted, so a
forecast is never negative and ``p10 <= p50 <= p90`` always.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_WEEKS = 8          # fewer completed weeks than this: no forecast
SEASON = 52            # weeks; seasonal models need this many weeks of history
YEAR_IN_WEEKS = 365.2425 / 7
NPTS_SAMPLES = 1000    # more than GluonTS's 100: steadier quantiles for little time
# Chosen by backtest on synthetic series (growing business-shaped, and stationary seasonal): weaker
# time weights suit a flat series better but fall behind growth; the business grows (see the docstring).
NPTS_TIME_WEIGHT = 6.0     # kernel weight of the time index (spans 1 over the history)
NPTS_SEASON_WEIGHT = 3.0   # kernel weight of each of cos, sin of the ISO week
FOURIER_HARMONICS = 3
SERIES_MODEL = "npts"  # NPTS on the weekly series: the forecast of an export without creation dates, and the baseline


class NotEnoughHistory(ValueError):
    """The series is too short for what was asked; the message says how short and what is needed."""


@dataclass(frozen=True)
class Prediction:
    mean: np.ndarray
    p10: np.ndarray
    p50: np.ndarray
    p90: np.ndarray


@dataclass(frozen=True)
class Model:
    name: str
    predict: Callable[[np.ndarray, pd.DatetimeIndex, int, int], Prediction]
    min_weeks: int   # completed weeks it needs to run at all
    seasonal: bool   # draws on the same season of past years: weaker (or impossible) below a year


def as_weekly_series(series: pd.Series) -> pd.Series:
    """Check a weekly count series and return it as float, one row per week, no week missing.

    The index must be week starts (Mondays, at midnight); a week absent from the
    index is a week with no mission, so it is added with 0 (the rule of
    ``weekly_series``). Values must be finite and non-negative.
    """
    if not isinstance(series, pd.Series):
        raise TypeError(f"series must be a pandas Series of weekly counts, not {type(series).__name__}")
    try:
        index = pd.DatetimeIndex(series.index)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"series index must be week-start dates (Mondays): {exc}") from None
    if index.tz is not None:
        raise ValueError("series index must be naive week-start dates (Mondays), not time-zone aware")
    not_monday = index[(index.dayofweek != 0) | (index != index.normalize())]
    if len(not_monday):
        raise ValueError(f"series index must be Mondays at midnight (week starts); {not_monday[0]} is not")
    if index.has_duplicates:
        raise ValueError(f"series index repeats the week {index[index.duplicated()][0].date()}")
    values = pd.to_numeric(pd.Series(np.asarray(series, dtype=object), index=index), errors="coerce")
    bad = values.index[~np.isfinite(values.to_numpy(dtype=float)) | (values.to_numpy(dtype=float) < 0)]
    if len(bad):
        value = series.iloc[index.get_loc(bad[0])]
        value = value.item() if isinstance(value, np.generic) else value
        raise ValueError(
            f"series value for the week of {bad[0].date()} is {value!r}: weekly counts must be finite and non-negative"
        )
    values = values.astype(float).sort_index()
    if values.empty:
        return values.asfreq("W-MON")
    full = pd.date_range(values.index[0], values.index[-1], freq="W-MON", name="week_start")
    return values.reindex(full, fill_value=0.0).rename(series.name)


def future_weeks(last_week: pd.Timestamp, horizon: int) -> pd.DatetimeIndex:
    return pd.date_range(last_week + pd.Timedelta(weeks=1), periods=horizon, freq="W-MON", name="week_start")


def _prediction_from_forecast(fc) -> Prediction:
    return Prediction(mean=fc.mean, p10=fc.quantile(0.1), p50=fc.quantile(0.5), p90=fc.quantile(0.9))


def _gluonts_entry(y: np.ndarray, weeks: pd.DatetimeIndex) -> dict:
    # The W (= W-SUN) period holding the first Monday is that Monday's week.
    return {"start": weeks[0].to_period("W"), "target": y.astype(np.float32)}


def week_of_year_features(weeks: pd.DatetimeIndex) -> np.ndarray:
    """(cos, sin) of the ISO week of year, shape (2, len(weeks)): week 52/53 lands next to week 1."""
    angle = 2 * np.pi * (weeks.isocalendar().week.to_numpy(dtype=float) - 1) / YEAR_IN_WEEKS
    return np.vstack([np.cos(angle), np.sin(angle)])


def _npts(y: np.ndarray, weeks: pd.DatetimeIndex, horizon: int, seed: int, *, yearly: bool,
          time_weight: float = NPTS_TIME_WEIGHT, season_weight: float = NPTS_SEASON_WEIGHT,
          window: int | None = None) -> Prediction:
    """NPTS on the ``window`` last weeks (all when None); the time weight spans that window."""
    from gluonts.model.npts import NPTSPredictor

    if window is not None:
        y, weeks = y[-window:], weeks[-window:]
    entry = _gluonts_entry(y, weeks)
    if yearly:
        all_weeks = weeks.append(future_weeks(weeks[-1], horizon))
        entry["feat_dynamic_real"] = week_of_year_features(all_weeks)
        predictor = NPTSPredictor(
            prediction_length=horizon,
            use_default_time_features=False,
            feature_scale=1.0,
            exp_kernel_weights=[time_weight, season_weight, season_weight],
        )
    else:
        predictor = NPTSPredictor(prediction_length=horizon)
    # NPTS samples with NumPy's global generator: seeding it here makes the forecast a function of the seed.
    np.random.seed(seed)
    return _prediction_from_forecast(next(iter(predictor.predict([entry], num_samples=NPTS_SAMPLES))))


def _lag_errors(y: np.ndarray, lag: int) -> np.ndarray:
    # No pair of weeks that far apart (seasonal naive on exactly a year): a zero-width interval.
    return y[lag:] - y[:-lag] if y.size > lag else np.zeros(1)


def _point_model(make_predictor: Callable[[int], object], lag: Callable[[int, int], int]):
    """A GluonTS point predictor with intervals from its in-sample errors; ``lag(step, horizon)``
    is how many weeks back the predictor reads the value it forecasts at ``step`` (1-based)."""

    def predict(y: np.ndarray, weeks: pd.DatetimeIndex, horizon: int, seed: int) -> Prediction:
        point = next(iter(make_predictor(horizon).predict([_gluonts_entry(y, weeks)]))).mean
        errors = [_lag_errors(y, lag(step, horizon)) for step in range(1, horizon + 1)]
        low = np.array([np.quantile(e, 0.1) for e in errors])
        high = np.array([np.quantile(e, 0.9) for e in errors])
        return Prediction(mean=point, p10=point + low, p50=point, p90=point + high)

    return predict


def _identity(horizon: int):
    from gluonts.model.trivial.identity import IdentityPredictor

    return IdentityPredictor(prediction_length=horizon, num_samples=1)


def _seasonal_naive(season: int):
    def make(horizon: int):
        from gluonts.model.seasonal_naive import SeasonalNaivePredictor

        return SeasonalNaivePredictor(prediction_length=horizon, season_length=season)

    return make


def _statsmodels_prediction(summary: pd.DataFrame) -> Prediction:
    # summary_frame(alpha=0.2): the 80 % interval, i.e. the 10th and 90th percentiles.
    lower = "pi_lower" if "pi_lower" in summary else "mean_ci_lower"
    upper = "pi_upper" if "pi_upper" in summary else "mean_ci_upper"
    mean = summary["mean"].to_numpy(dtype=float)
    return Prediction(mean=mean, p10=summary[lower].to_numpy(dtype=float), p50=mean, p90=summary[upper].to_numpy(dtype=float))


def load_libraries() -> None:
    """Import the models' libraries now (statsmodels and GluonTS: about a second) rather than at the first fit."""
    import gluonts.model.npts  # noqa: F401
    import gluonts.model.seasonal_naive  # noqa: F401
    import gluonts.model.trivial.identity  # noqa: F401
    import statsmodels.tsa.arima.model  # noqa: F401
    import statsmodels.tsa.exponential_smoothing.ets  # noqa: F401
    import threadpoolctl  # noqa: F401


@functools.cache
def _threadpools():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextmanager
def _quiet_single_thread():
    """Around a statsmodels fit: BLAS on one thread, fit warnings silenced.

    The matrices are tiny, so BLAS threads only add synchronisation: 3-5x the
    CPU time on 2 cores. The warnings are convergence chatter on short or flat
    series; the backtest judges the result.
    """
    with _threadpools().limit(limits=1, user_api="blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _ets(y: np.ndarray, weeks: pd.DatetimeIndex, horizon: int, seed: int) -> Prediction:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    with _quiet_single_thread():
        # A pandas target: ETS's prediction results need an index (a plain range is enough).
        fitted = ETSModel(pd.Series(y, dtype=float), error="add", trend="add", damped_trend=True).fit(disp=False)
        summary = fitted.get_prediction(start=y.size, end=y.size + horizon - 1).summary_frame(alpha=0.2)
    return _statsmodels_prediction(summary)


def _fourier(weeks: pd.DatetimeIndex) -> np.ndarray:
    # Position in the year by calendar date, so the terms follow the seasons across 53-week years.
    angle = 2 * np.pi * (weeks.dayofyear.to_numpy(dtype=float) - 1) / 365.2425
    orders = np.arange(1, FOURIER_HARMONICS + 1)
    return np.hstack([np.cos(np.outer(angle, orders)), np.sin(np.outer(angle, orders))])


def _fourier_arima(y: np.ndarray, weeks: pd.DatetimeIndex, horizon: int, seed: int) -> Prediction:
    from statsmodels.tsa.arima.model import ARIMA

    future = future_weeks(weeks[-1], horizon)
    with _quiet_single_thread():
        fitted = ARIMA(y.astype(float), exog=_fourier(weeks), order=(1, 0, 0), trend="ct").fit()
        summary = fitted.get_forecast(horizon, exog=_fourier(future)).summary_frame(alpha=0.2)
    return _statsmodels_prediction(summary)


MODELS: dict[str, Model] = {
    m.name: m
    for m in (
        Model("npts", lambda y, w, h, s: _npts(y, w, h, s, yearly=True), MIN_WEEKS, seasonal=True),
        Model("npts_day_of_month", lambda y, w, h, s: _npts(y, w, h, s, yearly=False), MIN_WEEKS, seasonal=False),
        Model("identity", _point_model(_identity, lambda step, horizon: horizon), MIN_WEEKS, seasonal=False),
        Model("seasonal_naive", _point_model(_seasonal_naive(SEASON), lambda step, horizon: SEASON), SEASON, seasonal=True),
        Model("naive", _point_model(_seasonal_naive(1), lambda step, horizon: step), MIN_WEEKS, seasonal=False),
        Model("ets", _ets, MIN_WEEKS, seasonal=False),
        Model("fourier_arima", _fourier_arima, SEASON, seasonal=True),
    )
}
MODEL_NAMES: tuple[str, ...] = tuple(MODELS)


def get_model(name: str) -> Model:
    try:
        return MODELS[name]
    except KeyError:
        raise ValueError(f"unknown forecast model {name!r}; known models: {', '.join(MODEL_NAMES)}") from None


def history_problem(name: str, weeks: int) -> str | None:
    """Why model ``name`` cannot run on ``weeks`` completed weeks, or None when it can."""
    spec = get_model(name)
    if weeks >= spec.min_weeks:
        return None
    if weeks < MIN_WEEKS:
        return f"a forecast needs at least {MIN_WEEKS} completed weeks of history, there are {weeks}"
    return f"{name} is seasonal and needs a year of history ({spec.min_weeks} completed weeks), there are {weeks}"


def history_warning(name: str, weeks: int) -> str | None:
    """The caveat of running model ``name`` on ``weeks`` completed weeks, or None."""
    if get_model(name).seasonal and weeks < SEASON:
        return (
            f"less than a year of history ({weeks} completed weeks): {name} has no past year "
            "to take the season from and follows the recent weeks only"
        )
    return None


def predict(name: str, history: pd.Series, horizon: int, seed: int) -> Prediction:
    """Run model ``name`` on a checked history (see ``as_weekly_series``); outputs clipped and sorted."""
    if horizon < 1:
        raise ValueError(f"horizon must be at least 1 week, not {horizon}")
    problem = history_problem(name, len(history))
    if problem is not None:
        raise NotEnoughHistory(problem)
    raw = get_model(name).predict(history.to_numpy(dtype=float), pd.DatetimeIndex(history.index), horizon, seed)
    quantiles = np.sort(np.clip(np.vstack([raw.p10, raw.p50, raw.p90]).astype(float), 0, None), axis=0)
    return Prediction(mean=np.clip(np.asarray(raw.mean, dtype=float), 0, None), p10=quantiles[0], p50=quantiles[1], p90=quantiles[2])


def forecast(series: pd.Series, horizon: int = 4, model: str = SERIES_MODEL, seed: int = 0) -> pd.DataFrame:
    """Forecast the ``horizon`` weeks after the last week of ``series``.

    ``series``: weekly counts indexed by week start (Monday). Returns one row per
    future week: ``week_start`` (Monday, datetime64), ``mean``, ``p10``, ``p50``,
    ``p90``; ``attrs["warnings"]`` lists caveats (less than a year of history).
    Same seed, same forecast. Raises ``NotEnoughHistory`` when the history is
    too short for the model (below ``MIN_WEEKS``; below a year for
    ``seasonal_naive`` and ``fourier_arima``).
    """
    history = as_weekly_series(series)
    result = predict(model, history, horizon, seed)
    frame = pd.DataFrame(
        {
            "week_start": future_weeks(history.index[-1], horizon),
            "mean": result.mean,
            "p10": result.p10,
            "p50": result.p50,
            "p90": result.p90,
        }
    )
    frame.attrs["warnings"] = [w for w in [history_warning(model, len(history))] if w]
    return frame
