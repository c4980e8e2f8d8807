"""The ``mission-platform`` command: generate, demo, materialize, ui, dashboard.

Every command shares one Dagster instance (``DAGSTER_HOME``, default
``./data/dagster``), so what the command line runs shows in the UI. Errors are
one clear line plus a hint, with a non-zero exit code.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

LOCAL_INSTANCE_YAML = """\
# Local instance written by `mission-platform` (storage stays Dagster's own, under this folder).
# One warehouse writer at a time: the `warehouse` pool admits one step.
concurrency:
  pools:
    default_limit: 1
telemetry:
  enabled: false
"""


class CliError(Exception):
    """Bad input or configuration: exit code 2."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.hint = hint


class RunFailed(CliError):
    """A run did not complete: exit code 1."""

    exit_code = EXIT_FAILED


def prepare_instance_home() -> Path:
    """``DAGSTER_HOME`` (default ``./data/dagster``), created with a local dagster.yaml when missing."""
    from mission_platform.settings import data_dir

    home = Path(os.environ.get("DAGSTER_HOME") or data_dir() / "dagster").expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(LOCAL_INSTANCE_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def _say(message: str = "") -> None:
    print(message, flush=True)


# -- materialize ---------------------------------------------------------------------------------

def lake_exports(lake) -> list[str]:
    """Export folders present in the lake, oldest first."""
    from mission_platform.notion.sensors import RAW_PREFIX, group_by_export

    return sorted(group_by_export(lake.list(RAW_PREFIX)))


def choose_export(lake, requested: str | None) -> str:
    """The requested export if its folder is in the lake, else the most recent one."""
    from mission_platform.notion.sensors import RAW_PREFIX

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


def resolve_selection(selection: str | None):
    import dagster as dg

    from mission_platform.definitions import defs

    graph = defs.resolve_asset_graph()
    if not selection:
        return sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string())
    try:
        keys = dg.AssetSelection.from_string(selection).resolve(graph)
    except Exception as exc:  # noqa: BLE001 - any parse/resolution problem is the user's input
        raise CliError(f"--select {selection!r} is not a valid asset selection: {exc}",
                       "examples: 'group:warehouse', 'key:missions', 'key:notion_missions+'") from None
    if not keys:
        raise CliError(f"--select {selection!r} matches no asset", "run `dagster asset list -w workspace.yaml` to see the keys")
    return sorted(keys, key=lambda k: k.to_user_string())


def run_graph(export_id: str, selection: str | None = None, *, progress=_say) -> bool:
    """Materialise the selection for one export, recording the run in the shared instance.

    Returns True only when every selected asset materialised and no blocking check failed.
    """
    import dagster as dg
    from dagster._core.events import DagsterEventType

    from mission_platform.partitions import exports_partitions

    keys = resolve_selection(selection)
    instance = dg.DagsterInstance.get()
    if not instance.has_dynamic_partition(exports_partitions.name, export_id):
        instance.add_dynamic_partitions(exports_partitions.name, [export_id])
        progress(f"registered export {export_id} as a partition")

    token = uuid.uuid4().hex
    tags = {"dagster/partition": export_id, "mission_platform/cli_run": token}
    outcome: dict[str, object] = {}

    def execute() -> None:
        try:
            outcome["result"] = dg.execute_job(
                dg.reconstructable(_mission_job), instance=dg.DagsterInstance.get(), tags=tags, asset_selection=keys
            )
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            outcome["error"] = exc

    worker = threading.Thread(target=execute, daemon=True)
    worker.start()
    watched = {
        DagsterEventType.ASSET_MATERIALIZATION,
        DagsterEventType.ASSET_CHECK_EVALUATION,
        DagsterEventType.STEP_FAILURE,
        DagsterEventType.STEP_UP_FOR_RETRY,
    }
    seen = 0
    run_id = None
    materialised: set = set()
    failed_checks: list[str] = []
    started = time.monotonic()
    while True:
        alive = worker.is_alive()
        if run_id is None:
            runs = instance.get_runs(filters=dg.RunsFilter(tags={"mission_platform/cli_run": token}), limit=1)
            run_id = runs[0].run_id if runs else None
            if run_id:
                progress(f"run {run_id} for export {export_id}: {len(keys)} assets")
        if run_id:
            events = instance.all_logs(run_id, of_type=watched)
            for record in events[seen:]:
                event = record.dagster_event
                elapsed = f"{time.monotonic() - started:6.1f}s"
                if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
                    key = event.asset_key
                    materialised.add(key)
                    rows = event.materialization.metadata.get("dagster/row_count")
                    rows_text = f" ({rows.value:,} rows)" if rows is not None else ""
                    progress(f"  {elapsed}  materialised {key.to_user_string()}{rows_text}")
                elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
                    evaluation = event.event_specific_data
                    name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
                    if not evaluation.passed:
                        severity = evaluation.severity.value if evaluation.severity else "ERROR"
                        if severity == "ERROR":
                            failed_checks.append(name)
                        progress(f"  {elapsed}  check {name} FAILED ({severity.lower()})")
                elif event.event_type == DagsterEventType.STEP_FAILURE:
                    progress(f"  {elapsed}  step {event.step_key} failed: {_failure_line(event)}")
                else:
                    progress(f"  {elapsed}  step {event.step_key} will be retried")
            seen = len(events)
        if not alive:
            break
        time.sleep(0.5)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    result = outcome["result"]
    missing = [k.to_user_string() for k in keys if k not in materialised]
    ok = result.success and not missing and not failed_checks
    if missing and result.success:
        progress(f"not materialised: {', '.join(missing)}")
    progress(f"run {result.run_id} {'succeeded' if ok else 'FAILED'} in {time.monotonic() - started:.1f}s")
    return ok


