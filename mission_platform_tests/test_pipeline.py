"""The whole graph in process, on real PostgreSQL and a local lake: raw files to reporting views."""

from __future__ import annotations

import base64
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import dagster as dg
import pandas as pd
import numpy as np
import psycopg

from mission_platform.resources import LakeResource
from mission_platform_tests.conftest import EXAMPLE_EXPORT, EXAMPLE_EXPORT_ID, copy_export, run_pipeline


CHARTS = Path(__file__).resolve().parents[1] / "test-output" / "charts"


def rows(url: str, sql: str, params=None) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def failed_checks(result) -> list[str]:
    return [
        f"{e.asset_key.to_user_string()}:{e.check_name}"
        for e in result.get_asset_check_evaluations()
        if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    ]


def rejected_metadata(result) -> tuple[int, dict[str, int]]:
    """The rejected_rows materialisation's row count and rows per source."""
    (event,) = [m for m in result.get_asset_materialization_events() if m.asset_key == dg.AssetKey("rejected_rows")]
    metadata = event.materialization.metadata
    return metadata["dagster/row_count"].value, metadata["by_source"].value


def generate(lake_url: str, export_date: dt.date, **options) -> str:
    from mission_platform.sample_data import build_export, write_export

    generated = build_export(export_date, **options)
    write_export(LakeResource(url=lake_url), generated)
    return generated.export_id


SMALL = {"weeks": 70, "missions_per_week": 40, "hotels": 20, "extras": 45, "seed": 7}


def test_the_example_export_goes_all_the_way(pipeline_env):
    copy_export(EXAMPLE_EXPORT, Path(pipeline_env["lake_url"]), EXAMPLE_EXPORT_ID)
    result = run_pipeline(EXAMPLE_EXPORT_ID, **pipeline_env)
    assert result.success
    assert failed_checks(result) == []
    url = pipeline_env["warehouse_url"]
    assert rows(url, "SELECT count(*) FROM core.missions") == [(10,)]
    assert rows(url, "SELECT count(*) FROM core.hotel") == [(5,)]
    assert rows(url, "SELECT total_ht, total_ttc, extra_salaire, benefice FROM core.missions WHERE mission_id = 'MIS-1002'") == [
        (Decimal("324.00"), Decimal("388.80"), Decimal("171.00"), Decimal("153.00"))
    ]
    rejected = rows(url, "SELECT source, row_number FROM core.rejected_rows WHERE export_id = %s ORDER BY row_number", (EXAMPLE_EXPORT_ID,))
    assert rejected == [("missions", 7), ("missions", 11), ("missions", 12)]
    assert rejected_metadata(result) == (3, {"missions": 3})  # the published export's rows, as stored
    # No personal data anywhere in the warehouse: the original names are gone.
    names = rows(url, "SELECT hotel_nom FROM core.hotel UNION ALL SELECT nom FROM core.extra")
    assert not {"Hôtel des Arts", "Camille Martin", "Yanis Benali"} & {n for (n,) in names}
    assert "Camille" not in str(rows(url, "SELECT raw FROM core.rejected_rows"))
    # Too little history for a forecast: a clear message, no crash, the view still answers.
    assert rows(url, "SELECT count(*) FROM core.mission_forecast") == [(0,)]
    assert rows(url, "SELECT count(*) FROM reporting.fraicheur_donnees") == [(1,)]


