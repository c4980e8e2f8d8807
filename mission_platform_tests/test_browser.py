"""End to end in a real browser: the Dagster UI shows every layer and materialises one export.

The webserver runs as a subprocess on loopback with the pipeline's environment (a
local lake holding the example export, a fresh warehouse database); headless
Chromium opens the global asset lineage, then launches the job for the export's
partition from the job page with real clicks and watches the run page until the
run ends. Screenshots go to ``test-output/browser/`` at the repository root.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import psycopg
import pytest

from mission_platform.partitions import exports_partitions
from mission_platform_tests.browser_support import (
    FINAL_RUN_STATUSES,
    chromium,
    click,
    dagster_webserver,
    dismiss_community_dialog,
    log_tail,
    run_status,
    visible,
    wait_for,
    write_local_instance,
)
from mission_platform_tests.conftest import EXAMPLE_EXPORT, EXAMPLE_EXPORT_ID, copy_export

pytestmark = pytest.mark.browser

REPO_ROOT = Path(__file__).resolve().parents[1]
OUTPUT = REPO_ROOT / "test-output" / "browser"
JOB = "mission_platform_job"
GROUPS = ("notion", "anonymised", "warehouse", "private", "forecast", "reporting")
PAGE_TIMEOUT = 60.0
RUN_TIMEOUT = 300.0


def failure_summary(instance: dg.DagsterInstance, run_id: str) -> str:
    """Each failed step of a run with its error, for the assertion message."""
    lines = []
    for entry in instance.all_logs(run_id, of_type={dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.RUN_FAILURE}):
        event = entry.dagster_event
        error = event.step_failure_data.error if event.is_step_failure else None
        detail = error.to_string() if error else entry.message
        lines.append(f"[{event.step_key or 'run'}] {detail}")
    return "\n".join(lines) or "(no failure event recorded)"


def materialised_keys(instance: dg.DagsterInstance, run_id: str) -> dict[dg.AssetKey, str | None]:
    """Asset key -> partition of every materialisation recorded by a run."""
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION, limit=1000)
    return {
        record.event_log_entry.dagster_event.asset_key: record.event_log_entry.dagster_event.partition
        for record in records.records
    }


def evaluated_checks(instance: dg.DagsterInstance, run_id: str) -> set[dg.AssetCheckKey]:
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=1000)
    return {record.event_log_entry.dagster_event.event_specific_data.asset_check_key for record in records.records}


def test_the_ui_shows_every_layer_and_materialises_an_export(pipeline_env, tmp_path, monkeypatch):
    from mission_platform.definitions import defs

    shutil.rmtree(OUTPUT, ignore_errors=True)
    OUTPUT.mkdir(parents=True)
    home = tmp_path / "dagster_home"
    write_local_instance(home)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    # Every step in the run's own process: the multiprocess default starts a fresh Python that imports the
    # project for each of the 25 steps, which says nothing about the UI and took over 5 minutes on 2 busy cores.
    monkeypatch.setenv("MISSION_EXECUTOR", "in_process")
    copy_export(EXAMPLE_EXPORT, Path(pipeline_env["lake_url"]), EXAMPLE_EXPORT_ID)
    asset_graph = defs.resolve_asset_graph()
    expected = {
        key: EXAMPLE_EXPORT_ID if asset_graph.get(key).partitions_def else None
        for key in asset_graph.materializable_asset_keys
    }
    webserver_log = OUTPUT / "webserver.log"

    with dg.DagsterInstance.get() as instance:
        instance.add_dynamic_partitions(exports_partitions.name, [EXAMPLE_EXPORT_ID])
        with dagster_webserver(REPO_ROOT / "workspace.yaml", webserver_log) as base_url, chromium(
            tmp_path / "chromium-profile"
        ) as browser:
            try:
                # The global asset lineage shows one node per layer.
                browser.get(f"{base_url}/asset-groups")
                dismiss_community_dialog(browser)
                for group in GROUPS:
                    wait_for(
                        browser,
                        lambda d, g=group: visible(d, f"//*[local-name() = 'svg']//*[normalize-space(text()) = '{g}']"),
                        PAGE_TIMEOUT,
                        f"group {group!r} in the asset lineage graph",
                    )
                browser.save_screenshot(str(OUTPUT / "01-asset-lineage.png"))

                # Jobs -> the job -> Materialize all, for the export's partition.
                click(browser, "//a[normalize-space() = 'Jobs']", PAGE_TIMEOUT, "Jobs")
                click(browser, f"//a[normalize-space() = '{JOB}']", PAGE_TIMEOUT, f"the {JOB} link")
                click(browser, "//button[starts-with(normalize-space(), 'Materialize all')]", PAGE_TIMEOUT, "Materialize all")
                header = wait_for(
                    browser,
                    lambda d: visible(d, "//*[starts-with(normalize-space(text()), 'Launch runs to materialize')]"),
                    PAGE_TIMEOUT,
                    "the launch dialog",
                )[0]
                assert header.text.strip() == f"Launch runs to materialize {len(expected)} assets"
                click(browser, "//*[normalize-space(text()) = 'Select a partition or create one']", PAGE_TIMEOUT,
                      "the partition selector")
                click(browser, f"//div[@title = '{EXAMPLE_EXPORT_ID}']", PAGE_TIMEOUT, f"partition {EXAMPLE_EXPORT_ID}")
                click(browser, "//*[starts-with(normalize-space(text()), 'Launch runs to materialize')]", PAGE_TIMEOUT,
                      "the dialog's title (closes the partition list)")
                wait_for(
                    browser,
                    lambda d: visible(d, "//*[normalize-space(text()) = '1 partition']")
                    and not visible(d, "//input[@placeholder = 'Filter partitions']"),
                    PAGE_TIMEOUT,
                    "1 partition selected and the partition list closed",
                )
                browser.save_screenshot(str(OUTPUT / "02-launch-dialog.png"))
                click(browser, "//button[normalize-space() = 'Launch 1 run']", PAGE_TIMEOUT, "Launch 1 run")

                # The job page links its latest run: the one just launched.
                run = wait_for(
                    browser,
                    lambda _: next(iter(instance.get_runs(filters=dg.RunsFilter(job_name=JOB))), None),
                    PAGE_TIMEOUT,
                    "the launched run in the instance",
                )
                click(browser, f"//a[contains(@href, '/runs/{run.run_id}')]", PAGE_TIMEOUT, "the latest run link")
                wait_for(browser, lambda d: run_status(d), PAGE_TIMEOUT, "the run's status")
                browser.save_screenshot(str(OUTPUT / "03-run-page.png"))
                try:
                    status = wait_for(
                        browser,
                        lambda d: (s := run_status(d)) in FINAL_RUN_STATUSES and s,
                        RUN_TIMEOUT,
                        "the run's end",
                    )
                except TimeoutError as exc:
                    browser.save_screenshot(str(OUTPUT / "run-timeout.png"))
                    stored = instance.get_run_by_id(run.run_id)
                    raise AssertionError(
                        f"{exc}; the page shows {run_status(browser)!r}, the instance {stored.status.value}"
                    ) from None
                browser.save_screenshot(str(OUTPUT / "04-run-finished.png"))

                # The resources show which variable feeds each setting, never its value.
                browser.get(f"{base_url}/locations/mission_platform/resources/warehouse")
                wait_for(browser, lambda d: visible(d, "//*[contains(text(), 'MISSION_WAREHOUSE_URL')]"), PAGE_TIMEOUT,
                         "the warehouse resource's URL field, fed by MISSION_WAREHOUSE_URL")
                browser.save_screenshot(str(OUTPUT / "05-warehouse-resource.png"))
                assert pipeline_env["warehouse_url"].rsplit("/", 1)[1] not in browser.page_source
                browser.get(f"{base_url}/locations/mission_platform/resources/tariffs")
                wait_for(browser, lambda d: visible(d, "//*[contains(text(), 'OVERTIME_RATE')]"), PAGE_TIMEOUT,
                         "the tariffs resource's fields, fed by OVERTIME_RATE and the others")
                browser.save_screenshot(str(OUTPUT / "06-tariffs-resource.png"))

                # A reporting table's lineage names the tables its SELECT reads, not every core table.
                browser.get(f"{base_url}/assets/reporting/extras_candidats?view=lineage")
                for upstream in ("classement_extras", "missions_passees", "logiciel_extra"):
                    wait_for(browser, lambda d, u=upstream: visible(d, f"//*[normalize-space(text()) = '{u}']"),
                             PAGE_TIMEOUT, f"{upstream} in the lineage of reporting/extras_candidats")
                browser.save_screenshot(str(OUTPUT / "07-extras-candidats-lineage.png"))
                assert not visible(browser, "//*[normalize-space(text()) = 'hotel']"), "core.hotel is not read"
            except BaseException:
                browser.save_screenshot(str(OUTPUT / "failure.png"))
                raise

        stored = instance.get_run_by_id(run.run_id)
        assert status == "Success", (
            f"the run page shows {status!r}:\n{failure_summary(instance, run.run_id)}\n"
            f"webserver log:\n{log_tail(webserver_log)}"
        )
        assert stored.status == dg.DagsterRunStatus.SUCCESS
        assert stored.tags["dagster/partition"] == EXAMPLE_EXPORT_ID
        assert materialised_keys(instance, run.run_id) == expected
        assert evaluated_checks(instance, run.run_id) == asset_graph.asset_check_keys

    with psycopg.connect(pipeline_env["warehouse_url"]) as conn:
        loaded = conn.execute("SELECT count(*) FROM core.missions WHERE export_id = %s", (EXAMPLE_EXPORT_ID,)).fetchone()[0]
    assert loaded > 0
