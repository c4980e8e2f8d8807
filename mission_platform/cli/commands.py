"""The ``mission-platform`` command: generate, demo, materialize, erase, ui, dashboard.

Every command reads ``.env`` from the current folder (as Dagster does; the environment wins, blank lines
are unset), checks every setting before it writes anything, and shares one Dagster instance
(``DAGSTER_HOME``, default ``./data/dagster``), so what the command line runs shows in the UI. Errors
are one clear line with a non-zero exit code: 2 for bad input or configuration, 1 for a failed run.
"""

from __future__ import annotations

import argparse
import atexit
import os
import sys
import threading
import time
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from mission_platform import settings
from mission_platform.cli.terminal import terminal
from mission_platform.processes import Stopped, run_service, stop_on_signals

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class CliError(Exception):
    """Bad input or configuration: exit code 2."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.hint = hint


class RunFailed(CliError):
    """A run did not complete: exit code 1."""

    exit_code = EXIT_FAILED


def load_dotenv_file(folder: Path) -> None:
    """``folder/.env`` into the environment, as Dagster's commands load it: its values win over the environment's.

    A blank value stays blank, which every setting reads as unset. DAGSTER_HOME there must be absolute:
    ``dagster dev`` (under ``mission-platform ui``) reads the file again and would otherwise use a throwaway instance.
    """
    from dotenv import dotenv_values

    path = folder / ".env"
    if not path.is_file():
        return
    values = {name: value for name, value in dotenv_values(path).items() if value is not None}
    home = values.get("DAGSTER_HOME")
    if home is not None and not Path(home.strip()).is_absolute():
        raise settings.ConfigurationError(
            f"DAGSTER_HOME in {path} is {home!r}: expected an absolute path (Dagster's commands read .env too, and use "
            "a throwaway instance for a blank or relative one); remove the line for the default ./data/dagster")
    os.environ.update(values)


def prepare_instance_home() -> Path:
    """``DAGSTER_HOME`` (default ``./data/dagster``), created once, whole, when missing (see instance_home)."""
    from mission_platform import instance_home

    return instance_home.prepare(settings.dagster_home())


def _say(message: str = "") -> None:
    print(message, file=terminal(), flush=True)


# -- materialize ---------------------------------------------------------------------------------

def lake_exports(lake) -> list[str]:
    """Export folders present in the lake, oldest first."""
    from mission_platform.lake_layout import RAW_PREFIX, group_by_export

    return sorted(group_by_export(lake.list(RAW_PREFIX)))


def choose_export(lake, requested: str | None) -> str:
    """The requested export if its folder is in the lake, else the most recent one."""
    from mission_platform.lake_layout import RAW_PREFIX

    exports = lake_exports(lake)
    if requested is not None:
        if requested not in exports:
            # Checked before registering it: a typo would otherwise become a partition for good.
            raise CliError(
                f"export {requested!r} is not in the lake at {lake.location(RAW_PREFIX)}",
                f"exports there: {', '.join(exports[-5:]) or 'none'} (ids are YYYY-MM-DD or YYYY-MM-DDTHHMM)",
            )
        return requested
    if not exports:
        raise CliError(
            f"no export in the lake at {lake.location(RAW_PREFIX)}",
            "drop a Notion export into raw/notion/<YYYY-MM-DD>/ or run `mission-platform generate`",
        )
    return exports[-1]


def resolve_selection(selection: str | None, *, say=_say):
    """The asset keys of a Dagster selection, each multi-asset taken whole (its assets are computed in one step)."""
    import dagster as dg

    from mission_platform.definitions import defs

    graph = defs.resolve_asset_graph()
    if not selection:
        return sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string())
    try:
        with warnings.catch_warnings():
            # Dagster marks a part of its own selection parser (group:...) beta: nothing the person can act on.
            warnings.simplefilter("ignore", dg.BetaWarning)
            keys = set(dg.AssetSelection.from_string(selection).resolve(graph))
    except Exception as exc:  # noqa: BLE001 - any parse/resolution problem is the user's input
        raise CliError(f"--select {selection!r} is not a valid asset selection: {exc}",
                       "examples: 'group:warehouse', 'key:missions', 'key:notion_missions+'") from None
    if not keys:
        raise CliError(f"--select {selection!r} matches no asset", "run `dagster asset list -w workspace.yaml` to see the keys")
    whole = set(keys)
    for key in keys:
        assets_def = graph.assets_def_for_key(key)
        if not assets_def.can_subset:
            whole |= set(assets_def.keys)
    added = sorted(k.to_user_string() for k in whole - keys)
    if added:
        say(f"the selection also takes {', '.join(added)}: computed in the same step as what it selects")
    return sorted(whole, key=lambda k: k.to_user_string())


def run_config(verbose: bool) -> dict:
    """Steps in this process (unless MISSION_EXECUTOR says otherwise); Dagster's console log only with --verbose."""
    from mission_platform.executors import IN_PROCESS_RUN_CONFIG

    config: dict = {"loggers": {"console": {"config": {"log_level": "DEBUG" if verbose else "CRITICAL"}}}}
    if _steps_in_process():
        config.update(IN_PROCESS_RUN_CONFIG)
    return config


