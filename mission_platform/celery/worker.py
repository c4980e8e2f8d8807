"""The Celery app the workers run: ``celery -A mission_platform.celery.worker worker``.

It reads the same environment as the runs (``MISSION_CELERY_BROKER``,
``MISSION_CELERY_BACKEND``, ``MISSION_CELERY_QUEUE``, ``MISSION_CELERY_STEP_TIMEOUT``,
see executor.py), so workers and runs always agree on the broker, the queue
and the task options (late acknowledgement above all, which only the worker
side applies). The worker also needs the pipeline's own environment:
``MISSION_LAKE_URL``, ``MISSION_WAREHOUSE_URL``, ``ANONYMISATION_KEY``, the
tariffs, and ``DAGSTER_HOME`` with the production deploy/dagster.yaml and
``DAGSTER_PG_URL``: it writes its steps' events into the instance.
"""

from dagster_celery.tasks import create_task

# Loaded once in the worker's main process: its pool processes fork with the code already imported,
# so no step pays for importing it (seconds per pool process otherwise).
import mission_platform.definitions  # noqa: F401
from mission_platform.celery.executor import celery_worker_app

app = celery_worker_app()

# The one task dagster-celery's executor sends: run one step of a run.
execute_plan = create_task(app)
