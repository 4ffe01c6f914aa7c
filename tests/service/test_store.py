"""The run store, on SQLite and on PostgreSQL: statuses, persistence, concurrency, dead workers,
heartbeats, models in the database, and the upgrade of a store made before the migrations."""
import multiprocessing
import os
import signal
import subprocess
import sys
import time

import pytest

from modeling.config import TrainConfig
from service.execution import execute_run
from service.store import BATCH, CollectionNotFound, RunNotFound, RunStore, validate_run_id

CONFIG = TrainConfig(dataset="sp500-2012-2017", ticker="AAL", epochs=2, arch="conv1d")


def test_statuses_and_persistence(tmp_path, store_url):
    store = RunStore(tmp_path, store_url)
    run = store.create(CONFIG)
    assert run.status == "queued" and run.config == CONFIG
    assert store.mark_running(run.id, os.getpid())
    store.record_epoch(run.id, {"loss": [0.3], "val_loss": [0.2]}, 0.5)
    reopened = RunStore(tmp_path, store_url).get(run.id)  # a new store object: what an app restart sees
    assert reopened.status == "running" and reopened.history == {"loss": [0.3], "val_loss": [0.2]}
    assert store.fail(run.id, "boom")
    assert store.get(run.id).status == "failed" and store.get(run.id).reason == "boom"
    assert not store.fail(run.id, "again")  # an ended run keeps its status


def test_wal_mode(tmp_path):
    import sqlite3

    RunStore(tmp_path)
    with sqlite3.connect(tmp_path / "runs.sqlite") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_interrupt_running_at_start_up(tmp_path, store_url):
    """Runs this machine was training are interrupted; queued ones wait for the new trainers;
    a run another machine trains is left to its heartbeat."""
    from service.store import runs

    store = RunStore(tmp_path, store_url)
    queued, running, done, elsewhere = (store.create(CONFIG) for _ in range(4))
    for run in (running, done, elsewhere):
        store.mark_running(run.id, 1)
    store.fail(done.id, "x")
    with store.engine.begin() as db:
        db.execute(runs.update().where(runs.c.id == elsewhere.id).values(worker_host="another-machine"))
    assert store.interrupt_running() == 1
    assert store.get(running.id).status == "interrupted"
    assert store.get(running.id).reason == "the app was restarted while the run was training"
    assert [store.get(r.id).status for r in (queued, done, elsewhere)] == ["queued", "failed", "running"]


def test_cancel_before_start_is_never_run(tmp_path, store_url):
    store = RunStore(tmp_path, store_url)
    run = store.create(CONFIG)
    assert store.request_cancel(run.id)
    assert execute_run(store, run.id) == "cancelled"
    assert store.get(run.id).history["loss"] == []


def test_run_ids_are_validated():
    for bad in ("../../etc/passwd", "ABCDEF123456", "12345", None, 7, "0123456789abc"):
        with pytest.raises(RunNotFound):
            validate_run_id(bad)
    assert validate_run_id("0123456789ab") == "0123456789ab"


def _write_runs(path: str, url: str | None, count: int) -> None:
    store = RunStore(path, url)
    for i in range(count):
        run = store.create(CONFIG, session=f"p{os.getpid()}")
        store.mark_running(run.id, os.getpid())
        store.record_epoch(run.id, {"loss": [float(i)], "val_loss": [float(i)]}, 0.1)
        store.finish(run.id, {"history": {"loss": [float(i)], "val_loss": [float(i)]}, "metrics": {}})


def test_eight_processes_writing_at_once_lose_nothing(tmp_path, store_url):
    RunStore(tmp_path, store_url)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write_runs, args=(str(tmp_path), store_url, 25)) for _ in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    runs = RunStore(tmp_path, store_url).list(limit=10_000)
    assert len(runs) == 200
    assert all(r.status == "finished" for r in runs)
    assert len({r.session for r in runs}) == 8


def test_a_killed_worker_fails_its_run(tmp_path, store_url):
    store = RunStore(tmp_path, store_url)
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


