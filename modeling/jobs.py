"""Run one stored training job: the glue between the run store and the training loop.

Whatever executes jobs (a Dash background process, a Celery worker) calls :func:`execute_run`
with an optional ``on_progress`` hook; the store stays the truth about the run either way.
"""
from __future__ import annotations

import os
import time
from typing import Callable

from modeling.runs import RunStore
from modeling.training import EpochReport

STORE_WRITE_INTERVAL = 0.25  # seconds between history writes and cancel checks: fast epochs are ~15 ms


def execute_run(store: RunStore, run_id: str, on_progress: Callable[[EpochReport], None] | None = None,
                data_path: str | None = None) -> str:
    """Train a queued run and record it; returns the final status. Never raises for a bad run."""
    from modeling.pipeline import prepare, result_summary

    if not store.mark_running(run_id, os.getpid()):
        return store.get(run_id).status
    run = store.get(run_id)
    last_write = [0.0]

    def on_epoch_end(report: EpochReport) -> None:
        now = time.monotonic()
        if now - last_write[0] >= STORE_WRITE_INTERVAL or report.epoch == report.epochs:
            last_write[0] = now
            store.record_epoch(run_id, report.history, report.elapsed)
        if on_progress is not None:
            on_progress(report)

    last_check = [0.0]

    def should_stop() -> bool:
        now = time.monotonic()
        if now - last_check[0] < STORE_WRITE_INTERVAL:
            return False
        last_check[0] = now
        return store.cancel_requested(run_id)

    try:
        prepared = prepare(run.config, data_path)
        from modeling.training import train

        result = train(prepared, run.config, on_epoch_end=on_epoch_end, should_stop=should_stop)
        stopped = result.stopped or store.cancel_requested(run_id)
        store.finish(run_id, result_summary(prepared, result), result.model,
                     status="cancelled" if stopped else "finished")
    except Exception as exc:  # noqa: BLE001 - any failure becomes the run's stated reason
        store.fail(run_id, f"{type(exc).__name__}: {exc}" if not isinstance(exc, ValueError) else str(exc))
    return store.get(run_id).status
