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
from service.pool import TrainerPool
from service.store import RunStore

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


def test_runs_wait_in_a_queue_when_the_trainer_is_full(tmp_path, monkeypatch):
    """Two runs interleaved per trainer: the third and fourth wait, in order, and all finish."""
    monkeypatch.setenv("RNNLAB_RUNS_PER_TRAINER", "2")
    pool = TrainerPool(tmp_path, 1, warm_up=False).start()
    try:
        store = RunStore(tmp_path)
        runs = [store.create(CONFIG.replace(epochs=150 if i < 2 else 2)) for i in range(4)]
        wait_until(lambda: all(store.get(r.id).epochs_done > 0 for r in runs[:2]), 120, "the first runs did not start")
        assert [store.get(r.id).status for r in runs] == ["running", "running", "queued", "queued"]
        assert [store.queue_position(r.id) for r in runs] == [0, 0, 1, 2]
        wait_until(lambda: all(store.get(r.id).status == "finished" for r in runs), 300, "the queue did not drain")
        started = [store.get(r.id).started for r in runs]
        assert started == sorted(started)  # first come, first served
    finally:
        pool.stop()


def test_interleaved_runs_share_the_trainer_and_a_short_run_is_not_held_up(tmp_path, pool):
    """A long run started first does not hold up a short one: it starts at once and ends first,
    and both give the numbers they give alone."""
    store = RunStore(tmp_path)
    long_run = store.create(CONFIG.replace(epochs=300))
    wait_until(lambda: store.get(long_run.id).epochs_done > 0, 120, "the long run did not start")
    short = store.create(CONFIG.replace(look_back=12, arch="gru", seed=5))
    wait_until(lambda: store.get(short.id).status == "finished", 60, "the short run did not finish")
    assert store.get(long_run.id).status == "running"
    assert store.get(short.id).worker_pid == store.get(long_run.id).worker_pid
    from modeling.pipeline import prepare
    from modeling.training import train

    alone = train(prepare(CONFIG.replace(look_back=12, arch="gru", seed=5)), CONFIG.replace(look_back=12, arch="gru", seed=5))
    assert store.get(short.id).history == alone.history
    store.request_cancel(long_run.id)


def test_a_trainer_takes_only_clicks_once_it_holds_its_batch_runs(tmp_path):
    from service.store import BATCH

    store = RunStore(tmp_path)
    batch = store.create_group([CONFIG.replace(seed=s) for s in range(2)], group_id=None, priority=BATCH)
    assert store.claim_next(1, max_priority=0) is None  # only batch runs wait
    click = store.create(CONFIG)
    assert store.claim_next(1, max_priority=0) == click.id
    assert store.claim_next(1) == batch[0].id


def test_a_click_starts_at_once_while_a_scan_fills_the_trainer(tmp_path, pool):
    """A scan's BATCH runs take one slot of the trainer at a time; a click is claimed at once and
    its epochs come before the batch run's, and the scan goes on after it."""
    from service.store import BATCH

    store = RunStore(tmp_path)
    scan = store.create_group([CONFIG.replace(epochs=400, seed=s, ticker=t)
                               for s, t in enumerate(("AAPL", "MSFT", "XOM", "IBM", "GE", "KO"))], priority=BATCH)
    wait_until(lambda: store.get(scan[0].id).epochs_done > 0, 120, "the scan did not start")
    assert [store.get(r.id).status for r in scan] == ["running"] + ["queued"] * 5
    click = store.create(CONFIG.replace(epochs=20, look_back=9))
    wait_until(lambda: not store.get(click.id).active, 60, "the click's run did not finish")
    run = store.get(click.id)
    assert run.status == "finished" and run.worker_pid == store.get(scan[0].id).worker_pid
    assert run.started - run.created < 1.0  # claimed at once, although a batch run was training
    first = store.get(scan[0].id)
    assert first.status == "running" and first.started < run.started and first.ended is None
    # the click's 20 epochs went first: they took less time than the same epochs interleaved would
    assert run.ended - run.started < 2 * run.result["train_seconds"] + 1.0
    assert [store.get(r.id).status for r in scan[1:]] == ["queued"] * 5
    for r in scan:
        store.request_cancel(r.id)
    wait_until(lambda: not any(store.get(r.id).active for r in scan), 60, "the scan did not stop")


def test_a_trainer_pauses_its_batch_run_while_a_click_trains_on_another(tmp_path):
    """Two trainers, one scan run each; a click on one of them: the other leaves it the cores."""
    from service import trainer as trainer_module
    from service.store import BATCH

    pool = TrainerPool(tmp_path, 2, warm_up=False).start()
    try:
        store = RunStore(tmp_path)
        scan = store.create_group([CONFIG.replace(epochs=500, seed=s, ticker=t) for s, t in enumerate(("AAPL", "MSFT"))],
                                  priority=BATCH)
        wait_until(lambda: all(store.get(r.id).epochs_done > 0 for r in scan), 180, "the scan did not start on both")
        assert len({store.get(r.id).worker_pid for r in scan}) == 2
        click = store.create(CONFIG.replace(epochs=60))
        wait_until(lambda: store.get(click.id).epochs_done > 0, 60, "the click did not start")
        trainer = store.get(click.id).worker_pid
        other = next(r for r in scan if store.get(r.id).worker_pid != trainer)
        during = [store.get(other.id).epochs_done]
        while store.get(click.id).active:
            time.sleep(0.05)
            during.append(store.get(other.id).epochs_done)
        assert store.get(click.id).status == "finished"
        assert during[-2] - during[0] <= 8  # paused (an epoch or a few before it noticed), not 60 epochs on
        time.sleep(1.0)
        assert store.get(other.id).epochs_done > during[-1]  # and it goes on once the click has ended
        # a long click pauses batch work for its first seconds only
        long_click = store.create(CONFIG.replace(epochs=500, seed=9, look_back=120))
        wait_until(lambda: store.get(long_click.id).epochs_done > 0, 60, "the long click did not start")
        paused_at = store.get(next(r for r in scan if store.get(r.id).worker_pid != store.get(long_click.id).worker_pid).id)
        time.sleep(trainer_module.CLICK_PAUSE_SECONDS + 2.0)
        assert store.get(long_click.id).status == "running"
        assert store.get(paused_at.id).epochs_done > paused_at.epochs_done + 10
        store.request_cancel(long_click.id)
        for run in scan:
            store.request_cancel(run.id)
        wait_until(lambda: not any(store.get(r.id).active for r in scan), 60, "the scan did not stop")
    finally:
        pool.stop()
