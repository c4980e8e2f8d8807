"""Reporting at 1M missions: each relation as a view (before) and as a table (after), the build, the whole graph.

In one run, on a generated export (seed 4, 104 weeks, 9,600 missions a week, 2 % mess: about 1M missions):

- graph (``--graph``, or when the warehouse has nothing published yet): the floor, pandas ``read_csv``
  of the raw missions file plus ``psql \\copy`` of that file into a bare table of text columns, then
  the whole graph through ``mission-platform materialize`` in a subprocess (each once autovacuum is idle
  and after a CHECKPOINT, so that neither pays for what ran before it): wall time, and per step
  its time (from the run's events) and the peak memory of the process tree while it ran (psutil,
  sampled every 0.1 s);
- the publish of that export again (``publish_core_tables`` on its anonymised frames, as the
  publishing step runs it): its phases, among them the reporting build (per table) and the VACUUM;
- latency of every relation, ``count(*)`` and a typical page query, median of 3: the relations as
  views built from the same SELECTs in a scratch schema (extras_candidats: its old unbounded view,
  mission_platform_tests/fixtures/extras_candidats_view.sql) against the tables; then the same for
  the ``ops`` views.

The export is generated once into --lake and reused; the warehouse database is reused too
(``--graph`` runs the graph again). The machine may be shared: ratios are taken within the run.

Usage: python benchmarks/bench_reporting.py [--database mission_bench_reporting] [--lake data/bench_reporting/lake] [--graph]
PostgreSQL server: MISSION_BENCH_WAREHOUSE_URL, else postgresql://postgres@127.0.0.1:5432/postgres.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mission_platform.settings import reporting_settings  # noqa: E402
from mission_platform.warehouse import reporting  # noqa: E402

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
EXPORT = {"weeks": 104, "missions_per_week": 9600, "seed": 4, "mess": 0.02}
EXPORT_DATE = dt.date(2026, 11, 30)
VIEWS = "bench_reporting_views"
OLD_EXTRAS_CANDIDATS = ROOT / "mission_platform_tests" / "fixtures" / "extras_candidats_view.sql"


def database_url(server: str, name: str) -> str:
    parts = urlsplit(server)
    return urlunsplit(parts._replace(path="/" + name))


# -- the whole graph -----------------------------------------------------------------------

def missions_file(lake: Path) -> Path:
    (path,) = lake.glob("raw/notion/*/Missions *_all.csv")
    return path


def ensure_export(lake: Path) -> Path:
    if not list(lake.glob("raw/notion/*/Missions *_all.csv")):
        from mission_platform.resources import LakeResource
        from mission_platform.sample_data.generator import build_export, write_export

        started = time.perf_counter()
        write_export(LakeResource(url=str(lake)), build_export(EXPORT_DATE, **EXPORT))
        print(f"generated the export into {lake} in {time.perf_counter() - started:.0f} s")
    return missions_file(lake)


def settle(url: str, timeout: float = 120.0) -> None:
    """Let the server finish what the previous run left it (autovacuum of the tables it wrote, a checkpoint of
    its WAL) before a measurement, so that neither the floor nor the graph pays for it."""
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        while time.perf_counter() - started < timeout and conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'").fetchone()[0]:
            time.sleep(1)
        try:
            conn.execute("CHECKPOINT")
        except psycopg.errors.InsufficientPrivilege:
            print("(no CHECKPOINT: the role may not run one)")


def floor(csv: Path, url: str) -> dict[str, float]:
    """pandas read_csv of the raw missions file, and psql \\copy of it into a bare table of text columns."""
    import pandas as pd

    started = time.perf_counter()
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    read = time.perf_counter() - started
    columns = ", ".join(f'"c{i}" text' for i in range(len(frame.columns)))
    del frame
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_floor_missions")
        conn.execute(f"CREATE TABLE bench_floor_missions ({columns})")
    started = time.perf_counter()
    subprocess.run(["psql", url, "-qc", f"\\copy bench_floor_missions FROM '{csv}' WITH (FORMAT csv, HEADER true)"],
                   check=True)
    copy = time.perf_counter() - started
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE bench_floor_missions")
    return {"read_csv": read, "psql_copy": copy}


def step_windows(dagster_home: Path) -> dict[str, tuple[float, float]]:
    """Per step of the instance's latest run, (start, end) as Unix times, from its events.

    Read from the run's event log rather than the command's output: the command line prints
    its own lines, not Dagster's.
    """
    import dagster as dg

    kinds = {dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE}
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        (run,) = instance.get_runs(limit=1)
        records = instance.get_records_for_run(run.run_id, of_type=kinds, limit=1000).records
    starts: dict[str, float] = {}
    windows: dict[str, tuple[float, float]] = {}
    for record in records:
        entry = record.event_log_entry
        if entry.dagster_event.event_type == dg.DagsterEventType.STEP_START:
            starts[entry.step_key] = entry.timestamp
        else:
            windows[entry.step_key] = (starts[entry.step_key], entry.timestamp)
    return windows


def run_graph(lake: Path, url: str, data_dir: Path) -> tuple[float, int, dict[str, tuple[float, int]]]:
    """``mission-platform materialize``: wall seconds, peak bytes, and per step (seconds, peak bytes while it ran)."""
    import psutil

    env = {**os.environ, "MISSION_LAKE_URL": str(lake), "MISSION_WAREHOUSE_URL": url,
           "MISSION_DATA_DIR": str(data_dir), "DAGSTER_HOME": str(data_dir / "dagster")}
    (data_dir / "dagster").mkdir(parents=True, exist_ok=True)
    samples: list[tuple[float, int]] = []
    log = data_dir / "materialize.log"
    started = time.time()
    with open(log, "w") as out:
        process = subprocess.Popen([str(Path(sys.executable).parent / "mission-platform"), "materialize"],
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
        watched = psutil.Process(process.pid)
        while process.poll() is None:
            try:
                tree = [watched, *watched.children(recursive=True)]
                samples.append((time.time(), sum(p.memory_info().rss for p in tree if p.is_running())))
            except psutil.Error:
                pass
            time.sleep(0.1)
    wall = time.time() - started
    if process.returncode != 0:
        raise SystemExit(f"mission-platform materialize failed (exit {process.returncode}): see {log}")
    steps = {
        step: (end - begin, max((rss for t, rss in samples if begin <= t <= end), default=0))
        for step, (begin, end) in step_windows(data_dir / "dagster").items()
    }
    return wall, max(rss for _, rss in samples), steps


# -- the reporting relations ---------------------------------------------------------------

def median_ms(conn: psycopg.Connection, query: sql.Composable, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        conn.execute(query).fetchall()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def page_queries(conn: psycopg.Connection, schema: str) -> dict[str, sql.Composed]:
    """A typical query of each page: a period, a year, a top 50, one mission's candidates, one city's hotels."""
    (today,) = conn.execute("SELECT date_export FROM reporting.fraicheur_donnees").fetchone()
    (mission,) = conn.execute("SELECT min(mission_id) FROM reporting.missions_a_affecter").fetchone()
    (city,) = conn.execute("SELECT min(hotel_ville) FROM reporting.recherche_hotels").fetchone()
    bound = reporting_settings().candidates_per_mission
    month_ago, fortnight = today - dt.timedelta(days=30), today + dt.timedelta(days=14)
    pages = {
        "fraicheur_donnees": "SELECT * FROM {}",
        # A table chart's first page of the last month's missions.
        "missions_detail": f"SELECT * FROM {{}} WHERE date_debut >= '{month_ago}' AND date_debut < '{today}'"
                           " ORDER BY date_debut DESC LIMIT 100",
        "missions_passees": f"SELECT * FROM {{}} WHERE date_debut >= '{month_ago}' ORDER BY date_debut DESC LIMIT 100",
        "missions_a_venir": f"SELECT * FROM {{}} WHERE date_debut < '{fortnight}' ORDER BY date_debut",
        "missions_a_affecter": "SELECT * FROM {} ORDER BY date_debut",
        "depenses_gains": f"SELECT * FROM {{}} WHERE annee = {today.year} ORDER BY mois",
        "vue_ensemble": f"SELECT * FROM {{}} WHERE annee = {today.year} ORDER BY mois",
        "classement_extras": "SELECT * FROM {} ORDER BY nb_missions DESC LIMIT 50",
        "classement_hotels": "SELECT * FROM {} ORDER BY chiffre_affaires DESC LIMIT 50",
        "extras_candidats": f"SELECT * FROM {{}} WHERE mission_id = '{mission}' AND rang <= {bound} ORDER BY rang",
        "recherche_extras": "SELECT * FROM {} ORDER BY extra_nom LIMIT 100",
        "recherche_hotels": f"SELECT * FROM {{}} WHERE hotel_ville = '{city}'",
        "localisation_hotels": "SELECT * FROM {}",
        "acquisition_client": f"SELECT * FROM {{}} WHERE annee = {today.year} ORDER BY mois",
        "predictions": "SELECT * FROM {} ORDER BY week_start",
    }
    return {name: sql.SQL(text).format(sql.Identifier(schema, name)) for name, text in pages.items()}


def publish_again(url: str, lake: Path):
    """Publish the lake's newest anonymised export again, as the publishing step does: the build inside it, timed."""
    from mission_platform.lake_io import complete_exports, read_frames
    from mission_platform.lake_layout import ANONYMISED, PARSED
    from mission_platform.resources import LakeResource
    from mission_platform.warehouse.resources import WarehouseResource
    from mission_platform.settings import tariffs_from_env
    from mission_platform.warehouse import publish, transform

    store = LakeResource(url=str(lake))
    export_id = complete_exports(store, ANONYMISED)[-1]
    frames = read_frames(store, ANONYMISED, export_id)
    tables = transform.build_core_tables(frames["missions"], frames["hotels"], frames["extras"], export_id=export_id,
                                         tariffs=tariffs_from_env())
    del frames
    private = transform.build_private_tables(read_frames(store, PARSED, export_id, transform.PRIVATE_SOURCES),
                                             export_id=export_id)
    return publish.publish_core_tables(WarehouseResource(url=url), tables, export_id=export_id, private=private)


