"""Warehouse stage: transform and load time at 10k, 100k and 1M missions.

For each size, in a subprocess of its own (so the peak memory is that size's):

- transform: ``build_core_tables`` + ``build_rejected_rows`` on synthetic anonymised frames;
- publish: ``publish_core_tables`` (binary COPY into staging, keys / foreign
  keys / indexes built after the COPY, ANALYZE, swap, views), with its phases;
- baseline: pandas ``to_sql`` (its default method, SQLAlchemy 2 + psycopg) of the same five frames;
- floor: ``psql \\copy`` of the same rows from CSV files, into bare tables of the same
  columns (pure COPY) and into tables with the full definition (keys and foreign keys
  checked row by row, as a plain psql load would);
- serialisation alone, on the missions frame: the binary COPY encoding the publish sends, pyarrow
  ``write_csv`` (what it sent before) and pandas ``to_csv``;
- content swap: what copying the staged rows into the published tables would add
  (``INSERT … SELECT`` into fully constrained tables), the alternative to swapping names.

The machine may be shared: the publish and the floor each run twice and the better
run counts (the least disturbed); ratios are taken within the same run.

Usage: python benchmarks/bench_warehouse.py [--sizes 10000 100000 1000000] [--skip-to-sql-above N]
PostgreSQL: MISSION_BENCH_WAREHOUSE_URL, else postgresql://postgres@127.0.0.1:5432/postgres;
a scratch database ``mission_bench`` is created on it and dropped at the end.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import pandas as pd

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_DB = "mission_bench"


# -- synthetic anonymised frames -----------------------------------------------------------

def synthesise(n_missions: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Schema-conformant anonymised missions, hotels and extras (2 % of missions set aside)."""
    from mission_platform.columns import ANONYMISED, conform

    rng = np.random.default_rng(seed)
    n_hotels = max(50, n_missions // 200)
    n_extras = max(100, n_missions // 50)
    software = np.array(["Opera", "Mews", "Protel", "Medialog", "Fidelio", "Misterbooking", "Asterio"])

    def ids(prefix: str, n: int) -> pd.Series:
        return prefix + pd.Series(np.arange(1, n + 1)).astype(str)

    created = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 4 * 365 * 24 * 60, n_hotels), unit="min")
    hotels = pd.DataFrame({
        "row_number": np.arange(1, n_hotels + 1),
        "hotel_id": ids("HOT-", n_hotels),
        "name": ids("Hôtel ", n_hotels),
        "address": ids("Adresse ", n_hotels),
        "zipcode": pd.Series(rng.integers(1000, 96000, n_hotels)).astype(str).str.zfill(5),
        "city": rng.choice(["Paris", "Lyon", "Nice", "Bordeaux", "Lille"], n_hotels),
        "software": rng.choice(software, n_hotels),
        "rooms": pd.array(rng.integers(10, 300, n_hotels), dtype="Int64"),
        "hourly_rate": rng.choice([26.0, 27.5, 28.0, 30.0], n_hotels),
        "procedures_status": rng.choice(["à jour", "à faire", None], n_hotels),
        "status": rng.choice(["client", "prospect", "perdu"], n_hotels),
        "last_contact": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n_hotels), unit="D"),
        "notes": None,
        "created_at": created,
        "reject_reason": None,
    })
    holiday = pd.Timestamp("2024-07-01") + pd.to_timedelta(rng.integers(0, 60, n_extras), unit="D")
    on_holiday = rng.random(n_extras) < 0.3
    extras = pd.DataFrame({
        "row_number": np.arange(1, n_extras + 1),
        "extra_id": ids("EXT-", n_extras),
        "name": ids("Extra ", n_extras),
        "software": pd.Series(rng.choice(software, n_extras)) + ", " + pd.Series(rng.choice(software, n_extras)),
        "status": rng.choice(["disponible", "en mission", "inactif"], n_extras),
        "holiday_start": holiday.where(on_holiday),
        "holiday_end": (holiday + pd.Timedelta(days=14)).where(on_holiday),
        "availability_slots": rng.choice(["matin, soir", "nuit", "après-midi", None], n_extras),
        "availability_days": rng.choice(["semaine", "week-end, jours fériés", None], n_extras),
        "created_at": pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 3 * 365 * 24, n_extras), unit="h"),
        "missions_count": pd.array(rng.integers(0, 200, n_extras), dtype="Int64"),
        "reject_reason": None,
    })

    n = n_missions
    start = (pd.Timestamp("2021-01-04 06:00", tz="UTC")
             + pd.to_timedelta(rng.integers(0, 4 * 365 * 24, n), unit="h"))
    hours = rng.choice([7.0, 8.0, 8.0, 8.0, 9.0, 10.5], n)
    urgent = rng.random(n) < 0.15
    cancelled = rng.choice(np.array(["extra", "hotel", None], dtype=object), n, p=[0.04, 0.03, 0.93])
    overtime = np.where(rng.random(n) < 0.1, rng.choice([0.5, 1.0, 1.5, 2.0], n), 0.0)
    rejected = rng.random(n) < 0.02
    statuses = np.where(urgent, "urgente", "confirmée")
    statuses = np.where(cancelled == "extra", "annulé extra", np.where(cancelled == "hotel", "annulé hôtel", statuses))
    missions = pd.DataFrame({
        "row_number": np.arange(1, n + 1),
        "mission_id": ids("MIS-", n),
        "hotel_id": pd.Series(rng.integers(1, n_hotels + 1, n)).astype(str).radd("HOT-").where(~rejected),
        "extra_id": pd.Series(rng.integers(1, n_extras + 1, n)).astype(str).radd("EXT-").where(rng.random(n) > 0.05),
        "date_text": start.strftime("%d/%m/%Y %H:%M (UTC)"),
        "start": start,
        "end": start + pd.to_timedelta(hours, unit="h"),
        "statuses": statuses,
        "urgent": urgent,
        "cancelled_by": cancelled,
        "overtime_text": np.where(overtime > 0, "1h30 supp", None),
        "overtime_hours": overtime,
        "overtime_unparsed": False,
        "hourly_rate": rng.choice([26.0, 27.5, 28.0, 30.0], n),
        "urgent_rate": rng.choice([33.0, 34.0, 36.0], n),
        "invoice": pd.Series(np.arange(n)).astype(str).radd("F-"),
        "payment_status": rng.choice(["payé", "en attente", "en retard", None], n),
        # Notion's "Date de création": booked 0 to 60 days before the mission starts (naive Paris time).
        "created_at": (start - pd.to_timedelta(rng.integers(0, 60 * 24, n), unit="h")).tz_convert("Europe/Paris")
                      .tz_localize(None),
        "reject_reason": np.where(rejected, "missing hotel", None),
    })
    return (conform(missions, ANONYMISED["missions"]), conform(hotels, ANONYMISED["hotels"]),
            conform(extras, ANONYMISED["extras"]))


