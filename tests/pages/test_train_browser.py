"""The Train page in Chromium: the form, a training run from click to results, cancel, leaving and coming back.

Runs go through the real app (``python app.py``): Train submits the run to the run service, the
app's warm trainer processes train it, and the page follows it through its one poll. Right after the app starts, the trainers are still warming up (importing
TensorFlow, tracing), so the first run waits a few seconds; then an epoch takes some tens of ms, and
long runs (500 epochs) are used where a test must act while a run is still going.
"""
from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from components import ids
from modeling.data import LECTURE_DATASET
from service.store import RunStore

pytestmark = pytest.mark.browser

LOSS_POINTS_JS = """
var d = document.querySelector('#%s .js-plotly-plot');
return d && d.data && d.data.length ? d.data[0].x.length : 0;
"""
TRACES_JS = "var d = document.querySelector('#%s .js-plotly-plot'); return d && d.data ? d.data.length : 0;"


# ------------------------------------------------------------------------------------------ helpers


def open_train(dash_br, app_url):
    dash_br.driver.get(app_url + "/train")
    # the first visit of a fresh server loads the default dataset: allow for it
    dash_br.wait_for_contains_text(f"#{ids.CONFIG_CHECK}", "AAL: train", timeout=40)


def set_number(dash_br, cid: str, value) -> None:
    """Type into a debounced dcc.Input: select all, type, leave the field (TAB sends the value)."""
    box = dash_br.find_element(f"#{cid}")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(str(value), Keys.TAB)


def pick(dash_br, cid: str, value: str, search: str | None = None) -> None:
    """Open a Dash 4 dropdown, optionally type in its search box, and click the option with that value."""
    dash_br.find_element(f"#{cid}").click()
    if search is not None:
        box = dash_br.wait_for_element(".dash-dropdown-content .dash-dropdown-search", timeout=5)
        box.send_keys(search)
    option = dash_br.wait_for_element(f'.dash-dropdown-content input[type=radio][value="{value}"]', timeout=5)
    option.find_element(By.XPATH, "./ancestor::label").click()


def text_of(dash_br, cid: str) -> str:
    return dash_br.find_element(f"#{cid}").text


def points(dash_br, cid: str = ids.LOSS_GRAPH) -> int:
    return dash_br.driver.execute_script(LOSS_POINTS_JS % cid)


def traces(dash_br, cid: str) -> int:
    return dash_br.driver.execute_script(TRACES_JS % cid)


def disabled(dash_br, cid: str) -> bool:
    return dash_br.find_element(f"#{cid}").get_attribute("disabled") is not None


