"""The run service the pages call: submit, cancel, get; in the embedded set-up and with Redis."""
import json
import os
import shutil
import socket
import time

import pytest

from conftest_helpers import Redis, free_port
from modeling.config import TrainConfig
from service import runs
from service.settings import JOB_SERVICE_UNAVAILABLE, run_store
from service.store import RunNotFound

CONFIG = TrainConfig(dataset="sp500-2012-2017", ticker="AAL", epochs=2)


def test_submit_queues_for_the_trainers_and_get_gives_the_queue_position(data_dir):
    first, second = runs.submit(CONFIG, "browser-a"), runs.submit(CONFIG, "browser-b")
    assert (first.status, first.session, first.group_id) == ("queued", "browser-a", None)
    assert runs.get(first.id).position == 1 and runs.get(second.id).position == 2
    assert runs.active_count("browser-a") == 1
    for bad in (None, "../x", 12, "0" * 12):
        with pytest.raises(RunNotFound):
            runs.get(bad)


def test_only_the_submitting_browser_cancels_and_an_ended_run_stays(data_dir):
    run = runs.submit(CONFIG, "browser-a")
    assert not runs.cancel(run.id, "browser-b")
    assert runs.get(run.id).run.status == "queued"
    assert runs.cancel(run.id, "browser-a")
    assert runs.get(run.id).run.status == "cancelled" and runs.get(run.id).position == 0
    assert not runs.cancel(run.id, "browser-a")  # already ended
    assert not runs.cancel("../x", "browser-a")


def test_submit_group_keeps_the_runs_together(data_dir):
    group = runs.submit_group([CONFIG.replace(arch=a) for a in ("lstm", "gru", "conv1d")], "browser-a")
    assert len({r.group_id for r in group}) == 1
    assert [r.config.arch for r in runs.group(group[0].group_id)] == ["lstm", "gru", "conv1d"]


def test_get_fails_a_run_whose_heartbeat_stopped(data_dir, monkeypatch):
    monkeypatch.setenv("RNNLAB_HEARTBEAT_LIMIT", "0.5")
    run = runs.submit(CONFIG, None)
    store = run_store()
    store.claim_next(os.getpid())
    assert runs.get(run.id).run.status == "running"  # this process is alive and beat just now
    time.sleep(0.7)  # nothing renews its heartbeat
    state = runs.get(run.id)
    assert state.run.status == "failed"
    assert state.run.reason.startswith("no heartbeat from its training process for over 0.5 s")


def test_heartbeat_limit_is_read_from_the_environment(monkeypatch):
    from service.settings import heartbeat_limit

    monkeypatch.delenv("RNNLAB_HEARTBEAT_LIMIT", raising=False)
    assert heartbeat_limit() == 30.0
    monkeypatch.setenv("RNNLAB_HEARTBEAT_LIMIT", "4")
    assert heartbeat_limit() == 4.0
    for bad in ("soon", "0", "-1"):
        monkeypatch.setenv("RNNLAB_HEARTBEAT_LIMIT", bad)
        with pytest.raises(ValueError, match="RNNLAB_HEARTBEAT_LIMIT"):
            heartbeat_limit()


def test_redis_unreachable_refuses_the_run_in_words(data_dir, monkeypatch):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{closed.getsockname()[1]}/0")
        with pytest.raises(runs.ServiceUnavailable, match="The job service \\(Redis\\) is unavailable"):
            runs.submit(CONFIG, "browser-a")
    assert run_store().list() == []


def test_a_run_that_cannot_be_sent_fails_with_the_reason(data_dir, monkeypatch):
    """Redis went away between the check and the send: no run is left queued that nobody will train."""
    import service.tasks

    def broker_gone(run_id):
        raise ConnectionError("broker gone")

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(runs, "job_service_problem", lambda: None)
    monkeypatch.setattr(service.tasks, "send_run", broker_gone)
    with pytest.raises(runs.ServiceUnavailable):
        runs.submit_group([CONFIG, CONFIG], "browser-a")
    assert [(r.status, r.reason) for r in run_store().list()] == [("failed", JOB_SERVICE_UNAVAILABLE)] * 2


@pytest.mark.celery
@pytest.mark.skipif(shutil.which("redis-server") is None and not os.environ.get("CI"),
                    reason="redis-server is not installed (.ci/run installs it)")
def test_in_the_classroom_submit_sends_the_run_to_the_celery_workers(data_dir, monkeypatch, tmp_path_factory):
    import redis as redis_client

    server = Redis(free_port(), tmp_path_factory.mktemp("redis"))
    try:
        monkeypatch.setenv("REDIS_URL", server.url)
        run = runs.submit(CONFIG, "browser-a")
        messages = redis_client.Redis.from_url(server.url).lrange("celery", 0, -1)
        assert len(messages) == 1
        headers = json.loads(messages[0])["headers"]
        assert headers["task"] == "service.tasks.train_run" and run.id in headers["argsrepr"]
        assert runs.get(run.id).run.status == "queued"  # a worker takes it from here
    finally:
        server.stop()


def test_delete_only_ended_runs_of_this_browser_and_find_skips_bad_ids(data_dir):
    mine, theirs, active = (runs.submit(CONFIG, s) for s in ("browser-a", "browser-b", "browser-a"))
    for run in (mine, theirs):
        runs.cancel(run.id, run.session)
    assert [r.id for r in runs.find(["../x", mine.id, "0" * 12, theirs.id])] == [mine.id, theirs.id]
    assert not runs.delete(theirs.id, "browser-a") and not runs.delete(active.id, "browser-a")
    assert not runs.delete("../x", "browser-a")
    assert runs.delete(mine.id, "browser-a")
    assert {r.id for r in runs.list_runs()} == {theirs.id, active.id}
