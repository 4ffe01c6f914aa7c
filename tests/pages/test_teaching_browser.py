"""Teaching aids in Chromium: lecture preset, windowing visualizer, groups, presentation mode, links."""
import time

import pytest
from selenium.webdriver.common.by import By

from components import ids
from conftest_helpers import wait_for
from modeling.config import TrainConfig
from service.store import RunStore

pytestmark = pytest.mark.browser


def _graph_traces(dash_br, graph_id):
    return dash_br.driver.execute_script(
        f"var gd = document.querySelector('#{graph_id} .js-plotly-plot'); return gd && gd.data ? gd.data.length : 0")


def _open_train(dash_br, app_url, query=""):
    dash_br.driver.get(app_url + "/train" + query)
    dash_br.wait_for_contains_text(f"#{ids.CONFIG_CHECK}", "windows", timeout=30)


def _open_section(dash_br, summary_id):
    """Teaching sections are collapsed until used: open one by its summary."""
    dash_br.find_element(f"#{summary_id}").click()
    wait_for(lambda: dash_br.find_element(f"#{summary_id}").find_element(By.XPATH, "..").get_attribute("open")
             is not None, 5, f"{summary_id} did not open")


def test_lecture_preset_and_window_visualizer(dash_br, app_url):
    _open_train(dash_br, app_url)
    _open_section(dash_br, ids.WINDOW_SUMMARY)
    dash_br.find_element(f"#{ids.LECTURE_PRESET}").click()
    dash_br.wait_for_contains_text(
        f"#{ids.CONFIG_CHECK}", "AAL: train 648, validation 139, test 139 points; 635 / 126 / 126 windows", timeout=30)
    dash_br.wait_for_contains_text(f"#{ids.WINDOW_TEXT}", "0.13857557 0.16467934 0.20206252 0.31324525", timeout=20)
    dash_br.wait_for_contains_text(f"#{ids.WINDOW_TEXT}", "y[0] = 0.37093136", timeout=20)
    dash_br.wait_for_contains_text(f"#{ids.WINDOW_TEXT}", "windows: training 635, validation 126, test 126")
    assert _graph_traces(dash_br, ids.WINDOW_GRAPH) == 3
    # walk the slider one step: the next window of the lecture's validation example
    handle = dash_br.find_element(f"#{ids.WINDOW_INDEX} [role=slider]")
    handle.send_keys("\ue014")  # arrow right
    dash_br.wait_for_contains_text(f"#{ids.WINDOW_TEXT}", "y[1] = 0.36835321", timeout=20)
    assert "look_back=7" in dash_br.driver.current_url and "dataset=sp500-2012-2017" in dash_br.driver.current_url
    assert dash_br.get_logs() == []


def test_shared_link_reproduces_the_settings(dash_br, app_url):
    _open_train(dash_br, app_url, "?dataset=sp500-2012-2017&ticker=AAL&look_back=10&foresight=2&arch=gru&epochs=12")
    dash_br.wait_for_contains_text(f"#{ids.CONFIG_CHECK}", "windows of 10 values", timeout=20)
    assert dash_br.find_element(f"#{ids.EPOCHS}").get_attribute("value") == "12"
    dash_br.wait_for_contains_text(f"#{ids.ARCHITECTURE}", "GRU")
    _open_train(dash_br, app_url, "?epochs=100000")
    dash_br.wait_for_contains_text("#_pages_content", "The link's settings were not used: epochs must be between 1 and 500")
    assert dash_br.get_logs() == []


