"""The classroom set-up's Celery side: a submitted run is trained by a worker, whoever watches it.

    celery -A service.tasks worker --concurrency N      (REDIS_URL and DATABASE_URL set)

The web server only sends ``train_run(run_id)`` (it never imports TensorFlow); each worker child
imports TensorFlow and traces the networks once, after the fork, and then trains run after run
warm. Progress and results go to the run store (PostgreSQL), never through Redis: a page reads
them from there, and a run goes on training if Redis is away for a while.

``acks_late`` with a prefetch of one: a worker takes the next run only when it has finished one,
and a run whose worker machine vanished before it started is delivered again. A worker child
killed mid-run stops beating; its run is failed within the heartbeat limit by whoever looks.

A student's click goes ahead of the runs of a sweep, scan or backtest (BATCH) already waiting in
Redis: each run is sent with a message priority (Redis keeps one list per priority and a free
worker reads the most urgent list first), so a click is the next run a worker takes.
"""
from __future__ import annotations

from functools import lru_cache

from celery import Celery
from celery.signals import worker_process_init

from service.settings import redis_url

TASK_NAME = "service.tasks.train_run"


def make_celery(url: str) -> Celery:
    """The Celery app: Redis as the broker only (the run store holds every result)."""
    celery = Celery("rnnlab", broker=url)
    celery.conf.update(
        task_acks_late=True, worker_prefetch_multiplier=1, task_ignore_result=True,
        worker_proc_alive_timeout=60,  # a child imports TensorFlow and traces before it takes a task
        broker_connection_retry_on_startup=True,
        broker_transport_options={"socket_timeout": 5, "socket_connect_timeout": 5},
        # a submit while Redis is down fails within seconds, with that reason, instead of hanging
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1})
    celery.task(name=TASK_NAME)(train_run)
    return celery


def train_run(run_id: str) -> str:
    """Train a queued run to its end in this worker child; returns its final status.

    A run cancelled while queued, or already taken (a message delivered twice), is not trained
    again: the store's queued -> running step lets only one process start it."""
    from service.execution import execute_run, process_trace_cache
    from service.settings import run_store

    return execute_run(run_store(), run_id, cache=process_trace_cache())


@worker_process_init.connect
def _warm_worker_child(**_: object) -> None:
    """In each worker child, after the fork: import TensorFlow and trace the networks."""
    from service.execution import process_trace_cache
    from service.trainer import warm_up

    warm_up(process_trace_cache())


@lru_cache(maxsize=1)
def _celery_for(url: str) -> Celery:
    return make_celery(url)


def send_run(run_id: str, priority: int | None = None) -> None:
    """Hand a queued run to the Celery workers (raises when the broker cannot be reached).

    ``priority``: the run's (store.INTERACTIVE or store.BATCH), read from the run store when not given."""
    if priority is None:
        from service.settings import run_store

        priority = run_store().get(run_id).priority
    _celery_for(redis_url()).send_task(TASK_NAME, args=[run_id], priority=message_priority(priority))


def message_priority(run_priority: int) -> int:
    """Redis' message priority of a run: 0 (read first) for a click, 9 for a batch run."""
    from service.store import INTERACTIVE

    return 0 if run_priority <= INTERACTIVE else 9


# `celery -A service.tasks worker` looks for this module's Celery app.
celery_app = _celery_for(redis_url()) if redis_url() else None
