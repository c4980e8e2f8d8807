"""Speed and peak memory of the Notion export generator at 10k, 100k and 1M missions.

Each size runs in its own subprocess (so ru_maxrss is that size's peak), with the
mess off and at its default 2 %. Two baselines are measured in the same run:

- ``to_csv``: pandas writing the already rendered missions table (same cells, strings)
  with ``DataFrame.to_csv``: the cost of writing alone, no generation at all;
- ``per-row``: a naive generator that builds each mission in a Python loop (datetime,
  zoneinfo, f-strings, csv.writer), simpler than the real one; timed on 10k rows and
  extrapolated linearly.

Usage: python benchmarks/bench_generate.py [--sizes 10000 100000 1000000]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import random
import resource
import subprocess
import sys
import time
import zoneinfo

EXPORT_DATE = dt.date(2024, 4, 8)
WEEKS = 104
MESS_DEFAULT = 0.02
NAIVE_ROWS = 10_000


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def worker(size: int, mess: float, repeats: int) -> dict:
    """Time build_export for ``size`` missions in this process; then (mess off) the to_csv baseline."""
    import pandas as pd

    from mission_platform.sample_data import build_export

    rss_before = peak_rss_mb()
    seconds, generated = [], None
    for _ in range(repeats):
        generated = None  # the previous run's export must not count in this run's peak
        started = time.perf_counter()
        generated = build_export(EXPORT_DATE, weeks=WEEKS, missions_per_week=size / (WEEKS + 2), mess=mess)
        seconds.append(time.perf_counter() - started)
    result = {
        "size": size, "mess": mess, "seconds": min(seconds), "missions": generated.missions,
        "megabytes": sum(len(d) for d in generated.files.values()) / 1e6,
        "peak_rss_mb": peak_rss_mb(), "rss_before_mb": rss_before,
    }
    # Baselines in the same process, right after, so that they see the same machine load.
    naive = []
    for _ in range(3):
        started = time.perf_counter()
        naive_generator(NAIVE_ROWS)
        naive.append(time.perf_counter() - started)
    result["per_row_seconds"] = min(naive) / NAIVE_ROWS * generated.missions
    if mess == 0:
        name = next(n for n in generated.files if n.startswith("Missions"))
        frame = pd.read_csv(io.BytesIO(generated.files[name]), encoding="utf-8-sig", dtype=str,
                            keep_default_na=False)
        del generated
        started = time.perf_counter()
        ("\ufeff" + frame.to_csv(index=False, lineterminator="\r\n")).encode("utf-8")
        result["to_csv_seconds"] = time.perf_counter() - started
    return result


def naive_generator(n: int, seed: int = 0) -> bytes:
    """The per-row baseline: one Python iteration per mission, standard library only."""
    rnd = random.Random(seed)
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    first = dt.datetime.combine(EXPORT_DATE, dt.time()) - dt.timedelta(weeks=WEEKS)
    hotels = [(f"Hôtel {i}", f"Hotel-{i}-{rnd.getrandbits(128):032x}") for i in range(100)]
    extras = [(f"Extra {i}", f"Extra-{i}-{rnd.getrandbits(128):032x}") for i in range(300)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["ID", "Propriété", "hôtel", "extra", "date", "statuts", "Texte", "tarif horaire",
                     "tarif urgence", "facture", "règlement"])
    for i in range(n):
        kind, hour = rnd.choice([("jour", 7), ("soir", 15), ("nuit", 23)])
        start = first + dt.timedelta(days=rnd.randrange(WEEKS * 7), hours=hour)
        end = start + dt.timedelta(hours=8)
        offset = start.replace(tzinfo=paris).utcoffset() // dt.timedelta(hours=1)
        hotel, hotel_page = rnd.choice(hotels)
        extra, extra_page = rnd.choice(extras)
        urgent = rnd.random() < 0.15
        writer.writerow([
            f"MIS-{i + 1}", f"Réception {kind} – {hotel} – {start:%d/%m}",
            f"{hotel} (https://www.notion.so/{hotel_page}?pvs=21)", f"{extra} (https://www.notion.so/{extra_page}?pvs=21)",
            f"{start:%d/%m/%Y %H:%M} (UTC+{offset}) → {end:%H:%M}",
            "urgente, confirmée, facturée" if urgent else "confirmée, facturée",
            "1h supp" if rnd.random() < 0.1 else "", "28", "34", f"F{start.year}-{rnd.randrange(1, 999):04d}", "payé",
        ])
    return ("\ufeff" + out.getvalue().removesuffix("\r\n")).encode("utf-8")


def run_in_subprocess(size: int, mess: float, repeats: int) -> dict:
    completed = subprocess.run(
        [sys.executable, __file__, "--worker", str(size), str(mess), str(repeats)],
        check=True, capture_output=True, text=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        size, mess, repeats = int(args.worker[0]), float(args.worker[1]), int(args.worker[2])
        print(json.dumps(worker(size, mess, repeats)))
        return

    started = time.perf_counter()
    print(f"build_export, export {EXPORT_DATE}, {WEEKS} weeks of history (+5 weeks booked), 100 hotels, 300 extras\n")
    header = (f"{'missions':>10} {'mess':>5} {'seconds':>8} {'rows/s':>10} {'MB out':>7} {'peak MB':>8} "
              f"{'+MB':>6} {'to_csv s':>9} {'vs to_csv':>9} {'per-row s':>10} {'per-row/us':>10}")
    print(header)
    print("-" * len(header))
    for size in args.sizes:
        # The machine is shared: the best of a few runs damps the noise other processes add to timings.
        repeats = 5 if size <= 10_000 else 3 if size <= 100_000 else 2
        for mess in (0.0, MESS_DEFAULT):
            r = run_in_subprocess(size, mess, repeats)
            naive = r["per_row_seconds"]
            to_csv = r.get("to_csv_seconds")
            print(f"{r['missions']:>10,} {mess:>5.0%} {r['seconds']:>8.2f} {r['missions'] / r['seconds']:>10,.0f} "
                  f"{r['megabytes']:>7.1f} {r['peak_rss_mb']:>8.0f} {r['peak_rss_mb'] - r['rss_before_mb']:>6.0f} "
                  + (f"{to_csv:>9.2f} {r['seconds'] / to_csv:>8.2f}x" if to_csv else f"{'':>9} {'':>9}")
                  + f" {naive:>10.2f} {naive / r['seconds']:>9.1f}x")
    print("\nseconds: build_export (best of runs), everything in memory: simulation, rendering, CSV bytes.")
    print("peak MB: the subprocess's ru_maxrss; +MB: above the process after imports (Dagster, pandas, Faker).")
    print("vs to_csv: build_export time / pandas to_csv time of the same rendered missions table (writing only).")
    print(f"per-row/us: the naive per-row generator's time (best of 3 on {NAIVE_ROWS:,} rows, extrapolated) / "
          "build_export time.")
    print(f"total benchmark time {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