def test_a_generated_export_is_forecast(pipeline_env):
    export_id = generate(pipeline_env["lake_url"], dt.date(2024, 9, 16), **SMALL)
    result = run_pipeline(export_id, **pipeline_env)
    assert result.success
    assert failed_checks(result) == []
    url = pipeline_env["warehouse_url"]
    forecast = rows(url, "SELECT week_start, p10, p50, p90, extras_needed_p90 FROM reporting.predictions WHERE mean IS NOT NULL ORDER BY week_start")
    assert len(forecast) == 4
    assert forecast[0][0] == dt.date(2024, 9, 16)  # the export's own week is the first forecast week
    assert all(0 <= p10 <= p50 <= p90 and needed >= 1 for _, p10, p50, p90, needed in forecast)
    models = {m for (m,) in rows(url, "SELECT model FROM core.forecast_backtest")}
    assert {"npts", "npts_day_of_month", "seasonal_naive", "naive", "identity"} <= models
    (history_weeks,) = rows(url, "SELECT count(*) FROM core.weekly_missions WHERE missions IS NOT NULL")[0]
    assert 60 <= history_weeks <= 70
    # The asset pages show pictures: the weekly series, the forecast and the league table, as PNG in the metadata.
    CHARTS.mkdir(parents=True, exist_ok=True)
    for asset in ("weekly_missions", "mission_forecast", "forecast_backtest"):
        (materialisation,) = [m for m in result.get_asset_materialization_events()
                              if m.asset_key == dg.AssetKey(asset)]
        markdown = materialisation.materialization.metadata["chart"].value
        encoded = re.fullmatch(r"!\[[^\]]*\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", markdown).group(1)
        picture = base64.b64decode(encoded)
        assert picture.startswith(b"\x89PNG") and len(picture) > 10_000, asset
        (CHARTS / f"{asset}.png").write_bytes(picture)
    (forecast,) = [m for m in result.asset_materializations_for_node("forecast")
                   if m.asset_key == dg.AssetKey("mission_forecast")]
    schema = forecast.metadata["dagster/column_schema"].value
    assert {c.name: c.type for c in schema.columns}["p10"] == "double precision"

    # The three are one step that reads the published missions once; each can still be materialised alone.
    for asset in ("mission_forecast", "forecast_backtest"):
        alone = run_pipeline(export_id, **pipeline_env, selection=[dg.AssetKey(asset)])
        assert alone.success
        assert [m.asset_key for m in alone.get_asset_materialization_events()] == [dg.AssetKey(asset)]
        checks = {(e.asset_key.to_user_string(), e.check_name, e.passed) for e in alone.get_asset_check_evaluations()}
        assert checks == ({("mission_forecast", "forecast_sane", True)} if asset == "mission_forecast" else set())


def test_an_older_export_never_rolls_the_warehouse_back(pipeline_env):
    older = generate(pipeline_env["lake_url"], dt.date(2024, 9, 9), **SMALL)
    newer = generate(pipeline_env["lake_url"], dt.date(2024, 9, 16), **SMALL)
    instance = dg.DagsterInstance.ephemeral()
    result = run_pipeline(newer, instance=instance, **pipeline_env)
    assert result.success
    url = pipeline_env["warehouse_url"]
    published = rows(url, "SELECT DISTINCT export_id FROM core.missions")
    assert published == [(newer,)]
    # The older export arrives (or is rerun) later: its rejected rows are recorded, the tables stay on the newer one.
    older_result = run_pipeline(older, instance=instance, **pipeline_env)
    assert older_result.success
    assert rows(url, "SELECT DISTINCT export_id FROM core.missions") == [(newer,)]
    exports = {e for (e,) in rows(url, "SELECT DISTINCT export_id FROM core.rejected_rows")}
    assert exports == {older, newer}
    # Either way the step describes the rows in the warehouse: stored by the publish (newer), or by itself (older).
    for export_id, run in ((newer, result), (older, older_result)):
        stored = dict(rows(url, "SELECT source, count(*) FROM core.rejected_rows WHERE export_id = %s GROUP BY source",
                           (export_id,)))
        assert sum(stored.values()) > 0 and rejected_metadata(run) == (sum(stored.values()), stored)


def test_an_incomplete_export_fails_with_a_clear_message(pipeline_env):
    folder = copy_export(EXAMPLE_EXPORT, Path(pipeline_env["lake_url"]), EXAMPLE_EXPORT_ID)
    next(folder.glob("Hôtels*")).unlink()
    result = run_pipeline(EXAMPLE_EXPORT_ID, **pipeline_env)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = failure.step_failure_data.user_failure_data.description
    assert EXAMPLE_EXPORT_ID in message and "Hôtels" in message
    # Nothing was published.
    assert rows(pipeline_env["warehouse_url"], "SELECT count(*) FROM pg_tables WHERE schemaname = 'core' AND tablename = 'missions'") == [(0,)]


