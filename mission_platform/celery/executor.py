"""Dagster's Celery executor (dagster-celery) with every step bounded in time, and the workers' side of it.

A step on Celery is bounded in time (``MISSION_CELERY_STEP_TIMEOUT`` seconds
from its submission, default 1200):

- the worker kills a step that runs past it (Celery's hard time limit);
- a worker that dies takes no message with it (late acknowledgement): the
  broker hands the step to another worker, which runs it again;
- a step message still queued when the time is up expires and is dropped, so
  a failed run never publishes later;
- the run gives up waiting for a step whose worker is gone for good (no
  result ever comes back), revokes it, and fails the step
  instead of waiting forever.

Written against dagster-celery ``DAGSTER_CELERY_VERSION``; it relies on these of its internals, which a
new release may change (mission_platform_tests/test_celery.py fails when the installed version differs,
so they are read again before the pin moves):

- ``dagster_celery.executor.CeleryExecutor``: subclassed; its ``__init__`` keywords (broker, backend,
  include, config_source, retries), ``for_cli`` and ``app_args``, and ``log_failure_or_retry_event_after_error``
  inherited from Dagster's executor base;
- ``dagster_celery.executor._submit_task(app, plan_context, step, queue, priority, known_state)``, private;
- ``dagster_celery.executor.CELERY_CONFIG``: the executor's config schema, extended here;
- ``dagster_celery.core_execution_loop.core_celery_execution_loop(plan_context, execution_plan,
  step_execution_fn)``: polls each submitted result's ``ready()``, ``get()`` and ``revoke()``;
- ``dagster_celery.make_app.make_app`` and ``dagster_celery.tasks.create_task`` (the workers' app, worker.py);
- the task name ``execute_plan`` (in ``task_annotations``).
"""

from __future__ import annotations

import sys
import time

import dagster as dg

from mission_platform import settings

DAGSTER_CELERY_VERSION = "0.29.27"


def celery_task_options(queue: str, step_timeout: int) -> dict:
    """Celery settings (``config_source``): the steps' queue, and a lost or stuck step ends within ``step_timeout``."""
    return {
        "task_default_queue": queue,
        # Acknowledge a step's message only once it has run: the broker redelivers it if the worker dies.
        "task_acks_late": True,
        # Sent with each message: the worker kills the step's process past this.
        "task_time_limit": step_timeout,
        # A message not started before this (e.g. redelivered after its run gave up) is dropped, not run.
        "task_annotations": {"execute_plan": {"expires": step_timeout}},
        "worker_prefetch_multiplier": 1,
    }


class _BoundedStepResult:
    """A step's Celery result, as dagster-celery's execution loop polls it, with two changes.

    - Once the step's time is up, it is ready: dagster-celery would wait for a
      result lost with its worker for ever (and hold the run's pool slots).
    - A task that failed without Dagster events (timed out, worker lost) gives
      the step's failure, as the
      multiprocess executor does for a crashed step process. Raised instead,
      dagster-celery stops launching steps but waits for the steps still
      pending, which never come: the run would hang.
    """

    def __init__(self, result, executor, plan_context, step, known_state):
        self._result = result
        self._executor = executor
        self._plan_context = plan_context
        self._step = step
        self._known_state = known_state
        self._deadline = time.monotonic() + executor.step_timeout

    def ready(self) -> bool:
        return self._result.ready() or time.monotonic() >= self._deadline

    def get(self) -> list:
        from celery.exceptions import TaskRevokedError
        from dagster._serdes import serialize_value
        from dagster._utils.error import SerializableErrorInfo, serializable_error_info_from_exc_info

        if self._result.ready():
            try:
                return self._result.get()
            except TaskRevokedError:
                raise  # dagster-celery reports it and abandons the step
            except Exception:  # noqa: BLE001 - whatever failed the task fails (or retries) the step
                error = serializable_error_info_from_exc_info(sys.exc_info())
        else:
            # Stop a copy that may still run somewhere, so a given-up step never publishes later.
            self._result.revoke(terminate=True, signal="SIGKILL")
            error = SerializableErrorInfo(
                message=f'step "{self._step.key}" gave no result within {self._executor.step_timeout} s of being sent '
                "to Celery (MISSION_CELERY_STEP_TIMEOUT): its worker was lost and no other worker took it over, "
                "or it ran too long\n",
                stack=[],
                cls_name="StepTimeout",
            )
        event = self._executor.log_failure_or_retry_event_after_error(
            self._plan_context.for_step(self._step), error, self._known_state
        )
        return [serialize_value(event)]

    def revoke(self) -> None:
        self._result.revoke()


