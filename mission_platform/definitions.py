"""The one Definitions object: every asset, check, job, schedule, sensor and resource.

Resources are configured from the environment only (see README, Configuration); the
freshness policy, owner and layer tags are applied here to every asset, once.
"""

import dagster as dg

from mission_platform.anonymise.assets import anonymised_export
from mission_platform.anonymise.resources import anonymisation_resource_from_env
from mission_platform.forecast.assets import forecast
from mission_platform.layers import with_layer_settings
from mission_platform.lake_io import LakeParquetIOManager
from mission_platform.lake_layout import PARSED
from mission_platform.notion.assets import notion_export
from mission_platform.notion.sensors import notion_export_sensor
from mission_platform.operations.alerts import run_failure_alert
from mission_platform.operations.jobs import mission_platform_job
from mission_platform.operations.lifecycle import raw_retention
from mission_platform.operations.pool_claims import stale_pool_claims
from mission_platform.operations.schedules import weekly_refresh
from mission_platform.resources import lake_from_env
from mission_platform.warehouse.assets import (
    core_tables,
    rejected_rows,
    reporting_relations,
)
from mission_platform.warehouse.resources import (
    tariffs_resource_from_env,
    warehouse_from_env,
)


def resources_from_env() -> dict[str, object]:
    """Every resource, each field from its environment variable."""
    lake = lake_from_env()
    return {
        "lake": lake,
        "warehouse": warehouse_from_env(),
        "tariffs": tariffs_resource_from_env(),
        "anonymisation": anonymisation_resource_from_env(),
        "parsed_io_manager": LakeParquetIOManager(lake=lake, area=PARSED),
    }


defs = dg.Definitions(
    assets=with_layer_settings([
        notion_export,
        anonymised_export,
        core_tables,
        rejected_rows,
        forecast,
        reporting_relations,
    ]),
    jobs=[mission_platform_job],
    schedules=[weekly_refresh],
    sensors=[notion_export_sensor, run_failure_alert, stale_pool_claims, raw_retention],
    resources=resources_from_env(),
)