def test_the_same_graph_on_an_s3_lake(pipeline_env, s3_lake_url):
    """Same layout and behaviour on S3 (moto's server) as on a local folder."""
    lake = LakeResource(url=s3_lake_url)
    for path in sorted(EXAMPLE_EXPORT.glob("*.csv")):
        lake.write_bytes(f"raw/notion/{EXAMPLE_EXPORT_ID}/{path.name}", path.read_bytes())
    result = run_pipeline(EXAMPLE_EXPORT_ID, lake_url=s3_lake_url, warehouse_url=pipeline_env["warehouse_url"])
    assert result.success
    assert failed_checks(result) == []
    keys = {o.key for o in lake.list("")}
    for area in ("parsed", "anonymised"):
        assert {f"{area}/{EXAMPLE_EXPORT_ID}/{s}.parquet" for s in ("missions", "hotels", "extras")} <= keys
    assert rows(pipeline_env["warehouse_url"], "SELECT count(*) FROM core.missions") == [(10,)]


def test_only_whole_checked_anonymised_exports_are_published(pipeline_env, monkeypatch):
    lake_root = Path(pipeline_env["lake_url"])
    copy_export(EXAMPLE_EXPORT, lake_root, EXAMPLE_EXPORT_ID)
    instance = dg.DagsterInstance.ephemeral()
    assert run_pipeline(EXAMPLE_EXPORT_ID, instance=instance, **pipeline_env).success
    # A newer export whose anonymised folder has its frames but no manifest (half-written, or its checks failed).
    newer = lake_root / "anonymised" / "2024-04-15"
    newer.mkdir(parents=True)
    for frame in (lake_root / "anonymised" / EXAMPLE_EXPORT_ID).glob("*.parquet"):
        (newer / frame.name).write_bytes(frame.read_bytes())
    # The publishing step also materialises the private and ops tables (group private): taken whole.
    warehouse_step = dg.AssetSelection.groups("warehouse").required_multi_asset_neighbors()
    result = run_pipeline(EXAMPLE_EXPORT_ID, instance=instance, selection=warehouse_step, **pipeline_env)
    assert result.success
    url = pipeline_env["warehouse_url"]
    assert rows(url, "SELECT DISTINCT export_id FROM core.missions") == [(EXAMPLE_EXPORT_ID,)]
    # Switching the public-demo profile on without re-anonymising is refused, naming what to do.
    for name, value in {"MISSION_PUBLIC_DEMO": "1", "MISSION_DEMO_SAMPLE_FRACTION": "0.5",
                        "MISSION_DEMO_HOTEL_COEFF": "1.3", "MISSION_DEMO_EXTRA_COEFF": "0.8"}.items():
        monkeypatch.setenv(name, value)
    result = run_pipeline(EXAMPLE_EXPORT_ID, instance=instance, selection=warehouse_step, **pipeline_env)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "rerun the anonymised assets" in failure.step_failure_data.user_failure_data.description
    assert rows(url, "SELECT DISTINCT export_id FROM core.missions") == [(EXAMPLE_EXPORT_ID,)]


def test_the_forecast_check_catches_a_malformed_forecast():
    from mission_platform.forecast.assets import forecast_sanity

    monday = dt.date(2024, 9, 16)
    good = pd.DataFrame({
        "week_start": pd.date_range("2024-09-16", periods=4, freq="7D"),
        "mean": [10.0, 11, 12, 13], "p10": [8.0, 9, 10, 11], "p50": [10.0, 11, 12, 13], "p90": [12.0, 13, 14, 15],
        "already_booked": pd.array([8, 5, 1, 0], dtype="Int64"),
    })
    assert forecast_sanity(good, monday).passed
    below_booked = good.assign(already_booked=pd.array([9, 5, 1, 0], dtype="Int64"))  # p10 under what is booked
    assert not forecast_sanity(below_booked, monday).passed
    crossed = good.assign(p10=[8.0, 12, 10, 11])  # p10 above p50 in week 2
    assert not forecast_sanity(crossed, monday).passed
    shifted = good.assign(week_start=good["week_start"] + pd.Timedelta(days=1))  # Tuesdays
    assert not forecast_sanity(shifted, monday).passed
    assert not forecast_sanity(good.head(3), monday).passed


