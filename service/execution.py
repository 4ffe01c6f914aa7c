"""Train stored runs: the glue between the run store and the engine's training loop.

Whatever trains (a warm trainer of the pool, a Celery worker child) goes through
:class:`RunExecution`; progress, results and the model go to the store, which pages read.
"""
from __future__ import annotations

import os
import threading
import time
from functools import lru_cache
from typing import Callable, Iterable

from modeling.training import EpochReport, TraceCache, Training
from service.store import HEARTBEAT_SECONDS, RunStore

STORE_WRITE_INTERVAL = 0.1  # seconds between history writes and cancel checks: fast epochs are ~15 ms


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
            config = self.store.get(self.run_id).config
            self.prepared = prepare(config)
            self.training = Training(self.prepared, config, self.cache)

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
            self.store.fail(self.run_id, str(exc) if isinstance(exc, ValueError)
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


@lru_cache(maxsize=1)
def process_trace_cache() -> TraceCache:
    """This process's traced networks, for a long-lived process that trains one run at a time
    (a Celery worker child), warmed once after the fork."""
    return TraceCache()