def test_run_link_opens_its_results(dash_br, app_url, live_app):
    store = RunStore(live_app.data_dir)
    run = store.create(TrainConfig(dataset="sp500-2012-2017", arch="conv1d", epochs=3, look_back=9))
    wait_for(lambda: store.get(run.id).status == "finished", 120, "the app's trainers did not train the run")
    _open_train(dash_br, app_url, f"?run={run.id}")
    dash_br.wait_for_contains_text(f"#{ids.RUN_STATUS}", f"Run {run.id}: finished", timeout=20)
    dash_br.wait_for_contains_text(f"#{ids.METRICS}", "naive forecast", timeout=20)
    assert _graph_traces(dash_br, ids.PREDICTION_GRAPH) == 3
    assert dash_br.find_element(f"#{ids.LOOK_BACK}").get_attribute("value") == "9"
    assert dash_br.get_logs() == []


def test_train_all_three_and_seed_repeats(dash_br, app_url):
    _open_train(dash_br, app_url, "?dataset=sp500-2012-2017&ticker=AAL&epochs=3")
    assert not dash_br.find_element(f"#{ids.TRAIN_ALL_BUTTON}").is_displayed()  # collapsed until used
    _open_section(dash_br, ids.GROUP_SUMMARY)
    dash_br.find_element(f"#{ids.TRAIN_ALL_BUTTON}").click()
    dash_br.wait_for_contains_text(f"#{ids.GROUP_STATUS}", "All three networks", timeout=20)
    for kind in ("lstm", "gru", "conv1d"):
        dash_br.wait_for_contains_text(f"#{ids.GROUP_STATUS}", f"{kind} seed 0: finished", timeout=90)
    time.sleep(1.5)
    assert _graph_traces(dash_br, ids.GROUP_PREDICTION_GRAPH) == 5  # actual, naive and three networks
    assert _graph_traces(dash_br, ids.GROUP_MAE_GRAPH) == 2  # bars and the naive line

    repeats = dash_br.find_element(f"#{ids.SEED_REPEATS}")
    repeats.clear()
    repeats.send_keys("3")
    dash_br.find_element(f"#{ids.SEED_REPEAT_BUTTON}").click()
    dash_br.wait_for_contains_text(f"#{ids.GROUP_STATUS}", "Seed repeats", timeout=20)
    for seed in (0, 1, 2):
        dash_br.wait_for_contains_text(f"#{ids.GROUP_STATUS}", f"lstm seed {seed}: finished", timeout=90)
    dash_br.wait_for_contains_text(f"#{ids.SEED_SUMMARY}", "standard deviation over 3 seeds", timeout=20)
    assert _graph_traces(dash_br, ids.SEED_LOSS_GRAPH) == 4  # mean and band for validation and training
    assert dash_br.get_logs() == []


def test_presentation_mode_holds_across_pages(dash_br, app_url):
    dash_br.driver.get(app_url + "/")
    toggle = dash_br.wait_for_element(f"#{ids.PRESENTATION_TOGGLE}", timeout=20)
    toggle.click()
    dash_br.wait_for_text_to_equal(f"#{ids.PRESENTATION_TOGGLE}", "Presentation mode: on")
    assert "presentation" in dash_br.find_element("body").get_attribute("class")
    dash_br.driver.find_element(By.LINK_TEXT, "Train").click()
    dash_br.wait_for_element(f"#{ids.TRAIN_BUTTON}", timeout=20)
    assert "presentation" in dash_br.find_element("body").get_attribute("class")
    dash_br.driver.get(app_url + "/compare")  # a fresh page load keeps it too (local storage)
    dash_br.wait_for_text_to_equal(f"#{ids.PRESENTATION_TOGGLE}", "Presentation mode: on", timeout=20)
    assert "presentation" in dash_br.find_element("body").get_attribute("class")
    font = dash_br.driver.execute_script("return getComputedStyle(document.body).fontSize")
    assert font == "21px"
    dash_br.find_element(f"#{ids.PRESENTATION_TOGGLE}").click()
    dash_br.wait_for_text_to_equal(f"#{ids.PRESENTATION_TOGGLE}", "Presentation mode")
    assert "presentation" not in (dash_br.find_element("body").get_attribute("class") or "")
    assert dash_br.get_logs() == []