def _on_grid_share(values: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """For each coefficient, the share of values that fall back onto the 0.5 € grid once divided by it."""

    quotient = values[None, :] / coefficients[:, None] / 0.5
    return (np.abs(quotient - np.round(quotient)) < 0.01).mean(axis=1)


def test_the_public_demo_coefficients_cannot_be_recovered_from_what_looker_reader_sees(pipeline_env, monkeypatch):
    """A grid search over the coefficient, on the money looker_reader reads, does not single out either secret one."""
    from urllib.parse import urlsplit, urlunsplit

    secret = {"hotel": 1.3791, "extra": 0.8437}
    for name, value in {"MISSION_PUBLIC_DEMO": "1", "MISSION_DEMO_SAMPLE_FRACTION": "1",
                        "MISSION_DEMO_HOTEL_COEFF": str(secret["hotel"]),
                        "MISSION_DEMO_EXTRA_COEFF": str(secret["extra"])}.items():
        monkeypatch.setenv(name, value)
    export_id = generate(pipeline_env["lake_url"], dt.date(2024, 9, 16), **SMALL)
    result = run_pipeline(export_id, **pipeline_env)
    assert result.success and failed_checks(result) == []
    # A public demo holds no real person's details: private (and so the contacts of ops) stays empty.
    assert rows(pipeline_env["warehouse_url"], "SELECT (SELECT count(*) FROM private.extra), "
                "(SELECT count(*) FROM private.hotel), (SELECT count(*) FROM ops.recherche_extras"
                " WHERE extra_nom IS NOT NULL OR extra_telephone IS NOT NULL)") == [(0, 0, 0)]
    assert rows(pipeline_env["warehouse_url"], "SELECT count(*) > 0 FROM ops.recherche_extras") == [(True,)]
    parts = urlsplit(pipeline_env["warehouse_url"])
    reader = urlunsplit(parts._replace(netloc=f"looker_reader@{parts.hostname}:{parts.port or 5432}"))
    shown = pd.DataFrame(rows(reader, """
        SELECT tarif_horaire, tarif_urgence, total_ht, extra_salaire, duree_mission, heures_supp, urgent
        FROM reporting.missions_detail WHERE annulation IS NULL"""),
        columns=["rate", "urgent_rate", "ht", "pay", "hours", "overtime", "urgent"]).astype(
        {c: float for c in ("rate", "urgent_rate", "ht", "pay", "hours", "overtime")})
    billed_rate = np.where(shown["urgent"], shown["urgent_rate"], shown["rate"])
    with_overtime = shown["overtime"] > 0
    hotel_side = np.concatenate([
        shown["rate"].dropna().unique(), shown["urgent_rate"].dropna().unique(),
        ((shown["ht"] - shown["hours"] * billed_rate) / shown["overtime"])[with_overtime].round(4).unique(),
    ])
    extra_side = (shown["pay"] / (shown["hours"] + shown["overtime"])).round(4).unique()
    coefficients = np.arange(0.5, 3.0, 0.0001)
    for side, values in (("hotel", hotel_side), ("extra", extra_side)):
        assert len(values) > 20, side
        score = _on_grid_share(values, coefficients)
        near = np.abs(coefficients / secret[side] - 1) <= 0.01
        # The secret coefficient does not stand out from the others: no better than what chance gives anywhere.
        assert score[near].max() <= np.quantile(score[~near], 0.99), (side, score[near].max())


def test_an_older_export_without_creation_dates_is_forecast_by_plain_npts_with_a_warning(pipeline_env):
    """Missions carry Notion's created time; an older export without the column still loads and is forecast."""
    import csv
    import io

    lake = Path(pipeline_env["lake_url"])
    export_id = generate(pipeline_env["lake_url"], dt.date(2024, 9, 16), **SMALL)
    (missions_file,) = (lake / "raw" / "notion" / export_id).glob("Missions *.csv")
    records = list(csv.reader(io.StringIO(missions_file.read_bytes().decode("utf-8-sig"), newline="")))
    assert records[0][-1] == "Date de création"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(record[:-1] for record in records)
    missions_file.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().rstrip("\r\n").encode("utf-8"))
    result = run_pipeline(export_id, **pipeline_env)
    assert result.success and failed_checks(result) == []
    url = pipeline_env["warehouse_url"]
    assert rows(url, "SELECT count(*) FROM core.missions WHERE date_creation IS NOT NULL") == [(0,)]
    assert {m for (m,) in rows(url, "SELECT DISTINCT model FROM core.mission_forecast")} == {"npts"}
    (materialisation,) = [m for m in result.asset_materializations_for_node("forecast")
                          if m.asset_key == dg.AssetKey("mission_forecast")]
    assert "carry no date_creation" in " ".join(materialisation.metadata["warnings"].value)
    booked = rows(url, "SELECT p10, already_booked FROM reporting.predictions WHERE model IS NOT NULL")
    assert len(booked) == 4 and all(p10 >= already for p10, already in booked)   # never below what is booked


