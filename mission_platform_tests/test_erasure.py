"""Erasure: an extra or a hotel gone from every layer of the lake and the warehouse, their missions kept.

The frame and file functions are exercised with pandas alone; the command, on a real PostgreSQL and on a
local lake and a moto S3 lake, with the example export (EXT-1 Camille Martin, HOT-1 Hôtel des Arts).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import psycopg
import pytest

from mission_platform.cli.commands import main
from mission_platform.erasure import ErasureError, SuppressionList, suppress
from mission_platform.erasure.lake import LOG_KEY, PENDING_KEY, load_suppression, rewrite_raw_object
from mission_platform.erasure.suppression import SUPPRESSION_KEY, people_in
from mission_platform.notion import read_export
from mission_platform.resources import LakeError, LakeResource
from mission_platform.retention import apply_retention
from mission_platform_tests.conftest import EXAMPLE_EXPORT, TEST_KEY

EXTRA, HOTEL = "EXT-1", "HOT-1"
# Every value the example holds of each, as written in the files (and a phone in another spelling).
EXTRA_VALUES = ["Camille Martin", "06 12 34 56 78", "0612345678", "camille.martin@example.org",
                "1f2e3d4c5b6a47988776655443322110"]
HOTEL_VALUES = ["Hôtel des Arts", "12 rue des Beaux-Arts", "Mme Durand", "01 42 33 44 55",
                "reception@hoteldesarts.fr", "5b0c2d9e8f7a41b3a6c4d2e1f0a9b8c7"]
EXPORTS = ("2024-04-01", "2024-04-08", "2024-04-15")


def example_files() -> dict[str, bytes]:
    return {f.name: f.read_bytes() for f in EXAMPLE_EXPORT.iterdir() if f.suffix == ".csv"}


def example_frames(files: dict[str, bytes] | None = None) -> dict[str, pd.DataFrame]:
    parsed = read_export(files or example_files(), "2024-04-15", years_back=50)
    return {"missions": parsed.missions, "hotels": parsed.hotels, "extras": parsed.extras}


def holding(text: str, values: list[str], ids: list[str] = ()) -> list[str]:
    """The values (case-insensitively) and ids (as whole ids) that ``text`` holds."""
    found = [v for v in values if v.lower() in text.lower()]
    return found + [i for i in ids if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", text)]


def frame_text(frames: dict[str, pd.DataFrame]) -> str:
    return "\n".join(frame.astype(str).to_csv() for frame in frames.values())


# -- frames and files, pandas alone ----------------------------------------------------------------------

def test_suppression_keeps_every_row_and_amount_and_leaves_nothing_of_the_person():
    frames = example_frames()
    frames["hotels"].loc[frames["hotels"]["hotel_id"] == "HOT-3", "notes"] = \
        "rappeler Camille Martin au 06.12.34.56.78 ou camille.martin@example.org"
    suppression = SuppressionList().add([EXTRA, HOTEL])
    copies = {source: frame.copy() for source, frame in frames.items()}
    out, people = suppress(frames, suppression)
    assert all(frames[source].equals(copies[source]) for source in frames)   # new frames; the inputs untouched
    assert [e.notion_id for e in people.erased] == [EXTRA, HOTEL]
    extra, hotel = suppression.erased()
    assert holding(frame_text(out), EXTRA_VALUES + HOTEL_VALUES + ["06.12.34.56.78"], [EXTRA, HOTEL]) == []
    for source in out:
        assert len(out[source]) == len(frames[source])
        assert out[source]["reject_reason"].equals(frames[source]["reject_reason"])
    erased_row = out["extras"].set_index("extra_id").loc[extra.opaque_id]
    assert erased_row["name"] == extra.label and pd.isna(erased_row["phone"]) and pd.isna(erased_row["email"])
    assert out["hotels"].set_index("hotel_id").loc[hotel.opaque_id, ["address", "notes"]].isna().all()
    # The missions keep their dates and rates; only the relation's title and page id go.
    missions, before = out["missions"], frames["missions"]
    for column in ("mission_id", "start", "end", "hourly_rate", "urgent_rate", "overtime_hours"):
        assert missions[column].equals(before[column])
    assert (missions["extra_id"] == extra.opaque_id).sum() == (before["extra_id"] == EXTRA).sum() > 0
    assert missions.loc[missions["extra_id"] == extra.opaque_id, "extra_page_id"].isna().all()
    # The other people are untouched.
    assert out["extras"].loc[out["extras"]["extra_id"] == "EXT-2", "phone"].item() == "+33 7 98 76 54 32"
    assert out["hotels"].loc[out["hotels"]["hotel_id"] == "HOT-3", "notes"].item() == \
        f"rappeler {extra.label} au  ou "


def test_a_name_another_record_shares_is_not_erased_with_the_person():
    # HOT-4 and HOT-5 are both called "Hôtel du Parc": erasing HOT-4 leaves HOT-5 its name.
    out, _ = suppress(example_frames(), SuppressionList().add(["HOT-4"]))
    names = out["hotels"].set_index("hotel_id")["name"]
    assert names["HOT-5"] == "Hôtel du Parc" and names.filter(like="HOT-ERASED").str.startswith("Effacé ").all()
    assert "8 quai Saint-Vincent" not in frame_text(out)


def test_frames_without_the_erased_people_are_returned_as_they_are():
    frames = example_frames()
    out, people = suppress(frames, SuppressionList().add(["EXT-999"]))
    assert not people and all(out[s] is frames[s] for s in frames)


def test_a_french_excel_file_is_rewritten_in_its_own_encoding_and_every_other_line_is_kept():
    name = next(n for n in example_files() if n.startswith("Extras"))
    original = example_files()[name].decode("utf-8-sig").replace(",", ";").replace("→", "-").encode("cp1252")
    people = people_in(example_frames(), SuppressionList().add([EXTRA]))
    rewritten = rewrite_raw_object(name, original, people, export_id="2024-04-15")
    text = rewritten.decode("cp1252")   # still cp1252, the label's é included
    assert holding(text, EXTRA_VALUES, [EXTRA]) == []
    (extra,) = people.erased
    assert f"{extra.opaque_id};{extra.label};;;" in text
    assert [line for line in text.splitlines() if "EXT-2" in line] == \
        [line for line in original.decode("cp1252").splitlines() if "EXT-2" in line]
    assert rewrite_raw_object(name, rewritten, people, export_id="2024-04-15") is None   # nothing left to do


def test_notions_zip_is_rewritten_member_by_member_names_included():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in example_files().items():
            archive.writestr(f"Export/{name}", data)
        archive.writestr("Export/Extras/Camille Martin 1f2e3d4c5b6a47988776655443322110.md", "# Camille Martin\n06 12 34 56 78\n")
        archive.writestr("Export/logo.png", b"\x89PNG binary")
    people = people_in(example_frames(), SuppressionList().add([EXTRA]))
    rewritten = rewrite_raw_object("Export.zip", buffer.getvalue(), people, export_id="2024-04-15")
    with zipfile.ZipFile(io.BytesIO(rewritten)) as archive:
        names = archive.namelist()
        contents = {n: archive.read(n) for n in names}
    assert holding("\n".join(names), EXTRA_VALUES) == []
    assert holding("\n".join(c.decode("utf-8", "replace") for c in contents.values()), EXTRA_VALUES, [EXTRA]) == []
    assert contents["Export/logo.png"] == b"\x89PNG binary"
    assert len(names) == 5 and read_export(
        {n.removeprefix("Export/"): c for n, c in contents.items() if n.endswith(".csv")}, "2024-04-15",
        years_back=50).extras["extra_id"].str.startswith("EXT-ERASED-").sum() == 1


# -- the command, lake and warehouse ---------------------------------------------------------------------

def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The command as a person runs it, in the test's environment (each command reads its settings afresh)."""
    return subprocess.run([sys.executable, "-m", "mission_platform.cli", *args], cwd=cwd, env=dict(os.environ),
                          capture_output=True, text=True, timeout=600)