# -- one size, in its own process ----------------------------------------------------------

def _timed(fn):
    started = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - started


def run_one(n_missions: int, url: str, to_sql: bool) -> dict:
    import psycopg
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    from psycopg import sql
    from sqlalchemy import create_engine

    from mission_platform.settings import SAMPLE_TARIFFS
    from mission_platform.warehouse import copy_frames, publish
    from mission_platform.warehouse.ddl import build_tables, ensure_schema, qualified
    from mission_platform.warehouse.tables import PUBLISHED as PUBLISHED_TABLES
    from mission_platform.warehouse.transform import build_core_tables, build_rejected_rows

    out: dict = {"missions": n_missions}
    missions, hotels, extras = synthesise(n_missions)
    export_id = "2024-04-08"

    def transform():
        tables = build_core_tables(missions, hotels, extras, export_id=export_id, tariffs=SAMPLE_TARIFFS)
        rejected = build_rejected_rows(missions, hotels, extras, export_id=export_id)
        return tables, rejected

    (tables, rejected), out["transform_s"] = _timed(transform)
    out["rows"] = {**tables.counts(), "rejected_rows": len(rejected)}

    connect = lambda: psycopg.connect(url)  # noqa: E731
    with connect() as conn:
        ensure_schema(conn)
    result, out["publish_s"] = _timed(lambda: publish.publish_core_tables(connect, tables, export_id=export_id, rejected=rejected))
    out["publish_phases_s"] = {k: round(v, 3) for k, v in result.seconds.items()}
    # Republish the same export: the steady state (schema and views already there).
    result, out["republish_s"] = _timed(lambda: publish.publish_core_tables(connect, tables, export_id=export_id, rejected=rejected))
    out["republish_phases_s"] = {k: round(v, 3) for k, v in result.seconds.items()}
    out["peak_rss_mb_transform_publish"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # Serialisation alone, on the missions frame.
    frame = tables.missions
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    with connect() as conn:
        fields = copy_frames._binary_fields(arrow, copy_frames._column_types(conn, qualified("missions")))
    _, out["serialise_binary_s"] = _timed(
        lambda: [copy_frames._binary_rows(batch, fields) for batch in copy_frames._batches(arrow)])
    _, out["serialise_pyarrow_s"] = _timed(
        lambda: pa_csv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), io.BytesIO(),
                                 pa_csv.WriteOptions(include_header=False)))
    _, out["serialise_pandas_to_csv_s"] = _timed(lambda: frame.to_csv(io.StringIO(), index=False, header=False))

    # Content swap instead of a name swap: the extra copy of every row inside the transaction.
    with connect() as conn:
        build_tables(conn, "bench_swap")
        started = time.perf_counter()
        for table in PUBLISHED_TABLES:
            conn.execute(sql.SQL("INSERT INTO bench_swap.{0} SELECT * FROM core.{0}").format(sql.Identifier(table)))
        out["content_swap_extra_s"] = time.perf_counter() - started
        conn.rollback()

    # Floor: psql \copy of the same rows from CSV files.
    with tempfile.TemporaryDirectory() as folder, connect() as conn:
        files = {}
        for table, frame in tables.frames().items():
            path = Path(folder) / f"{table}.csv"
            pa_csv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), str(path),
                             pa_csv.WriteOptions(include_header=False))
            files[table] = (path, ", ".join(frame.columns))
        for variant in ("bare", "full"):
            schema = f"bench_floor_{variant}"
            build_tables(conn, schema)
            if variant == "bare":  # same columns and checks, no keys, foreign keys or indexes
                for table in PUBLISHED_TABLES:
                    conn.execute(sql.SQL("DROP TABLE {}.{} CASCADE").format(sql.Identifier(schema), sql.Identifier(table)))
                    conn.execute(sql.SQL("CREATE TABLE {0}.{1} (LIKE core.{1} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)").format(
                        sql.Identifier(schema), sql.Identifier(table)))
            conn.commit()
            script = "".join(
                f"\\copy {schema}.{table} ({columns}) FROM '{path}' WITH (FORMAT csv)\n"
                for table, (path, columns) in files.items())
            # Twice, in a transaction rolled back each time; the best run is the floor.
            runs = []
            for _ in range(2):
                started = time.perf_counter()
                subprocess.run(["psql", url, "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"],
                               input="BEGIN;\n" + script + "ROLLBACK;\n", text=True, check=True)
                runs.append(time.perf_counter() - started)
            out[f"psql_copy_{variant}_s"] = min(runs)
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
            conn.commit()

    # Baseline: pandas to_sql, default method, the same five frames.
    if to_sql:
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with connect() as conn:
            conn.execute("DROP SCHEMA IF EXISTS bench_to_sql CASCADE; CREATE SCHEMA bench_to_sql")
        started = time.perf_counter()
        for table, frame in tables.frames().items():
            frame.to_sql(table, engine, schema="bench_to_sql", if_exists="replace", index=False)
        out["to_sql_s"] = time.perf_counter() - started
        engine.dispose()
        with connect() as conn:
            conn.execute("DROP SCHEMA bench_to_sql CASCADE")

    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


