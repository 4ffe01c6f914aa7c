"""Walk-forward backtest and the seed repeats' forecast band in Chromium, against the real app."""
import pytest
from selenium.webdriver.common.by import By

from components import ids
from conftest_helpers import wait_for

pytestmark = pytest.mark.browser


def _trace_names(dash_br, graph_id):
    return dash_br.driver.execute_script(
        f"var gd = document.querySelector('#{graph_id} .js-plotly-plot');"
        "return gd && gd.data ? gd.data.map(function (t) { return t.name; }) : [];")


def _open_train(dash_br, app_url, query=""):
    dash_br.driver.get(app_url + "/train" + query)
    dash_br.wait_for_contains_text(f"#{ids.CONFIG_CHECK}", "windows", timeout=30)


def _open_section(dash_br, summary_id):
    dash_br.find_element(f"#{summary_id}").click()
    wait_for(lambda: dash_br.find_element(f"#{summary_id}").find_element(By.XPATH, "..").get_attribute("open")
             is not None, 5, f"{summary_id} did not open")


def _set_number(dash_br, cid, value):
    box = dash_br.find_element(f"#{cid}")
    box.clear()
    box.send_keys(str(value))


def test_two_fold_backtest_fills_the_graph(dash_br, app_url):
    _open_train(dash_br, app_url, "?dataset=sp500-2012-2017&ticker=AAL&epochs=3&look_back=120")
    assert dash_br.find_element(f"#{ids.BACKTEST_SECTION}").get_attribute("open") is None
    assert not dash_br.find_element(f"#{ids.BACKTEST_START}").is_displayed()  # collapsed until used
    _open_section(dash_br, ids.BACKTEST_SUMMARY)
    assert dash_br.find_element(f"#{ids.BACKTEST_FOLDS}").get_attribute("value") == "4"
    # too short for 8 folds at look_back 120: refused with the numbers, nothing queued
    _set_number(dash_br, ids.BACKTEST_FOLDS, 8)
    dash_br.find_element(f"#{ids.BACKTEST_START}").click()
    dash_br.wait_for_contains_text(
        f"#{ids.BACKTEST_MESSAGE}", "Not started: AAL has 926 points, too few for 8 folds: fold 1's training part "
        "has 91 points; look_back 120 + foresight 6 needs at least 127", timeout=20)
    assert dash_br.find_element(f"#{ids.BACKTEST_STATUS}").text == ""

    _open_train(dash_br, app_url, "?dataset=sp500-2012-2017&ticker=AAL&epochs=3")
    _open_section(dash_br, ids.BACKTEST_SUMMARY)
    _set_number(dash_br, ids.BACKTEST_FOLDS, 2)
    dash_br.find_element(f"#{ids.BACKTEST_START}").click()
    dash_br.wait_for_contains_text(f"#{ids.BACKTEST_STATUS}", "AAL lstm walk-forward backtest, 2 folds", timeout=20)
    for fold in (1, 2):
        dash_br.wait_for_contains_text(f"#{ids.BACKTEST_STATUS}", f"fold {fold} of 2", timeout=20)
    status = dash_br.find_element(f"#{ids.BACKTEST_STATUS}")
    wait_for(lambda: status.text.count(": finished, test MAE $") == 2, 120, "the two folds did not finish")
    assert "fold 1 of 2 (train 255, validation 55, test 308 points)" in status.text
    assert "fold 2 of 2 (train 509, validation 109, test 308 points)" in status.text
    wait_for(lambda: len(_trace_names(dash_br, ids.BACKTEST_GRAPH)) == 8, 10, "backtest-graph was not drawn")
    names = _trace_names(dash_br, ids.BACKTEST_GRAPH)
    assert names[:4] == ["actual", "naive (last value of the window)", "fold 1 predicted", "fold 2 predicted"]
    assert names[4:6] == ["LSTM MAE ($)", "naive MAE ($)"]
    assert names[6].startswith("LSTM mean $") and names[6].endswith("(std over 2 folds)")
    assert names[7].startswith("naive mean $")
    ticks = [t.text for t in
             dash_br.driver.find_elements(By.CSS_SELECTOR, f"#{ids.BACKTEST_GRAPH} .xaxislayer-above text")]
    assert "fold 1" in ticks and "fold 2" in ticks  # MAE per fold
    assert "LSTM MAE $" in dash_br.find_element(f"#{ids.BACKTEST_GRAPH} .gtitle").text
    assert dash_br.find_element(f"#{ids.BACKTEST_START}").is_enabled()  # every fold ended: the poll stops

    # back on the page later, the backtest is shown again
    _open_train(dash_br, app_url, "?dataset=sp500-2012-2017&ticker=AAL&epochs=3")
    _open_section(dash_br, ids.BACKTEST_SUMMARY)
    wait_for(lambda: len(_trace_names(dash_br, ids.BACKTEST_GRAPH)) == 8, 20, "the backtest was not shown again")
    assert dash_br.get_logs() == []


