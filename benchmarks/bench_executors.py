"""Executors: the full graph on the multiprocess executor and on Celery with two workers, and each executor's per-step cost.

For each size (missions in a generated export; default 100k, ``--missions 1000000`` for the issue's figure):

- full graph: ``mission-platform materialize --export X`` with ``MISSION_EXECUTOR=multiprocess``
  (two steps at a time, the default) and with ``MISSION_EXECUTOR=celery`` (two Celery workers of
  one pool process each: the same parallelism), each into a fresh warehouse database, against one
  PostgreSQL Dagster instance and one local lake. Wall time, and peak resident memory per process,
  sampled every 0.1 s with psutil: the launching process, the largest step process (multiprocess
  starts one per step), each worker's main and pool process. The multiprocess run is the baseline.
- per-step cost: a chain of ``--steps`` trivial steps (one small value handed from step to step) on
  the in-process executor (baseline), the multiprocess executor and Celery; seconds per step.

Usage: python benchmarks/bench_executors.py [--missions 100000 1000000] [--steps 10] [--skip-full]
PostgreSQL: MISSION_BENCH_WAREHOUSE_URL, else postgresql://postgres@127.0.0.1:5432/postgres (scratch databases
are created and dropped). Broker: MISSION_BENCH_CELERY_BROKER, else amqp://guest:guest@127.0.0.1:5672// (a queue of
the benchmark's own, deleted at the end).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dagster as dg

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_BROKER = "amqp://guest:guest@127.0.0.1:5672//"
EXPORT_DATE = dt.date(2024, 6, 3)
WEEKS = 104
TARIFFS = {"OVERTIME_RATE": "40", "EXTRA_HOURLY_PAY": "15", "EXTRA_HOURLY_PAY_URGENT": "18", "VAT_RATE": "0.2"}


# -- the trivial job (steps re-import this file: in step processes and Celery workers) -------------

@dg.op
def first_step() -> int:
    return 0


@dg.op
def next_step(previous: int) -> int:
    return previous + 1


def trivial_chain(executor: str) -> dg.JobDefinition:
    """``MISSION_BENCH_STEPS`` trivial steps in a row, on ``executor``."""
    from mission_platform.executors import executor_named

    @dg.job(name=f"trivial_chain_{executor}", executor_def=executor_named(executor))
    def chain():
        value = first_step()
        for _ in range(int(os.environ["MISSION_BENCH_STEPS"]) - 1):
            value = next_step(value)

    return chain


# One module-level function per executor: what Dagster reconstructs in step processes and workers.
def chain_in_process() -> dg.JobDefinition:
    return trivial_chain("in_process")


def chain_multiprocess() -> dg.JobDefinition:
    return trivial_chain("multiprocess")


def chain_celery() -> dg.JobDefinition:
    return trivial_chain("celery")


CHAINS = {"in_process": chain_in_process, "multiprocess": chain_multiprocess, "celery": chain_celery}


# -- scratch PostgreSQL databases --------------------------------------------------------------------

def _with_database(url: str, database: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + database))


@contextmanager
def scratch_databases(server: str, count: int):
    import psycopg

    names = [f"mp_bench_{uuid.uuid4().hex[:10]}" for _ in range(count)]
    with psycopg.connect(server, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield [_with_database(server, name) for name in names]
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- memory sampling ---------------------------------------------------------------------------------

class PeakMemory:
    """Peak RSS of every process under some roots, sampled every ``interval`` seconds in a thread."""

    def __init__(self, roots: dict[int, str], interval: float = 0.1):
        self.roots = roots
        self.interval = interval
        self.peak: dict[tuple[str, int], int] = {}  # (role, pid) -> bytes
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        import psutil

        for root_pid, label in self.roots.items():
            try:
                root = psutil.Process(root_pid)
                processes = [(True, root)] + [(False, p) for p in root.children(recursive=True)]
            except psutil.NoSuchProcess:
                continue
            for is_root, process in processes:
                try:
                    rss = process.memory_info().rss
                    command = " ".join(process.cmdline()[:2])
                    # Dagster captures each step's stdout and stderr through `tail` and `watch_orphans.py` helpers.
                    kind = "main" if is_root else (
                        "log capture" if "tail" in command or "watch_orphans" in command else "step process")
                except psutil.NoSuchProcess:
                    continue
                role = f"{label} {kind}"
                key = (role, process.pid)
                self.peak[key] = max(self.peak.get(key, 0), rss)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def by_role(self) -> dict[str, tuple[int, float]]:
        """Role -> (processes seen, largest peak RSS in MB)."""
        out: dict[str, tuple[int, float]] = {}
        for (role, _), rss in self.peak.items():
            count, largest = out.get(role, (0, 0.0))
            out[role] = (count + 1, max(largest, rss / 2**20))
        return dict(sorted(out.items()))


# -- deployment --------------------------------------------------------------------------------------

def base_env(*, home: Path, lake: Path, data: Path, broker: str, key: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MISSION_", "DAGSTER_"))}
    env.update(TARIFFS)
    env.update(
        DAGSTER_HOME=str(home), MISSION_LAKE_URL=str(lake), MISSION_DATA_DIR=str(data),
        MISSION_CELERY_BROKER=broker, MISSION_CELERY_QUEUE=f"mp-bench-{uuid.uuid4().hex[:10]}", ANONYMISATION_KEY=key,
        # The trivial job's module, for step processes and workers.
        PYTHONPATH=os.pathsep.join(filter(None, [str(Path(__file__).resolve().parent), env.get("PYTHONPATH")])),
    )
    return env


def write_instance(home: Path, instance_url: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(
        f"storage:\n  postgres:\n    postgres_url: {instance_url.replace('postgresql://', 'postgresql+psycopg2://', 1)}\n"
        "concurrency:\n  pools:\n    default_limit: 1\n"
        "telemetry:\n  enabled: false\n"
    )


@contextmanager
def celery_workers(env: dict[str, str], cwd: Path, count: int):
    """``count`` Celery workers of one pool process each; yields their pids once all consume."""
    import signal

    workers, logs = [], []
    try:
        for index in range(count):
            log = cwd / f"worker-{index}.log"
            logs.append(log)
            with open(log, "wb") as out:
                workers.append(subprocess.Popen(
                    [sys.executable, "-m", "celery", "-A", "mission_platform.celery.worker", "worker",
                     "--hostname", f"bench{index}-{uuid.uuid4().hex[:6]}@%h", "--concurrency", "1",
                     "--loglevel", "INFO", "--without-gossip", "--without-mingle"],
                    cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True))
        deadline = time.monotonic() + 120
        for worker, log in zip(workers, logs):
            while b" ready." not in log.read_bytes():
                if worker.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"a Celery worker did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)
        yield [w.pid for w in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()


# -- measurements ------------------------------------------------------------------------------------

def generate(lake: Path, missions: int) -> str:
    from mission_platform.resources import LakeResource
    from mission_platform.sample_data import build_export, write_export

    # The generator's default proportions (110 missions a week for 100 hotels and 300 extras), scaled.
    per_week = missions / WEEKS
    hotels = max(100, round(per_week * 100 / 110))
    started = time.perf_counter()
    generated = build_export(EXPORT_DATE, weeks=WEEKS, missions_per_week=per_week, hotels=hotels, extras=3 * hotels)
    write_export(LakeResource(url=str(lake)), generated)
    print(f"generated export {generated.export_id}: {generated.missions:,} missions, {generated.hotels:,} hotels, "
          f"{generated.extras:,} extras in {time.perf_counter() - started:.0f} s", flush=True)
    return generated.export_id


def full_graph(env: dict[str, str], cwd: Path, export_id: str, worker_pids: dict[int, str]) -> tuple[float, PeakMemory]:
    started = time.perf_counter()
    run = subprocess.Popen([sys.executable, "-m", "mission_platform.cli", "materialize", "--export", export_id],
                           cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with PeakMemory({run.pid: "launcher", **worker_pids}) as memory:
        output, _ = run.communicate()
    seconds = time.perf_counter() - started
    if run.returncode != 0:
        raise RuntimeError(f"the {env['MISSION_EXECUTOR']} run failed:\n{output[-5000:]}")
    return seconds, memory


def per_step(env: dict[str, str], home: Path, executor: str) -> float:
    """Seconds per step of the trivial chain on ``executor``, launched from this process."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            started = time.perf_counter()
            result = dg.execute_job(dg.reconstructable(CHAINS[executor]), instance=instance)
            seconds = time.perf_counter() - started
    finally:
        os.environ.clear()
        os.environ.update(saved)
    if not result.success:
        raise RuntimeError(f"the trivial chain failed on {executor}")
    return seconds / int(env["MISSION_BENCH_STEPS"])


