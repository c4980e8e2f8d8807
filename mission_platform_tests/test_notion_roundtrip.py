"""The reader against the sample-data generator: exactly the bad records it injects are set aside."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from mission_platform.columns import reason_kind
from mission_platform.notion import read_export
from mission_platform.sample_data import build_export

SIZE = dict(weeks=30, missions_per_week=80, hotels=40, extras=100)

# The generator's bad kinds and the reason the reader gives each.
REASON_OF_KIND = {
    "missing_hotel": "missing hotel",
    "unknown_hotel": "unknown hotel",
    "duplicate": "duplicate",
    "conflicting_duplicate": "ID conflict",
    "unparseable_date": "unparseable date in date",
}


def set_aside(parsed) -> pd.DataFrame:
    return pd.concat([
        frame.loc[frame["reject_reason"].notna(), ["row_number", "reject_reason"]].assign(source=source)
        for source, frame in (("missions", parsed.missions), ("hotels", parsed.hotels), ("extras", parsed.extras))
    ], ignore_index=True)


@pytest.mark.parametrize("as_zip", [False, True])
def test_without_mess_nothing_is_set_aside(as_zip):
    generated = build_export(dt.date(2024, 4, 8), **SIZE, seed=1, mess=0.0, as_zip=as_zip)
    parsed = read_export(generated.files, generated.export_id)
    assert set_aside(parsed).empty
    assert {s: parsed.stats[s].rows_read for s in parsed.stats} == generated.counts
    assert parsed.stats["missions"].overtime_unparsed == 0
    missions = parsed.missions
    assert missions["start"].notna().all() and missions["hotel_id"].notna().all()
    assert missions["extra_id"].isna().any() and missions["cancelled_by"].notna().any() and missions["urgent"].any()


@pytest.mark.parametrize(("seed", "mess", "as_zip"), [(2, 0.02, False), (3, 0.1, True)])
def test_exactly_the_injected_bad_records_are_set_aside(seed, mess, as_zip):
    generated = build_export(dt.date(2024, 4, 8), **SIZE, seed=seed, mess=mess, as_zip=as_zip)
    parsed = read_export(generated.files, generated.export_id)
    got = set_aside(parsed)
    injected = generated.injected
    assert len(injected) > 0
    joined = got.merge(injected, on=["source", "row_number"], how="outer", indicator=True)
    assert (joined["_merge"] == "both").all(), joined[joined["_merge"] != "both"]
    assert (reason_kind(joined["reject_reason"]) == joined["kind"].map(REASON_OF_KIND)).all()
    for source, stats in parsed.stats.items():
        assert stats.rows_read == generated.counts[source]
        assert stats.rows_set_aside == (injected["source"] == source).sum()


def test_harmless_mess_still_parses():
    generated = build_export(dt.date(2024, 4, 8), **SIZE, seed=4, mess=0.1)
    parsed = read_export(generated.files, generated.export_id)
    missions = parsed.missions.set_index("row_number")
    messy = generated.messy[generated.messy["source"] == "missions"]
    rows = missions.loc[messy["row_number"]]
    assert rows["reject_reason"].isna().all()
    hours = (rows["end"] - rows["start"]).dt.total_seconds() / 3600
    assert hours.between(0, 24).all() and rows["start"].notna().all()
    assert rows["hotel_id"].notna().all()
    without_duration = messy.loc[messy["kind"] == "text_without_duration", "row_number"]
    assert missions.loc[without_duration, "overtime_unparsed"].all()
    assert parsed.stats["missions"].overtime_unparsed == len(without_duration)
    assert set(messy["kind"]) >= {"english_date", "no_timezone", "decimal_comma", "stray_spaces"}