# -- driver --------------------------------------------------------------------------------

def _database_url(server: str, name: str) -> str:
    return urlunsplit(urlsplit(server)._replace(path="/" + name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--skip-to-sql-above", type=int, default=10**9, help="skip the slow to_sql baseline above this size")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--to-sql", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.url, args.to_sql)))
        return

    import psycopg

    server = os.environ.get("MISSION_BENCH_WAREHOUSE_URL", DEFAULT_SERVER)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    url = _database_url(server, BENCH_DB)
    results = []
    try:
        for size in args.sizes:
            command = [sys.executable, __file__, "--one", str(size), "--url", url]
            if size <= args.skip_to_sql_above:
                command.append("--to-sql")
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode:
                sys.exit(f"size {size} failed:\n{done.stderr}")
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
            r = results[-1]
            print(f"\n== {size:,} missions  rows {r['rows']}", flush=True)
            print(json.dumps(r, indent=1), flush=True)
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')

    print("\nmissions | transform s | publish s (copy / keys+fk+idx+analyze) | copy ÷ floor(bare) | psql \\copy bare / full s | "
          "publish ÷ floor(bare) | publish ÷ floor(full) | to_sql s | to_sql ÷ publish | transform+publish s | peak MB (transform+publish)")
    for r in results:
        # The better of the two publishes (the machine is shared: the best run is the least disturbed).
        best = "republish" if r["republish_s"] <= r["publish_s"] else "publish"
        r["best_publish_s"] = r[f"{best}_s"]
        phases = r[f"{best}_phases_s"]
        phases["constraints"] = sum(phases[k] for k in ("keys", "foreign_keys", "indexes", "analyze"))
        to_sql = r.get("to_sql_s")
        print(
            f"{r['missions']:>9,} | {r['transform_s']:.2f} | {r['best_publish_s']:.2f} ({phases['copy']:.2f} / {phases['constraints']:.2f}) | "
            f"{phases['copy'] / r['psql_copy_bare_s']:.2f}x | "
            f"{r['psql_copy_bare_s']:.2f} / {r['psql_copy_full_s']:.2f} | "
            f"{r['best_publish_s'] / r['psql_copy_bare_s']:.2f}x | {r['best_publish_s'] / r['psql_copy_full_s']:.2f}x | "
            + (f"{to_sql:.1f} | {to_sql / r['best_publish_s']:.1f}x" if to_sql else "skipped | -")
            + f" | {r['transform_s'] + r['best_publish_s']:.2f} | {r['peak_rss_mb_transform_publish']:.0f}"
        )
    print("serialisation of the missions frame (s): " + ", ".join(
        f"{r['missions']:,}: binary {r['serialise_binary_s']:.2f}, pyarrow CSV {r['serialise_pyarrow_s']:.2f},"
        f" pandas to_csv {r['serialise_pandas_to_csv_s']:.2f}"
        for r in results))
    print("a content swap would add (s): " + ", ".join(
        f"{r['missions']:,}: {r['content_swap_extra_s']:.2f}" for r in results))


if __name__ == "__main__":
    main()