def test_the_forecast_starts_from_what_is_already_booked(pipeline_env):
    export_id = generate(pipeline_env["lake_url"], dt.date(2024, 9, 16), **SMALL)
    result = run_pipeline(export_id, **pipeline_env)
    assert result.success and failed_checks(result) == []
    url = pipeline_env["warehouse_url"]
    weeks = rows(url, "SELECT model, p10, p50, p90, already_booked, extras_to_find_p90 FROM reporting.predictions "
                         "WHERE model IS NOT NULL ORDER BY week_start")
    assert [w[0] for w in weeks] == ["npts_pickup"] * 4
    assert all(booked <= p10 <= p50 <= p90 and to_find >= 0 for _, p10, p50, p90, booked, to_find in weeks)
    assert weeks[0][4] > weeks[-1][4]                          # the near weeks are more booked
    assert weeks[0][3] - weeks[0][1] < weeks[-1][3] - weeks[-1][1]   # so their band is narrower
    assert rows(url, "SELECT count(*) FROM core.missions WHERE date_creation IS NULL") == [(0,)]


def test_an_anonymiser_that_leaves_a_real_name_writes_nothing(pipeline_env, monkeypatch):
    from mission_platform.anonymise import assets as anonymise_assets

    lake_root = Path(pipeline_env["lake_url"])
    copy_export(EXAMPLE_EXPORT, lake_root, EXAMPLE_EXPORT_ID)
    anonymise = anonymise_assets.anonymise_export

    def leaky(missions, hotels, extras, **kwargs):
        # Puts one extra's real name back into the anonymised extras, as a broken anonymiser would.
        result = anonymise(missions, hotels, extras, **kwargs)
        result.extras.loc[0, "name"] = extras["name"].dropna().iloc[0]
        return result

    monkeypatch.setattr(anonymise_assets, "anonymise_export", leaky)
    result = run_pipeline(EXAMPLE_EXPORT_ID, **pipeline_env)
    assert not result.success
    failure = next(e for e in result.all_events
                   if e.event_type_value == "STEP_FAILURE" and e.step_key == "anonymised_export")
    assert "anonymisation left 1 cells hold personal values" in failure.step_failure_data.user_failure_data.description
    assert not (lake_root / "anonymised" / EXAMPLE_EXPORT_ID).exists() or not any(
        (lake_root / "anonymised" / EXAMPLE_EXPORT_ID).iterdir())