def _steps_in_process() -> bool:
    # A fresh Python process per step costs seconds of imports: on one machine the command line runs them itself.
    return settings.executor_kind() in (None, "in_process")


@dataclass
class Preload:
    """Loads the forecast step's libraries (``forecast.assets.preload``) on another thread of this process.

    It starts when the step making what the forecast reads starts (the publish, which mostly
    waits on the warehouse server, the interpreter free), or at once when the run has no such
    step: the forecast step then takes 1.5-2 s less at a million missions. With the server on
    the same two cores, the publish takes about as much longer (README, issue 14). A failure
    here is left to the step, which imports the same libraries and reports it.
    """

    after_steps: frozenset[str]
    thread: threading.Thread = field(init=False)

    def __post_init__(self) -> None:
        from mission_platform.forecast.assets import preload

        def load() -> None:
            try:
                preload()
            except Exception:  # noqa: BLE001 - the forecast step meets the same error and reports it
                pass

        self.thread = threading.Thread(target=load, name="preload-forecast", daemon=True)

    @classmethod
    def for_selection(cls, keys) -> Preload | None:
        """For a run of these asset keys; None when the forecast is not among them or its step runs elsewhere."""
        from mission_platform.definitions import defs
        from mission_platform.forecast.assets import forecast

        if not _steps_in_process() or not set(keys) & set(forecast.keys):
            return None
        graph = defs.resolve_asset_graph()
        read = set(keys) & (set(forecast.dependency_keys) - set(forecast.keys))
        return cls(frozenset(graph.assets_def_for_key(key).node_def.name for key in read))

    def start_when(self, started_steps: set[str]) -> None:
        if self.thread.ident is None and (not self.after_steps or self.after_steps & started_steps):
            self.thread.start()

    def join(self) -> None:
        if self.thread.ident is not None:
            self.thread.join()   # not left loading native code while the interpreter shuts down


@dataclass
class RunOutcome:
    run_id: str
    ok: bool
    failures: list[str] = field(default_factory=list)


