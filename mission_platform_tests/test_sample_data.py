"""The Notion export generator: format, determinism, realism, mess, zip, lake (local and S3), CLI."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pandas as pd
import pytest

from mission_platform.resources import LakeResource, lake_from_env
from mission_platform.sample_data import build_export, generate_command, write_export
from mission_platform_tests.conftest import EXAMPLE_EXPORT

EXPORT_DATE = dt.date(2024, 4, 8)
SMALL = dict(weeks=12, missions_per_week=80, hotels=15, extras=30)

FILE_NAME = {
    "missions": re.compile(r"^Missions [0-9a-f]{32}_all\.csv$"),
    "hotels": re.compile(r"^Hôtels [0-9a-f]{32}_all\.csv$"),
    "extras": re.compile(r"^Extras [0-9a-f]{32}_all\.csv$"),
}
RELATION = re.compile(r"^(?P<title>.+) \(https://www\.notion\.so/[A-Za-z0-9-]+-[0-9a-f]{32}\?pvs=21\)$")
TAG = r"\(UTC(?:[+-]\d)?\)"
DAY, TIME = r"\d{2}/\d{2}/\d{4}", r"\d{2}:\d{2}"
FRENCH_DATE = re.compile(rf"^{DAY} {TIME}(?: {TAG})? → (?:{DAY} )?{TIME}(?: {TAG})?$")
ENGLISH_DATE = re.compile(
    r"^[A-Z][a-z]+ \d{1,2}, \d{4} \d{1,2}:\d{2} [AP]M \(GMT[+-]\d\) → "
    r"(?:[A-Z][a-z]+ \d{1,2}, \d{4} )?\d{1,2}:\d{2} [AP]M(?: \(GMT[+-]\d\))?$"
)
DURATION = re.compile(r"\d+\s*h|\d+\s*min", re.IGNORECASE)
FRENCH_DAY = re.compile(
    r"^\d{1,2} (janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre) \d{4}"
)


def table(generated, source: str) -> pd.DataFrame:
    name = next(n for n in generated.files if FILE_NAME[source].match(n))
    return pd.read_csv(io.BytesIO(generated.files[name]), encoding="utf-8-sig", dtype=str, keep_default_na=False)


def start_day(dates: pd.Series) -> pd.Series:
    return pd.to_datetime(dates.str[:10], format="%d/%m/%Y")


def french_datetime(cells: pd.Series) -> pd.Series:
    """``12 janvier 2022 14:30`` as a Timestamp."""
    months = {name: f"{i:02d}" for i, name in enumerate(
        ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre",
         "décembre"], start=1)}
    parts = cells.str.extract(r"^(\d{1,2}) (\w+) (\d{4}) (\d{2}:\d{2})$")
    return pd.to_datetime(parts[2] + "-" + parts[1].map(months) + "-" + parts[0].str.zfill(2) + " " + parts[3])


def title_of(relations: pd.Series) -> pd.Series:
    return relations.str.extract(RELATION)["title"]


@pytest.fixture(scope="module")
def clean():
    return build_export(EXPORT_DATE, mess=0)


@pytest.fixture(scope="module")
def messy():
    return build_export(EXPORT_DATE, seed=3)


# -- format -------------------------------------------------------------------------------------


def test_files_are_written_as_notion_writes_them(messy):
    assert {source: sum(bool(p.match(n)) for n in messy.files) for source, p in FILE_NAME.items()} == {
        "missions": 1, "hotels": 1, "extras": 1}
    examples = {source: next(p for p in EXAMPLE_EXPORT.glob("*.csv") if FILE_NAME[source].match(p.name))
                for source in FILE_NAME}
    for source, pattern in FILE_NAME.items():
        data = next(d for n, d in messy.files.items() if pattern.match(n))
        assert data.startswith(b"\xef\xbb\xbf")
        assert not data.endswith(b"\n")
        assert data.count(b"\n") == data.count(b"\r\n")
        # The header is byte for byte the example's (trailing space of 'tarif horaire ' included).
        assert data.split(b"\r\n", 1)[0] == examples[source].read_bytes().split(b"\r\n", 1)[0]
        assert len(table(messy, source)) == messy.counts[source]


def test_cells_follow_the_notion_renderings(clean):
    missions, hotels, extras = (table(clean, s) for s in ("missions", "hotels", "extras"))
    assert missions["ID"].str.fullmatch(r"MIS-\d+").all()
    assert missions["hôtel"].str.match(RELATION).all()
    assigned = missions["extra"] != ""
    assert missions.loc[assigned, "extra"].str.match(RELATION).all()
    assert missions["date"].str.match(FRENCH_DATE).all()
    assert missions["Propriété"].str.fullmatch(r"Réception (jour|soir|nuit) – .+ – \d{2}/\d{2}").all()
    assert missions["tarif horaire"].str.fullmatch(r"\d+(,5)?").all()
    assert missions["facture"].str.fullmatch(r"(F\d{4}-\d{4,})?").all()
    assert hotels["ID"].str.fullmatch(r"HOT-\d+").all() and extras["ID"].str.fullmatch(r"EXT-\d+").all()
    assert hotels["code postal"].str.fullmatch(r"\d{5}").all()
    assert hotels["code postal"].str.startswith("0").any()
    assert hotels["tarif horaire "].str.contains(",5").any()
    assert hotels["Date de création"].str.match(FRENCH_DAY).all()
    assert hotels["Dernier contact Arnaud"].str.fullmatch(FRENCH_DAY.pattern + "$|").all()
    assert hotels["notes"].str.contains(r"\d{2} \d{2} \d{2} \d{2} \d{2}, \S+@\S+\.fr").any()  # personal data
    assert extras["téléphone"].str.fullmatch(r"0[67]( \d{2}){4}").any()
    assert extras["téléphone"].str.fullmatch(r"\+33 [67]( \d{2}){4}").any()
    assert extras["vacances"].str.fullmatch(r"(\d+ \w+ \d{4} 00:00 → \d+ \w+ \d{4} 00:00)?").all()
    assert (extras["vacances"] != "").any()
    # Quoting: a cell with a comma round-trips through a CSV reader.
    assert missions["statuts"].str.contains(", ").any()


def test_titles_and_ids_are_unique_and_relations_resolve(clean):
    missions, hotels, extras = (table(clean, s) for s in ("missions", "hotels", "extras"))
    for frame in (missions, hotels, extras):
        assert frame["ID"].is_unique
    assert hotels["nom"].str.strip().str.casefold().is_unique
    assert extras["nom"].str.strip().str.casefold().is_unique
    assert set(title_of(missions["hôtel"])) <= set(hotels["nom"].str.strip())
    assert set(title_of(missions.loc[missions["extra"] != "", "extra"])) <= set(extras["nom"].str.strip())
    assert hotels["nom"].str.contains(r", .*\(").any()  # a title with a comma and parentheses, as Notion allows


def test_rates_come_from_the_hotel_and_the_rollup_counts_missions(clean):
    missions, hotels, extras = (table(clean, s) for s in ("missions", "hotels", "extras"))
    hotel_rate = hotels.set_index(hotels["nom"].str.strip())["tarif horaire "]
    assert (missions["tarif horaire"] == title_of(missions["hôtel"]).map(hotel_rate)).all()
    number = lambda s: s.str.replace(",", ".").astype(float)  # noqa: E731
    premium = number(missions["tarif urgence"]) - number(missions["tarif horaire"])
    assert premium.between(5, 7).all()
    per_extra = title_of(missions["extra"]).value_counts()
    expected = extras["nom"].map(per_extra).fillna(0).astype(int)
    assert (extras["nombre de missions"].astype(int) == expected).all()


def test_a_night_across_a_clock_change_carries_both_offsets(clean):
    missions = table(clean, "missions")
    spring = missions["date"].str.match(r"30/03/2024 2\d:\d{2}")
    assert spring.any()
    tagged = missions.loc[spring, "date"]
    # Either tagged with both offsets or written in UTC: never one Paris offset for both ends.
    assert tagged.str.fullmatch(rf"30/03/2024 {TIME} \(UTC\+1\) → 31/03/2024 {TIME} \(UTC\+2\)"
                                rf"|30/03/2024 {TIME} \(UTC\) → {TIME}").all()


# -- determinism ---------------------------------------------------------------------------------


def test_same_seed_same_bytes_other_seed_other_bytes():
    first = build_export(EXPORT_DATE, seed=7, **SMALL)
    again = build_export(EXPORT_DATE, seed=7, **SMALL)
    other = build_export(EXPORT_DATE, seed=8, **SMALL)
    assert first.files == again.files
    pd.testing.assert_frame_equal(first.injected, again.injected)
    assert sorted(first.files) != sorted(other.files)
    assert list(first.files.values()) != list(other.files.values())
    zipped = build_export(EXPORT_DATE, seed=7, as_zip=True, **SMALL)
    assert zipped.files == build_export(EXPORT_DATE, seed=7, as_zip=True, **SMALL).files


# -- realism -------------------------------------------------------------------------------------


def test_shares_of_cancelled_urgent_future_and_unassigned_missions(clean):
    missions = table(clean, "missions")
    statuses = missions["statuts"]
    assert 0.05 <= statuses.str.contains("annulé").mean() <= 0.10
    assert statuses.str.contains("annulé hôtel").any() and statuses.str.contains("annulé extra").any()
    assert 0.12 <= statuses.str.contains("urgente").mean() <= 0.18
    day = start_day(missions["date"])
    future = day >= pd.Timestamp(EXPORT_DATE)
    assert 0.005 <= future.mean() <= 0.06
    assert day.max() <= pd.Timestamp(EXPORT_DATE + dt.timedelta(days=35))
    week_ahead = (day - pd.Timestamp(EXPORT_DATE)).dt.days // 7
    assert (week_ahead == 0).sum() > 2 * (week_ahead == 4).sum() > 0  # fewer booked the further out
    unassigned = missions["extra"] == ""
    assert unassigned.any() and not (unassigned & ~future).any()
    assert 0.05 <= unassigned[future].mean() <= 0.5
    assert not (unassigned & statuses.str.contains("confirmée")).any()
    past = ~future
    assert statuses[past & ~statuses.str.contains("annulé")].str.contains("confirmée").all()
    assert statuses[future].str.contains("facturée").sum() == 0
    invoiced = missions["facture"] != ""
    assert (invoiced == statuses.str.contains("facturée")).all() and (missions.loc[invoiced, "règlement"] != "").all()
    overtime = missions["Texte"] != ""
    assert 0.05 <= overtime.mean() <= 0.2 and not (overtime & future).any()
    assert missions.loc[overtime, "Texte"].str.contains(DURATION).all()
    shifts = missions["Propriété"].str.extract(r"Réception (\w+)")[0].value_counts(normalize=True)
    assert set(shifts.index) == {"jour", "soir", "nuit"} and shifts.min() > 0.15
    tags = missions["date"].str.extract(r"\((UTC[^)]*)\)")[0].value_counts()
    assert {"UTC", "UTC+1", "UTC+2"} <= set(tags.index)


def test_missions_are_created_ahead_in_file_order_and_rendered_like_the_dates(clean, messy):
    missions = table(clean, "missions")
    assert missions["Date de création"].str.fullmatch(FRENCH_DAY.pattern + r" \d{2}:\d{2}").all()
    created = french_datetime(missions["Date de création"])
    assert created.is_monotonic_increasing  # file order is creation order
    assert created.max() < pd.Timestamp(EXPORT_DATE) + pd.Timedelta(days=1)
    start = pd.to_datetime(missions["date"].str[:16], format="%d/%m/%Y %H:%M")
    utc = missions["date"].str.contains(r"\(UTC\) →")
    lead_days = ((start - created).dt.total_seconds() / 86400)[~utc]  # UTC-written starts are an hour or two off
    urgent = missions.loc[~utc, "statuts"].str.contains("urgente")
    assert lead_days[urgent].between(-0.1, 2.1).all()  # urgent: within 48 hours
    normal = lead_days[~urgent]
    assert 0.6 <= normal.between(7, 21).mean() <= 0.8  # most one to three weeks ahead
    assert 0.005 <= (normal < 0).mean() <= 0.04  # a few entered after they happened
    english = table(messy, "missions").query("date.str.match('[A-Z]')", engine="python")["Date de création"]
    assert len(english) and english.str.fullmatch(r"[A-Z][a-z]+ \d{1,2}, \d{4} \d{1,2}:\d{2} [AP]M").all()


def test_demand_grows_and_follows_the_seasons_and_the_week(clean):
    missions = table(clean, "missions")
    day = start_day(missions["date"])
    past = day[day < pd.Timestamp(EXPORT_DATE)]
    weekly = past.dt.to_period("W").value_counts().sort_index()
    month = weekly.index.start_time.month
    assert weekly[month == 8].mean() < 0.85 * weekly[month.isin([9, 10])].mean()
    assert weekly[month == 1].mean() < 0.85 * weekly[month == 6].mean()
    assert weekly.iloc[-52:].mean() > 1.15 * weekly.iloc[:52].mean()
    assert 90 <= weekly.mean() <= 130  # ~110 missions a week by default
    by_weekday = past.dt.dayofweek.value_counts()
    assert by_weekday[5] > 1.2 * by_weekday[[0, 1, 2]].mean()
    christmas = past.isin(pd.to_datetime(["2022-12-25", "2023-12-25"])).sum()
    neighbours = past.isin(pd.to_datetime(["2022-12-18", "2023-12-17"])).sum()  # the Sundays a week before
    assert christmas > neighbours


# -- mess ----------------------------------------------------------------------------------------


def test_no_mess_means_no_injected_rows_and_no_messy_rendering(clean):
    assert clean.injected.empty and clean.messy.empty
    missions, hotels, extras = (table(clean, s) for s in ("missions", "hotels", "extras"))
    assert missions["date"].str.contains(r"\(UTC").all()
    assert not missions["date"].str.match(ENGLISH_DATE).any()
    for column in (missions["Propriété"], hotels["nom"], extras["nom"]):
        assert (column == column.str.strip()).all()
    for rates in (missions["tarif horaire"], missions["tarif urgence"], hotels["tarif horaire "]):
        assert rates.str.fullmatch(r"\d+(,5)?").all()
    assert missions.loc[missions["Texte"] != "", "Texte"].str.contains(DURATION).all()
    assert len(missions) == clean.missions and len(hotels) == clean.hotels and len(extras) == clean.extras


def test_each_injected_bad_row_is_what_it_says_and_no_other_row_is_bad(messy):
    injected = messy.injected
    assert set(injected.columns) == {"source", "row_number", "id", "kind"}
    assert set(injected.loc[injected.source == "missions", "kind"]) == {
        "missing_hotel", "unknown_hotel", "duplicate", "conflicting_duplicate", "unparseable_date"}
    missions, hotels, extras = (table(messy, s) for s in ("missions", "hotels", "extras"))
    hotel_titles = set(hotels["nom"].str.strip())
    frames = {"missions": missions, "hotels": hotels, "extras": extras}
    for source, frame in frames.items():
        marked = injected[injected.source == source]
        rows = frame.iloc[marked.row_number - 1]
        assert (rows["ID"].to_numpy() == marked.id.to_numpy()).all()
        bad = frame.index.isin(marked.row_number - 1)
        good = frame[~bad]
        assert good["ID"].is_unique  # every duplicate copy and every conflicting pair is marked
        for row, kind in zip(rows.itertuples(index=True), marked.kind):
            earlier = frame.iloc[: row.Index]
            same_id = frame[frame["ID"] == row.ID]
            if kind == "duplicate":
                assert (earlier == frame.iloc[row.Index]).all(axis=1).any()
            elif kind == "conflicting_duplicate":
                assert len(same_id) == 2 and len(same_id.drop_duplicates()) == 2
                assert set(same_id.index) <= set(marked.row_number - 1)
    kinds = dict(zip(injected.loc[injected.source == "missions", "row_number"] - 1,
                     injected.loc[injected.source == "missions", "kind"]))
    hotel_cell_ok = title_of(missions["hôtel"]).isin(hotel_titles)
    date_ok = missions["date"].str.match(FRENCH_DATE) | missions["date"].str.match(ENGLISH_DATE)
    for index in missions.index:
        kind = kinds.get(index)
        assert hotel_cell_ok[index] == (kind not in {"missing_hotel", "unknown_hotel"})
        assert date_ok[index] == (kind != "unparseable_date")
        if kind == "missing_hotel":
            assert missions.at[index, "hôtel"] == ""


def test_harmless_mess_is_recorded_and_rendered(messy):
    marks = messy.messy
    missions = table(messy, "missions")
    assert set(marks.loc[marks.source == "missions", "kind"]) == {
        "stray_spaces", "no_timezone", "english_date", "decimal_comma", "text_without_duration"}

    def cells(kind: str, column: str) -> pd.Series:
        rows = marks[(marks.source == "missions") & (marks.kind == kind)].row_number - 1
        return missions.iloc[rows][column]

    assert cells("english_date", "date").str.match(ENGLISH_DATE).all()
    no_tag = cells("no_timezone", "date")
    assert no_tag.str.match(FRENCH_DATE).all() and not no_tag.str.contains(r"\(").any()
    padded = cells("stray_spaces", "Propriété")
    assert (padded != padded.str.strip()).all()
    assert cells("decimal_comma", "tarif horaire").str.fullmatch(r"\d+,\d\d").all()
    words = cells("text_without_duration", "Texte")
    assert (words != "").all() and not words.str.contains(DURATION).any()
    # Exactly the rows recorded carry harmless mess.
    assert (missions["date"].str.match(ENGLISH_DATE)).sum() == len(cells("english_date", "date"))
    assert (missions["Propriété"] != missions["Propriété"].str.strip()).sum() == len(padded)
    for source, column in (("hotels", "nom"), ("extras", "nom")):
        frame = table(messy, source)
        padded = frame[column] != frame[column].str.strip()
        assert set(frame.index[padded] + 1) == set(
            marks.loc[(marks.source == source) & (marks.kind == "stray_spaces"), "row_number"])
    share = (len(marks) + len(messy.injected)) / (messy.missions + messy.hotels + messy.extras)
    assert 0.015 <= share <= 0.03


# -- zip, lake, CLI ------------------------------------------------------------------------------


def test_the_zip_holds_the_same_csv_files_in_a_folder():
    plain = build_export(EXPORT_DATE, **SMALL)
    zipped = build_export(EXPORT_DATE, as_zip=True, **SMALL)
    (name, data), = zipped.files.items()
    assert re.fullmatch(r"Export-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}\.zip", name)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    assert all("/" in member for member in members)
    assert {member.rsplit("/", 1)[1]: content for member, content in members.items()} == plain.files
    assert zipped.counts == plain.counts


@pytest.mark.parametrize("store", ["local", "s3"])
def test_write_export_puts_the_files_under_raw_notion(request, store):
    request.getfixturevalue("local_lake_url" if store == "local" else "s3_lake_url")
    lake = lake_from_env()
    generated = build_export(EXPORT_DATE, **SMALL)
    keys = write_export(lake, generated)
    assert sorted(keys) == sorted(f"raw/notion/2024-04-08/{name}" for name in generated.files)
    assert [o.key for o in lake.list("raw/notion/2024-04-08")] == sorted(keys)
    for key in keys:
        assert lake.read_bytes(key) == generated.files[key.rsplit("/", 1)[1]]


def test_generate_command_writes_and_reports(tmp_path, capsys):
    out = tmp_path / "lake"
    status = generate_command(["--out", str(out), "--export-date", "2024-04-08", "--weeks", "8",
                               "--missions-per-week", "50", "--hotels", "10", "--extras", "20", "--seed", "5",
                               "--mess", "0", "--zip"])
    assert status == 0
    written = list((out / "raw" / "notion" / "2024-04-08").iterdir())
    assert len(written) == 1 and written[0].name.startswith("Export-")
    expected = build_export(EXPORT_DATE, weeks=8, missions_per_week=50, hotels=10, extras=20, seed=5, mess=0,
                            as_zip=True)
    assert written[0].read_bytes() == next(iter(expected.files.values()))
    printed = capsys.readouterr().out
    assert "2024-04-08" in printed and f"{expected.missions:,} missions" in printed and str(out) in printed


def test_generate_command_defaults_to_the_environment_lake(local_lake_url, capsys):
    assert generate_command(["--export-date", "2024-04-08", "--weeks", "4", "--hotels", "5", "--extras", "5"]) == 0
    assert len(LakeResource(url=local_lake_url).list("raw/notion/2024-04-08")) == 3


def test_bad_options_are_refused_with_a_message(tmp_path, capsys):
    assert generate_command(["--out", str(tmp_path), "--hotels", "0"]) == 2
    assert "hotels must be at least 1" in capsys.readouterr().err
    assert generate_command(["--export-date", "08/04/2024"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err
    with pytest.raises(ValueError, match="mess must be a share"):
        build_export(EXPORT_DATE, mess=1.5)
