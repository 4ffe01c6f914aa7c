"""Where the app keeps its state: the data dir (run store, job cache, uploads, model files).

Read from the environment so that every process that works for the app (the web server, a
forked job, a Celery worker on another machine) finds the same place without shared objects.
"""
from __future__ import annotations

import os
from pathlib import Path

from modeling.data import PROJECT_ROOT
from modeling.runs import RunStore

DATA_DIR_ENV = "RNNLAB_DATA_DIR"
DEFAULT_DATA_DIR = PROJECT_ROOT / "var"


def data_dir() -> Path:
    path = Path(os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def run_store() -> RunStore:
    """The run store of this app's data dir (cheap: a path and a schema check)."""
    return RunStore(data_dir())


TRAINERS_ENV = "RNNLAB_TRAINERS"
RUNS_PER_TRAINER_ENV = "RNNLAB_RUNS_PER_TRAINER"
DEFAULT_RUNS_PER_TRAINER = 12
REDIS_ENV = "REDIS_URL"


def redis_url() -> str | None:
    """Set: background jobs run on Celery workers through Redis. Unset: the embedded set-up."""
    return os.environ.get(REDIS_ENV) or None


def trains_in_job_process() -> bool:
    """Celery workers train in the job itself; the embedded set-up hands runs to the trainer pool."""
    return redis_url() is not None


def trainer_count() -> int:
    """How many warm training processes the embedded set-up keeps (default: one per core)."""
    return _whole_number(TRAINERS_ENV, os.cpu_count() or 1)


def runs_per_trainer() -> int:
    """How many runs one training process interleaves, an epoch each in turn (default 12)."""
    return _whole_number(RUNS_PER_TRAINER_ENV, DEFAULT_RUNS_PER_TRAINER)


def _whole_number(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value:
        try:
            return max(1, int(value))
        except ValueError:
            raise ValueError(f"{name} must be a whole number; got {value!r}") from None
    return default


def job_service_problem() -> str | None:
    """None when background jobs can run; otherwise what is wrong, in words for the page.

    Only the Celery set-up depends on a service (Redis); the embedded one runs in this machine.
    """
    url = redis_url()
    if url is None:
        return None
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5).ping()
    except (redis.exceptions.RedisError, OSError):
        return ("The job service (Redis) is unavailable: new runs cannot start and running ones cannot "
                "report progress until it is back.")
    return None
