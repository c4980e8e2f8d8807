"""Forecast assets: the weekly series, the 4-week NPTS forecast and the model league table.

All three read the published warehouse and write back to it, in one step that
reads the published missions once; they are unpartitioned because the whole
series is cheap to recompute after each publish.
"""


import datetime as dt

import dagster as dg
import pandas as pd

from mission_platform.charts import forecast_chart, league_chart, png, start_renderer
from mission_platform.forecast import (
    PRODUCTION_MODEL,
    NotEnoughHistory,
    backtest_bookings,
    forecast_bookings,
    missions_per_active_extra,
    realised_errors,
    staffing,
    weekly_series,
)
from mission_platform.forecast.models import load_libraries
from mission_platform.metadata import chart, table_metadata, table_preview
from mission_platform.steps import step_guard
from mission_platform.warehouse.resources import WarehouseResource
from mission_platform.warehouse.tables import TABLES

HORIZON = 4
STAFFING_WEEKS = 8


def _published(warehouse: WarehouseResource) -> tuple[str, dt.date]:
    """The published export's id and date: the forecast is as of that export, not of the wall clock."""
    published = warehouse.published_export()
    if published is None:
        raise dg.Failure(description="the warehouse has nothing published yet: materialise the core tables first")
    return published


def _published_missions(warehouse: WarehouseResource) -> pd.DataFrame:
    """The published missions, with what the forecast layer needs: when each starts, was booked, was cancelled."""
    missions = warehouse.query_frame(
        "SELECT mission_id, extra_id, date_debut, date_creation, annulation FROM core.missions")
    for column in ("date_debut", "date_creation"):
        missions[column] = pd.to_datetime(missions[column])
    return missions


def _as_of_week(export_date: dt.date) -> dt.date:
    return export_date - dt.timedelta(days=export_date.weekday())


def _history_frame(history: pd.Series) -> pd.DataFrame:
    return history.rename("missions").rename_axis("week_start").reset_index()


def _read_history(warehouse: WarehouseResource) -> pd.Series:
    """The stored completed weeks, as a Series indexed by week start."""
    table = warehouse.query_frame(
        "SELECT week_start, missions FROM core.weekly_missions WHERE missions IS NOT NULL ORDER BY week_start")
    return table.set_index(pd.to_datetime(table["week_start"]))["missions"].astype(float)


WEEKLY_MISSIONS = dg.AssetKey("weekly_missions")
MISSION_FORECAST = dg.AssetKey("mission_forecast")
FORECAST_BACKTEST = dg.AssetKey("forecast_backtest")


def _not_enough_history(context: dg.AssetExecutionContext, key: dg.AssetKey, exc: NotEnoughHistory,
                        **results) -> dg.MaterializeResult:
    """No rows this week, and why (said in the run's log and on the asset)."""
    context.log.warning(str(exc))
    return dg.MaterializeResult(asset_key=key, metadata={"dagster/row_count": 0,
                                                         "message": dg.MetadataValue.text(str(exc))}, **results)


def _weekly_missions(context: dg.AssetExecutionContext, warehouse: WarehouseResource, export_id: str,
                     export_date: dt.date, missions: pd.DataFrame) -> dg.MaterializeResult:
    series = weekly_series(missions, export_date, horizon=HORIZON)
    warehouse.replace_table("weekly_missions", series.table.assign(export_id=export_id))
    history = series.history
    booked = series.booked.rename_axis("week_start").reset_index()
    return dg.MaterializeResult(
        asset_key=WEEKLY_MISSIONS,
        metadata=table_metadata(
            TABLES["weekly_missions"], len(series.table),
            completed_weeks=dg.MetadataValue.int(len(history)),
            first_week=dg.MetadataValue.text(str(history.index.min().date()) if len(history) else "none"),
            last_week=dg.MetadataValue.text(str(history.index.max().date()) if len(history) else "none"),
            chart=chart(png(forecast_chart(_history_frame(history), booked=booked)), "missions per week"),
            recent_weeks=table_preview(series.table.tail(8 + HORIZON)),
        ),
    )


def _mission_forecast(context: dg.AssetExecutionContext, warehouse: WarehouseResource, export_id: str,
                      export_date: dt.date, missions: pd.DataFrame) -> dg.MaterializeResult:
    history = _read_history(warehouse)
    try:
        predicted = forecast_bookings(missions, export_date, horizon=HORIZON, seed=0)
    except NotEnoughHistory as exc:
        return _not_enough_history(context, MISSION_FORECAST, exc, check_results=[dg.AssetCheckResult(
            asset_key=MISSION_FORECAST, check_name="forecast_sane", passed=True,
            description="no forecast this week: not enough history")])
    warnings = list(predicted.attrs.get("warnings", []))
    for warning in warnings:   # e.g. an older export without creation dates: plain NPTS
        context.log.warning(warning)
    per_extra = missions_per_active_extra(missions, export_date, weeks=STAFFING_WEEKS)
    rows = staffing(predicted, missions, per_extra)
    rows.insert(0, "as_of_week", _as_of_week(export_date))
    rows.insert(2, "model", predicted.attrs["model"])
    rows["export_id"] = export_id
    sanity = forecast_sanity(rows, _as_of_week(export_date))
    if sanity.passed:  # a forecast that fails its check is never stored
        warehouse.upsert_rows("mission_forecast", rows)
    shown = rows[["week_start", "already_booked", "p10", "p50", "p90", "extras_needed_p50", "extras_needed_p90",
                  "extras_to_find_p50", "extras_to_find_p90"]]
    return dg.MaterializeResult(
        asset_key=MISSION_FORECAST,
        metadata=table_metadata(
            TABLES["mission_forecast"], len(rows),
            chart=chart(png(forecast_chart(_history_frame(history), shown)), "forecast"),
            forecast=table_preview(shown.round(1)),
            model=dg.MetadataValue.text(predicted.attrs["model"]),
            missions_per_active_extra=dg.MetadataValue.float(float(per_extra)),
            as_of_week=dg.MetadataValue.text(str(_as_of_week(export_date))),
            warnings=dg.MetadataValue.json(warnings),
            stored=dg.MetadataValue.bool(sanity.passed),
        ),
        check_results=[sanity],
    )


