"""Running steps on Celery workers: the bounded executor (executor.py) and the workers' app (worker.py)."""