def test_seed_repeats_show_the_forecast_band(dash_br, app_url):
    _open_train(dash_br, app_url, "?dataset=sp500-2012-2017&ticker=AAL&epochs=3&arch=gru")
    _open_section(dash_br, ids.GROUP_SUMMARY)
    _set_number(dash_br, ids.SEED_REPEATS, 3)
    dash_br.find_element(f"#{ids.SEED_REPEAT_BUTTON}").click()
    for seed in (0, 1, 2):
        dash_br.wait_for_contains_text(f"#{ids.GROUP_STATUS}", f"gru seed {seed}: finished", timeout=120)
    wait_for(lambda: "min-max over 3 seeds" in _trace_names(dash_br, ids.GROUP_PREDICTION_GRAPH), 10,
             "the band over 3 seeds was not drawn")
    assert _trace_names(dash_br, ids.GROUP_PREDICTION_GRAPH) == [
        "actual", "min-max over 3 seeds", "mean prediction (GRU, 3 seeds)", "naive (last value of the window)"]
    legend = dash_br.find_element(f"#{ids.GROUP_PREDICTION_GRAPH} .legend").text
    assert "min-max over 3 seeds" in legend
    dash_br.find_element(f"#{ids.BAND_KIND} input[value='2std']").click()
    wait_for(lambda: "±2 std over 3 seeds" in _trace_names(dash_br, ids.GROUP_PREDICTION_GRAPH), 10,
             "the ±2 std band was not drawn")
    assert "±2 std over 3 seeds" in dash_br.find_element(f"#{ids.GROUP_PREDICTION_GRAPH} .legend").text
    assert dash_br.get_logs() == []


def test_a_backtest_shows_progress_and_can_be_cancelled(dash_br, app_url):
    _open_train(dash_br, app_url, "?dataset=sp500-2012-2017&ticker=AAL&epochs=400&arch=conv1d")
    _open_section(dash_br, ids.BACKTEST_SUMMARY)
    _set_number(dash_br, ids.BACKTEST_FOLDS, 3)
    dash_br.find_element(f"#{ids.BACKTEST_START}").click()
    dash_br.wait_for_contains_text(f"#{ids.BACKTEST_PROGRESS}", "of 1200 epochs", timeout=30)
    assert not dash_br.find_element(f"#{ids.BACKTEST_START}").is_enabled()  # one backtest at a time
    dash_br.find_element(f"#{ids.BACKTEST_CANCEL}").click()
    dash_br.wait_for_contains_text(f"#{ids.BACKTEST_MESSAGE}", "Cancelled 3 folds of the backtest.", timeout=20)
    status = dash_br.find_element(f"#{ids.BACKTEST_STATUS}")
    wait_for(lambda: status.text.count(": cancelled") == 3, 30, "the folds were not cancelled")
    wait_for(lambda: dash_br.find_element(f"#{ids.BACKTEST_START}").is_enabled(), 10, "Run backtest stayed off")
    assert dash_br.find_element(f"#{ids.BACKTEST_PROGRESS}").text == ""
    assert dash_br.get_logs() == []
