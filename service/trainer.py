"""A long-lived training process: TensorFlow imported once, traced epochs kept, queued runs trained.

    python -m service.trainer --data-dir var

In the embedded set-up the web server (one web worker, under gunicorn) starts a few of these (see
:class:`service.pool.TrainerPool`) instead of importing TensorFlow in a fresh process per click. Each has traced the three networks' training functions
before the first click, and these serve every setting, so any run shows its first loss point in a
fraction of a second.

Runs are taken from the run store in the order they were queued, and a trainer interleaves the
epochs of up to ``runs_per_trainer()`` runs (RNNLAB_RUNS_PER_TRAINER, default 12), always serving
next the one that has had the least training time: a new run's first epoch comes at once, and a
long run does not hold up a queue of short ones. A busy trainer leaves a new run a moment
(CLAIM_DELAY_PER_RUN for each run it has) to a less busy one, so that the runs spread over the
trainers.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Sequence

from service.execution import Heartbeat, RunExecution
from service.store import RunStore
from service.settings import runs_per_trainer

IDLE_POLL_SECONDS = 0.02
CLAIM_DELAY_PER_RUN = 0.05


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
    ended = 0
    with Heartbeat(store, lambda: [execution.run_id for execution in active]):
        while max_runs is None or ended < max_runs:
            if parent_pid is not None and os.getppid() != parent_pid:
                return 0  # the web server is gone: so is this process's reason to live
            if len(active) < capacity and (max_runs is None or ended + len(active) < max_runs):
                run_id = store.claim_next(os.getpid(), min_age=CLAIM_DELAY_PER_RUN * len(active))
                if run_id is not None:
                    active.append(RunExecution(store, run_id, cache=cache).start())
            if not active:
                time.sleep(IDLE_POLL_SECONDS)
                continue
            min(active, key=lambda execution: execution.attained).advance()
            ended += sum(execution.done for execution in active)
            active = [execution for execution in active if not execution.done]
    return 0


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
