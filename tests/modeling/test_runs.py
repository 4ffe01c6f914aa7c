"""The SQLite run store: statuses, persistence, concurrency, dead workers, model files."""
import multiprocessing
import os
import signal
import subprocess
import sys

import pytest

from modeling.config import TrainConfig
from modeling.jobs import execute_run
from modeling.runs import RunNotFound, RunStore, validate_run_id

CONFIG = TrainConfig(dataset="sp500-2012-2017", ticker="AAL", epochs=2, arch="conv1d")


def test_statuses_and_persistence(tmp_path):
    store = RunStore(tmp_path)
    run = store.create(CONFIG)
    assert run.status == "queued" and run.config == CONFIG
    assert store.mark_running(run.id, os.getpid())
    store.record_epoch(run.id, {"loss": [0.3], "val_loss": [0.2]}, 0.5)
    reopened = RunStore(tmp_path).get(run.id)  # a new store object: what an app restart sees
    assert reopened.status == "running" and reopened.history == {"loss": [0.3], "val_loss": [0.2]}
    assert store.fail(run.id, "boom")
    assert store.get(run.id).status == "failed" and store.get(run.id).reason == "boom"
    assert not store.fail(run.id, "again")  # an ended run keeps its status


def test_wal_mode(tmp_path):
    import sqlite3

    RunStore(tmp_path)
    with sqlite3.connect(tmp_path / "runs.sqlite") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_interrupt_active_at_start_up(tmp_path):
    store = RunStore(tmp_path)
    queued, running, done = store.create(CONFIG), store.create(CONFIG), store.create(CONFIG)
    store.mark_running(running.id, 1)
    store.mark_running(done.id, 1)
    store.fail(done.id, "x")
    assert store.interrupt_active() == 2
    assert {store.get(r.id).status for r in (queued, running)} == {"interrupted"}
    assert store.get(done.id).status == "failed"


def test_cancel_before_start_is_never_run(tmp_path):
    store = RunStore(tmp_path)
    run = store.create(CONFIG)
    assert store.request_cancel(run.id)
    assert execute_run(store, run.id) == "cancelled"
    assert store.get(run.id).history["loss"] == []


def test_run_ids_are_validated():
    for bad in ("../../etc/passwd", "ABCDEF123456", "12345", None, 7, "0123456789abc"):
        with pytest.raises(RunNotFound):
            validate_run_id(bad)
    assert validate_run_id("0123456789ab") == "0123456789ab"


def _write_runs(path: str, count: int) -> None:
    store = RunStore(path)
    for i in range(count):
        run = store.create(CONFIG, session=f"p{os.getpid()}")
        store.mark_running(run.id, os.getpid())
        store.record_epoch(run.id, {"loss": [float(i)], "val_loss": [float(i)]}, 0.1)
        store.finish(run.id, {"history": {"loss": [float(i)], "val_loss": [float(i)]}, "metrics": {}})


def test_eight_processes_writing_at_once_lose_nothing(tmp_path):
    RunStore(tmp_path)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write_runs, args=(str(tmp_path), 25)) for _ in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    runs = RunStore(tmp_path).list(limit=10_000)
    assert len(runs) == 200
    assert all(r.status == "finished" for r in runs)
    assert len({r.session for r in runs}) == 8


def test_a_killed_worker_fails_its_run(tmp_path):
    store = RunStore(tmp_path)
    run = store.create(CONFIG)
    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    store.mark_running(run.id, worker.pid)
    assert store.fail_dead_workers() == []
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    assert store.fail_dead_workers() == [run.id]
    failed = store.get(run.id)
    assert failed.status == "failed"
    assert failed.reason == "the training process ended unexpectedly (it was killed or crashed)"


def test_model_file_is_checked_and_loaded_safely(tmp_path):
    store = RunStore(tmp_path)
    run = store.create(CONFIG)
    assert execute_run(store, run.id) == "finished"
    model = store.load_model(run.id)
    assert model.count_params() == 449
    path = store.model_path(run.id)
    path.write_bytes(path.read_bytes() + b"tampered")
    with pytest.raises(RunNotFound, match="missing or was changed"):
        store.model_path(run.id)
    store.delete(run.id)
    assert not path.exists()
    with pytest.raises(RunNotFound):
        store.get(run.id)
