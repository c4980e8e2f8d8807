"""Weekly mission series, forecasting models, backtest and staffing: plain functions, no Dagster.

The Dagster assets live in ``mission_platform.forecast.assets`` and call these.
"""

from .backtest import backtest, backtest_errors, compare_with_actuals, league_table, realised_errors
from .bookings import (
    BOOKING_MODEL_NAMES,
    PRODUCTION_MODEL,
    backtest_bookings,
    backtest_bookings_errors,
    booking_curves,
    forecast_bookings,
    staffing,
)
from .metrics import coverage, mape, mase, naive_scale, smape, wql
from .models import MIN_WEEKS, MODEL_NAMES, SEASON, SERIES_MODEL, NotEnoughHistory, forecast
from .weekly import WeeklySeries, extras_needed, missions_per_active_extra, weekly_series

__all__ = [
    "BOOKING_MODEL_NAMES",
    "MIN_WEEKS",
    "MODEL_NAMES",
    "PRODUCTION_MODEL",
    "SEASON",
    "SERIES_MODEL",
    "NotEnoughHistory",
    "WeeklySeries",
    "backtest",
    "backtest_bookings",
    "backtest_bookings_errors",
    "backtest_errors",
    "booking_curves",
    "compare_with_actuals",
    "coverage",
    "extras_needed",
    "forecast",
    "forecast_bookings",
    "league_table",
    "mape",
    "mase",
    "missions_per_active_extra",
    "naive_scale",
    "realised_errors",
    "smape",
    "staffing",
    "weekly_series",
    "wql",
]
