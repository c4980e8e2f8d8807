"""The lifecycle of personal data in the lake: after a successful run, exports past the retention period go."""

import dagster as dg

from mission_platform import settings
from mission_platform.operations.jobs import mission_platform_job
from mission_platform.resources import LakeResource
from mission_platform.retention import apply_retention


@dg.run_status_sensor(
    name="raw_retention",
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[mission_platform_job],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After a successful run, deletes the raw and parsed exports older than MISSION_RAW_RETENTION_DAYS "
    "before the newest export (unset: keeps everything); anonymised exports are kept.",
)
def raw_retention(context: dg.RunStatusSensorContext, lake: LakeResource) -> None:
    apply_retention(lake, settings.raw_retention_days(), log=context.log.info)