def run_graph(export_id: str, selection: str | None = None, *, verbose: bool = False, progress=_say) -> RunOutcome:
    """Materialise the selection for one export, recording the run in the shared instance.

    ``ok`` only when every selected asset materialised and no blocking check failed.
    """
    import dagster as dg

    from mission_platform.cli.progress import RunProgress
    from mission_platform.partitions import exports_partitions

    keys = resolve_selection(selection, say=progress)
    instance = dg.DagsterInstance.get()
    if not instance.has_dynamic_partition(exports_partitions.name, export_id):
        instance.add_dynamic_partitions(exports_partitions.name, [export_id])
        progress(f"registered export {export_id} as a partition")

    from mission_platform.operations.pool_claims import (
        blocking,
        free_dead_claims,
        process_tags,
    )

    # A run killed while it held the warehouse pool must not make this one wait for ever.
    for line in free_dead_claims(instance):
        progress(line)
    token = uuid.uuid4().hex
    tags = {"dagster/partition": export_id, "mission_platform/cli_run": token, **process_tags()}
    outcome: dict[str, object] = {}

    def execute() -> None:
        try:
            outcome["result"] = dg.execute_job(
                # The instance opened above: Dagster's SQLite storage checks each database once per instance,
                # which a second instance did again at the run's start (1.5 s at a million missions).
                dg.reconstructable(_mission_job), instance=instance, tags=tags, asset_selection=keys,
                run_config=run_config(verbose),
            )
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            outcome["error"] = exc

    worker = threading.Thread(target=execute, daemon=True)
    started = time.monotonic()
    worker.start()
    preload = Preload.for_selection(keys)
    reporter = None
    waited_for: set[str] = set()
    wait_limit = settings.pool_wait_seconds()
    in_process = _steps_in_process()
    waiting_since = None
    try:
        while True:
            alive = worker.is_alive()
            if reporter is None:
                runs = instance.get_runs(filters=dg.RunsFilter(tags={"mission_platform/cli_run": token}), limit=1)
                if runs:
                    progress(f"run {runs[0].run_id} for export {export_id}: {len(keys)} assets")
                    reporter = RunProgress(instance, runs[0].run_id, say=progress, started=started)
            if reporter is not None:
                reporter.poll()
                if preload is not None:
                    preload.start_when(reporter.started_steps)
                # Steps in this process run one at a time: while one runs, none of this run waits for the pool.
                waiting = alive and not (in_process and reporter.running)
                holders = blocking(instance, reporter.run_id) if waiting else []
                for line in free_dead_claims(instance) if holders else []:
                    progress(line)
                for holder in (h for h in holders if h.alive is not False and h.run_id not in waited_for):
                    waited_for.add(holder.run_id)
                    progress(f"waiting for {holder.describe()}, which holds the warehouse pool")
                waiting_since = (waiting_since or time.monotonic()) if holders else None
                if waiting_since is not None and time.monotonic() - waiting_since > wait_limit:
                    _give_up(instance, reporter.run_id)
                    raise RunFailed(f"run {reporter.run_id} waited {wait_limit:.0f} s for the warehouse pool and was stopped",
                                    "the run holding it is still alive: wait for it, or stop it from the UI "
                                    "(MISSION_POOL_WAIT_SECONDS sets how long to wait)")
            if not alive:
                break
            time.sleep(0.5)
    except Stopped as stop:
        # The steps run in this process and stop with it: the run is failed and its claims given back now,
        # not left for the next run to find.
        if reporter is not None:
            _give_up(instance, reporter.run_id, f"stopped by {stop.name}")
        raise
    if preload is not None:
        preload.join()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    result = outcome["result"]
    reporter.finish()
    missing = [k.to_user_string() for k in keys if k not in reporter.materialised]
    ok = result.success and not missing and not reporter.failed_checks
    if missing and result.success:
        progress(f"not materialised: {', '.join(missing)}")
    failures = reporter.failures + [f"blocking check {name} failed" for name in reporter.failed_checks]
    progress(f"run {result.run_id} {'succeeded' if ok else 'FAILED'} in {time.monotonic() - started:.1f}s")
    return RunOutcome(run_id=result.run_id, ok=ok, failures=failures)


def _give_up(instance, run_id: str, why: str = "stopped by the command line") -> None:
    """Mark the run failed and give back whatever it claimed (its steps stop with this process)."""
    run = instance.get_run_by_id(run_id)
    if run is not None and not run.is_finished:
        instance.report_run_failed(run, why)
    instance.event_log_storage.free_concurrency_slots_for_run(run_id)


def _mission_job():
    from mission_platform.definitions import defs

    return defs.resolve_job_def("mission_platform_job")


def _failed(what: str, outcomes: list[RunOutcome]) -> RunFailed:
    """One line ending with the cause: the first failure of each failed run."""
    causes = "; ".join(o.failures[0] if o.failures else f"run {o.run_id}: see its log in the UI" for o in outcomes)
    return RunFailed(f"{what} failed: {causes}")


# -- commands ------------------------------------------------------------------------------------

def cmd_generate(argv: list[str]) -> int:
    from mission_platform.sample_data import generate_command

    return generate_command(argv)


def _ensure_demo_key() -> None:
    created = settings.ensure_demo_key()
    if created:
        _say(f"created a demo anonymisation key at {created} (owner-only); set ANONYMISATION_KEY in production")


def cmd_materialize(args: argparse.Namespace) -> int:
    """One export, several (``--export`` repeated: a backfill, oldest first) or every export in the lake (``--all``)."""
    from mission_platform.resources import lake_from_env
    from mission_platform.warehouse.resources import warehouse_from_env

    prepare_instance_home()
    _ensure_demo_key()
    lake = lake_from_env()
    if args.all:
        exports = lake_exports(lake) or [choose_export(lake, None)]
    else:
        exports = sorted({choose_export(lake, e) for e in args.export or [None]})
    warehouse = warehouse_from_env()
    warehouse.dsn()  # hold the embedded server (if any) for the whole run
    outcomes = {export_id: run_graph(export_id, args.select, verbose=args.verbose) for export_id in exports}
    failed = {export_id: o for export_id, o in outcomes.items() if not o.ok}
    if failed:
        raise _failed(f"the run for export {', '.join(failed)}", list(failed.values()))
    _apply_retention(lake)
    return EXIT_OK


def _apply_retention(lake) -> None:
    """After successful runs: the raw and parsed exports past MISSION_RAW_RETENTION_DAYS go (see retention.py)."""
    from mission_platform.retention import apply_retention

    apply_retention(lake, settings.raw_retention_days(), log=_say)


