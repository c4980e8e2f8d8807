"""Dagster's own commands from the root of a fresh clone, with no environment, and with `.env.example` copied to `.env`.

The clone is the repository's tracked files copied into a temporary folder (the installed package is this
worktree's, in editable mode); the environment holds only PATH and HOME.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from mission_platform_tests.conftest import EXAMPLE_EXPORT, EXAMPLE_EXPORT_ID, copy_export, free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.fixture(params=["no .env", ".env.example copied"])
def clone(request) -> Path:
    # Others must be able to enter it: as root, the embedded PostgreSQL runs as an unprivileged user.
    folder = Path(tempfile.mkdtemp(prefix="mp-clone-"))
    folder.chmod(0o755)
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in filter(None, files.split("\0")):
        if (ROOT / name).is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / name, folder / name)
    if request.param != "no .env":
        shutil.copy(folder / ".env.example", folder / ".env")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def clean_env(folder: Path, **extra: str) -> dict[str, str]:
    return {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(folder), **extra}


def run(command: list[str], folder: Path, timeout: float = 300, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=folder, env=clean_env(folder, **extra), capture_output=True, text=True,
                          timeout=timeout)


def test_definitions_validate_and_dg_check_from_the_root(clone):
    assert not (clone / "dagster.yaml").exists()  # the production instance lives in deploy/
    validate = run(["dagster", "definitions", "validate", "-w", "workspace.yaml"], clone)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    assert "All code locations passed validation" in validate.stderr + validate.stdout
    check = run(["dg", "check", "defs"], clone)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "All definitions loaded successfully" in check.stdout + check.stderr


def graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]


LOCATION = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus locationOrLoadError { " \
           "__typename ... on PythonError { message } } } } } }"
RESOURCES = '{ allTopLevelResourceDetailsOrError(repositorySelector: {repositoryLocationName: "mission_platform", ' \
            'repositoryName: "__repository__"}) { ... on ResourceDetailsList { results { name configuredValues { key value } } } } }'


def test_dagster_dev_serves_the_code_location_on_the_embedded_defaults(clone):
    port = free_port()
    proc = subprocess.Popen(["dagster", "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
                            cwd=clone, env=clean_env(clone), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: [lines.append(line) for line in proc.stdout], daemon=True)
    reader.start()
    try:
        wait_for_port(port, timeout=180)
        for _ in range(90):  # the code location loads in the background
            entries = graphql(port, LOCATION)["workspaceOrError"]["locationEntries"]
            if entries and entries[0]["loadStatus"] == "LOADED":
                break
            time.sleep(2)
        assert [e["name"] for e in entries] == ["mission_platform"]
        assert entries[0]["locationOrLoadError"]["__typename"] == "RepositoryLocation", entries
        resources = {r["name"]: {v["key"]: json.loads(v["value"]) for v in r["configuredValues"]}
                     for r in graphql(port, RESOURCES)["allTopLevelResourceDetailsOrError"]["results"]}
    finally:
        serving = len(lines)   # what it printed while it served; the stop may race the daemon against the code server
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        reader.join(timeout=10)
    # The command line's defaults: the local lake and the embedded warehouse under ./data.
    assert resources["lake"]["url"] == str(clone / "data" / "lake")
    assert resources["warehouse"]["url"] is None and resources["warehouse"]["embedded_dir"] == str(clone / "data" / "warehouse")
    assert "Traceback" not in "".join(lines[:serving])
    assert "DAGSTER_PG_URL" not in "".join(lines)


@pytest.mark.postgres  # the embedded one
def test_the_readme_commands_run_as_written(clone):
    copy_export(EXAMPLE_EXPORT, clone / "data" / "lake", EXAMPLE_EXPORT_ID)
    env = {"ANONYMISATION_KEY": "test-anonymisation-key-0123456789abcdef"}
    materialize = run([str(BIN / "mission-platform"), "materialize", "--select", "group:notion or group:anonymised"], clone, **env)
    assert materialize.returncode == 0, materialize.stdout + materialize.stderr
    assert "materialised notion_missions (13 rows)" in materialize.stdout
    assert " - dagster - " not in materialize.stdout + materialize.stderr  # no Dagster log line by default
    verbose = run([str(BIN / "mission-platform"), "materialize", "--select", "key:missions+", "--verbose"], clone, **env)
    assert verbose.returncode == 0, verbose.stdout + verbose.stderr
    assert "the selection also takes extra, hotel, logiciel, logiciel_extra" in verbose.stdout
    assert "materialised reporting/predictions" in verbose.stdout
    assert "DagsterInvalidSubsetError" not in verbose.stderr and "STEP_START" in verbose.stderr  # --verbose: the event log
    # README, "Reruns and backfills": Dagster's own backfill command on the command line's instance.
    backfill = run(["dagster", "job", "backfill", "-w", "workspace.yaml", "-j", "mission_platform_job",
                    "--partitions", EXAMPLE_EXPORT_ID, "--noprompt"], clone,
                   DAGSTER_HOME=str(clone / "data" / "dagster"), **env)
    assert backfill.returncode == 0, backfill.stdout + backfill.stderr
    assert "Launched backfill job" in backfill.stdout
