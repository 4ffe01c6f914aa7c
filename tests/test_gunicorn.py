"""Serving with gunicorn (`gunicorn -w 2 app:server`), embedded set-up: the trainer pool starts
once, not once per web worker; runs submitted over HTTP finish; when the web worker that keeps
the pool dies, another one takes the pool over and runs go on being trained."""
import time

import psutil
import pytest

from conftest_helpers import Gunicorn, wait_for

@pytest.fixture
def gunicorn(tmp_path):
    server = Gunicorn(tmp_path, tmp_path / "gunicorn.log", env={"RNNLAB_TRAINERS": "1"})
    yield server
    server.stop()


def test_two_web_workers_one_trainer_pool_and_a_takeover(gunicorn, tmp_path):
    from service.store import RunStore

    wait_for(lambda: len(gunicorn.trainers()) == 1, 60, "no trainer started")
    time.sleep(3)
    trainers = gunicorn.trainers()
    assert len(trainers) == 1  # one pool for two web workers
    keeper = trainers[0].parent()
    assert keeper.parent().pid == gunicorn.process.pid  # a web worker keeps it, under gunicorn's master
    user = gunicorn.run_to_the_end()
    assert user.error is None and not user.result_missing
    assert RunStore(tmp_path).get(user.run_id).status == "finished"

    keeper.kill()  # the web worker that keeps the pool dies: its trainer follows it out
    wait_for(lambda: trainers[0].is_running() is False or trainers[0].status() == psutil.STATUS_ZOMBIE, 90,
             "the old trainer outlived its web worker")
    wait_for(lambda: len(gunicorn.trainers()) == 1 and gunicorn.trainers()[0].pid != trainers[0].pid, 90,
             "no web worker took the pool over")
    user = gunicorn.run_to_the_end()
    assert user.error is None
    assert RunStore(tmp_path).get(user.run_id).status == "finished"
    assert len(gunicorn.trainers()) == 1
