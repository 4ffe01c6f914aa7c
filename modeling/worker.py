"""A long-lived training process: TensorFlow imported once, traced epochs kept, queued runs trained.

    python -m modeling.worker --data-dir var

The web server starts a few of these (see :class:`modeling.pool.TrainerPool`) instead of importing
TensorFlow in a fresh process per click: a run then shows its first loss point in a fraction of a
second. Runs are taken from the run store in the order they were queued, one at a time per process,
so the number of processes bounds how many trainings run at once.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Sequence

from modeling.config import TrainConfig
from modeling.jobs import execute_run
from modeling.runs import RunStore

IDLE_POLL_SECONDS = 0.05


def warm_up(cache) -> None:
    """Import TensorFlow, load the bundled data and trace the default network before the first click."""
    from modeling.pipeline import prepare
    from modeling.training import train

    for dataset in ("sp500-2013-2018", "sp500-2012-2017"):
        config = TrainConfig(dataset=dataset, epochs=1)
        train(prepare(config), config, cache=cache)


def ready_dir(data_dir: str) -> Path:
    return Path(data_dir) / "trainers"


def mark_ready(data_dir: str) -> None:
    """Say (to supervisors, tests, benchmarks) that this process is warm and takes runs."""
    folder = ready_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{os.getpid()}.ready").touch()


def serve(data_dir: str, parent_pid: int | None = None, warm: bool = True, max_runs: int | None = None) -> int:
    """Train queued runs until the parent process is gone (or max_runs were served)."""
    from modeling.training import TraceCache

    store = RunStore(data_dir)
    cache = TraceCache()
    if warm:
        warm_up(cache)
    mark_ready(data_dir)
    served = 0
    while max_runs is None or served < max_runs:
        if parent_pid is not None and os.getppid() != parent_pid:
            return 0  # the web server is gone: so is this process's reason to live
        run_id = store.claim_next(os.getpid())
        if run_id is None:
            time.sleep(IDLE_POLL_SECONDS)
            continue
        execute_run(store, run_id, cache=cache, claimed=True)
        served += 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m modeling.worker")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--parent-pid", type=int, default=None, help="exit when this process is gone")
    parser.add_argument("--no-warm-up", action="store_true")
    args = parser.parse_args(argv)
    os.environ["RNNLAB_DATA_DIR"] = args.data_dir
    return serve(args.data_dir, args.parent_pid, warm=not args.no_warm_up)


if __name__ == "__main__":
    sys.exit(main())