def test_model_is_in_the_database_checked_and_loaded_safely(tmp_path, store_url):
    store = RunStore(tmp_path, store_url)
    run = store.create(CONFIG)
    assert execute_run(store, run.id) == "finished"
    assert store.get(run.id).has_model
    model = store.load_model(run.id)
    assert model.count_params() == 449
    data = store.model_bytes(run.id)
    assert data[:2] == b"PK"  # a .keras file is a zip archive
    assert not (tmp_path / "models").exists() or not any((tmp_path / "models").iterdir())  # nothing on disk
    import sqlalchemy as sa

    from service.store import runs

    with store.engine.begin() as db:  # somebody changes the stored model
        db.execute(runs.update().where(runs.c.id == run.id).values(model=data + b"tampered"))
    with pytest.raises(RunNotFound, match="was changed after it was saved"):
        store.load_model(run.id)
    store.delete(run.id)
    with pytest.raises(RunNotFound):
        store.get(run.id)
    with store.engine.connect() as db:
        assert db.execute(sa.select(sa.func.count()).select_from(runs)).scalar_one() == 0


def test_heartbeats_and_stale_runs(tmp_path, store_url):
    store = RunStore(tmp_path, store_url)
    alive, silent, queued = store.create(CONFIG), store.create(CONFIG), store.create(CONFIG)
    store.mark_running(alive.id, 1)
    store.mark_running(silent.id, 1)
    import sqlalchemy as sa

    from service.store import runs

    with store.engine.begin() as db:  # its process stopped beating a minute ago
        db.execute(runs.update().where(runs.c.id == silent.id).values(heartbeat=time.time() - 60))
    store.beat([alive.id])
    assert store.fail_stale(limit=30) == [silent.id]
    failed = store.get(silent.id)
    assert failed.status == "failed"
    assert failed.reason == ("no heartbeat from its training process for over 30 s "
                             "(the process or its machine stopped)")
    assert store.get(alive.id).status == "running" and store.get(queued.id).status == "queued"
    assert store.fail_stale(limit=30) == []
    with store.engine.connect() as db:
        assert db.execute(sa.select(runs.c.heartbeat).where(runs.c.id == alive.id)).scalar() > time.time() - 5


def test_claim_takes_the_oldest_and_respects_min_age(tmp_path, store_url):
    store = RunStore(tmp_path, store_url)
    first, second = store.create(CONFIG), store.create(CONFIG)
    assert store.claim_next(11, min_age=60) is None  # both are younger than a minute
    assert store.claim_next(11) == first.id
    assert store.claim_next(12) == second.id
    assert store.claim_next(13) is None
    assert (store.get(first.id).worker_pid, store.get(second.id).worker_pid) == (11, 12)


def test_a_click_is_claimed_before_queued_batch_runs(tmp_path, store_url):
    store = RunStore(tmp_path, store_url)
    batch = store.create_group([CONFIG, CONFIG], priority=BATCH)
    click = store.create(CONFIG)
    assert [store.queue_position(r.id) for r in (*batch, click)] == [2, 3, 1]
    assert [store.claim_next(11) for _ in range(3)] == [click.id, batch[0].id, batch[1].id]


