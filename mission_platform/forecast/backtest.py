"""Rolling-origin backtest of the models, and the same scoring for past production forecasts.

An origin is a week at which a forecast is made from the completed weeks
before it; it is named by ``as_of_week``, the Monday of the first forecast
week (as in ``core.mission_forecast``). The backtest uses the last
``origins`` origins whose ``horizon`` weeks are all known, one week apart:
the latest forecasts the weeks ending with the last completed week. Each
origin needs ``MIN_WEEKS`` weeks before it, so a backtest needs at least
``MIN_WEEKS + horizon + 1`` completed weeks (2 origins); below that it
raises ``NotEnoughHistory``.

A model runs at the origins where its history requirement is met (a year
before the origin, for ``seasonal_naive`` and ``fourier_arima``): the
``origins`` column says on how many it was scored, and a warning says when
that is fewer than the others, or when the model is left out (fewer than 2
origins). ``npts`` runs everywhere, with a warning when some origins have
less than a year behind them.

MASE is scaled, for each origin, by the in-sample MAE of the seasonal naive
(52 weeks) forecast, as asked. When the earliest origin has no more than 52
weeks before it there is no such MAE, and every origin is scaled by the
in-sample MAE of the naive (1 week) forecast instead, with a warning.

The league table is sorted by ``wql``, best first (ties broken by ``mape``):
the forecast is used at p50 and p90 (extras needed), so the whole distribution
matters; MAPE ignores the interval, favours forecasting low, and is undefined
on weeks with no mission.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from . import metrics
from .models import (
    MIN_WEEKS,
    MODEL_NAMES,
    SEASON,
    NotEnoughHistory,
    as_weekly_series,
    get_model,
    history_problem,
    history_warning,
    predict,
)

LEAGUE_COLUMNS = ["model", "origins", "mape", "smape", "mase", "wql", "coverage_80"]
ERROR_COLUMNS = ["model", "as_of_week", "week_start", "step", "actual", "mean", "p10", "p50", "p90", "scale"]


def _mase_season(earliest_origin_weeks: int) -> int:
    return SEASON if earliest_origin_weeks > SEASON else 1


def origin_cutoffs(weeks: int, horizon: int, origins: int) -> range:
    """The backtest origins as history lengths: the last ``origins`` whose ``horizon`` weeks are all known.

    Raises ``NotEnoughHistory`` when fewer than 2 fit in ``weeks`` completed weeks.
    """
    count = min(origins, weeks - horizon - MIN_WEEKS + 1)
    if count < 2:
        raise NotEnoughHistory(
            f"a backtest needs at least 2 forecast origins, i.e. {MIN_WEEKS + horizon + 1} completed weeks "
            f"for a {horizon}-week horizon ({MIN_WEEKS} weeks before the first origin); there are {weeks}"
        )
    return range(weeks - horizon - count + 1, weeks - horizon + 1)


def origin_scales(y: np.ndarray, cutoffs: range) -> tuple[dict[int, float], int]:
    """The MASE denominator of each origin, and the season it uses (52, or 1 when the history is too short)."""
    season = _mase_season(cutoffs[0])
    return {c: metrics.naive_scale(y[:c], season) for c in cutoffs}, season


def backtest_errors(
    series: pd.Series,
    horizon: int = 4,
    origins: int = 12,
    models: Iterable[str] = MODEL_NAMES,
    seed: int = 0,
) -> pd.DataFrame:
    """Every backtest forecast next to what happened, one row per model, origin and week.

    Columns: ``model``, ``as_of_week``, ``week_start``, ``step`` (1 = first
    forecast week), ``actual``, ``mean``, ``p10``, ``p50``, ``p90``, ``scale``
    (the MASE denominator of that origin). ``attrs["warnings"]`` lists the
    models left out and why, and the MASE scaling fallback;
    ``attrs["mase_scale"]`` is ``"seasonal_naive_52"`` or ``"naive_1"``.
    """
    history = as_weekly_series(series)
    names = [get_model(name).name for name in ([models] if isinstance(models, str) else models)]
    cutoffs = origin_cutoffs(len(history), horizon, origins)
    count = len(cutoffs)
    warnings = []
    runs: dict[str, list[int]] = {}
    for name in names:
        usable = [c for c in cutoffs if history_problem(name, c) is None]
        if len(usable) < 2:
            warnings.append(
                f"{name} left out of the backtest (it runs on {len(usable)} of the {count} origins, 2 are needed): "
                f"{history_problem(name, cutoffs[-2])} before the second-latest origin"
            )
            continue
        runs[name] = usable
        if len(usable) < count:
            warnings.append(f"{name} scored on {len(usable)} of {count} origins: {history_problem(name, cutoffs[0])}")
        caveat = history_warning(name, usable[0])
        if caveat:
            warnings.append(f"{name} at the earliest backtest origin: {caveat}")
    if not runs:
        raise NotEnoughHistory("; ".join(warnings))
    y = history.to_numpy(dtype=float)
    scales, season = origin_scales(y, cutoffs)
    if season != SEASON:
        warnings.append(
            f"MASE scaled by the naive (1 week) in-sample error: the earliest origin has {cutoffs[0]} weeks "
            f"of history, the seasonal naive scale needs more than {SEASON}"
        )
    blocks = []
    for name, usable in runs.items():
        for cutoff in usable:
            p = predict(name, history.iloc[:cutoff], horizon, seed)
            blocks.append(
                pd.DataFrame(
                    {
                        "model": name,
                        "as_of_week": history.index[cutoff],
                        "week_start": history.index[cutoff : cutoff + horizon],
                        "step": np.arange(1, horizon + 1),
                        "actual": y[cutoff : cutoff + horizon],
                        "mean": p.mean,
                        "p10": p.p10,
                        "p50": p.p50,
                        "p90": p.p90,
                        "scale": scales[cutoff],
                    }
                )
            )
    errors = pd.concat(blocks, ignore_index=True)[ERROR_COLUMNS]
    errors.attrs["warnings"] = warnings
    errors.attrs["mase_scale"] = "seasonal_naive_52" if season == SEASON else "naive_1"
    return errors


def league_table(errors: pd.DataFrame) -> pd.DataFrame:
    """Score each model of an errors frame (``backtest_errors`` or ``compare_with_actuals``), best first.

    Carries over the errors frame's ``attrs`` (warnings, MASE scaling).
    """
    rows = []
    for name, group in errors.groupby("model", sort=False):
        a = group["actual"].to_numpy(dtype=float)
        rows.append(
            {
                "model": name,
                "origins": group["as_of_week"].nunique(),
                "mape": metrics.mape(a, group["p50"]),
                "smape": metrics.smape(a, group["p50"]),
                "mase": metrics.mase(a, group["p50"], group["scale"]),
                "wql": metrics.wql(a, {0.1: group["p10"], 0.5: group["p50"], 0.9: group["p90"]}),
                "coverage_80": metrics.coverage(a, group["p10"], group["p90"]),
            }
        )
    table = pd.DataFrame(rows, columns=LEAGUE_COLUMNS)
    table = table.sort_values(["wql", "mape"], na_position="last", kind="stable").reset_index(drop=True)
    table.attrs = {key: list(value) if isinstance(value, list) else value for key, value in errors.attrs.items()}
    return table


def backtest(
    series: pd.Series,
    horizon: int = 4,
    origins: int = 12,
    models: Iterable[str] = MODEL_NAMES,
    seed: int = 0,
) -> pd.DataFrame:
    """League table of a rolling-origin backtest: one row per model, best first.

    Columns: ``model``, ``origins``, ``mape``, ``smape``, ``mase``, ``wql``,
    ``coverage_80``; ``attrs["warnings"]`` (models left out, MASE fallback)
    and ``attrs["mase_scale"]``. Raises ``NotEnoughHistory`` when fewer than 2
    origins fit in the history. For the per-origin errors too, call
    ``backtest_errors`` then ``league_table`` on its result (the same thing in
    two steps): a frame kept in ``attrs`` would break ``pd.concat`` of tables.
    """
    return league_table(backtest_errors(series, horizon=horizon, origins=origins, models=models, seed=seed))


def compare_with_actuals(past_forecasts: pd.DataFrame, series: pd.Series) -> pd.DataFrame:
    """Past forecasts (rows of ``core.mission_forecast``) next to what happened.

    Keeps the forecast weeks that are completed weeks of ``series``; the MASE
    scale of each as-of week comes from the weeks before it, as in the
    backtest. Returns the ``backtest_errors`` columns (no row when no forecast
    week is complete yet).
    """
    history = as_weekly_series(series)
    frame = past_forecasts.assign(
        as_of_week=pd.to_datetime(past_forecasts["as_of_week"]),
        week_start=pd.to_datetime(past_forecasts["week_start"]),
    )
    frame = frame[frame["week_start"].isin(history.index)]
    as_of = pd.DatetimeIndex(frame["as_of_week"].drop_duplicates())
    cuts = history.index.searchsorted(as_of)
    season = _mase_season(int(cuts.min())) if len(cuts) else SEASON
    y = history.to_numpy(dtype=float)
    scales = pd.Series([metrics.naive_scale(y[:c], season) for c in cuts], index=as_of, dtype=float)
    frame = frame.assign(
        step=((frame["week_start"] - frame["as_of_week"]).dt.days // 7 + 1).astype("int64"),
        actual=history.reindex(frame["week_start"]).to_numpy(),
        scale=scales.reindex(frame["as_of_week"]).to_numpy(),
    )
    for column in ("mean", "p10", "p50", "p90"):
        frame[column] = frame[column].astype(float)
    return frame[ERROR_COLUMNS].reset_index(drop=True)


def realised_errors(past_forecasts: pd.DataFrame, series: pd.Series) -> pd.DataFrame:
    """The league table of past production forecasts against what happened (``origins`` = as-of weeks scored).

    Empty (with the league columns) when no forecast week is complete yet.
    """
    return league_table(compare_with_actuals(past_forecasts, series))