def _forecast_backtest(context: dg.AssetExecutionContext, warehouse: WarehouseResource, export_id: str,
                       export_date: dt.date, missions: pd.DataFrame) -> dg.MaterializeResult:
    history = _read_history(warehouse)
    try:
        league = backtest_bookings(missions, export_date, horizon=HORIZON, origins=12)
    except NotEnoughHistory as exc:
        return _not_enough_history(context, FORECAST_BACKTEST, exc)
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
        asset_key=FORECAST_BACKTEST,
        metadata=table_metadata(
            TABLES["forecast_backtest"], len(rows),
            chart=chart(png(league_chart(league, PRODUCTION_MODEL)), "league table"),
            league_table=table_preview(league.round(3)),
            best_model=dg.MetadataValue.text(str(league.iloc[0]["model"])),
            realised_production_error=table_preview(realised.round(3)) if len(realised) else dg.MetadataValue.text(
                "no past production forecast has its weeks completed yet"
            ),
            warnings=dg.MetadataValue.json(warnings),
        ),
    )


def preload() -> None:
    """What the forecast step loads on first use (the models' libraries, the chart renderer), loaded now.

    About 1.5 s of the step: a process that runs the publish too loads them on another thread
    while the publish waits on the warehouse (the command line, ``cli.commands.Preload``).
    """
    load_libraries()
    start_renderer()


# In the order they are computed: each later one reads what the earlier ones stored.
_COMPUTED = ((WEEKLY_MISSIONS, _weekly_missions), (MISSION_FORECAST, _mission_forecast),
             (FORECAST_BACKTEST, _forecast_backtest))


@dg.multi_asset(
    name="forecast",
    specs=[
        dg.AssetSpec(
            WEEKLY_MISSIONS, group_name="forecast", kinds={"pandas", "postgres"}, deps=["missions"],
            description="core.weekly_missions: non-cancelled missions per ISO week (Monday start), completed weeks "
            "only, plus what is already booked for the next 4 weeks.",
            metadata={"dagster/table_name": "core.weekly_missions"},
        ),
        dg.AssetSpec(
            MISSION_FORECAST, group_name="forecast", kinds={"gluonts", "postgres"}, deps=["missions", WEEKLY_MISSIONS],
            description="core.mission_forecast: the 4-week forecast from what is already booked (NPTS on what is "
            "still to come, added to the bookings), the extras it takes and how many are still to find, kept per "
            "as-of week.",
            metadata={"dagster/table_name": "core.mission_forecast"},
        ),
        dg.AssetSpec(
            FORECAST_BACKTEST, group_name="forecast", kinds={"gluonts", "postgres"},
            deps=["missions", WEEKLY_MISSIONS, MISSION_FORECAST],
            description="core.forecast_backtest: every model (booking-aware and series) compared by an honest "
            "rolling-origin backtest (up to 12 origins, 4 weeks ahead, only what was booked before each origin); "
            "and the realised error of past production forecasts.",
            metadata={"dagster/table_name": "core.forecast_backtest"},
        ),
    ],
    check_specs=[dg.AssetCheckSpec("forecast_sane", asset=MISSION_FORECAST, blocking=True,
                                   description="The next 4 Mondays from the as-of week, each with "
                                   "already booked ≤ p10 ≤ p50 ≤ p90; checked before the forecast is stored.")],
    can_subset=True,
    pool="warehouse",
)
def forecast(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """The weekly series, the forecast and the backtest of the published export, in one step.

    All three are computed from the published missions: one step reads them once
    (a million missions take a second to read) and computes the selected assets in
    order, each storing its table before the next reads it.
    """
    with step_guard(warehouse):
        export_id, export_date = _published(warehouse)
        missions = _published_missions(warehouse)
        for key, compute in _COMPUTED:
            if key in context.selected_asset_keys:
                yield compute(context, warehouse, export_id, export_date, missions)


def forecast_sanity(rows: pd.DataFrame, as_of_week: dt.date) -> dg.AssetCheckResult:
    """The forecast frame covers the next HORIZON Mondays from ``as_of_week``, non-negative, quantiles in order."""
    expected = list(pd.date_range(pd.Timestamp(as_of_week), periods=HORIZON, freq="7D"))
    weeks_ok = list(pd.to_datetime(rows["week_start"])) == expected
    bad = int(((rows[["mean", "p10", "p50", "p90"]] < 0).any(axis=1)
               | (rows["p10"] > rows["p50"]) | (rows["p50"] > rows["p90"])
               | (rows["p10"] < rows["already_booked"])
               | rows[["mean", "p10", "p50", "p90"]].isna().any(axis=1)).sum())
    return dg.AssetCheckResult(
        asset_key=MISSION_FORECAST, check_name="forecast_sane",
        passed=weeks_ok and bad == 0,
        metadata={"weeks_as_expected": dg.MetadataValue.bool(weeks_ok), "bad_rows": dg.MetadataValue.int(bad)},
    )
