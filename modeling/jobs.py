"""Run one stored training job: the glue between the run store and the training loop.

Whatever executes jobs (a Dash background process, a Celery worker) calls :func:`execute_run`
with an optional ``on_progress`` hook; the store stays the truth about the run either way.
"""
from __future__ import annotations

import os
import time
from functools import lru_cache
from typing import Callable

from modeling.runs import Run, RunStore
from modeling.training import EpochReport, TraceCache

STORE_WRITE_INTERVAL = 0.1  # seconds between history writes and cancel checks: fast epochs are ~15 ms
FOLLOW_POLL_SECONDS = 0.05


def execute_run(store: RunStore, run_id: str, on_progress: Callable[[EpochReport], None] | None = None,
                cache: TraceCache | None = None, claimed: bool = False) -> str:
    """Train a queued run and record it; returns the final status. Never raises for a bad run.

    ``claimed``: the caller already moved the run to running (a worker's claim_next).
    """
    from modeling.pipeline import prepare, result_summary

    if not claimed and not store.mark_running(run_id, os.getpid()):
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
        prepared = prepare(run.config)
        from modeling.training import train

        result = train(prepared, run.config, on_epoch_end=on_epoch_end, should_stop=should_stop, cache=cache)
        stopped = result.stopped or store.cancel_requested(run_id)
        store.finish(run_id, result_summary(prepared, result), result.model,
                     status="cancelled" if stopped else "finished")
    except Exception as exc:  # noqa: BLE001 - any failure becomes the run's stated reason
        store.fail(run_id, str(exc) if isinstance(exc, (ValueError, JobServiceUnavailable))
                   else f"{type(exc).__name__}: {exc}")
    return store.get(run_id).status


def follow_run(store: RunStore, run_id: str, on_update: Callable[[Run, int], None],
               poll_seconds: float = FOLLOW_POLL_SECONDS) -> str:
    """Wait for a run that another process trains, calling ``on_update(run, queue_position)``
    whenever its status, queue position or history changes; returns the final status."""
    seen = None
    while True:
        run = store.get(run_id)
        position = store.queue_position(run_id) if run.status == "queued" else 0
        state = (run.status, position, run.epochs_done)
        if state != seen:
            seen = state
            on_update(run, position)
        if not run.active:
            return run.status
        time.sleep(poll_seconds)


def progress_payload(run: Run, position: int = 0) -> dict:
    """What the browser gets while a run goes on: always the whole history so far (Dash keeps
    only the latest progress value, so any intermediate one may be dropped)."""
    return {"run_id": run.id, "status": run.status, "position": position, "epoch": run.epochs_done,
            "epochs": run.config.epochs, "elapsed": run.elapsed or 0.0, "history": run.history}


@lru_cache(maxsize=1)
def process_trace_cache() -> TraceCache:
    """This process's traced networks, for a long-lived process that trains in place (a Celery worker)."""
    return TraceCache()


def run_job(store: RunStore, run_id: str, on_update: Callable[[dict], None], in_process: bool) -> str:
    """Carry a queued run to its end for a background callback and report progress payloads.

    ``in_process``: train here (a Celery worker child, warm after its first run); otherwise the
    run is trained by the trainer pool and this process follows it in the store.
    """
    if not in_process:
        return follow_run(store, run_id, lambda run, position: on_update(progress_payload(run, position)))

    def on_progress(report: EpochReport) -> None:
        try:
            on_update({"run_id": run_id, "status": "running", "position": 0, "epoch": report.epoch,
                       "epochs": report.epochs, "elapsed": report.elapsed, "history": report.history})
        except Exception as exc:  # noqa: BLE001 - the progress channel is the job service itself
            raise JobServiceUnavailable(
                f"the job service became unavailable during training ({type(exc).__name__})") from exc

    return execute_run(store, run_id, on_progress=on_progress, cache=process_trace_cache())


class JobServiceUnavailable(RuntimeError):
    """The broker / result backend (Redis) could not be reached from a job."""
