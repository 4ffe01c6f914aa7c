"""Run stored training jobs: the glue between the run store and the training loop.

Whatever trains (a warm trainer of the pool, a Celery worker) goes through :class:`RunExecution`,
with an optional ``on_progress`` hook; the store stays the truth about the run either way.
"""
from __future__ import annotations

import os
import threading
import time
from functools import lru_cache
from typing import Callable, Iterable

from modeling.runs import HEARTBEAT_SECONDS, Run, RunStore
from modeling.training import EpochReport, TraceCache, Training

STORE_WRITE_INTERVAL = 0.1  # seconds between history writes and cancel checks: fast epochs are ~15 ms
FOLLOW_POLL_SECONDS = 0.05


class RunExecution:
    """A stored run being trained, one epoch per :meth:`advance`: the glue between the run store and
    :class:`modeling.training.Training`, shared by every process that trains (a trainer that
    interleaves several runs, or a Celery worker that trains one at a time).

    History goes to the store at most every STORE_WRITE_INTERVAL (and at the last epoch), a cancel
    request is read as often; any failure becomes the run's stated reason, never an exception.
    """

    def __init__(self, store: RunStore, run_id: str, on_progress: Callable[[EpochReport], None] | None = None,
                 cache: TraceCache | None = None) -> None:
        self.store, self.run_id, self.on_progress, self.cache = store, run_id, on_progress, cache
        self.training: Training | None = None
        self.prepared = None
        self.status: str | None = None  # set once the run has ended
        self._last_write = self._last_check = 0.0

    @property
    def done(self) -> bool:
        return self.status is not None

    @property
    def attained(self) -> float:
        """Seconds of training this run has had so far (a scheduler serves the least first)."""
        return sum(self.training.epoch_seconds) if self.training is not None else 0.0

    def start(self) -> "RunExecution":
        """Load the run's data and set up its network; a bad run ends here as failed."""
        from modeling.pipeline import prepare

        def begin() -> None:
            self.prepared = prepare(self.store.get(self.run_id).config)
            self.training = Training(self.prepared, self.store.get(self.run_id).config, self.cache)

        self._guard(begin)
        return self

    def advance(self) -> None:
        """Train one epoch, record it, and end the run when it is done or cancelled."""
        def epoch() -> None:
            report = self.training.run_epoch()
            now = time.monotonic()
            if now - self._last_write >= STORE_WRITE_INTERVAL or report.epoch == report.epochs:
                self._last_write = now
                self.store.record_epoch(self.run_id, report.history, report.elapsed)
            if self.on_progress is not None:
                self.on_progress(report)
            if not self.training.done and now - self._last_check >= STORE_WRITE_INTERVAL:
                self._last_check = now
                if self.store.cancel_requested(self.run_id):
                    self.training.stop()
            if self.training.done:
                self._finish()

        if not self.done:
            self._guard(epoch)

    def _finish(self) -> None:
        from modeling.pipeline import result_summary

        result = self.training.result()
        stopped = result.stopped or self.store.cancel_requested(self.run_id)
        self.store.finish(self.run_id, result_summary(self.prepared, result), result.model,
                          status="cancelled" if stopped else "finished")
        self.status = self.store.get(self.run_id).status

    def _guard(self, action: Callable[[], None]) -> None:
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - any failure becomes the run's stated reason
            self.store.fail(self.run_id, str(exc) if isinstance(exc, (ValueError, JobServiceUnavailable))
                            else f"{type(exc).__name__}: {exc}")
            self.status = self.store.get(self.run_id).status


class Heartbeat:
    """Renews, from a daemon thread, the heartbeat of the runs this process trains.

    A thread, so that the heartbeat goes on during a long epoch (TensorFlow releases the GIL);
    a process that dies or hangs stops beating, and its runs are failed by whoever looks.
    """

    def __init__(self, store: RunStore, run_ids: Callable[[], Iterable[str]],
                 every: float = HEARTBEAT_SECONDS) -> None:
        self.store, self.run_ids, self.every = store, run_ids, every
        self._stop = threading.Event()

    def __enter__(self) -> "Heartbeat":
        threading.Thread(target=self._beat, name="run-heartbeat", daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()

    def _beat(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.store.beat(list(self.run_ids()))
            except Exception:  # noqa: BLE001 - the database may be away for a moment; beat again later
                pass


def execute_run(store: RunStore, run_id: str, on_progress: Callable[[EpochReport], None] | None = None,
                cache: TraceCache | None = None, claimed: bool = False) -> str:
    """Train a queued run to its end and record it; returns the final status. Never raises for a bad run.

    ``claimed``: the caller already moved the run to running (a trainer's claim_next).
    """
    if not claimed and not store.mark_running(run_id, os.getpid()):
        return store.get(run_id).status
    with Heartbeat(store, lambda: [run_id]):
        execution = RunExecution(store, run_id, on_progress, cache).start()
        while not execution.done:
            execution.advance()
    return execution.status


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