def _bounded_celery_executor_class():
    # dagster-celery is an optional extra: imported only when the Celery executor is chosen.
    from dagster_celery.core_execution_loop import core_celery_execution_loop
    from dagster_celery.executor import CeleryExecutor, _submit_task

    class BoundedCeleryExecutor(CeleryExecutor):
        """dagster-celery's executor, with each step bounded by ``step_timeout`` seconds (see _BoundedStepResult)."""

        def __init__(self, step_timeout: int, **kwargs):
            super().__init__(**kwargs)
            self.step_timeout = step_timeout

        def execute(self, plan_context, execution_plan):
            def submit(app, context, step, queue, priority, known_state):
                result = _submit_task(app, context, step, queue, priority, known_state)
                return _BoundedStepResult(result, self, context, step, known_state)

            return core_celery_execution_loop(plan_context, execution_plan, step_execution_fn=submit)

    return BoundedCeleryExecutor


def _build_celery_executor(config: dict):
    from dagster._core.execution.retries import RetryMode

    step_timeout = config["step_timeout_seconds"]
    return _bounded_celery_executor_class()(
        step_timeout=step_timeout,
        broker=config.get("broker"),
        backend=config.get("backend"),
        include=config.get("include"),
        config_source={**celery_task_options(config["queue"], step_timeout), **(config.get("config_source") or {})},
        retries=RetryMode.from_config(config["retries"]),
    )


def celery_executor_definition() -> dg.ExecutorDefinition:
    """dagster-celery's ``celery`` executor, with its own config plus ``step_timeout_seconds``."""
    from dagster_celery.executor import CELERY_CONFIG

    @dg.executor(
        name="celery",
        config_schema={
            **CELERY_CONFIG,
            "step_timeout_seconds": dg.Field(
                dg.IntSource,
                default_value=settings.DEFAULT_STEP_TIMEOUT,
                description="A step must give its result within this many seconds of being sent to Celery.",
            ),
            "queue": dg.Field(
                dg.StringSource,
                default_value=settings.DEFAULT_CELERY_QUEUE,
                description="The Celery queue the steps go to; workers consume it (MISSION_CELERY_QUEUE on their side).",
            ),
        },
        requirements=dg.multiple_process_executor_requirements(),
    )
    def celery(init_context: dg.InitExecutorContext):
        return _build_celery_executor(init_context.executor_config)

    return celery


def celery_executor_from_env() -> dg.ExecutorDefinition:
    config = settings.celery()
    return celery_executor_definition().configured(
        {
            # Resolved from the environment in each process: the broker URL may hold a password.
            "broker": {"env": "MISSION_CELERY_BROKER"},
            "backend": {"env": "MISSION_CELERY_BACKEND"} if settings.raw("MISSION_CELERY_BACKEND") else config.backend,
            "step_timeout_seconds": config.step_timeout,
            "queue": config.queue,
        }
    )


def celery_worker_app():
    """The Celery app for workers, configured as the runs' executor is (see worker.py)."""
    from dagster_celery.executor import CeleryExecutor
    from dagster_celery.make_app import make_app
    from kombu import Exchange, Queue

    config = settings.celery()
    executor = CeleryExecutor.for_cli(
        broker=config.broker, backend=config.backend,
        config_source=celery_task_options(config.queue, config.step_timeout),
    )
    app = make_app(executor.app_args())
    if config.queue != settings.DEFAULT_CELERY_QUEUE:
        # Consume only this queue, declared as the run's side declares a queue it does not know (Celery's
        # missing-queue defaults, with make_app's priorities): RabbitMQ refuses a queue redeclared differently.
        app.conf.task_queues = [Queue(config.queue, Exchange(config.queue, type="direct"), routing_key=config.queue)]
    return app
