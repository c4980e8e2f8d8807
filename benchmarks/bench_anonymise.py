"""Benchmark: anonymising an export of 10k, 100k and 1M missions, and the leak check.

Synthesises schema-conformant raw frames (one hotel per ~1000 missions, up
to 1000; one extra per ~250 missions, up to 4000; Faker fr_FR people and
hotels; realistic titles, dates, statuses, overtime text, 2 % set-aside rows),
then times ``anonymise_export`` and ``find_leaks`` in a fresh subprocess per
size (peak memory per size = the subprocess's max RSS, and the RSS growth
during the anonymisation alone).

Baseline, same run: the naive way, Faker seeded from a keyed hash and called
for every row's extra name, hotel name and hotel address (what "do not call
Faker per row" forbids), timed on 10k rows and extrapolated linearly.

    python benchmarks/bench_anonymise.py [--sizes 10000 100000 1000000]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd

from mission_platform.columns import PARSED, conform
from mission_platform.settings import DemoProfile

KEY = b"benchmark-key-not-a-secret-0123456789"
BASELINE_ROWS = 10_000


def synthesise(n_missions: int, seed: int = 7) -> dict[str, pd.DataFrame]:
    """Raw frames as the parser would produce them (values vectorised; Faker only per person/hotel)."""
    from faker import Faker

    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    rng = np.random.default_rng(seed)
    n_hotels = int(min(1000, max(20, n_missions // 1000)))
    n_extras = int(min(4000, max(40, n_missions // 250)))

    hotel_names = pd.unique(np.array([f"Hôtel {fake.last_name()} {fake.city()}" for _ in range(n_hotels * 2)]))[:n_hotels]
    n_hotels = len(hotel_names)
    extra_names = pd.unique(np.array([fake.name() for _ in range(n_extras * 2)]))[:n_extras]
    n_extras = len(extra_names)
    hotel_pages = np.array([rng.bytes(16).hex() for _ in range(n_hotels)])
    extra_pages = np.array([rng.bytes(16).hex() for _ in range(n_extras)])

    hotels = pd.DataFrame({
        "row_number": np.arange(1, n_hotels + 1),
        "hotel_id": [f"HOT-{i}" for i in range(1, n_hotels + 1)],
        "name": hotel_names,
        "address": [fake.street_address() for _ in range(n_hotels)],
        "zipcode": [fake.postcode() for _ in range(n_hotels)],
        "city": [fake.city() for _ in range(n_hotels)],
        "software": rng.choice(["Opera", "Mews", "Protel", "Medialog"], n_hotels),
        "rooms": rng.integers(10, 200, n_hotels),
        "hourly_rate": rng.choice([27.5, 28.0, 29.0, 30.0], n_hotels),
        "procedures_status": rng.choice(["à jour", "à faire", None], n_hotels),
        "status": rng.choice(["client", "prospect", "perdu"], n_hotels),
        "last_contact": pd.Timestamp("2024-03-01"),
        "notes": [f"Contact : {fake.name()}, {fake.phone_number()}" if i % 3 == 0 else None for i in range(n_hotels)],
        "created_at": pd.Timestamp("2022-01-12 14:30"),
        "reject_reason": None,
    })
    extras = pd.DataFrame({
        "row_number": np.arange(1, n_extras + 1),
        "extra_id": [f"EXT-{i}" for i in range(1, n_extras + 1)],
        "name": extra_names,
        "phone": [fake.phone_number() for _ in range(n_extras)],
        "email": [fake.email() for _ in range(n_extras)],
        "software": rng.choice(["Opera, Medialog", "Mews", "Protel, Opera"], n_extras),
        "status": rng.choice(["disponible", "en mission", "inactif"], n_extras),
        "holiday_start": pd.NaT,
        "holiday_end": pd.NaT,
        "availability_slots": "matin, soir",
        "availability_days": "semaine, week-end",
        "created_at": pd.Timestamp("2022-03-05 10:12"),
        "missions_count": rng.integers(0, 300, n_extras),
        "reject_reason": None,
    })

    n = n_missions
    hotel = rng.integers(0, n_hotels, n)
    extra = rng.integers(0, n_extras, n)
    no_extra = rng.random(n) < 0.05
    day = pd.Timestamp("2021-01-04", tz="UTC") + pd.to_timedelta(rng.integers(0, 4 * 365, n), unit="D")
    shift = rng.integers(0, 3, n)
    start = day + pd.to_timedelta(np.array([6, 14, 22])[shift], unit="h")
    end = start + pd.Timedelta(hours=8)
    dm = pd.Series(day.strftime("%d/%m"))
    date_text = pd.Series(day.strftime("%d/%m/%Y ")) + pd.Series(start.strftime("%H:%M")) + " (UTC) → " + pd.Series(end.strftime("%H:%M"))
    shift_name = pd.Series(np.array(["jour", "soir", "nuit"], dtype=object)[shift])
    hotel_title = pd.Series(hotel_names[hotel])
    extra_title = pd.Series(np.where(no_extra, None, extra_names[extra]), dtype=object)
    overtime = rng.choice(np.array(["", "1h supp", "30 min supp", "1h30 supp", "2h supp", "resté pour aider"], dtype=object),
                          n, p=[0.85, 0.05, 0.04, 0.03, 0.02, 0.01])
    named = rng.random(n) < 0.001  # a few texts name the extra: they must be scrubbed
    overtime = np.where(named, "resté avec " + extra_names[extra], overtime)
    urgent = rng.random(n) < 0.15
    rejected = rng.random(n) < 0.02
    invoiced = rng.random(n) < 0.6
    missions = pd.DataFrame({
        "row_number": np.arange(1, n + 1),
        "mission_id": "MIS-" + pd.Series(np.arange(1, n + 1)).astype(str),
        "title": "Réception " + shift_name + " – " + hotel_title + " – " + dm,
        "hotel_title": hotel_title,
        "extra_title": extra_title,
        "hotel_page_id": hotel_pages[hotel],
        "extra_page_id": np.where(no_extra, None, extra_pages[extra]),
        "hotel_id": "HOT-" + pd.Series(hotel + 1).astype(str),
        "extra_id": pd.Series(np.where(no_extra, None, "EXT-" + pd.Series(extra + 1).astype(str)), dtype=object),
        "date_text": date_text,
        "start": start,
        "end": end,
        "statuses": rng.choice(np.array(["confirmée", "confirmée, facturée", "annulé extra", "annulé hôtel", ""], dtype=object), n),
        "urgent": urgent,
        "cancelled_by": None,
        "overtime_text": np.where(overtime == "", None, overtime),
        "overtime_hours": 0.0,
        "overtime_unparsed": False,
        "hourly_rate": 28.0,
        "urgent_rate": 34.0,
        "invoice": np.where(invoiced, "F2024-" + pd.Series(np.arange(n) % 100_000).astype(str).str.zfill(5), None),
        "payment_status": rng.choice(np.array(["payé", "en attente", "en retard", None], dtype=object), n),
        "reject_reason": np.where(rejected, "date illisible", None),
    })
    return {
        "missions": conform(missions, PARSED["missions"]),
        "hotels": conform(hotels, PARSED["hotels"]),
        "extras": conform(extras, PARSED["extras"]),
    }


def naive_per_row(missions: pd.DataFrame) -> tuple[float, float]:
    """The baseline: a keyed hash and Faker calls for every row's names and address (wall, CPU seconds)."""
    from faker import Faker

    fake = Faker("fr_FR")
    started, cpu = time.perf_counter(), time.process_time()
    out = []
    for hotel, extra in zip(missions["hotel_title"], missions["extra_title"]):
        row = []
        for kind, value in (("hotel", hotel), ("person", extra), ("address", hotel)):
            if value is pd.NA or value is None:
                row.append(None)
                continue
            digest = hmac.new(KEY, f"{kind}\x1f{value.strip().casefold()}".encode(), hashlib.sha256).digest()
            fake.seed_instance(int.from_bytes(digest[:8], "big"))
            row.append(fake.name() if kind == "person" else fake.street_address() if kind == "address" else f"Hôtel {fake.last_name()}")
        out.append(row)
    return time.perf_counter() - started, time.process_time() - cpu


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def measure(size: int) -> dict:
    from mission_platform.anonymise import anonymise_export, find_leaks

    raw = synthesise(size)
    before = _rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    result = anonymise_export(raw["missions"], raw["hotels"], raw["extras"], key=KEY, profile=DemoProfile(enabled=False))
    anonymise_s, anonymise_cpu = time.perf_counter() - started, time.process_time() - cpu
    peak_anonymise = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started, cpu = time.perf_counter(), time.process_time()
    report = find_leaks(raw, result.frames())
    leak_s, leak_cpu = time.perf_counter() - started, time.process_time() - cpu
    baseline_rows = min(size, BASELINE_ROWS)
    baseline_s, baseline_cpu = (t * size / baseline_rows for t in naive_per_row(raw["missions"].iloc[:baseline_rows]))
    return {
        "missions": size,
        "people": len(raw["extras"]),
        "hotels": len(raw["hotels"]),
        "anonymise_s": anonymise_s,
        "anonymise_cpu_s": anonymise_cpu,
        "leak_check_s": leak_s,
        "leak_check_cpu_s": leak_cpu,
        "leaks": report.total,
        "scrubbed_cells": sum(result.stats.scrubbed_cells.values()),
        "naive_per_row_s": baseline_s,
        "naive_per_row_cpu_s": baseline_cpu,
        "rss_before_mb": before,
        "peak_rss_mb": peak_anonymise,
        "peak_rss_total_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: measure one size, print JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return
    print("wall seconds (CPU seconds in brackets: other jobs on the machine inflate wall time)")
    print(f"{'missions':>9} {'people':>6} {'hotels':>6} {'anonymise':>15} {'leak check':>15} "
          f"{'naive per row*':>17} {'speed-up':>8} {'peak RSS':>9} {'RSS growth':>10}")
    for size in args.sizes:
        run = subprocess.run([sys.executable, __file__, "--one", str(size)], capture_output=True, text=True, check=True)
        r = json.loads(run.stdout.strip().splitlines()[-1])
        assert r["leaks"] == 0, f"the anonymised benchmark export leaks {r['leaks']} cells"
        print(f"{r['missions']:>9} {r['people']:>6} {r['hotels']:>6} "
              f"{r['anonymise_s']:>6.2f} ({r['anonymise_cpu_s']:>5.2f}) {r['leak_check_s']:>6.2f} ({r['leak_check_cpu_s']:>5.2f}) "
              f"{r['naive_per_row_s']:>7.1f} ({r['naive_per_row_cpu_s']:>6.1f}) "
              f"{r['naive_per_row_cpu_s'] / r['anonymise_cpu_s']:>7.0f}x "
              f"{r['peak_rss_mb']:>7.0f}MB {r['peak_rss_mb'] - r['rss_before_mb']:>8.0f}MB")
    print(f"* naive per row: Faker seeded from HMAC and called for every row, timed on {BASELINE_ROWS} rows and "
          "extrapolated; speed-up = its CPU time / anonymise CPU time.")
    print("peak RSS: the whole subprocess (synthetic input included); RSS growth: during anonymisation.")


if __name__ == "__main__":
    main()
