"""The forecast that starts from what is already booked: curves, honesty of the backtest, bounds, fallback, staffing."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from mission_platform.forecast import (
    MIN_WEEKS,
    MODEL_NAMES,
    NotEnoughHistory,
    backtest_bookings,
    backtest_bookings_errors,
    booking_curves,
    forecast_bookings,
    league_table,
    staffing,
    weekly_series,
)
from mission_platform.forecast.bookings import BOOKING_MODEL_NAMES, PRODUCTION_MODEL, as_of_moment

AS_OF = dt.date(2024, 6, 3)  # a Monday: the as-of moment is the end of that day
AS_OF_WEEK = pd.Timestamp(AS_OF)
# The known booking curve of the synthetic missions: each is created U days before the Monday of its week,
# U uniform on [-7, 21]: a share (21 - L) / 28 of a week is booked more than L days before its Monday.
EARLIEST, LATEST = 21.0, -7.0


def known_share(lead_days: np.ndarray) -> np.ndarray:
    return np.clip((EARLIEST - lead_days) / (EARLIEST - LATEST), 0, 1)


def synthetic_missions(weeks: int = 70, seed: int = 0, per_week: float = 100.0) -> pd.DataFrame:
    """Seasonal weekly demand with noise, missions created on the known curve; as exported on AS_OF."""
    rng = np.random.default_rng(seed)
    mondays = pd.date_range(end=AS_OF_WEEK + pd.Timedelta(weeks=5), periods=weeks + 6, freq="W-MON")
    position = np.arange(len(mondays))
    level = per_week * (1 + 0.3 * np.sin(2 * np.pi * position / 26)) * rng.lognormal(0, 0.08, len(mondays))
    counts = rng.poisson(level)
    week = np.repeat(mondays.to_numpy(), counts)
    n = len(week)
    start = week + pd.to_timedelta(rng.uniform(0, 7, n), unit="D").to_numpy()
    created = week - pd.to_timedelta(rng.uniform(LATEST, EARLIEST, n), unit="D").to_numpy()
    frame = pd.DataFrame({
        "mission_id": [f"MIS-{i}" for i in range(n)],
        "extra_id": pd.array(np.where(rng.random(n) < 0.9, rng.integers(1, 60, n).astype(str), None), dtype="string"),
        "date_debut": pd.to_datetime(start).floor("min"),
        "date_creation": pd.to_datetime(created).floor("min"),
        "annulation": pd.array(np.where(rng.random(n) < 0.05, "hotel", None), dtype="string"),
    })
    # The export holds what was created by its taking.
    return frame[frame["date_creation"] < as_of_moment(AS_OF)].reset_index(drop=True)


@pytest.fixture(scope="module")
def missions() -> pd.DataFrame:
    return synthetic_missions()


@pytest.fixture(scope="module")
def errors(missions) -> pd.DataFrame:
    return backtest_bookings_errors(missions, AS_OF, models=[PRODUCTION_MODEL, "pickup_additive",
                                                             "pickup_multiplicative", "npts"])


# -- booking curves ------------------------------------------------------------------------------

def test_the_known_booking_curve_is_recovered(missions):
    curves = booking_curves(missions, AS_OF, max_lead_days=28)
    assert list(curves.columns) == ["week_start", "lead_days", "booked", "missions", "booked_share"]
    history = weekly_series(missions, AS_OF).history
    assert curves["week_start"].nunique() == len(history) and curves["lead_days"].max() == 28
    complete = curves[curves["week_start"] >= history.index[2]]  # the first weeks miss their early bookings
    mean_share = complete.groupby("lead_days")["booked"].sum() / complete.groupby("lead_days")["missions"].sum()
    np.testing.assert_allclose(mean_share.to_numpy(), known_share(mean_share.index.to_numpy(dtype=float)), atol=0.02)
    assert (curves.groupby("week_start")["booked"].diff().dropna() <= 0).all()  # fewer booked further out
    assert (curves["booked"] <= curves["missions"]).all()


def test_cancelled_missions_are_never_booked(missions):
    cancelled = missions.assign(annulation=pd.array(["extra"] * len(missions), dtype="string"))
    curves = booking_curves(cancelled, AS_OF)
    assert (curves["booked"] == 0).all() and (curves["missions"] == 0).all()


def test_a_mission_entered_after_it_happened_is_booked_from_its_creation(missions):
    week = AS_OF_WEEK - pd.Timedelta(weeks=3)
    late = pd.DataFrame({"mission_id": ["MIS-late"], "extra_id": pd.array([None], dtype="string"),
                         "date_debut": [week + pd.Timedelta(days=1, hours=7)],
                         "date_creation": [week + pd.Timedelta(days=4)],  # three days after it started
                         "annulation": pd.array([None], dtype="string")})
    before = booking_curves(missions, AS_OF).set_index(["week_start", "lead_days"])
    after = booking_curves(pd.concat([missions, late], ignore_index=True), AS_OF).set_index(["week_start", "lead_days"])
    # Counted in the week's final count, booked at no lead of 0 days or more.
    assert (after.loc[week, "missions"] == before.loc[week, "missions"] + 1).all()
    assert (after.loc[week, "booked"] == before.loc[week, "booked"]).all()


# -- no leakage ----------------------------------------------------------------------------------

def one_mission(start: pd.Timestamp, created: pd.Timestamp) -> pd.DataFrame:
    return pd.DataFrame({"mission_id": ["MIS-x"], "extra_id": pd.array(["1"], dtype="string"), "date_debut": [start],
                         "date_creation": [created], "annulation": pd.array([None], dtype="string")})


@pytest.mark.parametrize(("minutes", "counts"), [(-1, True), (1, False)])
def test_a_mission_created_after_an_origin_is_not_booked_at_that_origin(missions, errors, minutes, counts):
    # An origin 6 weeks before the export: the same weekday and time, so its moment is Tuesday 00:00 then.
    origin_week = AS_OF_WEEK - pd.Timedelta(weeks=6)
    origin = as_of_moment(AS_OF) - pd.Timedelta(weeks=6)
    target = origin_week + pd.Timedelta(weeks=2)  # its third forecast week
    added = one_mission(target + pd.Timedelta(days=2), origin + pd.Timedelta(minutes=minutes))
    models = [PRODUCTION_MODEL, "npts"]
    with_it = backtest_bookings_errors(pd.concat([missions, added], ignore_index=True), AS_OF, models=models)
    key = ["model", "as_of_week", "week_start"]
    before = errors[errors["model"].isin(models)].set_index(key).sort_index()
    after = with_it.set_index(key).sort_index()
    at_origin = (slice(None), origin_week, target)
    assert (after.loc[at_origin, "actual"] == before.loc[at_origin, "actual"] + 1).all()
    assert (after.loc[at_origin, "already_booked"] == before.loc[at_origin, "already_booked"] + int(counts)).all()
    if not counts:
        # Nothing at that origin may change: not what is booked, not the forecast of any of its weeks.
        same = (slice(None), origin_week, slice(None))
        pd.testing.assert_frame_equal(after.loc[same, ["mean", "p10", "p50", "p90", "already_booked"]],
                                      before.loc[same, ["mean", "p10", "p50", "p90", "already_booked"]])


def test_booked_at_each_origin_is_what_was_created_before_it(missions, errors):
    rows = errors[errors["model"] == PRODUCTION_MODEL]
    live = missions[missions["annulation"].isna()]
    monday = live["date_debut"].dt.normalize() - pd.to_timedelta(live["date_debut"].dt.dayofweek, unit="D")
    for (origin_week, week), booked in rows.set_index(["as_of_week", "week_start"])["already_booked"].items():
        origin = as_of_moment(AS_OF) - (AS_OF_WEEK - origin_week)
        assert booked == ((monday == week) & (live["date_creation"] < origin)).sum()


# -- the forecast --------------------------------------------------------------------------------

def test_forecast_is_never_below_booked_with_ordered_quantiles_and_a_band_narrow_near(missions):
    predicted = forecast_bookings(missions, AS_OF)
    assert list(predicted.columns) == ["week_start", "mean", "p10", "p50", "p90", "already_booked"]
    assert list(predicted["week_start"]) == list(pd.date_range(AS_OF_WEEK, periods=4, freq="W-MON"))
    live = missions[missions["annulation"].isna()]
    assert predicted["already_booked"].tolist() == weekly_series(live, AS_OF).booked.tolist()
    assert (predicted["p10"] >= predicted["already_booked"]).all()
    assert (predicted["p10"] <= predicted["p50"]).all() and (predicted["p50"] <= predicted["p90"]).all()
    width = (predicted["p90"] - predicted["p10"]).to_numpy()
    assert width[0] < width[-1]
    assert predicted.attrs["model"] == PRODUCTION_MODEL and predicted.attrs["warnings"] == []


def test_backtest_forecasts_are_never_below_booked_and_ordered(errors):
    booking = errors[errors["model"].isin(BOOKING_MODEL_NAMES)]
    assert (booking["p10"] >= booking["already_booked"]).all()
    assert ((errors["p10"] <= errors["p50"]) & (errors["p50"] <= errors["p90"])).all()
    assert (errors["mean"] >= 0).all()


def test_same_seed_same_forecast(missions):
    first, again = forecast_bookings(missions, AS_OF, seed=3), forecast_bookings(missions, AS_OF, seed=3)
    pd.testing.assert_frame_equal(first, again)


def scores(errors: pd.DataFrame) -> pd.DataFrame:
    return league_table(errors).set_index("model")


def test_the_booking_aware_model_beats_plain_npts(errors):
    table = scores(errors)
    production, plain = table.loc[PRODUCTION_MODEL], table.loc["npts"]
    assert production["mape"] < 0.75 * plain["mape"]
    assert production["wql"] < 0.75 * plain["wql"]
    first_week = scores(errors[errors["step"] == 1])
    assert first_week.loc[PRODUCTION_MODEL, "mape"] < 0.5 * first_week.loc["npts", "mape"]


def test_league_table_has_every_model_and_the_backtest_columns(missions):
    table = backtest_bookings(missions, AS_OF, horizon=2, origins=3)
    assert list(table.columns) == ["model", "origins", "mape", "smape", "mase", "wql", "coverage_80"]
    # Every series model that can run on 70 weeks, and the three booking models.
    assert set(table["model"]) == set(BOOKING_MODEL_NAMES) | set(MODEL_NAMES)
    assert (table["origins"] == 3).all()


# -- bad input and fallback ----------------------------------------------------------------------

def test_without_creation_dates_plain_npts_with_a_warning(missions):
    older = missions.drop(columns="date_creation")
    predicted = forecast_bookings(older, AS_OF)
    assert predicted.attrs["model"] == "npts"
    assert any("no date_creation" in w for w in predicted.attrs["warnings"])
    live = older[older["annulation"].isna()]
    assert predicted["already_booked"].tolist() == weekly_series(live, AS_OF).booked.tolist()
    assert (predicted["p10"] >= predicted["already_booked"]).all()
    same = forecast_bookings(missions.assign(date_creation=pd.NaT), AS_OF)
    pd.testing.assert_frame_equal(predicted, same)
    table = backtest_bookings(older, AS_OF, horizon=2, origins=3)
    assert set(table["model"]) == set(MODEL_NAMES)
    assert any("no date_creation" in w for w in table.attrs["warnings"])


def test_some_creation_dates_missing_is_an_error_naming_the_missions(missions):
    broken = missions.copy()
    broken.loc[[3, 5], "date_creation"] = pd.NaT
    with pytest.raises(ValueError, match=r"2 of \d+ rows have no date_creation \['MIS-3', 'MIS-5'\]"):
        forecast_bookings(broken, AS_OF)


def test_the_shortest_history_forecasts_with_a_caveat(missions):
    recent = missions[missions["date_debut"] >= AS_OF_WEEK - pd.Timedelta(weeks=MIN_WEEKS)]
    predicted = forecast_bookings(recent, AS_OF)
    assert predicted.attrs["model"] == PRODUCTION_MODEL
    assert any("less than a year of history (8 completed weeks)" in w for w in predicted.attrs["warnings"])
    assert (predicted["p10"] >= predicted["already_booked"]).all() and predicted["p90"].notna().all()
    # The shortest backtest: 2 origins, the first with MIN_WEEKS weeks before it.
    shortest = missions[missions["date_debut"] >= AS_OF_WEEK - pd.Timedelta(weeks=MIN_WEEKS + 5)]
    table = backtest_bookings(shortest, AS_OF)
    assert set(BOOKING_MODEL_NAMES) <= set(table["model"]) and (table["origins"] == 2).all()
    assert table[["mape", "wql", "coverage_80"]].notna().all().all()


def test_too_short_a_history_says_how_short(missions):
    recent = missions[missions["date_debut"] >= AS_OF_WEEK - pd.Timedelta(weeks=5)]
    with pytest.raises(NotEnoughHistory, match=f"at least {MIN_WEEKS} completed weeks of history, there are 5"):
        forecast_bookings(recent, AS_OF)
    with pytest.raises(NotEnoughHistory, match="at least 2 forecast origins"):
        backtest_bookings(recent, AS_OF)


# -- staffing ------------------------------------------------------------------------------------

def test_staffing_counts_extras_needed_and_still_to_find():
    weeks = pd.date_range(AS_OF_WEEK, periods=2, freq="W-MON")
    predicted = pd.DataFrame({"week_start": weeks, "mean": [10.0, 7.0], "p10": [9.0, 3.0], "p50": [10.0, 6.0],
                              "p90": [12.0, 11.0], "already_booked": [8, 2]})
    start = [weeks[0] + pd.Timedelta(days=d) for d in (0, 1, 2, 3)] + [weeks[1] + pd.Timedelta(days=1)]
    assigned = pd.DataFrame({
        "mission_id": [f"MIS-{i}" for i in range(5)],
        "extra_id": pd.array(["A", "A", "B", "C", None], dtype="string"),
        "date_debut": start,
        "annulation": pd.array([None, None, None, "extra", None], dtype="string"),  # C's mission is cancelled
    })
    out = staffing(predicted, assigned, missions_per_extra=2.0)
    assert out["extras_needed_p50"].tolist() == [5, 3] and out["extras_needed_p90"].tolist() == [6, 6]
    assert out["extras_assigned"].tolist() == [2, 0]
    assert out["extras_to_find_p50"].tolist() == [3, 3] and out["extras_to_find_p90"].tolist() == [4, 6]
    many = staffing(predicted, assigned, missions_per_extra=20.0)
    assert many["extras_to_find_p50"].tolist() == [0, 1]  # never below 0
    unknown = staffing(predicted, assigned, missions_per_extra=float("nan"))
    assert unknown["extras_to_find_p90"].isna().all()
