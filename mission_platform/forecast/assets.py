"""Forecast assets: the weekly series, the 4-week NPTS forecast and the model league table.

All three read the published warehouse and write back to it; they are
unpartitioned because the whole series is cheap to recompute after each publish.
"""


import datetime as dt

import dagster as dg
import pandas as pd

from mission_platform.forecast import (
    PRODUCTION_MODEL,
    NotEnoughHistory,
    backtest,
    extras_needed,
    forecast,
    missions_per_active_extra,
    realised_errors,
    weekly_series,
)
from mission_platform.charts import forecast_chart, league_chart, png
from mission_platform.metadata import chart, table_metadata, table_preview
from mission_platform.resources import WarehouseResource
from mission_platform.steps import step_guard
from mission_platform.warehouse.tables import TABLES

HORIZON = 4
STAFFING_WEEKS = 8


def _published(warehouse: WarehouseResource) -> tuple[str, dt.date]:
    """The published export's id and date: the forecast is as of that export, not of the wall clock."""
    published = warehouse.published_export()
    if published is None:
        raise dg.Failure(description="the warehouse has nothing published yet: materialise the core tables first")
    return published


def _published_missions(warehouse: WarehouseResource, since: dt.date | None = None) -> pd.DataFrame:
    """The published missions the forecast layer needs (from ``since`` on, when given)."""
    missions = warehouse.query_frame(
        "SELECT mission_id, extra_id, date_debut, annulation FROM core.missions WHERE date_debut >= %s",
        (since or dt.date.min,),
    )
    missions["date_debut"] = pd.to_datetime(missions["date_debut"])
    return missions


def _as_of_week(export_date: dt.date) -> dt.date:
    return export_date - dt.timedelta(days=export_date.weekday())


def _history_frame(history: pd.Series) -> pd.DataFrame:
    return history.rename("missions").rename_axis("week_start").reset_index()


def _read_weekly(warehouse: WarehouseResource) -> tuple[pd.Series, pd.DataFrame]:
    """The stored history as a Series (completed weeks) and the booked future weeks."""
    table = warehouse.query_frame("SELECT week_start, missions, already_booked FROM core.weekly_missions ORDER BY week_start")
    table["week_start"] = pd.to_datetime(table["week_start"])
    history = table.dropna(subset=["missions"]).set_index("week_start")["missions"].astype(float)
    future = table[table["missions"].isna()]
    return history, future