def wait_until(condition, timeout: float, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {message}")


def start_run(dash_br, epochs: int) -> None:
    """Set the epochs and click Train (on the defaults: AAL, LSTM, look_back 7)."""
    set_number(dash_br, ids.EPOCHS, epochs)
    # the page's settings reach the URL once Dash has the new value: only then click
    wait_until(lambda: f"epochs={epochs}&" in dash_br.driver.current_url, 10, message="the epochs to be taken")
    dash_br.wait_for_contains_text(f"#{ids.CONFIG_CHECK}", "windows", timeout=10)
    dash_br.find_element(f"#{ids.TRAIN_BUTTON}").click()


def training_run(store: RunStore, known: set[str], timeout: float = 60):
    """The run not in ``known`` (the ids before the click), once it has recorded an epoch."""
    try:
        return wait_until(lambda: next((r for r in store.list() if r.id not in known and r.epochs_done > 0), None),
                          timeout, message="a new run with a recorded epoch")
    except AssertionError:
        new = [(r.id, r.status, r.reason) for r in store.list() if r.id not in known]
        raise AssertionError(f"no new run recorded an epoch in {timeout} s; new runs: {new}") from None


def run_ids(store: RunStore) -> set[str]:
    return {r.id for r in store.list()}


# -------------------------------------------------------------------------------------------- tests


def test_ticker_dropdown_is_searchable(dash_br, app_url):
    open_train(dash_br, app_url)
    pick(dash_br, ids.TICKER, "AAPL", search="AAPL")
    dash_br.wait_for_contains_text(f"#{ids.CONFIG_CHECK}", "AAPL: train", timeout=30)
    assert text_of(dash_br, "ticker-value").startswith("AAPL · Apple")
    dash_br.find_element(f"#{ids.TICKER}").click()
    box = dash_br.wait_for_element(".dash-dropdown-content .dash-dropdown-search", timeout=5)
    box.send_keys("AAL")
    shown = wait_until(lambda: dash_br.find_elements(".dash-dropdown-content input[type=radio]"), 5,
                       message="filtered options")
    assert 1 <= len(shown) < 20  # the search filtered 505 tickers down
    option = dash_br.find_element('.dash-dropdown-content input[type=radio][value="AAL"]')
    option.find_element(By.XPATH, "./ancestor::label").click()
    dash_br.wait_for_contains_text(f"#{ids.CONFIG_CHECK}", "AAL: train 881, validation 189, test 189 points",
                                   timeout=10)
    assert dash_br.get_logs() == []


def test_invalid_combination_is_explained_and_not_started(dash_br, app_url, live_app):
    store = RunStore(live_app.data_dir)
    before = len(store.list())
    open_train(dash_br, app_url)
    pick(dash_br, ids.ARCHITECTURE, "conv1d")
    set_number(dash_br, ids.LOOK_BACK, 4)
    expected = "Conv1D kernel_size 5 needs look_back of at least 6"
    dash_br.wait_for_contains_text(f"#{ids.CONFIG_CHECK}", expected, timeout=10)
    dash_br.find_element(f"#{ids.TRAIN_BUTTON}").click()
    dash_br.wait_for_contains_text(f"#{ids.START_MESSAGE}", f"Not started: {expected}", timeout=10)
    assert text_of(dash_br, ids.RUN_STATUS) == ""
    assert len(store.list()) == before
    assert dash_br.get_logs() == []


def test_out_of_range_look_back_is_refused(dash_br, app_url, live_app):
    store = RunStore(live_app.data_dir)
    before = len(store.list())
    open_train(dash_br, app_url)
    set_number(dash_br, ids.LOOK_BACK, 300)
    dash_br.find_element(f"#{ids.TRAIN_BUTTON}").click()
    dash_br.wait_for_contains_text(f"#{ids.START_MESSAGE}", "Not started:", timeout=5)
    assert "look_back" in text_of(dash_br, ids.CONFIG_CHECK)
    assert len(store.list()) == before


def test_training_run_ends_with_predictions_and_metrics(dash_br, app_url, live_app):
    store = RunStore(live_app.data_dir)
    open_train(dash_br, app_url)
    pick(dash_br, ids.DATASET, LECTURE_DATASET)
    dash_br.wait_for_contains_text(f"#{ids.CONFIG_CHECK}", "AAL: train 648, validation 139, test 139 points",
                                   timeout=20)
    dash_br.wait_for_contains_text("#ticker-value", "AAL · American Airlines", timeout=30)
    assert disabled(dash_br, ids.CANCEL_BUTTON) and not disabled(dash_br, ids.TRAIN_BUTTON)
    known = run_ids(store)
    start_run(dash_br, 40)
    wait_until(lambda: disabled(dash_br, ids.TRAIN_BUTTON), 5, message="Train disabled while running")
    assert not disabled(dash_br, ids.CANCEL_BUTTON)
    dash_br.wait_for_contains_text(f"#{ids.RUN_STATUS}", "finished", timeout=90)
    (run,) = [r for r in store.list() if r.id not in known]
    assert f"Run {run.id}: finished" in text_of(dash_br, ids.RUN_STATUS)
    assert run.status == "finished" and run.config.dataset == LECTURE_DATASET and run.config.epochs == 40
    wait_until(lambda: traces(dash_br, ids.PREDICTION_GRAPH) == 3, 10, message="3 prediction traces")
    assert points(dash_br, ids.PREDICTION_GRAPH) == len(run.result["predictions"]["date"])
    wait_until(lambda: points(dash_br) == 40, 10, message="40 loss points")
    assert "naive forecast" in text_of(dash_br, ids.METRICS)
    assert "Total params" in text_of(dash_br, ids.MODEL_SUMMARY)
    wait_until(lambda: not disabled(dash_br, ids.TRAIN_BUTTON), 5, message="Train enabled after the run")
    assert disabled(dash_br, ids.CANCEL_BUTTON)
    assert dash_br.get_logs() == []


def test_loss_curve_grows_while_training(dash_br, app_url):
    open_train(dash_br, app_url)
    start_run(dash_br, 150)
    seen_running_with_points = False
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        status = text_of(dash_br, ids.RUN_STATUS)
        if "finished" in status:
            break
        first = points(dash_br)
        if "running" in status and first > 0:
            seen_running_with_points = True
            assert "epoch" in text_of(dash_br, ids.PROGRESS)
            break
        time.sleep(0.1)
    assert seen_running_with_points, "the loss curve showed no point before the run finished"
    wait_until(lambda: points(dash_br) > first, 10, message="the loss curve to grow")
    dash_br.wait_for_contains_text(f"#{ids.RUN_STATUS}", "finished", timeout=60)
    wait_until(lambda: points(dash_br) == 150, 10, message="all 150 loss points")
    assert dash_br.get_logs() == []


def start_long_run(dash_br, app_url, live_app, epochs: int = 500):
    """Open /train, start a long run and return the store and the run once it trains."""
    store = RunStore(live_app.data_dir)
    open_train(dash_br, app_url)
    known = run_ids(store)
    start_run(dash_br, epochs)
    return store, training_run(store, known)


def test_cancel_stops_the_run(dash_br, app_url, live_app):
    store, run = start_long_run(dash_br, app_url, live_app)
    wait_until(lambda: points(dash_br) > 0, 60, message="a first loss point")
    assert "running" in text_of(dash_br, ids.RUN_STATUS)
    wait_until(lambda: not disabled(dash_br, ids.CANCEL_BUTTON), 5, message="Cancel enabled")
    dash_br.find_element(f"#{ids.CANCEL_BUTTON}").click()
    dash_br.wait_for_contains_text(f"#{ids.RUN_STATUS}", "cancelled", timeout=15)
    assert run.id in text_of(dash_br, ids.RUN_STATUS)
    time.sleep(3)
    assert "cancelled" in text_of(dash_br, ids.RUN_STATUS)
    assert "finished" not in text_of(dash_br, ids.RUN_STATUS)
    cancelled = store.get(run.id)
    assert cancelled.status == "cancelled" and cancelled.epochs_done < 500
    wait_until(lambda: not disabled(dash_br, ids.TRAIN_BUTTON), 5, message="Train enabled after cancel")
    assert dash_br.get_logs() == []


def leave_and_come_back(dash_br):
    dash_br.find_element(f"#{ids.NAV}").find_element(By.LINK_TEXT, "Compare").click()
    dash_br.wait_for_element(f"#{ids.RUNS_TABLE}", timeout=10)
    dash_br.find_element(f"#{ids.NAV}").find_element(By.LINK_TEXT, "Train").click()
    dash_br.wait_for_element(f"#{ids.TRAIN_BUTTON}", timeout=10)


def test_run_is_shown_again_after_leaving_the_page(dash_br, app_url, live_app):
    store, run = start_long_run(dash_br, app_url, live_app)
    leave_and_come_back(dash_br)
    dash_br.wait_for_contains_text(f"#{ids.RUN_STATUS}", f"Run {run.id}:", timeout=10)
    first = wait_until(lambda: points(dash_br), 10, message="loss points after coming back")
    assert "running" in text_of(dash_br, ids.RUN_STATUS)
    # the page keeps following the run (it polls the store while the run is active)
    wait_until(lambda: points(dash_br) > first, 10, message="the loss curve to keep growing")
    assert "epoch" in text_of(dash_br, ids.PROGRESS)
    assert dash_br.get_logs() == []


def test_cancel_is_possible_after_coming_back(dash_br, app_url, live_app):
    store, run = start_long_run(dash_br, app_url, live_app)
    leave_and_come_back(dash_br)
    dash_br.wait_for_contains_text(f"#{ids.RUN_STATUS}", f"Run {run.id}: running", timeout=10)
    wait_until(lambda: not disabled(dash_br, ids.CANCEL_BUTTON), 3, message="Cancel enabled for the active run")
    assert disabled(dash_br, ids.TRAIN_BUTTON)