def _erasure_ids(args: argparse.Namespace) -> list[str]:
    """The ids asked for, each under the option of its kind."""
    from mission_platform.erasure import ErasureError
    from mission_platform.erasure.suppression import check_notion_id

    ids = []
    for option, prefix, values in (("--extra", "EXT-", args.extra), ("--hotel", "HOT-", args.hotel)):
        for value in values:
            try:
                check_notion_id(value)
            except ErasureError as exc:
                raise CliError(f"{option} {value}: {exc}") from None
            if not value.startswith(prefix):
                raise CliError(f"{option} {value}: not a{'n extra' if option == '--extra' else ' hotel'}'s ID "
                               f"(those start with {prefix})")
            ids.append(value)
    if not ids:
        raise CliError("nothing to erase", "give --extra EXT-<number> and/or --hotel HOT-<number>, each repeatable")
    return ids


def cmd_erase(args: argparse.Namespace) -> int:
    """Erase extras and hotels from every export of the lake, then publish: the warehouse follows in one transaction."""
    from mission_platform.anonymise.resources import anonymisation_resource_from_env
    from mission_platform.erasure import ErasureError
    from mission_platform.erasure.lake import erase_from_lake
    from mission_platform.resources import LakeError, lake_from_env
    from mission_platform.warehouse.resources import warehouse_from_env

    ids = _erasure_ids(args)
    prepare_instance_home()
    _ensure_demo_key()
    lake = lake_from_env()
    span = settings.mission_date_span()
    started = time.monotonic()
    try:
        report = erase_from_lake(lake, ids, key=anonymisation_resource_from_env().anonymisation_key(),
                                 years_back=span.years_back, years_ahead=span.years_ahead, say=_say)
    except ErasureError as exc:
        raise CliError(str(exc)) from None
    except LakeError as exc:
        raise RunFailed(f"the erasure stopped: {exc}", "run the same command again: it completes what is left") from None
    for erased in report.erased:
        _say(f"{erased.notion_id} is now {erased.opaque_id} (on the suppression list: later exports are cleaned "
             "as they are read)")
    _say(f"lake: {len(report.rewritten['raw'])} raw objects, {len(report.rewritten['parsed'])} parsed and "
         f"{len(report.rewritten['anonymised'])} anonymised exports rewritten, of {len(report.exports)} exports"
         + (f"; {report.versions_deleted} earlier object versions deleted" if report.versions_deleted else ""))
    exports = lake_exports(lake)
    if exports:
        warehouse = warehouse_from_env()
        warehouse.dsn()
        _say(f"publishing export {exports[-1]} again, so the warehouse follows in one transaction …")
        outcome = run_graph(exports[-1], verbose=args.verbose)
        if not outcome.ok:
            failed = _failed(f"the lake is erased, but the publish of export {exports[-1]}", [outcome])
            failed.hint = "run the same command again: it completes the warehouse side"
            raise failed
    _say(f"erasure finished in {time.monotonic() - started:.0f}s")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from mission_platform.cli.summary import summary
    from mission_platform.lake_layout import RAW_PREFIX, export_prefix
    from mission_platform.resources import lake_from_env
    from mission_platform.warehouse.resources import warehouse_from_env

    if settings.is_production():
        raise CliError("`demo` runs on the embedded defaults; MISSION_ENV=production is set", "use `mission-platform materialize`")
    home = prepare_instance_home()
    _ensure_demo_key()
    lake = lake_from_env()
    if not lake.list(RAW_PREFIX):
        from mission_platform.sample_data import build_export, write_export

        _say("the lake is empty: generating a sample Notion export …")
        generated = build_export(_today())
        write_export(lake, generated)
        _say(f"wrote export {generated.export_id} to {lake.location(export_prefix(generated.export_id))}")
    export_id = choose_export(lake, None)
    warehouse = warehouse_from_env()
    _say(f"warehouse: {warehouse.describe()}")
    started = time.monotonic()
    outcome = run_graph(export_id, verbose=args.verbose)
    if not outcome.ok:
        raise _failed(f"the demo run for export {export_id}", [outcome])
    _apply_retention(lake)
    _say()
    _say(summary(warehouse, home))
    _say(f"demo finished in {time.monotonic() - started:.0f}s")
    _say("open the dashboard: `mission-platform dashboard` (http://127.0.0.1:8501); "
         "with real names and contacts, for the company's staff: `mission-platform dashboard --audience ops`")
    return EXIT_OK


def _today():
    import datetime as dt

    return dt.date.today()