@dg.asset(
    group_name="forecast",
    kinds={"pandas", "postgres"},
    deps=["missions"],
    pool="warehouse",
    description="core.weekly_missions: non-cancelled missions per ISO week (Monday start), completed weeks only, "
    "plus what is already booked for the next 4 weeks.",
    metadata={"dagster/table_name": "core.weekly_missions"},
)
def weekly_missions(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with step_guard(warehouse):
        export_id, export_date = _published(warehouse)
        series = weekly_series(_published_missions(warehouse), export_date, horizon=HORIZON)
        warehouse.replace_table("weekly_missions", series.table.assign(export_id=export_id))
        history = series.history
        booked = series.booked.rename_axis("week_start").reset_index()
        return dg.MaterializeResult(
            metadata=table_metadata(
                TABLES["weekly_missions"], len(series.table),
                completed_weeks=dg.MetadataValue.int(len(history)),
                first_week=dg.MetadataValue.text(str(history.index.min().date()) if len(history) else "none"),
                last_week=dg.MetadataValue.text(str(history.index.max().date()) if len(history) else "none"),
                chart=chart(png(forecast_chart(_history_frame(history), booked=booked)), "missions per week"),
                recent_weeks=table_preview(series.table.tail(8 + HORIZON)),
            )
        )


@dg.asset(
    group_name="forecast",
    kinds={"gluonts", "postgres"},
    deps=[weekly_missions],
    pool="warehouse",
    description="core.mission_forecast: the 4-week NPTS forecast (mean, p10, p50, p90) and the extras it takes, kept per as-of week.",
    metadata={"dagster/table_name": "core.mission_forecast"},
    check_specs=[dg.AssetCheckSpec("forecast_sane", asset="mission_forecast", blocking=True,
                                   description="The next 4 Mondays from the as-of week, each non-negative with "
                                   "p10 ≤ p50 ≤ p90; checked before the forecast is stored.")],
)
def mission_forecast(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    with step_guard(warehouse):
        export_id, export_date = _published(warehouse)
        history, future = _read_weekly(warehouse)
        try:
            predicted = forecast(history, horizon=HORIZON, model=PRODUCTION_MODEL, seed=0)
        except NotEnoughHistory as exc:
            context.log.warning(str(exc))
            return dg.MaterializeResult(
                metadata={"dagster/row_count": 0, "message": dg.MetadataValue.text(str(exc))},
                check_results=[dg.AssetCheckResult(check_name="forecast_sane", passed=True,
                                                   description="no forecast this week: not enough history")],
            )
        # Staffing looks at the last STAFFING_WEEKS completed weeks only: no need to read the whole history again.
        as_of_week = _as_of_week(export_date)
        recent = _published_missions(warehouse, since=as_of_week - dt.timedelta(weeks=STAFFING_WEEKS))
        per_extra = missions_per_active_extra(recent, export_date, weeks=STAFFING_WEEKS)
        rows = extras_needed(predicted, per_extra)
        booked = future.set_index("week_start")["already_booked"]
        rows["already_booked"] = pd.to_datetime(rows["week_start"]).map(booked).astype("Int64")
        rows.insert(0, "as_of_week", _as_of_week(export_date))
        rows.insert(2, "model", PRODUCTION_MODEL)
        rows["export_id"] = export_id
        sanity = forecast_sanity(rows, _as_of_week(export_date))
        if sanity.passed:  # a forecast that fails its check is never stored
            warehouse.upsert_rows("mission_forecast", rows)
        shown = rows[["week_start", "p10", "p50", "p90", "already_booked", "extras_needed_p50", "extras_needed_p90"]]
        return dg.MaterializeResult(
            metadata=table_metadata(
                TABLES["mission_forecast"], len(rows),
                chart=chart(png(forecast_chart(_history_frame(history), shown)), "forecast"),
                forecast=table_preview(shown.round(1)),
                missions_per_active_extra=dg.MetadataValue.float(float(per_extra)),
                as_of_week=dg.MetadataValue.text(str(_as_of_week(export_date))),
                warnings=dg.MetadataValue.json(list(predicted.attrs.get("warnings", []))),
                stored=dg.MetadataValue.bool(sanity.passed),
            ),
            check_results=[sanity],
        )


@dg.asset(
    group_name="forecast",
    kinds={"gluonts", "postgres"},
    deps=[weekly_missions, mission_forecast],
    pool="warehouse",
    description="core.forecast_backtest: every model compared by rolling-origin backtest (up to 12 origins, 4 weeks ahead); "
    "and the realised error of past production forecasts.",
    metadata={"dagster/table_name": "core.forecast_backtest"},
)
def forecast_backtest(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    with step_guard(warehouse):
        export_id, export_date = _published(warehouse)
        history, _ = _read_weekly(warehouse)
        try:
            league = backtest(history, horizon=HORIZON, origins=12)
        except NotEnoughHistory as exc:
            context.log.warning(str(exc))
            return dg.MaterializeResult(metadata={"dagster/row_count": 0, "message": dg.MetadataValue.text(str(exc))})
        rows = league.assign(export_id=export_id)
        rows.insert(0, "as_of_week", _as_of_week(export_date))
        warehouse.upsert_rows("forecast_backtest", rows)
        past = warehouse.query_frame(
            "SELECT as_of_week, week_start, model, p10, p50, p90, mean FROM core.mission_forecast WHERE model = %s",
            (PRODUCTION_MODEL,),
        )
        realised = realised_errors(past, history)
        warnings = list(league.attrs.get("warnings", []))
        return dg.MaterializeResult(
            metadata=table_metadata(
                TABLES["forecast_backtest"], len(rows),
                chart=chart(png(league_chart(league, PRODUCTION_MODEL)), "league table"),
                league_table=table_preview(league.round(3)),
                best_model=dg.MetadataValue.text(str(league.iloc[0]["model"])),
                realised_production_error=table_preview(realised.round(3)) if len(realised) else dg.MetadataValue.text(
                    "no past production forecast has its weeks completed yet"
                ),
                warnings=dg.MetadataValue.json(warnings),
            )
        )


def forecast_sanity(rows: pd.DataFrame, as_of_week: dt.date) -> dg.AssetCheckResult:
    """The forecast frame covers the next HORIZON Mondays from ``as_of_week``, non-negative, quantiles in order."""
    expected = list(pd.date_range(pd.Timestamp(as_of_week), periods=HORIZON, freq="7D"))
    weeks_ok = list(pd.to_datetime(rows["week_start"])) == expected
    bad = int(((rows[["mean", "p10", "p50", "p90"]] < 0).any(axis=1)
               | (rows["p10"] > rows["p50"]) | (rows["p50"] > rows["p90"])
               | rows[["mean", "p10", "p50", "p90"]].isna().any(axis=1)).sum())
    return dg.AssetCheckResult(
        check_name="forecast_sane",
        passed=weeks_ok and bad == 0,
        metadata={"weeks_as_expected": dg.MetadataValue.bool(weeks_ok), "bad_rows": dg.MetadataValue.int(bad)},
    )
