"""The one job: the whole graph for one export partition.

The later layers are unpartitioned, so one run for an export refreshes
everything from its raw files to the reporting views.
"""

import dagster as dg

from mission_platform.executors import job_executor

mission_platform_job = dg.define_asset_job(
    name="mission_platform_job",
    selection=dg.AssetSelection.all(),
    description="Raw export -> anonymised frames -> warehouse -> weekly series and forecast -> reporting views.",
    executor_def=job_executor(),
)