def cmd_ui(args: argparse.Namespace) -> int:
    from mission_platform.warehouse.resources import warehouse_from_env

    home = prepare_instance_home()
    warehouse = warehouse_from_env()
    dsn = warehouse.describe()  # starts and holds the embedded server while the UI runs
    workspace = Path(__file__).resolve().parents[2] / "workspace.yaml"
    command = [sys.executable, "-m", "dagster", "dev", "-h", "127.0.0.1", "-p", str(args.port)]
    if workspace.exists():
        command += ["-w", str(workspace)]
    else:
        command += ["-m", "mission_platform.definitions"]
    _say(f"Dagster UI on http://127.0.0.1:{args.port} (DAGSTER_HOME={home})")
    _say(f"warehouse: psql '{dsn}'")
    return run_service(command)


def cmd_dashboard(args: argparse.Namespace) -> int:
    from mission_platform.dashboard.command import DashboardUnavailable, serve

    try:
        return serve(port=args.port, host=args.host, audience_name=args.audience)
    except DashboardUnavailable as exc:
        raise CliError(str(exc), exc.hint) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mission-platform", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("generate", help="write a sample Notion export into the lake (see `generate --help`)", add_help=False)
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument("--verbose", action="store_true", help="also print Dagster's event log")
    sub.add_parser("demo", parents=[verbose], help="generate when the lake is empty, materialise everything, print a summary")
    materialize = sub.add_parser("materialize", parents=[verbose],
                                 help="materialise all assets (or a selection) for one export")
    which = materialize.add_mutually_exclusive_group()
    which.add_argument("--export", action="append",
                       help="export id (default: the most recent in the lake); repeat it to backfill several")
    which.add_argument("--all", action="store_true", help="every export in the lake, oldest first")
    materialize.add_argument("--select", help="Dagster asset selection, e.g. 'group:warehouse' or 'key:missions+'")
    erase = sub.add_parser("erase", parents=[verbose],
                           help="erase extras and hotels from every export of the lake and from the warehouse "
                                "(their missions stay, under an opaque id)")
    erase.add_argument("--extra", action="append", default=[], metavar="EXT-<number>",
                       help="an extra's Notion ID; repeat it for several")
    erase.add_argument("--hotel", action="append", default=[], metavar="HOT-<number>",
                       help="a hotel's Notion ID (its name, address and contact notes); repeat it for several")
    ui = sub.add_parser("ui", help="start the Dagster UI on loopback, on the same instance and configuration")
    ui.add_argument("--port", type=int, default=3000)
    dashboard = sub.add_parser("dashboard", help="serve the dashboard (Streamlit) on the reporting relations, read-only")
    dashboard.add_argument("--port", type=int, default=8501)
    dashboard.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    dashboard.add_argument("--audience", choices=("public", "ops"), default="public",
                           help="public: pseudonymised, as looker_reader (default); ops: real names and contact "
                                "details, as ops_reader (OPS_READER_PASSWORD), for the company's staff only")
    return parser


def _exit_stopped(code: int) -> None:
    """End a stopped command once what it started is stopped: the exit handlers run (the embedded server's
    release among them), then the process ends without the interpreter's shutdown, during which a native
    thread a library still had at work when the signal came aborted it ("terminate called without an active
    exception", exit -6 instead of 130)."""
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    stop_on_signals()
    try:
        load_dotenv_file(Path.cwd())
        if argv[:1] == ["generate"]:
            settings.check_environment()
            return cmd_generate(argv[1:])
        args = build_parser().parse_args(argv)
        settings.check_environment()
        if not getattr(args, "verbose", False):
            # gluonts' advice to install a faster JSON library, at its first use: nothing a person running us can act on.
            warnings.filterwarnings("ignore", message="Using `json`-module", category=UserWarning)
            # platformdirs, when the session has no XDG_RUNTIME_DIR (a container, cron): it falls back to /tmp itself.
            warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        return {"demo": cmd_demo, "materialize": cmd_materialize, "erase": cmd_erase, "ui": cmd_ui,
                "dashboard": cmd_dashboard}[args.command](args)
    except CliError as exc:
        print(f"error: {settings.redact(str(exc))}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return exc.exit_code
    except settings.ConfigurationError as exc:
        print(f"error: {settings.redact(str(exc))} (see .env.example and the README's Configuration section)",
              file=sys.stderr)
        return EXIT_USAGE
    except (Stopped, KeyboardInterrupt) as stop:
        code = stop.exit_code if isinstance(stop, Stopped) else 130
        print(f"stopped ({stop.name if isinstance(stop, Stopped) else 'SIGINT'}): what this command started was stopped",
              file=sys.stderr)
        _exit_stopped(code)


if __name__ == "__main__":
    sys.exit(main())
