"""Dashboard: time to first render and cached render of each page, at the default export size and at 1M missions.

For each size, a generated export goes through the whole pipeline (in process) into a scratch
database; then every page is rendered with Streamlit's AppTest, connected as ``looker_reader``.
Above 100k missions the ``reporting`` asset itself is left out (the views are created by the
publish; the asset only grants the reader role, done here, and counts each relation's rows, and
counting ``extras_candidats`` alone took over 10 minutes at 1M missions).

- first render: an empty cache, every query goes to the warehouse (a connection per query);
- cached render: the same page run again (what every later visitor gets until the data changes);
- baseline, measured in the same run: the page's own SQL queries (recorded during the first
  render) run directly with psycopg on one open connection, nothing else: what the page cannot
  be faster than without a cache.

AppTest runs the page script and serialises its elements; the browser's drawing is not counted.

Usage: python benchmarks/bench_dashboard.py [--sizes default 1000000]
PostgreSQL: MISSION_BENCH_WAREHOUSE_URL, else postgresql://postgres@127.0.0.1:5432/postgres;
a scratch database per size is created and dropped at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
EXPORT_DATE = dt.date(2024, 9, 16)
WEEKS = 104


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def export_options(size: str) -> dict:
    if size == "default":
        # The generator's defaults: what `mission-platform demo` loads.
        return {"weeks": 104, "missions_per_week": 110, "hotels": 100, "extras": 300}
    missions = int(size)
    return {"weeks": WEEKS, "missions_per_week": missions / (WEEKS + 2), "hotels": max(100, missions // 500),
            "extras": max(300, missions // 170)}


def build(size: str, server: str, lake: Path) -> tuple[str, str, float, int]:
    from mission_platform_tests.dashboard_support import build_warehouse

    name = f"mission_bench_dashboard_{size}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = with_database(server, name)
    started = time.perf_counter()
    if size != "default" and int(size) > 100_000:
        import dagster as dg

        from mission_platform.warehouse.reporting import ensure_reader_role

        build_warehouse(lake, url, seed=5, selection=dg.AssetSelection.all() - dg.AssetSelection.groups("reporting"),
                        **export_options(size))
        with psycopg.connect(url) as conn:
            ensure_reader_role(conn)
    else:
        build_warehouse(lake, url, seed=5, **export_options(size))
    elapsed = time.perf_counter() - started
    with psycopg.connect(url) as conn:
        missions = conn.execute("SELECT count(*) FROM core.missions").fetchone()[0]
    return name, url, elapsed, missions


def measure_pages(url: str) -> list[dict]:
    from streamlit.testing.v1 import AppTest

    import mission_platform.dashboard.connection as connection
    from mission_platform.dashboard.app import PAGES

    app_path = REPO / "mission_platform" / "dashboard" / "app.py"
    os.environ["MISSION_WAREHOUSE_URL"] = url
    recorded: list[tuple[str, dict]] = []
    original = connection.run_query

    def recording(conninfo, audience, template, params=None):
        recorded.append((template, dict(params or {})))
        return original(conninfo, audience, template, params)

    connection.run_query = recording
    results = []
    # One simulated session for all pages, warmed up once: AppTest's own start (scanning the installed
    # packages for components, importing the pages' modules) is not the dashboard's time.
    app = AppTest.from_file(str(app_path), default_timeout=600)
    app.switch_page("views/vue_ensemble.py")
    app.run()
    try:
        for _, title, path, _ in PAGES:
            connection.clear_caches()
            recorded.clear()
            app.switch_page(f"views/{path}.py")
            started = time.perf_counter()
            app.run()
            first = time.perf_counter() - started
            problems = [e.value for e in (*app.exception, *app.error)]
            queries = list(recorded)
            recorded.clear()
            started = time.perf_counter()
            app.run()
            cached = time.perf_counter() - started
            results.append({"page": path, "first": first, "cached": cached, "queries": len(queries),
                            "cached_queries": len(recorded), "sql": raw_sql_time(url, queries), "problems": problems})
    finally:
        connection.run_query = original
    return results


def raw_sql_time(url: str, queries: list[tuple[str, dict]]) -> float:
    """The same queries, as the same role, on one open connection: the floor of a render without cache."""
    from mission_platform.dashboard.connection import PUBLIC, compose

    conninfo = psycopg.conninfo.make_conninfo(url, user=PUBLIC.role)
    with psycopg.connect(conninfo, autocommit=True, options="-c search_path=reporting") as conn:
        started = time.perf_counter()
        for template, params in queries:
            conn.execute(compose(template), params or None).fetchall()
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["default", "1000000"],
                        help="'default' (the generator's defaults) and/or numbers of missions")
    args = parser.parse_args()
    server = os.environ.get("MISSION_BENCH_WAREHOUSE_URL", DEFAULT_SERVER)
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            name, url, build_s, missions = build(size, server, Path(folder) / "lake")
            try:
                print(f"\n== {missions:,} missions (export size {size}; pipeline {build_s:.0f} s) ==")
                print(f"{'page':<22}{'first render':>14}{'cached':>10}{'raw SQL':>10}{'first/SQL':>11}{'queries':>9}")
                rows = measure_pages(url)
                for r in rows:
                    ratio = r["first"] / r["sql"] if r["sql"] > 0 else float("nan")
                    flag = "" if not r["problems"] else f"  PROBLEM: {r['problems'][0][:80]}"
                    print(f"{r['page']:<22}{r['first']:>12.2f} s{r['cached']:>8.2f} s{r['sql']:>8.2f} s"
                          f"{ratio:>10.1f}x{r['queries']:>9}{flag}")
                total_first = sum(r["first"] for r in rows)
                total_cached = sum(r["cached"] for r in rows)
                total_sql = sum(r["sql"] for r in rows)
                print(f"{'all pages':<22}{total_first:>12.2f} s{total_cached:>8.2f} s{total_sql:>8.2f} s"
                      f"{total_first / total_sql:>10.1f}x")
                print(f"cached renders sent {sum(r['cached_queries'] for r in rows)} queries to the warehouse")
            finally:
                with psycopg.connect(server, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
