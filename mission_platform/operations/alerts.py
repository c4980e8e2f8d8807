"""A failed run is reported: to a webhook when MISSION_ALERT_WEBHOOK_URL is set, to the log otherwise."""


import dagster as dg
import requests

from mission_platform import settings
from mission_platform.retry import with_retries


def failure_message(context: dg.RunFailureSensorContext) -> dict[str, str]:
    run = context.dagster_run
    return {
        "text": f"mission_platform: run {run.run_id} of {run.job_name} failed"
        + (f" (export {run.tags['dagster/partition']})" if "dagster/partition" in run.tags else "")
        + f": {context.failure_event.message or 'see the run log'}",
        "run_id": run.run_id,
        "job": run.job_name,
    }


@dg.run_failure_sensor(
    name="run_failure_alert",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Posts failed runs to MISSION_ALERT_WEBHOOK_URL (JSON {text, run_id, job}); logs them when unset.",
)
def run_failure_alert(context: dg.RunFailureSensorContext) -> None:
    message = failure_message(context)
    url = settings.alert_webhook_url()
    if not url:
        context.log.error(message["text"])
        return

    def post() -> None:
        requests.post(url, json=message, timeout=10).raise_for_status()

    with_retries(post, f"posting the failure alert to {settings.describe_url(url)}")
