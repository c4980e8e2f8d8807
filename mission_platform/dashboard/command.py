"""``mission-platform dashboard``: check the warehouse as the audience's role, then serve the app with Streamlit.

``--audience public`` (the default) reads the pseudonymised ``reporting`` relations as ``looker_reader``;
``--audience ops`` reads ``ops`` then ``reporting`` as ``ops_reader``: real names and contact details.

The command resolves where the warehouse is (see ``connection``), starts and holds
the embedded warehouse when there is no server (pgserver keeps it up while any
process holds it, so ``mission-platform ui`` may run at the same time), and hands
the resolved connection to the Streamlit process in its environment, never on its
command line.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

from mission_platform.dashboard.connection import (
    AUDIENCE_ENV,
    AUDIENCES,
    DASHBOARD_URL_ENV,
    FRESHNESS_SQL,
    DashboardError,
    describe_conninfo,
    reader_conninfo,
    run_query,
)
from mission_platform.processes import run_service

APP = Path(__file__).resolve().parent / "app.py"
DEFAULT_PORT = 8501
DEFAULT_HOST = "127.0.0.1"


class DashboardUnavailable(RuntimeError):
    """The dashboard cannot start: one line, and a hint saying what to do."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.hint = hint


def check_warehouse(conninfo: str, audience_name: str) -> str:
    """The published export's id, read as the audience's role; ``DashboardUnavailable`` when there is none."""
    audience = AUDIENCES[audience_name]
    where = describe_conninfo(conninfo)
    try:
        freshness = run_query(conninfo, audience, FRESHNESS_SQL)
    except DashboardError as exc:
        if exc.kind == "empty":
            raise DashboardUnavailable(f"the warehouse ({where}) is empty", "run `mission-platform demo` first") from None
        if exc.kind == "auth":
            raise DashboardUnavailable(
                f"the warehouse ({where}) asks a password for {audience.role}",
                f"set {audience.password_env} (or {DASHBOARD_URL_ENV})",
            ) from None
        if exc.kind == "unreachable":
            raise DashboardUnavailable(
                f"the warehouse ({where}) cannot be reached",
                "check MISSION_WAREHOUSE_URL / MISSION_DASHBOARD_URL and that the server runs",
            ) from None
        if exc.kind == "config":
            raise DashboardUnavailable(f"the warehouse database ({where}) does not exist",
                                       "check MISSION_WAREHOUSE_URL / MISSION_DASHBOARD_URL") from None
        # A relation missing or of an older shape: the app would show it page by page; the footer's relation is
        # the one every page needs.
        raise DashboardUnavailable(f"the warehouse ({where}) cannot be read as {audience.role}",
                                   "rerun `mission-platform materialize` to rebuild the reporting relations") from None
    if freshness.empty:
        raise DashboardUnavailable(f"the warehouse ({where}) has no published export", "run `mission-platform demo` first")
    return str(freshness["export_id"].iloc[0])


def streamlit_command(port: int, host: str) -> list[str]:
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.port", str(port),
        "--server.address", host,
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        # Pages show their own one-line messages; anything else stays in the server log.
        "--client.showErrorDetails", "none",
        "--client.toolbarMode", "viewer",
        "--server.fileWatcherType", "none",
        "--theme.base", "light",
    ]


def check_port(host: str, port: int) -> None:
    """``DashboardUnavailable`` when ``host:port`` cannot be listened on (in use, or not an address of this machine)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        with socket.socket(infos[0][0], socket.SOCK_STREAM) as probe:
            probe.bind(infos[0][4])
    except OSError as exc:
        raise DashboardUnavailable(f"cannot listen on {host}:{port} ({exc.strerror or exc})",
                                   "stop what uses that port or choose another with --port") from None


def serve(port: int = DEFAULT_PORT, host: str = DEFAULT_HOST, audience_name: str = "public") -> int:
    """Check the port and the warehouse, print the URL, run Streamlit until it stops; its exit code."""
    if audience_name not in AUDIENCES:
        raise DashboardUnavailable(f"unknown audience {audience_name!r}", f"choose one of {', '.join(AUDIENCES)}")
    check_port(host, port)
    audience = AUDIENCES[audience_name]
    try:
        conninfo = reader_conninfo(audience)  # starts and holds the embedded warehouse when there is no server
    except RuntimeError as exc:
        raise DashboardUnavailable(str(exc)) from None
    export_id = check_warehouse(conninfo, audience_name)
    shown_host = f"[{host}]" if ":" in host else host
    print(f"Dashboard on http://{shown_host}:{port} (export {export_id}, read as {audience.role} from "
          f"{describe_conninfo(conninfo)}; Ctrl+C stops it)", flush=True)
    env = {**os.environ, DASHBOARD_URL_ENV: conninfo, AUDIENCE_ENV: audience_name}
    return run_service(streamlit_command(port, host), env=env)
