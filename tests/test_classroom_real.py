"""The classroom set-up against its real parts, as the README's recipe runs it: gunicorn with two
web workers, Redis, PostgreSQL (Debian's packages, on free loopback ports) and two Celery workers
on data dirs of their own (standing for two machines; nothing is shared but Redis and PostgreSQL).

A browser trains a run to the end; the run and its model are in PostgreSQL and no data dir holds
a file. A worker killed mid-run: its run fails with a reason within the heartbeat limit.
PostgreSQL restarted mid-run: the banner says so, the app recovers, finished runs are all there.
Twenty users at once: every run finishes, with no 5xx.
"""
import os
import shutil
import threading
import time
import urllib.request

import pytest

from components import ids
from conftest_helpers import CeleryWorker, Gunicorn, Redis, free_port, wait_for
from service.settings import RUN_STORE_UNAVAILABLE
from service.store import RunStore

pytestmark = [pytest.mark.browser, pytest.mark.celery,
              pytest.mark.skipif(shutil.which("redis-server") is None and not os.environ.get("CI"),
                                 reason="redis-server is not installed (.ci/run installs it)")]

HEARTBEAT_LIMIT = 6.0
WATCH_SECONDS = 5.0  # app.HEARTBEAT_WATCH_SECONDS: how often the web server looks


class Classroom:
    def __init__(self, root, postgres) -> None:
        self.root, self.postgres = root, postgres
        self.logs = root / "logs"
        self.data_dirs = {name: root / name for name in ("web", "machine-1", "machine-2")}
        for folder in (self.logs, *self.data_dirs.values()):
            folder.mkdir()
        self.redis = Redis(free_port(), self.logs)
        self.database_url = postgres.create_database()
        self.env = {"REDIS_URL": self.redis.url, "DATABASE_URL": self.database_url,
                    "RNNLAB_SECRET_KEY": "the class's shared cookie key",
                    "RNNLAB_HEARTBEAT_LIMIT": str(HEARTBEAT_LIMIT)}
        self.workers = [CeleryWorker(f"w{i}", self.data_dirs[f"machine-{i}"], self.logs / f"worker-{i}.log", self.env)
                        for i in (1, 2)]
        self.web = Gunicorn(self.data_dirs["web"], self.logs / "gunicorn.log", workers=2, env=self.env)
        for worker in self.workers:
            worker.wait_ready()

    def store(self) -> RunStore:
        return RunStore(self.logs, self.database_url)

    def files_on_local_disks(self) -> list[str]:
        return [str(p) for folder in self.data_dirs.values() for p in folder.rglob("*") if p.is_file()]

    def stop(self) -> None:
        self.web.stop()
        for worker in self.workers:
            worker.kill()
        self.redis.stop()


@pytest.fixture(scope="module")
def classroom(tmp_path_factory, postgres):
    room = Classroom(tmp_path_factory.mktemp("real-classroom"), postgres)
    yield room
    room.stop()


def _start(dash_br, url, epochs):
    dash_br.driver.get(f"{url}/train?dataset=sp500-2012-2017&ticker=AAL&epochs={epochs}")
    dash_br.wait_for_contains_text(f"#{ids.CONFIG_CHECK}", "635 / 126 / 126 windows", timeout=30)
    dash_br.find_element(f"#{ids.TRAIN_BUTTON}").click()


def _newest(store: RunStore, before: set[str], timeout: float = 20):
    found = []
    wait_for(lambda: bool(found.extend(r for r in store.list() if r.id not in before) or found), timeout,
             "no new run in the store")
    return found[0]


def test_a_browser_trains_a_run_to_the_end_and_it_is_all_in_postgresql(dash_br, classroom):
    store = classroom.store()
    _start(dash_br, classroom.web.url, 30)
    dash_br.wait_for_contains_text(f"#{ids.RUN_STATUS}", "finished", timeout=120)
    dash_br.wait_for_contains_text(f"#{ids.METRICS}", "naive forecast", timeout=30)
    run = store.list()[0]
    assert run.status == "finished" and run.epochs_done == 30
    assert len(store.model_bytes(run.id)) > 1000  # the model is in the database, checked by its SHA-256
    workers = {pid for worker in classroom.workers for pid in worker.pids()}
    assert run.worker_pid in workers  # trained by a Celery worker, not by the web server
    assert classroom.files_on_local_disks() == []
    assert dash_br.get_logs() == []