def print_memory(label: str, memory: PeakMemory) -> None:
    for role, (count, peak) in memory.by_role().items():
        print(f"  {label:<12} {role:<26} {count:>3} process(es)  peak RSS {peak:6.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--missions", type=int, nargs="+", default=[100_000], help="export sizes (default: 100000)")
    parser.add_argument("--steps", type=int, default=10, help="steps in the trivial chain (default: 10)")
    parser.add_argument("--skip-full", action="store_true", help="only the per-step cost")
    args = parser.parse_args()
    server = os.environ.get("MISSION_BENCH_WAREHOUSE_URL") or DEFAULT_SERVER
    broker = os.environ.get("MISSION_BENCH_CELERY_BROKER") or DEFAULT_BROKER

    import secrets

    with tempfile.TemporaryDirectory(prefix="mp-bench-exec-") as tmp, \
            scratch_databases(server, 1 + 2 * len(args.missions)) as databases:
        root = Path(tmp)
        home = root / "dagster_home"
        write_instance(home, databases[0])
        env = base_env(home=home, lake=root / "lake", data=root / "data", broker=broker, key=secrets.token_hex(32))

        try:
            print(f"== per-step cost: a chain of {args.steps} trivial steps", flush=True)
            costs = {}
            trivial_env = {**env, "MISSION_WAREHOUSE_URL": databases[1], "MISSION_BENCH_STEPS": str(args.steps)}
            with celery_workers(trivial_env, root, 2):
                per_step(trivial_env, home, "in_process")  # warm-up: imports, the instance's tables
                for kind in CHAINS:
                    costs[kind] = per_step(trivial_env, home, kind)
                    print(f"  {kind:<12} {costs[kind]:6.2f} s per step  "
                          f"({costs[kind] / costs['in_process']:5.1f}x in-process)", flush=True)
            if not args.skip_full:
                for index, missions in enumerate(args.missions):
                    full_graph_at(env, root, databases, index, missions)
        finally:
            from kombu import Connection

            with Connection(broker, connect_timeout=5) as conn:
                conn.default_channel.queue_delete(env["MISSION_CELERY_QUEUE"])


def full_graph_at(env: dict[str, str], root: Path, databases: list[str], index: int, missions: int) -> None:
    print(f"\n== full graph, {missions:,} missions", flush=True)
    export_id = generate(root / "lake", missions)
    multi_env = {**env, "MISSION_EXECUTOR": "multiprocess", "MISSION_WAREHOUSE_URL": databases[1 + 2 * index]}
    multi_seconds, multi_memory = full_graph(multi_env, root, export_id, {})
    print(f"  multiprocess {multi_seconds:7.1f} s  (baseline)", flush=True)
    print_memory("multiprocess", multi_memory)
    celery_env = {**env, "MISSION_EXECUTOR": "celery", "MISSION_WAREHOUSE_URL": databases[2 + 2 * index]}
    with celery_workers(celery_env, root, 2) as pids:
        celery_seconds, celery_memory = full_graph(
            celery_env, root, export_id, {pid: f"worker {n + 1}" for n, pid in enumerate(pids)})
    print(f"  celery       {celery_seconds:7.1f} s  ({celery_seconds / multi_seconds:.2f}x multiprocess)", flush=True)
    print_memory("celery", celery_memory)


if __name__ == "__main__":
    main()
