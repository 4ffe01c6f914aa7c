"""The class view and the notebook export in Chromium, against the real app (``python app.py``) started
with an instructor key.

Two browser sessions: this Chromium, and another browser whose run and nickname are in the run
store (as a classmate's would be). The other browser's run is marked running by a worker "on
another machine" (no trainer here picks it up; the heartbeat limit is an hour, so it stays running).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from components import ids
from conftest_helpers import LiveApp, wait_until
from modeling.config import TrainConfig
from modeling.data import LECTURE_DATASET
from service.store import RunStore

pytestmark = pytest.mark.browser

KEY = "projector-key-42"
MARKUP = "<img src=x onerror=alert(1)>"
OTHER = "other-browser-session"
DATA_JS = "var d = document.querySelector('#%s .js-plotly-plot'); return d && d.data ? d.data : [];"


@pytest.fixture(scope="module")
def class_app(tmp_path_factory):
    app = LiveApp(tmp_path_factory.mktemp("class-data"),
                  env={"RNNLAB_INSTRUCTOR_KEY": KEY, "RNNLAB_HEARTBEAT_LIMIT": "3600", "RNNLAB_TRAINERS": "1"})
    yield app
    app.stop()


@pytest.fixture(scope="module")
def classmate(class_app):
    """The other browser: a nickname that looks like markup, a finished run and a running one."""
    store = RunStore(class_app.data_dir)
    store.set_nickname(OTHER, MARKUP)
    finished = store.create(TrainConfig(dataset=LECTURE_DATASET, ticker="AAL", epochs=3), session=OTHER)
    wait_until(lambda: not store.get(finished.id).active, 120, "the classmate's run to end")
    assert store.get(finished.id).status == "finished", store.get(finished.id).reason
    running = store.create(TrainConfig(dataset=LECTURE_DATASET, ticker="AAPL", arch="gru", epochs=500),
                           session=OTHER, status="running")
    store.beat([running.id])
    return store.get(finished.id), store.get(running.id)


def cell(dash_br, run_id: str, column: str) -> str:
    found = dash_br.find_elements(f'#{ids.CLASS_TABLE} .ag-row[row-id="{run_id}"] [col-id="{column}"]')
    return found[0].text if found else ""


def select(dash_br, run_id: str) -> None:
    dash_br.find_element(f'#{ids.CLASS_TABLE} .ag-row[row-id="{run_id}"] .ag-selection-checkbox input').click()


def row_ids(dash_br) -> set[str]:
    return set(dash_br.driver.execute_script(
        f"return Array.from(document.querySelectorAll('#{ids.CLASS_TABLE} .ag-center-cols-container .ag-row'))"
        ".map(r => r.getAttribute('row-id'));"))


def pick(dash_br, cid: str, value: str) -> None:
    """Open a Dash 4 dropdown and click the option with that value."""
    dash_br.find_element(f"#{cid}").click()
    option = dash_br.wait_for_element(f'.dash-dropdown-content input[type=radio][value="{value}"]', timeout=5)
    option.find_element(By.XPATH, "./ancestor::label").click()


def downloaded(dash_br, name: str, timeout: float = 20) -> Path:
    path = Path(dash_br.download_path) / name
    wait_until(lambda: path.exists() and path.stat().st_size > 0, timeout, f"{name} in the download folder")
    time.sleep(0.3)  # let Chromium finish writing
    return path


def test_class_view_nicknames_cancel_pin_and_projector(dash_br, class_app, classmate):
    finished, running = classmate
    store = RunStore(class_app.data_dir)
    # this browser trains a run of its own from /train (short: 3 epochs)
    dash_br.driver.get(class_app.url + "/train?dataset=sp500-2012-2017&ticker=AAL&epochs=3")
    dash_br.wait_for_contains_text(f"#{ids.CONFIG_CHECK}", "AAL: train", timeout=40)
    before = {r.id for r in store.list()}
    dash_br.find_element(f"#{ids.TRAIN_BUTTON}").click()
    mine = wait_until(lambda: next((r for r in store.list() if r.id not in before), None), 20, "this browser's run")

    dash_br.driver.get(class_app.url + "/class")
    wait_until(lambda: {finished.id, running.id, mine.id} <= row_ids(dash_br), 20, "every browser's runs")
    # the classmate's nickname is shown as the text typed, never as markup
    assert cell(dash_br, finished.id, "nickname") == MARKUP
    assert dash_br.driver.execute_script(f"return document.querySelectorAll('#{ids.CLASS_TABLE} img').length") == 0
    assert cell(dash_br, running.id, "status") == "running, epoch 0 of 500"
    assert cell(dash_br, finished.id, "rank") in ("1", "2")

    # this browser's nickname
    box = dash_br.find_element(f"#{ids.CLASS_NICKNAME}")
    box.send_keys("Grace <b>H</b>")
    dash_br.find_element(f"#{ids.CLASS_NICKNAME_SAVE}").click()
    dash_br.wait_for_text_to_equal(f"#{ids.CLASS_NICKNAME_MESSAGE}", "Saved: your runs show as Grace <b>H</b>",
                                   timeout=10)
    wait_until(lambda: cell(dash_br, mine.id, "nickname") == "Grace <b>H</b>", 10, "the nickname in the table")

    # filters: the network, then back to all
    pick(dash_br, ids.CLASS_ARCH_FILTER, "gru")
    wait_until(lambda: row_ids(dash_br) == {running.id}, 10, "only the GRU run")
    pick(dash_br, ids.CLASS_TICKER_FILTER, "AAL")
    wait_until(lambda: row_ids(dash_br) == set(), 10, "no AAL GRU run")
    dash_br.find_element(f"#{ids.CLASS_ARCH_FILTER} .dash-dropdown-clear").click()
    wait_until(lambda: row_ids(dash_br) == {finished.id, mine.id}, 10, "only the AAL runs")
    dash_br.find_element(f"#{ids.CLASS_TICKER_FILTER} .dash-dropdown-clear").click()
    wait_until(lambda: {finished.id, running.id, mine.id} <= row_ids(dash_br), 10, "every run again")

    # without the key: the classmate's run is not cancelled, nothing is pinned
    select(dash_br, running.id)
    dash_br.find_element(f"#{ids.CLASS_CANCEL}").click()
    dash_br.wait_for_text_to_equal(
        f"#{ids.CLASS_ACTION_MESSAGE}", f"Not cancelled: run {running.id} was started in another browser; only "
        "that browser or the instructor can cancel it.", timeout=10)
    assert store.get(running.id).status == "running"
    dash_br.find_element(f"#{ids.CLASS_PIN}").click()
    dash_br.wait_for_contains_text(f"#{ids.CLASS_ACTION_MESSAGE}", "Not pinned: only the instructor", timeout=10)
    assert store.setting("pinned_run") is None

    # a wrong key unlocks nothing; the right one, entered once, does
    dash_br.find_element(f"#{ids.CLASS_KEY_STATUS}").find_element(By.XPATH, "./ancestor::details/summary").click()
    key_box = dash_br.find_element(f"#{ids.CLASS_KEY_INPUT}")
    key_box.send_keys("guess", Keys.ENTER)
    dash_br.wait_for_text_to_equal(f"#{ids.CLASS_KEY_STATUS}", "That is not the instructor key.", timeout=10)
    key_box.send_keys(KEY)
    dash_br.find_element(f"#{ids.CLASS_KEY_BUTTON}").click()
    dash_br.wait_for_contains_text(f"#{ids.CLASS_KEY_STATUS}", "Instructor: you can cancel any run", timeout=10)
    assert dash_br.find_element(f"#{ids.CLASS_KEY_INPUT}").get_attribute("value") == ""

    dash_br.find_element(f"#{ids.CLASS_CANCEL}").click()  # the running run is still selected
    dash_br.wait_for_text_to_equal(f"#{ids.CLASS_ACTION_MESSAGE}", f"Cancelled run {running.id}.", timeout=10)
    assert store.get(running.id).status == "cancelled"
    wait_until(lambda: cell(dash_br, running.id, "status") == "cancelled at epoch 0 of 500", 10, "the cancelled row")

    select(dash_br, finished.id)
    dash_br.find_element(f"#{ids.CLASS_PIN}").click()
    dash_br.wait_for_text_to_equal(f"#{ids.CLASS_ACTION_MESSAGE}", f"Pinned run {finished.id} to the projector view.",
                                   timeout=10)
    assert store.setting("pinned_run") == finished.id

    # the projector view shows the pinned run, big, with the nickname as text
    dash_br.driver.get(class_app.url + "/class?view=projector")
    dash_br.wait_for_contains_text(f"#{ids.PROJECTOR_TITLE}", f"{MARKUP}: AAL LSTM, look_back 7, foresight 6",
                                   timeout=15)
    loss = wait_until(lambda: dash_br.driver.execute_script(DATA_JS % ids.PROJECTOR_LOSS_GRAPH), 10, "the loss curve")
    assert len(loss) == 2 and len(loss[0]["y"]) == 3
    predictions = wait_until(lambda: dash_br.driver.execute_script(DATA_JS % ids.PROJECTOR_PREDICTION_GRAPH), 10,
                             "the test predictions")
    assert predictions[0]["name"] == "actual"
    assert dash_br.driver.execute_script("return document.querySelectorAll('img').length") == 0
    # the instructor key was entered once: back on /class it is still unlocked in this tab
    # (the Instructor section is collapsed again: its text is read from the DOM, not from the screen)
    dash_br.driver.get(class_app.url + "/class")
    wait_until(lambda: dash_br.find_element(f"#{ids.CLASS_KEY_STATUS}").get_attribute("textContent").startswith(
        "Instructor: you can cancel any run"), 10, "the instructor unlocked without the key typed again")
    assert dash_br.get_logs() == []


def test_export_notebook_downloads_from_train_and_compare(dash_br, class_app, classmate):
    finished, _ = classmate
    store = RunStore(class_app.data_dir)
    # /train with no run shown: the form's settings
    dash_br.driver.get(class_app.url + "/train?dataset=sp500-2012-2017&ticker=AAL&look_back=9&foresight=2&arch=gru")
    dash_br.driver.execute_script("window.sessionStorage.clear();")  # no run from an earlier test is shown
    dash_br.driver.get(class_app.url + "/train?dataset=sp500-2012-2017&ticker=AAL&look_back=9&foresight=2&arch=gru")
    dash_br.wait_for_contains_text(f"#{ids.CONFIG_CHECK}", "AAL: train", timeout=40)
    dash_br.find_element(f"#{ids.EXPORT_NOTEBOOK}").click()
    notebook = json.loads(downloaded(dash_br, "rnnlab_AAL_gru_lb9_fs2.ipynb").read_text())
    assert notebook["nbformat"] == 4
    assert notebook["metadata"]["rnnlab"]["config"]["look_back"] == 9

    # /compare: the selected run
    dash_br.driver.get(class_app.url + "/compare")
    wait_until(lambda: dash_br.find_elements(f'#{ids.RUNS_TABLE} .ag-row[row-id="{finished.id}"]'), 20,
               "the finished run in the grid")
    dash_br.find_element(f'#{ids.RUNS_TABLE} .ag-row[row-id="{finished.id}"] .ag-selection-checkbox input').click()
    Path(dash_br.download_path, "rnnlab_AAL_lstm_lb7_fs6.ipynb").unlink(missing_ok=True)
    dash_br.find_element(f"#{ids.EXPORT_NOTEBOOK}").click()
    notebook = json.loads(downloaded(dash_br, "rnnlab_AAL_lstm_lb7_fs6.ipynb").read_text())
    assert notebook["metadata"]["rnnlab"]["config"] == store.get(finished.id).config.to_dict()
    assert dash_br.get_logs() == []