def latencies(url: str) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(VIEWS)))
        with conn.transaction():
            reporting.create_views(conn, VIEWS, replaced={"extras_candidats": OLD_EXTRAS_CANDIDATS.read_text()})
        try:
            for schema in (VIEWS, reporting.REPORTING):
                pages = page_queries(conn, schema)
                for name in reporting.REPORTING_RELATIONS:
                    count = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, name))
                    out.setdefault(name, {})[f"{schema}_count"] = median_ms(conn, count)
                    out[name][f"{schema}_page"] = median_ms(conn, pages[name])
        finally:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(VIEWS)))
    return out


def ratio(value: float) -> str:
    return f"{value:>7.1f}x" if value < 10 else f"{value:>7.0f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="mission_bench_reporting")
    parser.add_argument("--lake", type=Path, default=ROOT / "data" / "bench_reporting" / "lake")
    parser.add_argument("--graph", action="store_true", help="run the whole graph even if the warehouse has an export")
    args = parser.parse_args()
    server = os.environ.get("MISSION_BENCH_WAREHOUSE_URL", DEFAULT_SERVER)
    url = database_url(server, args.database)
    with psycopg.connect(server, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (args.database,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(args.database)))
    with psycopg.connect(url) as conn:
        published = conn.execute("SELECT to_regclass('core.load_history') IS NOT NULL").fetchone()[0] and \
            conn.execute("SELECT count(*) FROM core.load_history").fetchone()[0] > 0

    print("load average at the start: " + " ".join(f"{x:.1f}" for x in os.getloadavg()) + f" ({os.cpu_count()} cores)")
    lake = args.lake.resolve()
    if args.graph or not published:
        csv = ensure_export(lake)
        print(f"\n== Whole graph: {csv.stat().st_size / 1e6:.0f} MB of missions CSV ==")
        settle(url)
        cut = floor(csv, url)
        settle(url)
        wall, peak, steps = run_graph(lake, url, lake.parent)
        floor_total = sum(cut.values())
        print(f"floor: read_csv {cut['read_csv']:.1f} s + psql \\copy {cut['psql_copy']:.1f} s = {floor_total:.1f} s")
        print(f"graph: {wall:.1f} s wall ({wall / floor_total:.1f}x the floor), peak memory {peak / 2**30:.2f} GB")
        print(f"{'step':<22}{'seconds':>9}{'peak GB':>9}")
        for step, (seconds, rss) in steps.items():
            print(f"{step:<22}{seconds:>9.0f}{rss / 2**30:>9.2f}")

    result = publish_again(url, lake)
    print(f"\n== The publish of {result.counts['missions']:,} missions, seconds ==")
    print("  ".join(f"{phase} {s:.1f}" for phase, s in result.seconds.items()))
    print("reporting build, per table: " + "  ".join(
        f"{name} {s:.1f}" for name, s in result.reporting_seconds.items() if s >= 0.05))

    print("\n== Latency, ms (median of 3): views (before) against tables (after) ==")
    print(f"{'relation':<22}{'rows':>10}{'count view':>12}{'table':>9}{'ratio':>8}{'page view':>11}{'table':>9}{'ratio':>8}")
    result = latencies(url)
    with psycopg.connect(url) as conn:
        for name, ms in result.items():
            (rows,) = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("reporting", name))).fetchone()
            count_ratio = ms[f"{VIEWS}_count"] / ms["reporting_count"]
            page_ratio = ms[f"{VIEWS}_page"] / ms["reporting_page"]
            print(f"{name:<22}{rows:>10,}{ms[f'{VIEWS}_count']:>12.1f}{ms['reporting_count']:>9.1f}{ratio(count_ratio)}"
                  f"{ms[f'{VIEWS}_page']:>11.1f}{ms['reporting_page']:>9.1f}{ratio(page_ratio)}")
    slowest = max(result, key=lambda n: result[n]["reporting_count"])
    print(f"slowest count(*) on a table: {slowest} {result[slowest]['reporting_count']:.0f} ms (target < 150 ms)")

    print("\n== The ops views (a reporting table with private's names joined in), ms (median of 3) ==")
    print(f"{'relation':<22}{'rows':>10}{'count':>9}{'page':>9}")
    with psycopg.connect(url, autocommit=True) as conn:
        pages = page_queries(conn, reporting.OPS)
        for name in reporting.OPS_RELATIONS:
            count = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(reporting.OPS, name))
            (rows,) = conn.execute(count).fetchone()
            print(f"{name:<22}{rows:>10,}{median_ms(conn, count):>9.1f}{median_ms(conn, pages[name]):>9.1f}")
    print("load average at the end: " + " ".join(f"{x:.1f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
