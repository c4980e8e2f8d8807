"""Erasure's cost: the suppression at ingestion, and rewriting an export's raw files, at 10k, 100k and 1M missions.

For each size the sample-data generator builds an export in memory (default
mess); one extra and one hotel, those with the most missions, are put on the
suppression list. Measured in the same run:

- baseline: ``read_export``, the raw stage itself (three files -> three typed frames);
- ``suppress``: what the raw stage adds once the export holds an erased person
  (their rows replaced, their values searched and replaced in every string
  column of the three frames); the ratio to the baseline is what every later
  run pays while Notion still holds the person (nothing when it does not);
- raw rewrite: ``rewrite_raw_object`` on each of the export's files, what
  ``mission-platform erase`` does per export besides parsing it.

    python benchmarks/bench_erasure.py [--sizes 10000 100000 1000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mission_platform.erasure import SuppressionList, suppress  # noqa: E402
from mission_platform.erasure.lake import rewrite_raw_object  # noqa: E402
from mission_platform.erasure.suppression import people_in  # noqa: E402
from mission_platform.notion import read_export  # noqa: E402
from mission_platform.sample_data import build_export  # noqa: E402

EXPORT_DATE = dt.date(2026, 11, 30)
WEEKS = 104


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def measure(missions: int) -> dict[str, float]:
    per_week = missions / WEEKS
    export = build_export(EXPORT_DATE, weeks=WEEKS, missions_per_week=per_week,
                          hotels=min(1000, max(20, missions // 1000)), extras=min(4000, max(50, missions // 250)), seed=4)
    parsed, parse_seconds = timed(lambda: read_export(export.files, export.export_id))
    frames = {"missions": parsed.missions, "hotels": parsed.hotels, "extras": parsed.extras}
    kept = parsed.missions[parsed.missions["reject_reason"].isna()]
    busiest = [kept["extra_id"].value_counts().index[0], kept["hotel_id"].value_counts().index[0]]
    suppression = SuppressionList().add(busiest)
    (_, people), suppress_seconds = timed(lambda: suppress(frames, suppression))
    found = people_in(frames, suppression)
    rewritten, rewrite_seconds = timed(lambda: [rewrite_raw_object(name, data, found, export_id=export.export_id)
                                                for name, data in export.files.items()])
    return {
        "missions": len(parsed.missions), "their_missions": int(parsed.missions["extra_id"].isin(busiest).sum()
                                                                 + parsed.missions["hotel_id"].isin(busiest).sum()),
        "parse": parse_seconds, "suppress": suppress_seconds, "rewrite": rewrite_seconds,
        "files_rewritten": sum(r is not None for r in rewritten), "people": len(people.erased),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = parser.parse_args()
    print("| missions | their missions | read_export (baseline) | suppress | ÷ baseline | raw rewrite | ÷ baseline |")
    print("|---|---|---|---|---|---|---|")
    for size in args.sizes:
        m = measure(size)
        assert m["people"] == 2 and m["files_rewritten"] == 3, m
        print(f"| {m['missions']:,} | {m['their_missions']:,} | {m['parse']:.2f} s | {m['suppress']:.2f} s | "
              f"{m['suppress'] / m['parse']:.2f}× | {m['rewrite']:.2f} s | {m['rewrite'] / m['parse']:.2f}× |",
              flush=True)


if __name__ == "__main__":
    main()