def test_a_worker_killed_mid_run_fails_its_run_within_the_heartbeat_limit(classroom):
    store = classroom.store()
    before = {r.id for r in store.list()}
    user = _submit_over_http(classroom.web.url, epochs=500)
    assert user.error is None
    run = _newest(store, before)
    wait_for(lambda: store.get(run.id).epochs_done > 0, 120, "the run did not start")
    victim = next(w for w in classroom.workers if store.get(run.id).worker_pid in w.pids())
    victim.kill()
    killed = time.monotonic()
    wait_for(lambda: store.get(run.id).status == "failed", HEARTBEAT_LIMIT + WATCH_SECONDS + 5,
             "the run of the killed worker did not fail in time")
    assert time.monotonic() - killed <= HEARTBEAT_LIMIT + WATCH_SECONDS + 5
    reason = store.get(run.id).reason
    assert reason.startswith(("no heartbeat from its training process", "the training process ended unexpectedly"))
    victim.start()  # the machine is back
    victim.wait_ready()


def test_postgresql_restarted_mid_run_banner_then_recovery(dash_br, classroom):
    store = classroom.store()
    if not any(r.status == "finished" for r in store.list()):
        assert _follow_over_http(classroom.web.url, 99).error is None
    finished = {r.id for r in store.list() if r.status == "finished"}
    before = {r.id for r in store.list()}
    _start(dash_br, classroom.web.url, 500)
    run = _newest(store, before)
    wait_for(lambda: store.get(run.id).epochs_done > 0, 120, "the run did not start")

    classroom.postgres.stop(remove=False)
    try:
        dash_br.wait_for_contains_text(f"#{ids.JOB_SERVICE_BANNER}", RUN_STORE_UNAVAILABLE, timeout=20)
        with urllib.request.urlopen(classroom.web.url + "/", timeout=10) as response:
            assert response.status == 200  # pages that need no run keep serving
    finally:
        classroom.postgres.start()
    dash_br.wait_for_text_to_equal(f"#{ids.JOB_SERVICE_BANNER}", "", timeout=30)
    # the run in flight ends (as failed, once its heartbeat is found stale) instead of hanging as running
    wait_for(lambda: not store.get(run.id).active, HEARTBEAT_LIMIT + WATCH_SECONDS + 30,
             "the run in flight during the outage never ended")
    assert finished <= {r.id for r in store.list() if r.status == "finished"}
    _start(dash_br, classroom.web.url, 20)  # and training works again
    dash_br.wait_for_contains_text(f"#{ids.RUN_STATUS}", "finished", timeout=120)


def test_twenty_users_at_once_all_finish_with_no_5xx(classroom):
    users = [None] * 20
    threads = [threading.Thread(target=lambda i=i: users.__setitem__(i, _follow_over_http(classroom.web.url, i)))
               for i in range(20)]
    for thread in threads:
        thread.start()
        time.sleep(0.1)
    for thread in threads:
        thread.join(400)
    assert all(u is not None for u in users)
    assert [u.error for u in users] == [None] * 20
    store = classroom.store()
    assert [store.get(u.run_id).status for u in users] == ["finished"] * 20
    assert sum(n for u in users for code, n in u.statuses.items() if code >= 500) == 0
    assert not any(u.result_missing for u in users)


def _user(url: str, seed: int, epochs: int, follow: bool):
    import json

    from benchmarks.classroom_load import User

    with urllib.request.urlopen(url + "/_dash-dependencies", timeout=10) as response:
        deps = json.load(response)
    return User(url, deps, epochs, seed, follow)


def _submit_over_http(url: str, epochs: int):
    user = _user(url, 0, epochs, follow=False)
    user.run(time.monotonic() + 60)
    return user


def _follow_over_http(url: str, seed: int):
    user = _user(url, seed, 5, follow=True)
    user.run(time.monotonic() + 360)
    return user
