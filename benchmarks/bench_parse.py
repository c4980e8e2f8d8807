"""Raw stage speed and memory: parse a generated Notion export of 10k, 100k and 1M missions.

For each size the sample-data generator writes an export (default mess, so
the set-aside rules run too) into a temporary folder; then, each in a fresh
subprocess so that ``ru_maxrss`` is that step's own peak:

- ``read_export``: the whole raw stage (three files -> three typed frames);
- baseline: plain ``pandas.read_csv`` of the same bytes (C engine, every cell a
  string), i.e. the cost of merely splitting the files into cells.

The ratio is read_export time / baseline time, measured in the same run;
CPU seconds are printed too, as the machine may be shared.
Targets: 1M missions parsed in under 20 s, under 2 GB peak memory.

    python benchmarks/bench_parse.py [--sizes 10000 100000 1000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXPORT_DATE = dt.date(2024, 4, 8)
WEEKS = 104


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # Linux: KiB


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def generate(missions: int, folder: Path) -> dict:
    from mission_platform.sample_data import build_export

    start = time.perf_counter()
    # About `missions` records: WEEKS of history plus the weeks already booked.
    generated = build_export(
        EXPORT_DATE, weeks=WEEKS, missions_per_week=missions / (WEEKS + 5), hotels=max(100, missions // 500),
        extras=max(300, missions // 170), seed=7,
    )
    for name, data in generated.files.items():
        (folder / name).write_bytes(data)
    return {"seconds": time.perf_counter() - start, **generated.counts,
            "megabytes": sum(len(d) for d in generated.files.values()) / 1e6, "injected": len(generated.injected)}


def measure(step: str, folder: Path, repeats: int) -> dict:
    files = {p.name: p.read_bytes() for p in folder.iterdir()}
    import pandas as pd

    from mission_platform.notion import read_export

    before = peak_mb()   # interpreter, libraries and the files' bytes
    times, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), cpu_seconds()
        if step == "parse":
            parsed = read_export(files, EXPORT_DATE.isoformat())
            rows = sum(s.rows_read for s in parsed.stats.values())
            set_aside = sum(s.rows_set_aside for s in parsed.stats.values())
        else:
            frames = [pd.read_csv(io.BytesIO(d), dtype=str, keep_default_na=False, encoding="utf-8-sig")
                      for d in files.values()]
            rows, set_aside = sum(len(f) for f in frames), 0
        times.append(time.perf_counter() - start)
        cpu.append(cpu_seconds() - start_cpu)
        parsed = frames = None
    return {"seconds": min(times), "cpu_seconds": min(cpu), "peak_mb": peak_mb(), "before_mb": before, "rows": rows, "set_aside": set_aside}


def run_child(*args: str) -> dict:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--child", nargs=2, metavar=("STEP", "FOLDER"), help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        step, folder = args.child
        result = generate(args.size, Path(folder)) if step == "generate" else measure(step, Path(folder), args.repeats)
        print(json.dumps(result))
        return

    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores: "
          "wall times swell with load, CPU times much less")
    print(f"{'missions':>10} {'MB':>6} {'read_export s':>14} {'(CPU s)':>8} {'baseline s':>11} {'(CPU s)':>8} "
          f"{'ratio':>6} {'peak MB':>8} {'(before)':>9} {'baseline peak MB':>17} {'set aside':>10}")
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="bench-parse-") as folder:
            made = run_child("--child", "generate", folder, "--size", str(size))
            repeats = "3" if size < 1_000_000 else "1"
            parse = run_child("--child", "parse", folder, "--repeats", repeats)
            base = run_child("--child", "baseline", folder, "--repeats", repeats)
        assert parse["rows"] == base["rows"], (parse, base)
        print(f"{made['missions']:>10,} {made['megabytes']:>6.0f} {parse['seconds']:>14.2f} {parse['cpu_seconds']:>8.2f} "
              f"{base['seconds']:>11.2f} {base['cpu_seconds']:>8.2f} {parse['seconds'] / base['seconds']:>6.2f} "
              f"{parse['peak_mb']:>8.0f} {parse['before_mb']:>9.0f} {base['peak_mb']:>17.0f} {parse['set_aside']:>10,}",
              flush=True)


if __name__ == "__main__":
    main()
