"""Forecast accuracy metrics, on plain arrays.

Conventions (the backtest and the realised-error report use these, nothing else):

- Point forecast = the median (``p50``), as GluonTS's evaluator does for
  MAPE, sMAPE and MASE: the median is the forecast that minimises absolute
  error, which is what these three metrics measure.
- Errors are fractions (0.12 means 12 %), not percentages.
- ``mape`` skips weeks whose actual is 0 (the error is infinite there); it is
  NaN when every actual is 0. ``smape`` counts a week where the actual and the
  forecast are both 0 as a perfect forecast (0) instead of 0/0.
- ``mase`` divides each absolute error by the scale of its row (one in-sample
  naive MAE per forecast origin, see :func:`naive_scale`); rows with a zero
  scale (a constant training series) are left out, NaN when none remain.
- ``wql`` is GluonTS's ``mean_wQuantileLoss``: for each quantile level, twice
  the summed pinball loss divided by the summed absolute actuals, averaged over
  the levels; NaN when every actual is 0.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def _arrays(*values) -> list[np.ndarray]:
    arrays = [np.asarray(v, dtype=float) for v in values]
    if len({a.shape for a in arrays}) > 1:
        raise ValueError(f"metric inputs differ in length: {[a.shape for a in arrays]}")
    return arrays


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else float("nan")


def mape(actual, predicted) -> float:
    """Mean absolute percentage error over the weeks whose actual is not 0."""
    a, p = _arrays(actual, predicted)
    nonzero = a != 0
    return _mean(np.abs(a[nonzero] - p[nonzero]) / np.abs(a[nonzero]))


def smape(actual, predicted) -> float:
    """Symmetric MAPE: mean of 2|a - p| / (|a| + |p|), 0 where both are 0."""
    a, p = _arrays(actual, predicted)
    denominator = np.abs(a) + np.abs(p)
    ratio = np.divide(2 * np.abs(a - p), denominator, out=np.zeros_like(a), where=denominator != 0)
    return _mean(ratio)


def mase(actual, predicted, scale) -> float:
    """Mean absolute error divided by the in-sample naive MAE, row by row."""
    a, p, s = _arrays(actual, predicted, np.broadcast_to(scale, np.shape(actual)))
    usable = s > 0
    return _mean(np.abs(a[usable] - p[usable]) / s[usable])


def naive_scale(history, season: int) -> float:
    """In-sample MAE of the naive forecast that repeats the value ``season`` weeks back.

    NaN when the history has no pair of weeks ``season`` apart.
    """
    (y,) = _arrays(history)
    if y.size <= season:
        return float("nan")
    return float(np.abs(y[season:] - y[:-season]).mean())


def wql(actual, quantiles: Mapping[float, object]) -> float:
    """Weighted quantile loss averaged over the levels of ``quantiles`` ({level: forecast})."""
    (a,) = _arrays(actual)
    total = np.abs(a).sum()
    if total == 0:
        return float("nan")
    losses = []
    for level, forecast in quantiles.items():
        (q,) = _arrays(forecast)
        if q.shape != a.shape:
            raise ValueError(f"quantile {level} has {q.shape[0]} values for {a.shape[0]} actuals")
        pinball = np.maximum(level * (a - q), (level - 1) * (a - q))
        losses.append(2 * pinball.sum() / total)
    return float(np.mean(losses))


def coverage(actual, lower, upper) -> float:
    """Share of actuals inside [lower, upper], bounds included."""
    a, lo, hi = _arrays(actual, lower, upper)
    return _mean(((a >= lo) & (a <= hi)).astype(float))
