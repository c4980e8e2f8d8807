"""The weekly series from core.missions-shaped frames, and the staffing arithmetic."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from mission_platform.forecast import extras_needed, missions_per_active_extra, weekly_series


def missions(*rows: tuple) -> pd.DataFrame:
    """Rows of (date_debut, annulation[, extra_id]) as a core.missions-shaped frame."""
    frame = pd.DataFrame(
        [(f"MIS-{i}", *r, *([None] * (3 - len(r)))) for i, r in enumerate(rows, 1)],
        columns=["mission_id", "date_debut", "annulation", "extra_id"],
    )
    return frame.assign(date_debut=pd.to_datetime(frame["date_debut"], format="ISO8601"))


def by_week(series: pd.Series) -> dict[str, int]:
    return {str(week.date()): int(n) for week, n in series.items()}


def test_known_missions_give_known_weekly_counts():
    data = missions(
        ("2024-03-04 07:00", None),      # Monday: the first week is complete
        ("2024-03-10 23:30", None),      # Sunday night, same ISO week
        ("2024-03-06 08:00", "extra"),   # cancelled: not counted
        ("2024-03-11 00:00", None),      # next Monday
        ("2024-03-12 09:00", "hotel"),   # cancelled
        # the week of 2024-03-18 has no mission: 0
        ("2024-03-29 22:00", None),
        ("2024-04-01 08:00", None),      # export week (export on Wednesday 2024-04-03): booked, not history
        ("2024-04-03 18:00", None),
        ("2024-04-05 10:00", "extra"),   # cancelled booking
        ("2024-04-08 10:00", None),      # forecast week 2
        ("2024-05-06 10:00", None),      # beyond the 4 forecast weeks: not stored
    )
    weekly = weekly_series(data, dt.date(2024, 4, 3), horizon=4)
    assert by_week(weekly.history) == {"2024-03-04": 2, "2024-03-11": 1, "2024-03-18": 0, "2024-03-25": 1}
    assert by_week(weekly.booked) == {"2024-04-01": 2, "2024-04-08": 1, "2024-04-15": 0, "2024-04-22": 0}
    assert weekly.as_of_week == pd.Timestamp("2024-04-01")
    table = weekly.table
    assert list(table.columns) == ["week_start", "missions", "already_booked"]
    assert table["week_start"].tolist() == [dt.date(2024, 3, 4) + dt.timedelta(weeks=i) for i in range(8)]
    assert table["missions"].tolist()[:4] == [2, 1, 0, 1] and table["missions"].iloc[4:].isna().all()
    assert table["already_booked"].iloc[:4].isna().all() and table["already_booked"].tolist()[4:] == [2, 1, 0, 0]
    assert str(table["missions"].dtype) == str(table["already_booked"].dtype) == "Int64"


def test_partial_first_week_is_dropped_and_a_complete_one_kept():
    # First record on a Wednesday (cancelled records count: they show the data covers that day).
    partial = missions(("2024-01-03 09:00", "hotel"), ("2024-01-04 09:00", None), ("2024-01-08 09:00", None))
    assert by_week(weekly_series(partial, dt.date(2024, 1, 22)).history) == {"2024-01-08": 1, "2024-01-15": 0}
    complete = missions(("2024-01-01 00:00", None), ("2024-01-04 09:00", None), ("2024-01-08 09:00", None))
    assert by_week(weekly_series(complete, dt.date(2024, 1, 22)).history) == {
        "2024-01-01": 2, "2024-01-08": 1, "2024-01-15": 0,
    }


def test_iso_weeks_across_a_year_boundary_and_a_53_week_year():
    data = missions(
        ("2020-12-21 08:00", None),
        ("2020-12-31 08:00", None),   # Thursday of ISO week 2020-W53
        ("2021-01-03 23:00", None),   # Sunday: still 2020-W53
        ("2021-01-04 06:00", None),   # Monday of 2021-W01
    )
    weekly = weekly_series(data, dt.date(2021, 1, 12))
    history = weekly.history
    assert by_week(history) == {"2020-12-21": 1, "2020-12-28": 2, "2021-01-04": 1}
    iso = history.index.isocalendar()
    assert list(zip(iso.year, iso.week)) == [(2020, 52), (2020, 53), (2021, 1)]
    assert (history.index.dayofweek == 0).all() and (np.diff(history.index.asi8) == 7 * 86_400 * 10**9).all()
    # The export date's week (2021-01-11) is forecast week 1; the Sunday before it closes the history.
    assert weekly.booked.index[0] == pd.Timestamp("2021-01-11")
    # Sunday 2023-12-31 belongs to the week of Monday 2023-12-25 (ISO 2023-W52), not to 2024.
    late = weekly_series(missions(("2023-12-25", None), ("2023-12-31 23:59", None), ("2024-01-01", None)), dt.date(2024, 1, 8))
    assert by_week(late.history) == {"2023-12-25": 2, "2024-01-01": 1}


def test_export_on_a_monday_starts_the_forecast_that_day():
    data = missions(("2024-06-03 08:00", None), ("2024-06-10 00:30", None), ("2024-06-10 20:00", None))
    weekly = weekly_series(data, dt.date(2024, 6, 10))
    assert by_week(weekly.history) == {"2024-06-03": 1}
    assert by_week(weekly.booked)["2024-06-10"] == 2


def test_no_completed_week_gives_an_empty_history():
    weekly = weekly_series(missions(("2024-06-05 08:00", None)), dt.date(2024, 6, 6), horizon=2)
    assert weekly.history.empty and by_week(weekly.booked) == {"2024-06-03": 1, "2024-06-10": 0}
    empty = weekly_series(missions(), dt.date(2024, 6, 6), horizon=2)
    assert empty.history.empty and empty.table["already_booked"].tolist() == [0, 0]


def test_bad_missions_frames_are_refused_with_the_reason():
    with pytest.raises(KeyError, match="annulation"):
        weekly_series(missions(("2024-06-05", None)).drop(columns="annulation"), dt.date(2024, 6, 6))
    undated = missions(("2024-06-05", None), (None, None))
    with pytest.raises(ValueError, match=r"1 missions without date_debut \['MIS-2'\]"):
        weekly_series(undated, dt.date(2024, 6, 6))
    with pytest.raises(ValueError, match="annulation must be null, 'extra' or 'hotel'; found \\['annulé extra'\\]"):
        weekly_series(missions(("2024-06-05", "annulé extra")), dt.date(2024, 6, 6))


def test_missions_per_active_extra_over_the_recent_completed_weeks():
    data = missions(
        # Week of 2024-05-27: E1 twice, E2 once -> 3 missions, 2 active extras.
        ("2024-05-27 08:00", None, "EXT-1"),
        ("2024-05-29 08:00", None, "EXT-1"),
        ("2024-05-30 08:00", None, "EXT-2"),
        ("2024-05-31 08:00", "extra", "EXT-3"),   # cancelled: neither a mission nor an active extra
        ("2024-05-31 09:00", None, None),         # unassigned: no extra did it
        # Week of 2024-06-03: E1 once -> 1 mission, 1 active extra.
        ("2024-06-04 08:00", None, "EXT-1"),
        # Outside the 2-week window: before it, and in the export week.
        ("2024-05-20 08:00", None, "EXT-4"),
        ("2024-06-10 08:00", None, "EXT-5"),
    )
    assert missions_per_active_extra(data, dt.date(2024, 6, 12), weeks=2) == pytest.approx(4 / 3)
    assert np.isnan(missions_per_active_extra(data, dt.date(2024, 5, 1), weeks=2))


def test_extras_needed_is_the_ceiling_of_missions_over_the_rate():
    frame = pd.DataFrame({"week_start": pd.date_range("2024-06-10", periods=3, freq="W-MON"),
                          "p50": [5.0, 0.3, 0.0], "p90": [8.0, 0.7, 0.0]})
    assert extras_needed(frame, 4 / 3)[["extras_needed_p50", "extras_needed_p90"]].values.tolist() == [[4, 6], [1, 1], [0, 0]]
    # 0.3 / 0.1 and 0.7 / 0.1 are not whole in floating point: still 3 and 7 extras.
    assert extras_needed(frame, 0.1)["extras_needed_p50"].tolist()[1] == 3
    assert extras_needed(frame, 0.1)["extras_needed_p90"].tolist()[1] == 7
    unknown = extras_needed(frame, float("nan"))
    assert unknown["extras_needed_p90"].isna().all() and str(unknown["extras_needed_p90"].dtype) == "Int64"
    assert list(frame.columns) == ["week_start", "p50", "p90"]  # the input is left alone
