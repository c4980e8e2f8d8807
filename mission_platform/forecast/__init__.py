"""Weekly mission series, forecasting models, backtest and staffing: plain functions, no Dagster.

The Dagster assets live in ``mission_platform.forecast.assets`` and call these.
"""

from .backtest import backtest, backtest_errors, compare_with_actuals, league_table, realised_errors
from .metrics import coverage, mape, mase, naive_scale, smape, wql
from .models import MIN_WEEKS, MODEL_NAMES, PRODUCTION_MODEL, SEASON, NotEnoughHistory, forecast
from .weekly import WeeklySeries, extras_needed, missions_per_active_extra, weekly_series

__all__ = [
    "MIN_WEEKS",
    "MODEL_NAMES",
    "PRODUCTION_MODEL",
    "SEASON",
    "NotEnoughHistory",
    "WeeklySeries",
    "backtest",
    "backtest_errors",
    "compare_with_actuals",
    "coverage",
    "extras_needed",
    "forecast",
    "league_table",
    "mape",
    "mase",
    "missions_per_active_extra",
    "naive_scale",
    "realised_errors",
    "smape",
    "weekly_series",
    "wql",
]
