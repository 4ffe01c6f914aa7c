"""The trainer pool: warm processes give the CLI's numbers, and a dead one is replaced."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from modeling.config import TrainConfig
from modeling.pool import TrainerPool
from modeling.runs import RunStore

ROOT = Path(__file__).resolve().parents[2]
CONFIG = TrainConfig(dataset="sp500-2012-2017", ticker="AAL", epochs=4, seed=3)


def wait_until(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(what)


@pytest.fixture
def pool(tmp_path):
    pool = TrainerPool(tmp_path, 1, warm_up=False).start()
    yield pool
    pool.stop()


def test_a_warm_process_gives_the_cli_numbers(tmp_path, pool):
    store = RunStore(tmp_path)
    first = store.create(CONFIG.replace(seed=11, ticker="AAPL"))   # traces the network
    second = store.create(CONFIG)                                  # reuses that trace
    wait_until(lambda: not store.get(second.id).active, 120, "the runs did not finish")
    assert store.get(first.id).worker_pid == store.get(second.id).worker_pid
    cli = subprocess.run([sys.executable, "-m", "modeling", "train", "--dataset", "sp500-2012-2017",
                          "--ticker", "AAL", "--epochs", "4", "--seed", "3", "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert cli.returncode == 0, cli.stderr
    expected = json.loads(cli.stdout)
    warm = store.get(second.id)
    assert warm.status == "finished"
    assert warm.history == expected["history"]
    assert warm.metrics["test_mae"] == expected["metrics"]["test_mae"]


def test_a_dead_process_is_replaced_and_its_run_fails(tmp_path, pool):
    store = RunStore(tmp_path)
    long_run = store.create(CONFIG.replace(epochs=500))
    wait_until(lambda: store.get(long_run.id).epochs_done > 0, 120, "the run did not start")
    dead = store.get(long_run.id).worker_pid
    os.kill(dead, signal.SIGKILL)
    wait_until(lambda: store.get(long_run.id).status == "failed", 10, "the run was not marked failed")
    assert store.get(long_run.id).reason == "the training process ended unexpectedly (it was killed or crashed)"
    wait_until(lambda: pool.pids() and pool.pids()[0] != dead, 10, "the process was not replaced")
    next_run = store.create(CONFIG)
    wait_until(lambda: store.get(next_run.id).status == "finished", 120, "the replacement did not train")
    assert store.get(next_run.id).worker_pid == pool.pids()[0]


def test_runs_wait_in_a_queue_for_the_pool(tmp_path, pool):
    store = RunStore(tmp_path)
    runs = [store.create(CONFIG.replace(epochs=60 if i == 0 else 2)) for i in range(3)]
    wait_until(lambda: store.get(runs[0].id).status == "running", 120, "the first run did not start")
    assert [store.queue_position(r.id) for r in runs] == [0, 1, 2]
    wait_until(lambda: all(store.get(r.id).status == "finished" for r in runs), 180, "the queue did not drain")
    started = [store.get(r.id).started for r in runs]
    assert started == sorted(started)  # first come, first served
