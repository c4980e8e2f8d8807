"""Benchmark: the weekly series, the 4-week forecast and a 12-origin backtest of every model.

1. The series: the default sample export (``mission_platform.sample_data``,
   104 weeks, 110 missions a week, fixed export date so the figures repeat),
   parsed (``notion``) and turned into ``core.missions`` (``warehouse``), then
   ``weekly_series``. If those stages cannot be imported, a synthetic series
   shaped like the business (growth and yearly seasonality) instead; the
   output says which.
2. ``forecast`` (npts) and a 12-origin, 4-week backtest of every model on the
   104 weeks: wall and CPU time per model, each quoted as a ratio to the naive
   model's backtest time (the baseline, same run), against the 10 s budget.
   The first call of each model is made before timing (imports, JIT-free
   warm-up), and reported apart.
3. The league table of that backtest.
4. ``weekly_series`` on 10k, 100k and 1M missions, against a bare pandas
   ``value_counts`` of the ISO week (the floor any implementation pays).
5. With ``--exports N``: the league table averaged over N sample exports
   (other export dates and seeds), since one series and 12 origins are noisy.

Peak memory: the process's max RSS at the end (everything above in one process).

    python benchmarks/bench_forecast.py [--exports 8]
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import time
import warnings

import numpy as np
import pandas as pd

from mission_platform.forecast import MODEL_NAMES, backtest, backtest_errors, forecast, weekly_series

EXPORT_DATE = dt.date(2024, 9, 16)
HORIZON, ORIGINS, BUDGET_S = 4, 12, 10.0


def sample_missions(export_date: dt.date = EXPORT_DATE, seed: int = 0) -> tuple[pd.DataFrame, str]:
    from mission_platform.notion import read_export
    from mission_platform.sample_data import build_export
    from mission_platform.settings import SAMPLE_TARIFFS
    from mission_platform.warehouse.transform import build_core_tables

    generated = build_export(export_date, seed=seed)
    parsed = read_export(generated.files, generated.export_id)
    core = build_core_tables(parsed.missions, parsed.hotels, parsed.extras, export_id=generated.export_id, tariffs=SAMPLE_TARIFFS)
    return core.missions, f"sample export {generated.export_id} (seed {seed}, 104 weeks)"


def synthetic_missions(n: int, seed: int = 0, weeks: int = 104) -> pd.DataFrame:
    """Missions with 35 %/year growth, a summer peak and an August dip; 5 % cancelled."""
    rng = np.random.default_rng(seed)
    first = pd.Timestamp(EXPORT_DATE) - pd.Timedelta(weeks=weeks)
    days = pd.date_range(first, periods=7 * weeks + 35, freq="D")
    doy, month = days.dayofyear.to_numpy(), days.month.to_numpy()
    season = 1 + 0.25 * np.sin(2 * np.pi * (doy - 80) / 365.25) - 0.3 * (month == 8)
    weight = 1.35 ** (np.arange(len(days)) / 365.25) * season
    day = rng.choice(len(days), size=n, p=weight / weight.sum())
    start = days[day] + pd.to_timedelta(rng.integers(6 * 60, 22 * 60, size=n), unit="min")
    cancelled = rng.random(n) < 0.05
    return pd.DataFrame({
        "mission_id": np.char.add("MIS-", np.arange(n).astype(str)),
        "extra_id": pd.array(np.char.add("EXT-", rng.integers(1, 300, size=n).astype(str)), dtype="string"),
        "date_debut": start,
        "annulation": pd.array(np.where(cancelled, rng.choice(["extra", "hotel"], size=n), None), dtype="string"),
    })


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def average_league(exports: int) -> None:
    """The league table averaged over several sample exports, one export date a season apart each."""
    tables = []
    for seed in range(exports):
        export_date = EXPORT_DATE + dt.timedelta(weeks=13 * seed - 6 * (seed % 2))
        missions, _ = sample_missions(export_date, seed)
        tables.append(backtest(weekly_series(missions, export_date).history, HORIZON, ORIGINS))
    mean = pd.concat([pd.DataFrame(t) for t in tables]).groupby("model").mean(numeric_only=True).sort_values("wql")
    print(f"\nleague table averaged over {exports} sample exports (seeds 0-{exports - 1}, export dates "
          f"{EXPORT_DATE} + 13-week steps, alternately 6 weeks earlier):")
    print(mean.drop(columns="origins").round(3).to_string())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exports", type=int, default=0, help="also average the league table over N sample exports")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    try:
        missions, source = sample_missions()
        source = f"default {source}"
    except ImportError as exc:
        missions, source = synthetic_missions(104 * 110), f"synthetic business-shaped missions (sample data unavailable: {exc})"
    weekly = weekly_series(missions, EXPORT_DATE, horizon=HORIZON)
    series = weekly.history
    print(f"series: {source}")
    print(f"  {len(missions)} missions -> {len(series)} completed weeks, {series.index[0].date()} to {series.index[-1].date()}, "
          f"mean {series.mean():.1f}/week; already booked for the next {HORIZON} weeks: {weekly.booked.tolist()}")
    if len(series) > 104:
        series = series.iloc[-104:]
    print(f"  benchmarked on the last {len(series)} weeks")

    print("\nwarm-up (first call of each model: imports)")
    _, wall, _ = timed(lambda: [forecast(series, model=m) for m in MODEL_NAMES])
    print(f"  {wall:.2f} s")

    print(f"\nbacktest, {ORIGINS} origins x {HORIZON} weeks, per model (baseline: naive)")
    per_model = {}
    for name in MODEL_NAMES:
        _, wall, cpu = timed(lambda: backtest_errors(series, HORIZON, ORIGINS, models=[name]))
        per_model[name] = (wall, cpu)
    base_wall, base_cpu = per_model["naive"]
    print(f"  {'model':<18} {'wall s':>8} {'cpu s':>8} {'x naive (wall)':>15}")
    for name, (wall, cpu) in per_model.items():
        print(f"  {name:<18} {wall:8.3f} {cpu:8.3f} {wall / base_wall:15.1f}")

    predicted, f_wall, f_cpu = timed(lambda: forecast(series, horizon=HORIZON))
    table, b_wall, b_cpu = timed(lambda: backtest(series, horizon=HORIZON, origins=ORIGINS))
    total = f_wall + b_wall
    print(f"\nforecast (npts): {f_wall:.3f} s wall, {f_cpu:.3f} s cpu")
    print(f"backtest of all {len(MODEL_NAMES)} models: {b_wall:.2f} s wall, {b_cpu:.2f} s cpu "
          f"({b_wall / base_wall:.0f}x the naive model's backtest)")
    print(f"forecast + backtest: {total:.2f} s wall, {f_cpu + b_cpu:.2f} s cpu -> "
          f"{'within' if total < BUDGET_S else 'OVER'} the {BUDGET_S:.0f} s budget")

    print(f"\nforecast of the week of {predicted['week_start'].iloc[0].date()} and the 3 after (npts):")
    print(predicted.round(1).to_string(index=False))
    print(f"\nleague table ({source}), best first by wql; errors are fractions (0.12 = 12 %):")
    print(table.round(3).to_string(index=False))
    if table.attrs["warnings"]:
        print("warnings:", *table.attrs["warnings"], sep="\n  ")
    print(f"MASE scale: {table.attrs['mase_scale']}")

    print("\nweekly_series on n missions (baseline: bare value_counts of the ISO week)")
    print(f"  {'missions':>9} {'weekly_series s':>16} {'baseline s':>11} {'ratio':>6}")
    for n in (10_000, 100_000, 1_000_000):
        frame = synthetic_missions(n, seed=n)
        _, wall, _ = timed(lambda: weekly_series(frame, EXPORT_DATE))
        _, base, _ = timed(lambda: frame.loc[frame["annulation"].isna(), "date_debut"].dt.to_period("W").value_counts())
        print(f"  {n:>9} {wall:16.3f} {base:11.3f} {wall / base:6.1f}")

    if args.exports:
        average_league(args.exports)
    print(f"\npeak memory (max RSS of this process): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return 0 if total < BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
