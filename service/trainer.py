"""A long-lived training process: TensorFlow imported once, traced epochs kept, queued runs trained.

    python -m service.trainer --data-dir var

In the embedded set-up the web server (one web worker, under gunicorn) starts a few of these (see
:class:`service.pool.TrainerPool`) instead of importing TensorFlow in a fresh process per click. Each has traced the three networks' training functions
before the first click, and these serve every setting, so any run shows its first loss point in a
fraction of a second.

Runs are taken from the run store in the order they were queued, a student's click before the
runs of a sweep, scan or backtest (BATCH), and a trainer interleaves the epochs of up to
``runs_per_trainer()`` runs (RNNLAB_RUNS_PER_TRAINER, default 12), always serving next the one
that has had the least training time: a new run's first epoch comes at once, and a long run does
not hold up a queue of short ones. A busy trainer leaves a new run a moment (CLAIM_DELAY_PER_RUN
for each click it holds) to a less busy one, so that the runs spread over the trainers.

A click is never held up by batch runs: a trainer holds at most BATCH_RUNS_PER_TRAINER of them
at a time (the others wait in the queue), so it always has room to take a click at once, and it
serves its clicks' epochs before any batch run's (batch runs get what clicks leave). For the
first seconds of a click on another trainer of this machine, a trainer with no click of its own
pauses its batch run, so that the click, the web server and the browser have the cores. A
scan of hundreds of tickers thus keeps every core busy, and still a click's first loss point
comes nearly as fast as with no scan.
"""
from __future__ import annotations

import argparse
import os
import socket
import sys
import time
from pathlib import Path
from typing import Sequence

from service.execution import Heartbeat, RunExecution
from service.store import BATCH, INTERACTIVE, RunStore
from service.settings import runs_per_trainer

IDLE_POLL_SECONDS = 0.02
CLAIM_DELAY_PER_RUN = 0.05
BATCH_RUNS_PER_TRAINER = 1  # one at a time: as fast for a scan as several interleaved, and frees its results early
CLICK_CHECK_SECONDS = 0.05  # how often a trainer with a batch run looks for clicks training elsewhere
CLICK_PAUSE_SECONDS = 5.0  # batch work pauses for a click's first seconds, not for all of a long one


def warm_up(cache) -> None:
    """Import TensorFlow, load the bundled data and trace every network before the first click."""
    from modeling.data import DATASETS, dataset_path, load_prices

    for dataset in DATASETS:
        load_prices(dataset_path(dataset))
    cache.warm_up()


def ready_dir(data_dir: str) -> Path:
    return Path(data_dir) / "trainers"


def mark_ready(data_dir: str) -> None:
    """Say (to supervisors, tests, benchmarks) that this process is warm and takes runs."""
    folder = ready_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{os.getpid()}.ready").touch()


def serve(data_dir: str, parent_pid: int | None = None, warm: bool = True, max_runs: int | None = None) -> int:
    """Train queued runs, interleaved, until the parent process is gone (or max_runs have ended)."""
    from modeling.training import TraceCache

    store = RunStore(data_dir)
    capacity = runs_per_trainer()
    cache = TraceCache()
    if warm:
        warm_up(cache)
    mark_ready(data_dir)
    active: list[RunExecution] = []
    priority: dict[str, int] = {}  # of the runs in ``active``
    clicks = ClicksElsewhere(store, os.getpid())
    ended = 0
    with Heartbeat(store, lambda: [execution.run_id for execution in active]):
        while max_runs is None or ended < max_runs:
            if parent_pid is not None and os.getppid() != parent_pid:
                return 0  # the web server is gone: so is this process's reason to live
            if len(active) < capacity and (max_runs is None or ended + len(active) < max_runs):
                batch = sum(priority[e.run_id] >= BATCH for e in active)
                run_id = store.claim_next(os.getpid(), min_age=CLAIM_DELAY_PER_RUN * (len(active) - batch),
                                          max_priority=None if batch < BATCH_RUNS_PER_TRAINER else INTERACTIVE)
                if run_id is not None:
                    priority[run_id] = store.get(run_id).priority
                    active.append(RunExecution(store, run_id, cache=cache).start())
            if not active:
                time.sleep(IDLE_POLL_SECONDS)
                continue
            chosen = next_run(active, priority)
            if priority.get(chosen.run_id, INTERACTIVE) >= BATCH and clicks.elsewhere():
                time.sleep(IDLE_POLL_SECONDS)  # a click trains on another trainer: leave it the cores
                continue
            chosen.advance()
            ended += sum(execution.done for execution in active)
            for execution in active:
                if execution.done:
                    priority.pop(execution.run_id, None)
            active = [execution for execution in active if not execution.done]
    return 0


class ClicksElsewhere:
    """Whether a click (an INTERACTIVE run) started in the last CLICK_PAUSE_SECONDS is training in
    another process of this machine, read from the run store at most every CLICK_CHECK_SECONDS;
    runs whose heartbeat stopped do not count. Only a click's first seconds pause batch work (its
    first loss point, a short run's end): a long click does not stall a scan."""

    def __init__(self, store: RunStore, pid: int) -> None:
        self.store, self.pid, self.host = store, pid, socket.gethostname()
        self.checked, self.answer = 0.0, False

    def elsewhere(self) -> bool:
        now = time.monotonic()
        if now - self.checked >= CLICK_CHECK_SECONDS:
            self.checked = now
            self.answer = self.store.fresh_clicks_elsewhere(self.host, self.pid, CLICK_PAUSE_SECONDS)
        return self.answer


def next_run(active: list[RunExecution], priority: dict[str, int]) -> RunExecution:
    """The run whose epoch comes next: a click before a batch run, then the least trained."""
    return min(active, key=lambda execution: (priority.get(execution.run_id, INTERACTIVE), execution.attained))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service.trainer")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--parent-pid", type=int, default=None, help="exit when this process is gone")
    parser.add_argument("--no-warm-up", action="store_true")
    args = parser.parse_args(argv)
    os.environ["RNNLAB_DATA_DIR"] = args.data_dir
    return serve(args.data_dir, args.parent_pid, warm=not args.no_warm_up)


if __name__ == "__main__":
    sys.exit(main())