def _failure_line(event) -> str:
    error = event.step_failure_data.error if event.step_failure_data else None
    if error is None:
        return "see the run log"
    # A dagster.Failure carries our one-line description; other errors show their message.
    description = event.step_failure_data.user_failure_data.description if event.step_failure_data.user_failure_data else None
    return (description or error.message).strip().splitlines()[0]


def _mission_job():
    from mission_platform.definitions import defs

    return defs.resolve_job_def("mission_platform_job")


# -- commands ------------------------------------------------------------------------------------

def cmd_generate(argv: list[str]) -> int:
    from mission_platform.sample_data import generate_command

    return generate_command(argv)


def prepare_cli_run() -> Path:
    """The instance home, and steps run inside this process unless MISSION_EXECUTOR says otherwise.

    A fresh Python process per step costs seconds of imports each; on one
    machine the command line is faster running every step itself.
    """
    os.environ.setdefault("MISSION_EXECUTOR", "in_process")
    return prepare_instance_home()


def cmd_materialize(args: argparse.Namespace) -> int:
    """One export, several (``--export`` repeated: a backfill, oldest first) or every export in the lake (``--all``)."""
    from mission_platform.resources import lake_from_env, warehouse_from_env
    from mission_platform.settings import ensure_demo_key

    prepare_cli_run()
    created = ensure_demo_key()
    if created:
        _say(f"created a demo anonymisation key at {created} (owner-only); set ANONYMISATION_KEY in production")
    lake = lake_from_env()
    if args.all:
        exports = lake_exports(lake) or [choose_export(lake, None)]
    else:
        exports = sorted({choose_export(lake, e) for e in args.export or [None]})
    warehouse = warehouse_from_env()
    warehouse.dsn()  # hold the embedded server (if any) for the whole run
    failed = [export_id for export_id in exports if not run_graph(export_id, args.select)]
    if failed:
        raise RunFailed(f"the run for export {', '.join(failed)} failed",
                        "the lines above name the failed step; the UI has its log")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from mission_platform.resources import lake_from_env, warehouse_from_env
    from mission_platform.settings import ensure_demo_key, is_production

    if is_production():
        raise CliError("`demo` runs on the embedded defaults; MISSION_ENV=production is set", "use `mission-platform materialize`")
    home = prepare_cli_run()
    created = ensure_demo_key()
    if created:
        _say(f"created a demo anonymisation key at {created} (owner-only); set ANONYMISATION_KEY in production")
    lake = lake_from_env()
    if not lake.list("raw/notion"):
        from mission_platform.sample_data import build_export, write_export

        _say("the lake is empty: generating a sample Notion export …")
        generated = build_export(_today())
        write_export(lake, generated)
        _say(f"wrote export {generated.export_id} to {lake.location('raw/notion/' + generated.export_id)}")
    export_id = choose_export(lake, None)
    warehouse = warehouse_from_env()
    _say(f"warehouse: {warehouse.describe()}")
    started = time.monotonic()
    ok = run_graph(export_id)
    if not ok:
        raise RunFailed(f"the demo run for export {export_id} failed", "open `mission-platform ui` to see the run's log")
    _say()
    _say(summary(warehouse, home))
    _say(f"demo finished in {time.monotonic() - started:.0f}s")
    _say("open the dashboard: `mission-platform dashboard` (http://127.0.0.1:8501)")
    return EXIT_OK


