"""The run service's settings, read from the environment in one place.

Every process that works for the app (a web worker, a trainer, a Celery worker on another
machine) reads the same variables, so none needs an object from another.
"""
from __future__ import annotations

import hmac
import os

from modeling.settings import data_dir
from service.store import RunStore

TRAINERS_ENV = "RNNLAB_TRAINERS"
RUNS_PER_TRAINER_ENV = "RNNLAB_RUNS_PER_TRAINER"
HEARTBEAT_LIMIT_ENV = "RNNLAB_HEARTBEAT_LIMIT"
SECRET_KEY_ENV = "RNNLAB_SECRET_KEY"
DEFAULT_RUNS_PER_TRAINER = 12
DEFAULT_HEARTBEAT_LIMIT = 30.0
REDIS_ENV = "REDIS_URL"
INSTRUCTOR_KEY_ENV = "RNNLAB_INSTRUCTOR_KEY"


def run_store() -> RunStore:
    """The run store of this app (DATABASE_URL, else the data dir's SQLite file; cheap after the first)."""
    return RunStore(data_dir())


def redis_url() -> str | None:
    """Set: runs are trained by Celery workers through Redis (the classroom). Unset: the embedded set-up."""
    return os.environ.get(REDIS_ENV) or None


def trainer_count() -> int:
    """How many warm training processes the embedded set-up keeps (default: one per core)."""
    return _whole_number(TRAINERS_ENV, os.cpu_count() or 1)


def runs_per_trainer() -> int:
    """How many runs one training process interleaves, an epoch each in turn (default 12)."""
    return _whole_number(RUNS_PER_TRAINER_ENV, DEFAULT_RUNS_PER_TRAINER)


def heartbeat_limit() -> float:
    """Seconds without a heartbeat after which a running run is failed (default 30; tests shorten it)."""
    value = os.environ.get(HEARTBEAT_LIMIT_ENV)
    if not value:
        return DEFAULT_HEARTBEAT_LIMIT
    try:
        limit = float(value)
    except ValueError:
        raise ValueError(f"{HEARTBEAT_LIMIT_ENV} must be a number of seconds; got {value!r}") from None
    if not limit > 0:
        raise ValueError(f"{HEARTBEAT_LIMIT_ENV} must be more than 0 seconds; got {value!r}")
    return limit


def secret_key() -> bytes:
    """The key that signs the session cookie: RNNLAB_SECRET_KEY when several servers share a class
    (each must accept the others' cookies), else a random key kept in the data dir."""
    if value := os.environ.get(SECRET_KEY_ENV):
        return value.encode()
    path = data_dir() / "session.key"
    if not path.exists():
        path.write_bytes(os.urandom(32))
        path.chmod(0o600)
    return path.read_bytes()


def instructor_key_configured() -> bool:
    """True when RNNLAB_INSTRUCTOR_KEY is set: without it the class view has no instructor features."""
    return bool(os.environ.get(INSTRUCTOR_KEY_ENV))


def instructor_key_matches(candidate: object) -> bool:
    """Is ``candidate`` the instructor key? Compared in constant time; always False when no key is set
    (an empty key never unlocks anything) or the candidate is not text."""
    key = os.environ.get(INSTRUCTOR_KEY_ENV)
    if not key or not isinstance(candidate, str) or not candidate:
        return False
    return hmac.compare_digest(candidate.encode("utf-8"), key.encode("utf-8"))


def _whole_number(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value:
        try:
            return max(1, int(value))
        except ValueError:
            raise ValueError(f"{name} must be a whole number; got {value!r}") from None
    return default


RUN_STORE_UNAVAILABLE = ("The run store (database) is unavailable: runs cannot be started or followed until it "
                         "is back (finished runs are kept in it).")
JOB_SERVICE_UNAVAILABLE = ("The job service (Redis) is unavailable: new runs cannot start until it is back "
                           "(runs already training go on).")


def run_store_problem() -> str | None:
    """None when the run store answers; otherwise what is wrong, in words for the page."""
    import sqlalchemy as sa

    try:
        reachable = run_store().reachable()
    except sa.exc.DBAPIError:  # the first open of a store in this process could not even connect
        reachable = False
    return None if reachable else RUN_STORE_UNAVAILABLE


def job_service_problem() -> str | None:
    """None when runs can be queued; otherwise what is wrong, in words for the page.

    Only the classroom set-up depends on a service of its own (Redis); the embedded one trains
    on this machine.
    """
    url = redis_url()
    if url is None:
        return None
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5).ping()
    except (redis.exceptions.RedisError, OSError):
        return JOB_SERVICE_UNAVAILABLE
    return None
