"""Forecasting models, metrics and the rolling-origin backtest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mission_platform.forecast import (
    MODEL_NAMES,
    NotEnoughHistory,
    backtest,
    backtest_errors,
    compare_with_actuals,
    coverage,
    forecast,
    league_table,
    mape,
    mase,
    naive_scale,
    realised_errors,
    smape,
    wql,
)
from mission_platform.forecast.models import _gluonts_entry, week_of_year_features

QUANTILES = ["mean", "p10", "p50", "p90"]


def weekly(values, start: str = "2021-01-04") -> pd.Series:
    return pd.Series(np.asarray(values, dtype=float), index=pd.date_range(start, periods=len(values), freq="W-MON"))


def seasonal(weeks: int, seed: int = 3) -> pd.Series:
    """Poisson counts around a yearly sinusoid (peak in early summer), no trend."""
    index = pd.date_range("2021-01-04", periods=weeks, freq="W-MON")
    rate = 60 * (1 + 0.35 * np.sin(2 * np.pi * (index.dayofyear.to_numpy() - 100) / 365.25))
    return pd.Series(np.random.default_rng(seed).poisson(rate).astype(float), index=index)


def assert_sane(frame: pd.DataFrame) -> None:
    values = frame[QUANTILES].to_numpy()
    assert np.isfinite(values).all() and (values >= 0).all()
    assert (frame["p10"] <= frame["p50"]).all() and (frame["p50"] <= frame["p90"]).all()


# --- forecast ---------------------------------------------------------------------------------


def test_forecast_rows_are_the_weeks_after_the_history():
    series = seasonal(70)
    result = forecast(series, horizon=4)
    assert list(result.columns) == ["week_start", *QUANTILES]
    assert result["week_start"].tolist() == list(pd.date_range(series.index[-1] + pd.Timedelta(weeks=1), periods=4, freq="W-MON"))
    assert_sane(result)
    assert result.attrs["warnings"] == []


def test_monday_week_starts_map_to_monday_to_sunday_gluonts_periods():
    entry = _gluonts_entry(np.zeros(3), pd.date_range("2020-12-28", periods=3, freq="W-MON"))
    period = entry["start"]
    assert period.start_time == pd.Timestamp("2020-12-28") and period.end_time.date() == pd.Timestamp("2021-01-03").date()
    # W-MON would be weeks ending on Monday: the Monday would close the week before instead of opening its own.
    assert pd.Timestamp("2020-12-28").to_period("W-MON").start_time == pd.Timestamp("2020-12-22")


def test_week_of_year_feature_matches_iso_weeks_across_years():
    weeks = pd.DatetimeIndex(["2019-12-23", "2020-12-21", "2020-12-28", "2021-01-04", "2021-07-05"])
    features = week_of_year_features(weeks)  # ISO weeks 52, 52, 53, 1, 27
    assert np.allclose(features[:, 0], features[:, 1])  # the same ISO week of two years: the same feature
    gap = np.abs(features[:, :, None] - features[:, None, :]).sum(axis=0)
    assert gap[2, 3] < gap[1, 3] < gap[3, 4]  # week 53 next to week 1, week 27 far from both


@pytest.mark.parametrize("last_week", ["2023-03-06", "2023-06-05", "2023-10-02"])
def test_npts_samples_by_week_of_year_and_the_default_by_day_of_month(last_week):
    # Each week's value is its ISO week number, so a sample's value says which week of the year it came from.
    index = pd.date_range("2021-01-04", last_week, freq="W-MON")
    series = pd.Series(index.isocalendar().week.to_numpy(dtype=float), index=index)
    seasonal_npts = forecast(series, model="npts")
    by_day_of_month = forecast(series, model="npts_day_of_month")
    target = seasonal_npts["week_start"].dt.isocalendar().week.to_numpy(dtype=float)
    assert (target == series.iloc[-1] + np.arange(1, 5)).all()
    # npts draws from the weeks near each forecast week in the year...
    assert ((seasonal_npts["p10"] >= target - 8) & (seasonal_npts["p90"] <= target + 8)).all()
    # ...including the weeks after it in past years (the last observed value is below every target).
    assert seasonal_npts["p90"].iloc[-1] >= target[-1]
    # GluonTS's default draws from weeks that share a day of the month, anywhere in the year.
    assert ((by_day_of_month["p90"] - by_day_of_month["p10"]) > 20).all()


def test_same_seed_same_forecast_whatever_the_global_random_state():
    series = seasonal(80)
    first = forecast(series, model="npts", seed=5)
    np.random.seed(123)
    np.random.random(1000)
    again = forecast(series, model="npts", seed=5)
    pd.testing.assert_frame_equal(first, again)
    other = forecast(series, model="npts", seed=6)
    assert not np.array_equal(first["mean"].to_numpy(), other["mean"].to_numpy())


def test_point_models_follow_their_rules_with_intervals_from_their_own_errors():
    series = weekly(np.arange(60) % 7 * 3 + 10)
    y = series.to_numpy()
    naive = forecast(series, model="naive")
    assert (naive["p50"] == y[-1]).all() and (naive["mean"] == y[-1]).all()
    step_two = y[2:] - y[:-2]  # naive at step 2 is a 2-week-old value
    assert naive["p10"][1] == pytest.approx(max(0, y[-1] + np.quantile(step_two, 0.1)))
    assert naive["p90"][1] == pytest.approx(y[-1] + np.quantile(step_two, 0.9))
    assert forecast(series, model="identity")["p50"].tolist() == y[-4:].tolist()
    assert forecast(series, model="seasonal_naive")["p50"].tolist() == y[-52:-48].tolist()


@pytest.mark.parametrize(
    "name, values",
    [
        ("all zeros", np.zeros(60)),
        ("a gap", np.r_[np.full(20, 30.0), np.zeros(20), np.full(20, 35.0)]),
        ("a single spike", np.r_[np.zeros(30), 500.0, np.zeros(29)]),
        ("a spike at the end", np.r_[np.full(59, 4.0), 300.0]),
    ],
)
def test_awkward_series_give_sane_forecasts_from_every_model(name, values):
    series = weekly(values)
    for model in MODEL_NAMES:
        assert_sane(forecast(series, model=model))


def test_missing_weeks_in_the_index_are_weeks_without_missions():
    full = weekly(np.r_[np.full(20, 30.0), np.zeros(10), np.full(30, 30.0)])
    holey = full[full > 0]
    pd.testing.assert_frame_equal(forecast(holey, model="naive"), forecast(full, model="naive"))
    pd.testing.assert_frame_equal(forecast(holey, model="npts"), forecast(full, model="npts"))


def test_too_short_histories_are_refused_with_a_clear_message():
    with pytest.raises(NotEnoughHistory, match="at least 8 completed weeks of history, there are 7"):
        forecast(weekly(np.ones(7)))
    with pytest.raises(NotEnoughHistory, match="there are 0"):
        forecast(weekly([]))
    with pytest.raises(NotEnoughHistory, match="seasonal_naive is seasonal and needs a year of history"):
        forecast(weekly(np.ones(40)), model="seasonal_naive")
    short = forecast(weekly(np.ones(40)))  # npts still runs on less than a year, and says so
    assert short.attrs["warnings"] == [
        "less than a year of history (40 completed weeks): npts has no past year to take the season from "
        "and follows the recent weeks only"
    ]


def test_bad_series_are_refused_naming_the_week():
    with pytest.raises(ValueError, match="Mondays at midnight.*2024-01-02"):
        forecast(pd.Series([1.0] * 10, index=pd.date_range("2024-01-02", periods=10, freq="7D")))
    with pytest.raises(ValueError, match="week of 2021-01-18 is -3.0"):
        forecast(weekly([5, 5, -3, 5, 5, 5, 5, 5, 5]))
    with pytest.raises(ValueError, match="week of 2021-01-04 is nan"):
        forecast(weekly([np.nan, *[5] * 9]))
    with pytest.raises(ValueError, match="unknown forecast model 'prophet'"):
        forecast(weekly(np.ones(10)), model="prophet")


# --- metrics ----------------------------------------------------------------------------------

ACTUAL = [10, 20, 0, 40]


def test_point_metrics_against_hand_computed_values():
    predicted = [12, 15, 5, 40]
    assert mape(ACTUAL, predicted) == pytest.approx((0.2 + 0.25 + 0.0) / 3)  # the week with 0 is skipped
    assert smape(ACTUAL, predicted) == pytest.approx((4 / 22 + 10 / 35 + 2.0 + 0.0) / 4)
    assert mase(ACTUAL, predicted, 5.0) == pytest.approx((2 + 5 + 5 + 0) / 4 / 5)
    assert mase(ACTUAL, predicted, [5.0, 5.0, 0.0, 0.0]) == pytest.approx((2 / 5 + 5 / 5) / 2)  # zero scales left out
    assert naive_scale([1, 3, 2, 6], 1) == pytest.approx(7 / 3)
    assert naive_scale([1, 3, 2, 6], 2) == pytest.approx(2.0)
    assert np.isnan(naive_scale([1, 3], 2))
    assert np.isnan(mape([0, 0], [1, 2])) and smape([0, 0], [0, 0]) == 0.0


def test_quantile_metrics_against_hand_computed_values():
    p10, p50, p90 = [8, 15, 0, 30], [12, 15, 5, 40], [9, 25, 10, 50]
    # Pinball sums: q=0.1 -> 0.1 * (2 + 5 + 0 + 10) = 1.7; q=0.5 -> 0.5 * (2 + 5 + 5 + 0) = 6;
    # q=0.9 -> 0.9 * 1 + 0.1 * (5 + 10 + 10) = 3.4. Each x 2 / sum|actual| (70), then averaged.
    assert wql(ACTUAL, {0.1: p10, 0.5: p50, 0.9: p90}) == pytest.approx((2 * 1.7 + 2 * 6 + 2 * 3.4) / 70 / 3)
    assert coverage(ACTUAL, p10, p90) == pytest.approx(0.75)  # 10 is above its p90 of 9; bounds count as inside
    assert np.isnan(wql([0, 0], {0.5: [1, 1]}))
    with pytest.raises(ValueError, match="differ in length"):
        mape([1, 2], [1])


def test_league_table_scores_each_model_and_sorts_by_wql():
    # (model, p10, p50, p90) as offsets from the actual.
    offsets = {"worse": (5.0, 10.0, 20.0), "better": (-1.0, 1.0, 2.0)}
    rows = [
        {"model": model, "as_of_week": pd.Timestamp(as_of), "week_start": pd.Timestamp(as_of), "step": 1, "actual": a,
         "mean": a + o50, "p10": a + o10, "p50": a + o50, "p90": a + o90, "scale": 4.0}
        for model, (o10, o50, o90) in offsets.items()
        for as_of in ("2024-01-01", "2024-01-08")
        for a in (20.0, 40.0)
    ]
    table = league_table(pd.DataFrame(rows))
    assert table["model"].tolist() == ["better", "worse"]
    assert list(table.columns) == ["model", "origins", "mape", "smape", "mase", "wql", "coverage_80"]
    worse = table.set_index("model").loc["worse"]
    assert worse["origins"] == 2
    assert worse["mape"] == pytest.approx((10 / 20 + 10 / 40) / 2)
    assert worse["smape"] == pytest.approx((20 / 50 + 20 / 90) / 2)
    assert worse["mase"] == pytest.approx(10 / 4)
    assert worse["coverage_80"] == 0.0 and table.set_index("model").loc["better", "coverage_80"] == 1.0
    # Pinball per row: q=0.1 -> 0.9 * 5; q=0.5 -> 0.5 * 10; q=0.9 -> 0.1 * 20; 4 rows, sum|actual| = 120.
    assert worse["wql"] == pytest.approx((2 * 4 * 4.5 + 2 * 4 * 5 + 2 * 4 * 2) / 120 / 3)


# --- backtest ---------------------------------------------------------------------------------


def test_backtest_uses_the_last_origins_one_week_apart():
    series = seasonal(40)
    errors = backtest_errors(series, horizon=4, origins=12, models=["naive", "identity"])
    assert list(errors.columns) == ["model", "as_of_week", "week_start", "step", "actual", "mean", "p10", "p50", "p90", "scale"]
    naive = errors[errors["model"] == "naive"]
    as_of = naive["as_of_week"].drop_duplicates()
    assert as_of.tolist() == list(series.index[40 - 4 - 11 : 40 - 4 + 1])  # the latest forecasts the last 4 weeks
    assert len(naive) == 12 * 4 and naive["step"].tolist() == [1, 2, 3, 4] * 12
    assert (naive["actual"].to_numpy() == series.reindex(naive["week_start"]).to_numpy()).all()
    # Naive forecasts the week before each origin: nothing from the future leaks in.
    before = series.reindex(naive["as_of_week"] - pd.Timedelta(weeks=1)).to_numpy()
    assert (naive["p50"].to_numpy() == before).all()
    # 25 weeks before the first origin: less than a year, so MASE falls back to the naive 1-week scale.
    assert errors.attrs["mase_scale"] == "naive_1"
    assert naive["scale"].iloc[0] == pytest.approx(naive_scale(series.iloc[:25], 1))


def test_backtest_needs_two_origins():
    assert backtest_errors(seasonal(13), models=["naive"])["as_of_week"].nunique() == 2
    with pytest.raises(NotEnoughHistory, match="at least 2 forecast origins, i.e. 13 completed weeks.*there are 12"):
        backtest(seasonal(12))


def test_backtest_league_table_and_warnings_on_less_than_a_year():
    table = backtest(seasonal(40))
    assert set(table["model"]) == {"npts", "npts_day_of_month", "identity", "naive", "ets"}
    assert (table["origins"] == 12).all()
    warnings = table.attrs["warnings"]
    assert any(w.startswith("seasonal_naive left out of the backtest") and "needs a year of history" in w for w in warnings)
    assert any(w.startswith("fourier_arima left out of the backtest") for w in warnings)
    assert any(w.startswith("npts at the earliest backtest origin: less than a year of history (25") for w in warnings)
    assert table["wql"].is_monotonic_increasing


def test_seasonal_models_are_scored_on_the_origins_a_year_allows():
    table = backtest(seasonal(60), models=["naive", "seasonal_naive"]).set_index("model")
    # Origins have 45 to 56 weeks behind them: seasonal naive runs on the 5 with 52 or more.
    assert table.loc["naive", "origins"] == 12 and table.loc["seasonal_naive", "origins"] == 5
    assert "seasonal_naive scored on 5 of 12 origins" in " ".join(table.attrs["warnings"])


def test_seasonal_npts_beats_the_day_of_month_default_on_a_seasonal_series():
    table = backtest(seasonal(156), models=["npts", "npts_day_of_month"]).set_index("model")
    assert table.attrs["mase_scale"] == "seasonal_naive_52" and table.attrs["warnings"] == []
    assert table.loc["npts", "wql"] < 0.8 * table.loc["npts_day_of_month", "wql"]
    assert table.loc["npts", "mape"] < table.loc["npts_day_of_month", "mape"]
    assert table.loc["npts", "mase"] < table.loc["npts_day_of_month", "mase"]


def test_backtest_of_awkward_series_does_not_crash():
    for values in (np.zeros(30), np.r_[np.zeros(5), 400.0, np.zeros(24)]):  # the spike before every origin
        errors = backtest_errors(weekly(values))
        assert_sane(errors)
        table = league_table(errors)
        assert len(table) == 5 and np.isnan(table["mape"]).all()  # every actual is 0: MAPE undefined, not a crash


def test_past_forecasts_are_compared_with_what_happened():
    series = seasonal(30)
    weeks = series.index
    past = pd.DataFrame(
        {
            "as_of_week": [weeks[20].date()] * 4 + [weeks[28].date()] * 4,
            "week_start": [w.date() for w in weeks[20:24]] + [w.date() for w in pd.date_range(weeks[28], periods=4, freq="W-MON")],
            "model": "npts",
            "mean": 50.0, "p10": 40.0, "p50": 50.0, "p90": 60.0,
        }
    )
    compared = compare_with_actuals(past, series)
    # Only weeks that are complete now: the 4 of the first forecast, 2 of the second.
    assert compared["week_start"].tolist() == list(weeks[20:24]) + list(weeks[28:30])
    assert compared["step"].tolist() == [1, 2, 3, 4, 1, 2]
    assert compared["actual"].tolist() == series.iloc[20:24].tolist() + series.iloc[28:30].tolist()
    assert compared["scale"].iloc[0] == pytest.approx(naive_scale(series.iloc[:20], 1))
    table = realised_errors(past, series)
    assert table.loc[0, "origins"] == 2
    assert table.loc[0, "mape"] == pytest.approx(mape(compared["actual"], compared["p50"]))
    assert realised_errors(past.iloc[:0], series).empty
