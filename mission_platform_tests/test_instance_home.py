"""The local instance is created once and whole, whoever comes first."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from mission_platform.instance_home import LOCAL_INSTANCE_YAML, prepare

# A process that prepares the home, then runs a job in it: what every command does first.
RUN = textwrap.dedent("""
    import sys
    from pathlib import Path
    import dagster as dg
    from mission_platform.instance_home import prepare

    prepare(Path(sys.argv[1]))

    @dg.op
    def hello():
        return 1

    @dg.job
    def tiny():
        hello()

    with dg.DagsterInstance.get() as instance:
        assert tiny.execute_in_process(instance=instance).success
""")


def test_first_runs_started_together_on_an_empty_home_all_succeed(tmp_path):
    for attempt in range(3):
        home = tmp_path / f"home{attempt}"
        processes = [subprocess.Popen([sys.executable, "-c", RUN, str(home)], stderr=subprocess.PIPE, text=True)
                     for _ in range(3)]
        errors = [p.communicate(timeout=300)[1] for p in processes]
        assert [p.returncode for p in processes] == [0, 0, 0], "\n".join(errors)[-3000:]
        assert (home / "dagster.yaml").read_text() == LOCAL_INSTANCE_YAML


def test_an_empty_configuration_left_by_a_full_disk_is_rewritten(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    (tmp_path / "dagster.yaml").write_text("")
    prepare(tmp_path)
    assert "default_limit: 1" in (tmp_path / "dagster.yaml").read_text()
    assert not [p for p in Path(tmp_path).iterdir() if p.name.endswith(".tmp")]