def s3_client():
    import boto3

    return boto3.client("s3", endpoint_url=os.environ["MISSION_S3_ENDPOINT_URL"], region_name="eu-west-3")


def stored_objects(lake: LakeResource) -> list[tuple[str, bytes]]:
    """Every object the lake stores: on S3 every version of it, earlier ones and deleted objects' included."""
    if not lake.is_s3:
        return [(obj.key, lake.read_bytes(obj.key)) for obj in lake.list("")]
    bucket, prefix = lake.url.removeprefix("s3://").split("/", 1)
    client, out = s3_client(), []
    for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix + "/"):
        for version in page.get("Versions", []):
            body = client.get_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])["Body"].read()
            out.append((version["Key"].removeprefix(prefix + "/"), body))
    return out


def lake_text(lake: LakeResource) -> dict[str, str]:
    """Every object of the lake as text (on S3, every version, keyed by key and version number): zips member
    by member (names included), Parquet as CSV."""
    out = {}
    for number, (key, data) in enumerate(stored_objects(lake)):
        obj_key = key
        key = key if key not in out else f"{key}#{number}"
        if obj_key.endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                text = "\n".join(n + "\n" + archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
        elif obj_key.endswith(".parquet"):
            text = pd.read_parquet(io.BytesIO(data)).astype(str).to_csv()
        else:
            text = data.decode("utf-8", "replace")
        out[key] = text
    return out


def warehouse_holding(url: str, values: list[str], ids: list[str]) -> list[tuple[str, str]]:
    """(schema.table.column, value) for every value or id found in a text column of any schema."""
    found = []
    with psycopg.connect(url) as conn:
        columns = conn.execute(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') "
            "AND data_type IN ('text', 'jsonb', 'json', 'character varying')").fetchall()
        for schema, table, column in columns:
            for value in values + ids:
                pattern = re.escape(value) if value in values else rf"(^|[^\w-]){re.escape(value)}($|[^\w-])"
                hits = conn.execute(f'SELECT count(*) FROM "{schema}"."{table}" WHERE "{column}"::text ~* %s',
                                    (pattern,)).fetchone()[0]
                if hits:
                    found.append((f"{schema}.{table}.{column}", value))
    return found


def published(url: str) -> dict[str, object]:
    with psycopg.connect(url) as conn:
        return {
            "missions": conn.execute("SELECT mission_id, date_debut, total_ht, total_ttc, extra_salaire, benefice "
                                     "FROM core.missions ORDER BY mission_id").fetchall(),
            "weeks": conn.execute("SELECT week_start, missions, already_booked FROM core.weekly_missions "
                                  "ORDER BY week_start").fetchall()
            if conn.execute("SELECT to_regclass('core.weekly_missions')").fetchone()[0] else [],
            "pseudonyms": conn.execute("SELECT nom FROM core.extra WHERE extra_id = %s UNION ALL SELECT hotel_nom "
                                       "FROM core.hotel WHERE hotel_id = %s UNION ALL SELECT hotel_adresse FROM "
                                       "core.hotel WHERE hotel_id = %s", (EXTRA, HOTEL, HOTEL)).fetchall(),
        }


@pytest.fixture(params=["local", "s3"])
def erasure_env(request, pipeline_env, tmp_path):
    """Three exports published: the oldest anonymised only (retention took its raw and parsed files), the middle
    one as CSVs, the newest as Notion's zip. The S3 bucket is versioned: what is overwritten or deleted stays."""
    if request.param == "s3":
        url = request.getfixturevalue("s3_lake_url")
        s3_client().put_bucket_versioning(Bucket=url.removeprefix("s3://").split("/")[0],
                                          VersioningConfiguration={"Status": "Enabled"})
    lake = LakeResource(url=os.environ["MISSION_LAKE_URL"], s3_endpoint_url=os.environ.get("MISSION_S3_ENDPOINT_URL"))
    for export_id in EXPORTS[:2]:
        for name, data in example_files().items():
            lake.write_bytes(f"raw/notion/{export_id}/{name}", data)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in example_files().items():
            archive.writestr(f"Export-1a2b/{name}", data)
    lake.write_bytes(f"raw/notion/{EXPORTS[2]}/Export-1a2b.zip", buffer.getvalue())
    done = cli("materialize", "--all", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    apply_retention(lake, 10)
    assert not lake.list(f"raw/notion/{EXPORTS[0]}") and lake.list(f"anonymised/{EXPORTS[0]}")
    return {"lake": lake, "warehouse_url": pipeline_env["warehouse_url"], "cwd": tmp_path}


def test_erase_removes_the_people_from_every_layer_and_keeps_their_missions(erasure_env):
    lake, url = erasure_env["lake"], erasure_env["warehouse_url"]
    before = published(url)
    old_pseudonyms = [p for (p,) in before["pseudonyms"]]
    assert len(old_pseudonyms) == 3 and holding("\n".join(lake_text(lake).values()), EXTRA_VALUES, [EXTRA])

    erased = cli("erase", "--extra", EXTRA, "--hotel", HOTEL, cwd=erasure_env["cwd"])
    assert erased.returncode == 0, erased.stderr
    out = erased.stdout
    extra, hotel = load_suppression(lake).erased()
    assert f"{EXTRA} is now {extra.opaque_id}" in out and "3 exports" in out

    values, ids = EXTRA_VALUES + HOTEL_VALUES + old_pseudonyms, [EXTRA, HOTEL]
    kept_ids = {SUPPRESSION_KEY, LOG_KEY}   # the list and the log hold the ids by design, nothing else
    for key, text in lake_text(lake).items():
        assert holding(text, values, [] if key.split("#")[0] in kept_ids else ids) == [], key
    assert warehouse_holding(url, values, ids) == []
    after = published(url)
    assert after["missions"] == before["missions"] and after["weeks"] == before["weeks"]   # history unchanged
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT nom, telephone, email FROM private.extra WHERE extra_id = %s",
                            (extra.opaque_id,)).fetchone() == (extra.label, None, None)
        # MIS-1001, 1003, 1005, 1008 and 1010 (1012 is set aside: its hotel is ambiguous).
        assert conn.execute("SELECT count(*) FROM core.missions WHERE extra_id = %s",
                            (extra.opaque_id,)).fetchone()[0] == 5
        # The oldest export's rejected rows (its files rewritten, its raw gone) changed in the same publish.
        assert conn.execute("SELECT count(*) FROM core.rejected_rows WHERE export_id = %s AND raw::text LIKE %s",
                            (EXPORTS[0], f"%{extra.opaque_id}%")).fetchone()[0] > 0
    assert not lake.exists(PENDING_KEY)
    log = lake.read_bytes(LOG_KEY).decode()
    assert holding(log, values) == [] and f"raw/notion/{EXPORTS[1]}/" in log and f"anonymised/{EXPORTS[0]}/" in log

    # A later export that still holds them (Notion not cleaned yet) brings nothing of them past raw/.
    for name, data in example_files().items():
        lake.write_bytes(f"raw/notion/2024-04-22/{name}", data)
    later = cli("materialize", "--export", "2024-04-22", cwd=erasure_env["cwd"])
    assert later.returncode == 0, later.stderr
    for key, text in lake_text(lake).items():
        if not key.startswith("raw/notion/2024-04-22/") and key.split("#")[0] not in kept_ids:
            assert holding(text, values, ids) == [], key
    assert warehouse_holding(url, values, ids) == []
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM core.extra WHERE extra_id = %s",
                            (extra.opaque_id,)).fetchone()[0] == 1   # the same opaque id: history stays joined


