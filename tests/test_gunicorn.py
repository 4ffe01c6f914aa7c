"""Serving with gunicorn (`gunicorn -w 2 app:server`), embedded set-up: the trainer pool starts
once, not once per web worker; runs submitted over HTTP finish; when the web worker that keeps
the pool dies, another one takes the pool over and runs go on being trained."""
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from benchmarks.classroom_load import User
from conftest_helpers import ROOT, free_port, wait_for

GUNICORN = Path(sys.executable).with_name("gunicorn")


class Gunicorn:
    def __init__(self, data_dir: Path, workers: int = 2, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(data_dir / "gunicorn.log", "wb")
        self.process = subprocess.Popen(
            [str(GUNICORN), "-w", str(workers), "-b", f"127.0.0.1:{self.port}", "--no-control-socket", "app:server"],
            cwd=ROOT,
            env={**os.environ, "RNNLAB_DATA_DIR": str(data_dir), "RNNLAB_TRAINERS": "1", **(env or {})},
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(self._answers, 60, "gunicorn did not answer")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def trainers(self) -> list[psutil.Process]:
        return [p for p in psutil.Process(self.process.pid).children(recursive=True)
                if "service.trainer" in " ".join(_cmdline(p))]

    def run_to_the_end(self, epochs: int = 3, timeout: float = 180) -> User:
        import json

        with urllib.request.urlopen(self.url + "/_dash-dependencies", timeout=10) as response:
            deps = json.load(response)
        user = User(self.url, deps, epochs, seed=0)
        user.run(time.monotonic() + timeout)
        return user

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(10)
        self.log.close()


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []


@pytest.fixture
def gunicorn(tmp_path):
    server = Gunicorn(tmp_path)
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