def test_collections_nicknames_and_settings_persist(tmp_path, store_url):
    store = RunStore(tmp_path, store_url)
    sweep = store.create_collection("sweep", {"look_backs": [7, 14]}, session="s1", title="look_back")
    runs_of_sweep = store.create_group([CONFIG, CONFIG.replace(look_back=14)], session="s1",
                                       group_id=sweep.id, priority=BATCH)
    store.update_collection_details(sweep.id, {"skipped": [{"ticker": "X", "reason": "too short"}]})
    store.set_nickname("s1", "<b>Ada</b>")
    store.set_nickname("s1", "Ada")
    store.set_setting("pinned_run", runs_of_sweep[0].id)

    reopened = RunStore(tmp_path, store_url)
    again = reopened.get_collection(sweep.id)
    assert (again.kind, again.spec, again.session, again.title) == ("sweep", {"look_backs": [7, 14]}, "s1", "look_back")
    assert again.details == {"skipped": [{"ticker": "X", "reason": "too short"}]}
    assert [r.id for r in reopened.group(sweep.id)] == [r.id for r in runs_of_sweep]
    assert {r.priority for r in reopened.group(sweep.id)} == {BATCH}
    assert [c.id for c in reopened.list_collections("sweep")] == [sweep.id] and reopened.list_collections("scan") == []
    assert reopened.nicknames() == {"s1": "Ada"}
    assert reopened.setting("pinned_run") == runs_of_sweep[0].id and reopened.setting("other", 3) == 3
    with pytest.raises(ValueError, match="valid kinds: sweep, scan, backtest"):
        reopened.create_collection("grid", {})
    with pytest.raises(CollectionNotFound):
        reopened.get_collection("../etc")
    reopened.delete_collection(sweep.id)
    assert reopened.group(sweep.id) == [] and reopened.list_collections() == []


OLD_SCHEMA = """
CREATE TABLE runs (id TEXT PRIMARY KEY, created REAL NOT NULL, started REAL, ended REAL, status TEXT NOT NULL,
    reason TEXT, session TEXT, config TEXT NOT NULL, history TEXT NOT NULL DEFAULT '{"loss": [], "val_loss": []}',
    elapsed REAL, result TEXT, model_file TEXT, model_sha256 TEXT, cancel_requested INTEGER NOT NULL DEFAULT 0,
    worker_pid INTEGER, worker_host TEXT, group_id TEXT);
CREATE INDEX runs_created ON runs (created);
"""


def test_a_store_from_before_the_migrations_keeps_every_run_and_model(tmp_path):
    """The SQLite store of the previous release (models as files) opens with every run and its model."""
    import hashlib
    import json
    import sqlite3

    data = b"PK fake keras archive"
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "0123456789ab.keras").write_bytes(data)
    with sqlite3.connect(tmp_path / "runs.sqlite") as db:
        db.executescript(OLD_SCHEMA)
        rows = [("0123456789ab", "finished", "0123456789ab.keras", hashlib.sha256(data).hexdigest()),
                ("ba9876543210", "failed", None, None),
                ("aaaaaaaaaaaa", "finished", "missing.keras", "0" * 64)]
        for run_id, status, model_file, sha in rows:
            db.execute("INSERT INTO runs (id, created, status, config, history, model_file, model_sha256) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (run_id, time.time(), status, json.dumps(CONFIG.to_dict()),
                        '{"loss": [0.5], "val_loss": [0.4]}', model_file, sha))
    store = RunStore(tmp_path)
    assert {r.id: r.status for r in store.list()} == {"0123456789ab": "finished", "ba9876543210": "failed",
                                                      "aaaaaaaaaaaa": "finished"}
    assert store.model_bytes("0123456789ab") == data
    assert store.get("0123456789ab").history == {"loss": [0.5], "val_loss": [0.4]}
    assert not store.get("aaaaaaaaaaaa").has_model  # its file was gone: no model, the run stays
    with sqlite3.connect(tmp_path / "runs.sqlite") as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(runs)")}
        assert {"model", "heartbeat", "priority"} <= columns and "model_file" not in columns
        assert db.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0003"


def test_a_training_process_renews_the_heartbeat_of_its_runs(tmp_path):
    from service.execution import Heartbeat

    store = RunStore(tmp_path)
    run = store.create(CONFIG)
    store.mark_running(run.id, os.getpid())
    first = store.get(run.id).heartbeat
    with Heartbeat(store, lambda: [run.id], every=0.05):
        deadline = time.monotonic() + 5
        while store.get(run.id).heartbeat == first and time.monotonic() < deadline:
            time.sleep(0.05)
    renewed = store.get(run.id).heartbeat
    assert renewed > first
    time.sleep(0.2)
    assert store.get(run.id).heartbeat == renewed  # stopped with the block
