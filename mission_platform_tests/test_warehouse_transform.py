"""The warehouse transform: anonymised frames -> core tables, business rules, rejected rows (pandas only)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from mission_platform.public_demo import MoneyScale
from mission_platform.settings import DemoProfile
from mission_platform.warehouse.transform import (
    EXTRA_COLUMNS,
    HOTEL_COLUMNS,
    LOGICIEL_COLUMNS,
    LOGICIEL_EXTRA_COLUMNS,
    MISSIONS_COLUMNS,
    REJECTED_COLUMNS,
    CoreInvariantError,
    build_core_tables,
    build_rejected_rows,
)
from mission_platform_tests.warehouse_examples import (
    EXPECTED_COLUMNS,
    EXPECTED_MISSIONS,
    EXPORT_ID,
    example_extras,
    example_hotels,
    example_missions,
)


def build(tariffs, missions=None, hotels=None, extras=None, **kwargs):
    return build_core_tables(
        example_missions() if missions is None else missions,
        example_hotels() if hotels is None else hotels,
        example_extras() if extras is None else extras,
        export_id=EXPORT_ID, tariffs=tariffs, **kwargs,
    )


def test_example_missions_match_the_hand_computed_amounts(tariffs):
    missions = build(tariffs).missions
    assert tuple(missions.columns) == MISSIONS_COLUMNS
    expected = pd.DataFrame(EXPECTED_MISSIONS, columns=list(EXPECTED_COLUMNS))
    for column in ("date_debut", "date_fin"):
        expected[column] = pd.to_datetime(expected[column])
    got = missions[list(EXPECTED_COLUMNS)].reset_index(drop=True)
    assert got["mission_id"].tolist() == expected["mission_id"].tolist()
    assert got["annulation"].fillna("").tolist() == expected["annulation"].fillna("").tolist()
    assert (got["date_debut"] == expected["date_debut"]).all()
    assert (got["date_fin"] == expected["date_fin"]).all()
    for column in ("duree_mission", "heures_supp", "total_ht", "total_ttc", "extra_salaire", "benefice"):
        assert got[column].tolist() == pytest.approx(expected[column].astype(float).tolist(), abs=1e-9), column


def test_flags_rates_and_relations_come_through(tariffs):
    missions = build(tariffs).missions.set_index("mission_id")
    assert missions.loc["MIS-1002", "urgent"] and missions.loc["MIS-1006", "urgent"]
    assert not missions.loc["MIS-1001", "urgent"]
    assert pd.isna(missions.loc["MIS-1006", "extra_id"])  # not yet assigned, still kept
    assert missions.loc["MIS-1010", "tarif_horaire"] == 27.5
    assert missions.loc["MIS-1008", "texte"] == "resté pour aider"
    assert (missions["export_id"] == EXPORT_ID).all()


def test_hotels_extras_and_software(tariffs):
    tables = build(tariffs)
    assert tuple(tables.hotel.columns) == HOTEL_COLUMNS
    assert tuple(tables.extra.columns) == EXTRA_COLUMNS
    assert tuple(tables.logiciel.columns) == LOGICIEL_COLUMNS
    assert tuple(tables.logiciel_extra.columns) == LOGICIEL_EXTRA_COLUMNS
    hotel = tables.hotel.set_index("hotel_id")
    assert hotel.loc["HOT-3", "zipcode"] == "06000"
    assert list(hotel.index) == ["HOT-1", "HOT-2", "HOT-3", "HOT-4", "HOT-5"]  # same title, both kept
    extra = tables.extra.set_index("extra_id")
    assert extra.loc["EXT-1", "disponibilites"] == "matin, soir, semaine, week-end"
    assert extra.loc["EXT-2", "disponibilites"] == "nuit, week-end, jours fériés"
    assert extra.loc["EXT-2", "logiciel"] == "Mews, Opera, Protel"
    assert dict(zip(tables.logiciel["logiciel_id"], tables.logiciel["logiciel_name"])) == {
        "medialog": "Medialog", "mews": "Mews", "opera": "Opera", "protel": "Protel"}
    pairs = set(zip(tables.logiciel_extra["extra_id"], tables.logiciel_extra["logiciel_id"]))
    assert pairs == {("EXT-1", "opera"), ("EXT-1", "medialog"), ("EXT-2", "mews"), ("EXT-2", "opera"), ("EXT-2", "protel")}
    assert set(hotel["hotel_logiciel"]) <= set(tables.logiciel["logiciel_name"])


def test_software_ids_are_stable_whatever_the_spelling_or_order(tariffs):
    hotels = example_hotels()
    hotels.loc[0, "software"] = " OPÉRA "
    extras = example_extras()
    extras.loc[0, "software"] = "opera,  Medialog,, "
    first = build(tariffs, hotels=hotels, extras=extras)
    shuffled = build(tariffs, hotels=hotels.iloc[::-1], extras=extras.iloc[::-1])
    assert set(first.logiciel["logiciel_id"]) == {"medialog", "mews", "opera", "protel"}
    pd.testing.assert_frame_equal(first.logiciel, shuffled.logiciel)
    # Three spellings of Opera (HOT-4 and EXT-2 write 'Opera'): the most used one names it.
    names = dict(zip(first.logiciel["logiciel_id"], first.logiciel["logiciel_name"]))
    assert names["opera"] == "Opera"
    assert first.hotel.set_index("hotel_id").loc["HOT-1", "hotel_logiciel"] == "Opera"
    assert ("EXT-1", "opera") in set(zip(first.logiciel_extra["extra_id"], first.logiciel_extra["logiciel_id"]))


DEMO_SCALE = MoneyScale(key=b"test-key-0123456789abcdef",
                        profile=DemoProfile(enabled=True, sample_fraction=1.0, hotel_coeff=2.0, extra_coeff=0.5, seed=3))


def test_demo_pay_is_scaled_per_extra_onto_the_grid_and_margin_follows(tariffs):
    plain = build(tariffs).missions.set_index("mission_id")
    scaled = build(tariffs, scale=DEMO_SCALE).missions.set_index("mission_id")
    # MIS-1002: 8 h urgent + 1.5 h overtime, both paid 18 €/h: 9.5 h at the extra's scaled rate.
    per_hour = float(scaled.loc["MIS-1002", "extra_salaire"]) / 9.5
    assert per_hour % 0.5 == 0 and 18 * 0.5 * 0.92 - 0.25 <= per_hour <= 18 * 0.5 * 1.08 + 0.25
    assert scaled.loc["MIS-1002", "benefice"] == pytest.approx(float(scaled.loc["MIS-1002", "total_ht"]) - 9.5 * per_hour)
    # The same extra gets the same factor on every mission.
    same_extra = scaled[scaled["extra_id"] == scaled.loc["MIS-1002", "extra_id"]]
    no_overtime = plain["heures_supp"] == 0   # what the hotels are billed does not depend on the extras' pay
    assert (scaled.loc[no_overtime, "total_ht"] == plain.loc[no_overtime, "total_ht"]).all()
    assert {round(float(r.extra_salaire) / (float(r.duree_mission) + float(r.heures_supp)), 6)
            for r in same_extra.itertuples() if pd.isna(r.annulation) and r.urgent} == {per_hour}


def test_demo_hotel_coefficient_also_scales_the_overtime_rate_per_hotel(tariffs):
    """The profile scales hotel rates upstream; the overtime rate must follow or it could be read back."""
    plain = build(tariffs).missions.set_index("mission_id")
    scaled = build(tariffs, scale=DEMO_SCALE).missions.set_index("mission_id")
    # MIS-1002: 8 h urgent at 33 + 1.5 h overtime at 40; only the overtime part is scaled here
    # (the hourly rates in the frames are the already-scaled ones).
    assert float(plain.loc["MIS-1002", "total_ht"]) == 324.0
    overtime_rate = (float(scaled.loc["MIS-1002", "total_ht"]) - 8 * 33) / 1.5
    assert overtime_rate % 0.5 == 0 and 40 * 2 * 0.92 - 0.25 <= overtime_rate <= 40 * 2 * 1.08 + 0.25
    assert float(scaled.loc["MIS-1001", "total_ht"]) == float(plain.loc["MIS-1001", "total_ht"])  # no overtime


def test_money_rounds_to_the_cent_half_up_and_hours_keep_minutes(tariffs):
    missions = example_missions()
    missions.loc[0, "hourly_rate"] = 12.345  # for 1 h: 12.345 (12.3449999… as a float) -> 12.35
    missions.loc[0, "end"] = missions.loc[0, "start"] + pd.Timedelta(hours=1)
    missions.loc[1, "end"] = missions.loc[1, "start"] + pd.Timedelta(hours=7, minutes=50)
    missions.loc[1, "urgent"] = False
    missions.loc[1, "overtime_hours"] = 0.0
    got = build(tariffs, missions=missions).missions.set_index("mission_id")
    assert got.loc["MIS-1001", "total_ht"] == 12.35
    assert got.loc["MIS-1001", "total_ttc"] == 14.82
    assert got.loc["MIS-1002", "duree_mission"] == 7.8333
    assert got.loc["MIS-1002", "total_ht"] == 215.42  # 7.8333 h x 27.50
    assert got.loc["MIS-1002", "benefice"] == pytest.approx(215.42 - 117.50)


def test_a_kept_mission_pointing_to_a_set_aside_hotel_is_an_upstream_bug(tariffs):
    hotels = example_hotels()
    hotels.loc[hotels["hotel_id"] == "HOT-3", "reject_reason"] = "duplicate ID with different content"
    with pytest.raises(CoreInvariantError, match=r"missions: kept records 3, 13 .*hotel_id.*'HOT-3'"):
        build(tariffs, hotels=hotels)


def test_repeated_kept_ids_and_impossible_durations_are_refused(tariffs):
    missions = example_missions()
    missions.loc[10, "reject_reason"] = None  # the exact copy of record 1, wrongly kept
    with pytest.raises(CoreInvariantError, match=r"missions: kept records 1, 11 .*mission_id"):
        build(tariffs, missions=missions)
    missions = example_missions()
    missions.loc[3, "end"] = missions.loc[3, "start"] + pd.Timedelta(hours=25)
    with pytest.raises(CoreInvariantError, match=r"kept records 4 last"):
        build(tariffs, missions=missions)
    extras = example_extras()
    extras.loc[1, "extra_id"] = "EXT-1"
    with pytest.raises(CoreInvariantError, match=r"extras: kept records 1, 2"):
        build(tariffs, extras=extras)


def test_rejected_rows_hold_every_set_aside_record_as_json(tariffs):
    hotels = example_hotels()
    hotels.loc[4, "reject_reason"] = "duplicate ID with different content"
    missions, extras = example_missions(), example_extras()
    rejected = build_rejected_rows(missions, hotels, extras, export_id=EXPORT_ID)
    assert tuple(rejected.columns) == REJECTED_COLUMNS
    assert list(zip(rejected["source"], rejected["row_number"])) == [
        ("missions", 7), ("missions", 11), ("missions", 12), ("hotels", 5)]
    assert rejected["reason"].tolist()[:2] == ["missing hotel", "duplicate of record 1"]
    first = json.loads(rejected["raw"].iloc[0])
    assert first["mission_id"] == "MIS-1007" and first["hotel_id"] is None
    assert first["start"].startswith("2024-04-13T13:00:00")
    assert "reject_reason" not in first and "row_number" not in first
    assert json.loads(rejected["raw"].iloc[3])["hotel_id"] == "HOT-5"
    # Conservation by construction: every record is kept or rejected, once.
    tables = build(tariffs, missions=missions, hotels=hotels)
    by_source = rejected.groupby("source").size()
    assert len(tables.missions) + by_source["missions"] == len(missions)


def test_no_rejected_rows_gives_an_empty_frame_with_the_columns():
    missions = example_missions()
    missions["reject_reason"] = pd.NA
    missions = missions.drop_duplicates("mission_id")
    rejected = build_rejected_rows(missions, example_hotels(), example_extras(), export_id=EXPORT_ID)
    assert rejected.empty and tuple(rejected.columns) == REJECTED_COLUMNS


def test_frames_with_arrow_strings_give_the_same_tables(tariffs):
    # core_tables reads the anonymised frames with Arrow-backed strings.
    def arrow(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.astype({c: "string[pyarrow]" for c in frame.columns if frame[c].dtype == "string"})

    frames = {"missions": example_missions(), "hotels": example_hotels(), "extras": example_extras()}
    assert any(frames["missions"].dtypes == "string")
    plain = build_core_tables(*frames.values(), export_id=EXPORT_ID, tariffs=tariffs)
    arrowed = build_core_tables(*map(arrow, frames.values()), export_id=EXPORT_ID, tariffs=tariffs)
    for table in ("missions", "hotel", "extra", "logiciel", "logiciel_extra"):
        pd.testing.assert_frame_equal(getattr(arrowed, table), getattr(plain, table))
    pd.testing.assert_frame_equal(build_rejected_rows(*map(arrow, frames.values()), export_id=EXPORT_ID),
                                  build_rejected_rows(*frames.values(), export_id=EXPORT_ID))
