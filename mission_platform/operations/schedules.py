"""Monday 06:00 in Paris: refresh everything from the most recent export."""


import dagster as dg

from mission_platform.operations.jobs import mission_platform_job
from mission_platform.lake_layout import is_export_id
from mission_platform.partitions import exports_partitions


@dg.schedule(
    job=mission_platform_job,
    cron_schedule="0 6 * * 1",
    execution_timezone="Europe/Paris",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Weekly refresh for the most recent export known to the instance (by export_id).",
)
def weekly_refresh(context: dg.ScheduleEvaluationContext):
    # Only well-formed ids sort in time order.
    exports = sorted(p for p in context.instance.get_dynamic_partitions(exports_partitions.name) if is_export_id(p))
    if not exports:
        return dg.SkipReason("no export registered yet: drop one into raw/notion/ in the lake (the sensor registers it)")
    latest = exports[-1]
    # One run per export and week: the schedule never doubles a run it already made.
    return dg.RunRequest(run_key=f"weekly:{latest}:{context.scheduled_execution_time:%G-W%V}", partition_key=latest)