def test_erase_refuses_an_unknown_or_ill_formed_id_and_changes_nothing(pipeline_env, capsys):
    lake = LakeResource(url=pipeline_env["lake_url"])
    for name, data in example_files().items():
        lake.write_bytes(f"raw/notion/{EXPORTS[1]}/{name}", data)
    snapshot = {o.key: lake.read_bytes(o.key) for o in lake.list("")}
    for argv, message in (
        (["--extra", "EXT-999"], "EXT-999: found in no export of the lake"),
        (["--extra", "Camille Martin"], "is not an extra's or a hotel's Notion ID"),
        (["--hotel", EXTRA], "not a hotel's ID"),
        ([], "nothing to erase"),
    ):
        assert main(["erase", *argv]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and "Traceback" not in err
        assert {o.key: lake.read_bytes(o.key) for o in lake.list("")} == snapshot
    with pytest.raises(ErasureError):
        SuppressionList().add(["EXT-1; DROP"])


def test_an_erasure_stopped_half_way_completes_when_run_again(pipeline_env, monkeypatch, capsys, tmp_path):
    lake = LakeResource(url=pipeline_env["lake_url"])
    for export_id in EXPORTS[1:]:
        for name, data in example_files().items():
            lake.write_bytes(f"raw/notion/{export_id}/{name}", data)
    assert cli("materialize", "--all", cwd=tmp_path).returncode == 0
    before = published(pipeline_env["warehouse_url"])
    writes, real_write = [], LakeResource.write_bytes

    def failing_write(self, key, data):
        writes.append(key)
        if len(writes) == 4:   # the list and the pending note are written, then the first raw files
            raise LakeError(f"writing {key}: the connection was lost")
        return real_write(self, key, data)

    monkeypatch.setattr(LakeResource, "write_bytes", failing_write)
    # In this process, so that the lake can fail under it: the erasure stops before it runs anything.
    assert main(["erase", "--extra", EXTRA]) == 1
    assert "run the same command again" in capsys.readouterr().err
    assert EXTRA in load_suppression(lake)
    # The warehouse still shows the previous publish, whole: nothing half-erased is visible.
    assert published(pipeline_env["warehouse_url"]) == before
    monkeypatch.setattr(LakeResource, "write_bytes", real_write)

    again = cli("erase", "--extra", EXTRA, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    old_pseudonym = before["pseudonyms"][0][0]
    for key, text in lake_text(lake).items():
        assert holding(text, EXTRA_VALUES + [old_pseudonym], [] if key in (SUPPRESSION_KEY, LOG_KEY) else [EXTRA]) == [], key
    assert warehouse_holding(pipeline_env["warehouse_url"], EXTRA_VALUES + [old_pseudonym], [EXTRA]) == []
    assert published(pipeline_env["warehouse_url"])["missions"] == before["missions"]