def _today():
    import datetime as dt

    return dt.date.today()


def summary(warehouse, home: Path) -> str:
    from mission_platform.warehouse.load import table_counts

    lines = ["== Warehouse =="]
    with warehouse.connect() as conn:
        counts = table_counts(conn)
    for table, count in counts.items():
        lines.append(f"  core.{table:<18} {count:>10,} rows")
    rejected = warehouse.query_frame(
        # Counted by kind: the part of a reason before ':' (the rest names a record or a value).
        "SELECT source, split_part(reason, ':', 1) AS reason, count(*) AS n FROM core.rejected_rows "
        "WHERE export_id = (SELECT export_id FROM core.load_history ORDER BY load_id DESC LIMIT 1) "
        "GROUP BY 1, 2 ORDER BY 1, 3 DESC"
    )
    lines.append("== Rejected rows (latest export) ==")
    lines += [f"  {r.source:<9} {r.n:>6}  {r.reason}" for r in rejected.itertuples()] or ["  none"]
    predictions = warehouse.query_frame(
        "SELECT week_start, round(p10) AS p10, round(p50) AS p50, round(p90) AS p90, already_booked, "
        "extras_needed_p50, extras_needed_p90 FROM reporting.predictions WHERE mean IS NOT NULL ORDER BY week_start"
    )
    lines.append("== Forecast (reporting.predictions) ==")
    lines.append(predictions.to_string(index=False) if len(predictions) else "  no forecast (not enough history)")
    dsn = warehouse.describe()
    lines += [
        "== Where things are ==",
        f"  warehouse : {dsn}",
        f"  psql      : psql '{dsn}'   (the embedded server runs while `mission-platform ui` runs)",
        f"  Dagster   : DAGSTER_HOME={home}; `mission-platform ui` shows these runs",
        "  Looker Studio: needs a server it can reach (e.g. RDS): set MISSION_WAREHOUSE_URL, then connect with the",
        "                 PostgreSQL connector as looker_reader (LOOKER_READER_PASSWORD) to the `reporting` schema",
    ]
    return "\n".join(lines)


def cmd_ui(args: argparse.Namespace) -> int:
    from mission_platform.resources import warehouse_from_env

    home = prepare_instance_home()
    warehouse = warehouse_from_env()
    dsn = warehouse.describe()  # starts and holds the embedded server while the UI runs
    workspace = Path(__file__).resolve().parent.parent / "workspace.yaml"
    command = [sys.executable, "-m", "dagster", "dev", "-h", "127.0.0.1", "-p", str(args.port)]
    if workspace.exists():
        command += ["-w", str(workspace)]
    else:
        command += ["-m", "mission_platform.definitions"]
    _say(f"Dagster UI on http://127.0.0.1:{args.port} (DAGSTER_HOME={home})")
    _say(f"warehouse: psql '{dsn}'")
    return subprocess.call(command)


def cmd_dashboard(args: argparse.Namespace) -> int:
    from mission_platform.dashboard.command import DashboardUnavailable, serve

    try:
        return serve(port=args.port, host=args.host)
    except DashboardUnavailable as exc:
        raise CliError(str(exc), exc.hint) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mission-platform", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("generate", help="write a sample Notion export into the lake (see `generate --help`)", add_help=False)
    sub.add_parser("demo", help="generate when the lake is empty, materialise everything, print a summary")
    materialize = sub.add_parser("materialize", help="materialise all assets (or a selection) for one export")
    which = materialize.add_mutually_exclusive_group()
    which.add_argument("--export", action="append",
                       help="export id (default: the most recent in the lake); repeat it to backfill several")
    which.add_argument("--all", action="store_true", help="every export in the lake, oldest first")
    materialize.add_argument("--select", help="Dagster asset selection, e.g. 'group:warehouse' or 'key:missions+'")
    ui = sub.add_parser("ui", help="start the Dagster UI on loopback, on the same instance and configuration")
    ui.add_argument("--port", type=int, default=3000)
    dashboard = sub.add_parser("dashboard", help="serve the dashboard (Streamlit) on the reporting relations, read-only")
    dashboard.add_argument("--port", type=int, default=8501)
    dashboard.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    return parser


def main(argv: list[str] | None = None) -> int:
    from mission_platform.settings import ConfigurationError

    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["generate"]:
            return cmd_generate(argv[1:])
        args = build_parser().parse_args(argv)
        return {"demo": cmd_demo, "materialize": cmd_materialize, "ui": cmd_ui,
                "dashboard": cmd_dashboard}[args.command](args)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return exc.exit_code
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("hint: see .env.example and the README's Configuration section", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
