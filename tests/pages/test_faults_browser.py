"""Faults on a live app: a killed training process, a tab closed mid-run."""
import os
import signal
import time

import pytest

from components import ids
from conftest_helpers import wait_for
from service.store import RunStore

pytestmark = pytest.mark.browser


def _start_long_run(dash_br, app_url, epochs="500"):
    dash_br.driver.get(app_url + "/train")
    box = dash_br.wait_for_element(f"#{ids.EPOCHS}", timeout=20)
    dash_br.wait_for_contains_text(f"#{ids.CONFIG_CHECK}", "AAL", timeout=20)
    box.clear()
    box.send_keys(epochs + "\t")
    wait_for(lambda: f"epochs={epochs}&" in dash_br.driver.current_url, 10, "the epochs were not taken")
    dash_br.wait_for_contains_text(f"#{ids.CONFIG_CHECK}", "windows", timeout=20)
    dash_br.find_element(f"#{ids.TRAIN_BUTTON}").click()


def _wait_running(store, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = [r for r in store.list() if r.status == "running" and r.epochs_done > 0]
        if running:
            return running[0]
        time.sleep(0.1)
    raise AssertionError("no run started")


def test_killed_training_process_marks_the_run_failed(dash_br, app_url, live_app):
    store = RunStore(live_app.data_dir)
    _start_long_run(dash_br, app_url)
    run = _wait_running(store)
    os.kill(run.worker_pid, signal.SIGKILL)
    dash_br.wait_for_contains_text(f"#{ids.RUN_STATUS}", "failed: the training process ended unexpectedly",
                                   timeout=10)
    assert store.get(run.id).status == "failed"
    assert dash_br.get_logs() == []


def test_closed_tab_run_still_finishes(dash_br, app_url, live_app):
    store = RunStore(live_app.data_dir)
    _start_long_run(dash_br, app_url, epochs="60")
    run = _wait_running(store)
    dash_br.driver.get("about:blank")  # the page (and its polling) is gone
    deadline = time.monotonic() + 90
    while store.get(run.id).active and time.monotonic() < deadline:
        time.sleep(0.5)
    finished = store.get(run.id)
    assert finished.status == "finished" and finished.epochs_done == 60
    assert finished.metrics["naive_test_mae"] > 0
