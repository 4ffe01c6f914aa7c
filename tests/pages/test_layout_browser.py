"""Layout rules in Chromium: no page scrolls sideways, chart titles are never covered, the core
loop of /train fits one screen with the teaching sections collapsed, Train and Cancel by keyboard,
and a missing choice is refused in words."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from components import ids
from conftest_helpers import wait_for
from modeling.config import TrainConfig
from modeling.data import LECTURE_DATASET
from service.store import RunStore

pytestmark = pytest.mark.browser

# For every chart on the page: its title's box, and the boxes of what could cover it (legend,
# range buttons), all relative to the viewport, plus the chart's own box.
CHART_BOXES_JS = """
const box = el => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
return Array.from(document.querySelectorAll('.js-plotly-plot')).filter(gd => gd.offsetParent !== null).map(gd => ({
    id: gd.parentElement.id || gd.id,
    chart: box(gd),
    title: Array.from(gd.querySelectorAll('.gtitle')).filter(t => t.textContent).map(t => [t.textContent, box(t)]),
    covers: Array.from(gd.querySelectorAll('.legend, .rangeselector')).map(box),
}));
"""
OVERFLOW_JS = "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];"


def overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def assert_titles_visible(dash_br, expected: set[str]) -> None:
    charts = dash_br.driver.execute_script(CHART_BOXES_JS)
    titled = {chart["id"] for chart in charts if chart["title"]}
    assert expected <= titled, (expected, titled)
    for chart in charts:
        for text, title in chart["title"]:
            left, top, right, bottom = chart["chart"]
            assert left <= title[0] and title[2] <= right and top <= title[1] and title[3] <= bottom, \
                f"{chart['id']}: the title {text!r} runs out of its chart"
            for cover in chart["covers"]:
                assert not overlap(title, cover), f"{chart['id']}: the title {text!r} is covered at {cover}"


@pytest.fixture(scope="module")
def finished(live_app):
    """A short finished run on the lecture's AAL, trained by the app's own trainers."""
    store = RunStore(live_app.data_dir)
    run = store.create(TrainConfig(dataset=LECTURE_DATASET, ticker="AAL", epochs=3))
    wait_for(lambda: not store.get(run.id).active, 120, "the run did not end")
    assert store.get(run.id).status == "finished"
    return run


@pytest.mark.parametrize("width", [1280, 1920])
def test_no_page_scrolls_sideways_and_titles_stay_visible(dash_br, app_url, finished, width):
    dash_br.driver.set_window_size(width, 1000)
    try:
        for path, ready, charts in (
                ("/?ticker=AAPL", f"#{ids.EXPLORE_SUMMARY}", {ids.PRICE_GRAPH, ids.CANDLE_GRAPH}),
                (f"/train?run={finished.id}", f"#{ids.METRICS}", {ids.LOSS_GRAPH, ids.PREDICTION_GRAPH}),
                ("/compare", f"#{ids.RUNS_TABLE}", set()),
                ("/sweep", f"#{ids.SWEEP_GRID_SIZE}", set())):
            dash_br.driver.get(app_url + path)
            dash_br.wait_for_element(ready, timeout=30)
            if path.startswith("/?"):
                dash_br.wait_for_contains_text(f"#{ids.EXPLORE_SUMMARY}", "Apple", timeout=30)
                wait_for(lambda: "AAPL daily" in dash_br.find_element(f"#{ids.CANDLE_GRAPH}").text, 20,
                         "the candlesticks did not show AAPL")
            elif path.startswith("/train"):
                dash_br.wait_for_contains_text(f"#{ids.METRICS}", "naive forecast", timeout=30)
                wait_for(lambda: "actual vs predicted" in dash_br.find_element(f"#{ids.PREDICTION_GRAPH}").text,
                         20, "the prediction chart did not show")
            elif path == "/compare":
                dash_br.wait_for_contains_text(f"#{ids.RUNS_TABLE}", finished.id, timeout=30)
            else:
                dash_br.wait_for_contains_text(f"#{ids.SWEEP_GRID_SIZE}", "9 runs", timeout=30)
            scroll_width, client_width = dash_br.driver.execute_script(OVERFLOW_JS)
            assert scroll_width <= client_width, f"{path} scrolls sideways at {width} px: {scroll_width}"
            assert_titles_visible(dash_br, charts)
        assert dash_br.get_logs() == []
    finally:
        dash_br.driver.set_window_size(1400, 1000)


def test_core_loop_fits_one_screen_with_teaching_sections_collapsed(dash_br, app_url):
    dash_br.driver.set_window_size(1400, 1000)
    dash_br.driver.get(app_url + "/train")
    dash_br.wait_for_contains_text(f"#{ids.CONFIG_CHECK}", "windows", timeout=30)
    height = dash_br.driver.execute_script("return window.innerHeight;")
    for cid in (ids.DATASET, ids.TICKER, ids.EPOCHS, ids.TRAIN_BUTTON, ids.LOSS_GRAPH, ids.PREDICTION_GRAPH):
        bottom = dash_br.driver.execute_script(
            f"return document.getElementById('{cid}').getBoundingClientRect().bottom;")
        assert bottom <= height, f"#{cid} ends at {bottom} px, below the {height} px screen"
    for section in (ids.GROUP_SECTION, ids.WINDOW_SECTION):
        assert dash_br.find_element(f"#{section}").get_attribute("open") is None
    for hidden in (ids.TRAIN_ALL_BUTTON, ids.GROUP_PREDICTION_GRAPH, ids.SEED_LOSS_GRAPH, ids.WINDOW_GRAPH):
        assert not dash_br.find_element(f"#{hidden}").is_displayed()
    assert dash_br.get_logs() == []


def tab_to(dash_br, cid: str, most: int = 4) -> None:
    """Press Tab until ``cid`` has the focus (at most ``most`` times)."""
    for _ in range(most):
        ActionChains(dash_br.driver).send_keys(Keys.TAB).perform()
        if dash_br.driver.execute_script("return document.activeElement.id;") == cid:
            return
    raise AssertionError(f"#{cid} was not reached with {most} Tabs")


def test_train_and_cancel_by_keyboard(dash_br, app_url, live_app):
    store = RunStore(live_app.data_dir)
    known = {r.id for r in store.list()}
    dash_br.driver.get(app_url + "/train?epochs=500")
    dash_br.wait_for_contains_text(f"#{ids.CONFIG_CHECK}", "windows", timeout=30)
    dash_br.find_element(f"#{ids.PATIENCE}").click()  # the form's last field
    tab_to(dash_br, ids.TRAIN_BUTTON)
    ActionChains(dash_br.driver).send_keys(Keys.ENTER).perform()
    wait_for(lambda: any(r.id not in known for r in store.list()), 10, "Enter on Train started no run")
    (run,) = [r for r in store.list() if r.id not in known]
    wait_for(lambda: dash_br.find_element(f"#{ids.CANCEL_BUTTON}").is_enabled(), 20, "Cancel was not enabled")
    dash_br.find_element(f"#{ids.PATIENCE}").click()
    tab_to(dash_br, ids.CANCEL_BUTTON)  # Train is disabled while the run is active: Tab skips it
    ActionChains(dash_br.driver).send_keys(Keys.SPACE).perform()
    dash_br.wait_for_contains_text(f"#{ids.RUN_STATUS}", "cancelled", timeout=20)
    assert store.get(run.id).status == "cancelled"
    assert dash_br.get_logs() == []


def test_a_cleared_ticker_is_refused_in_words(dash_br, app_url, live_app):
    store = RunStore(live_app.data_dir)
    before = len(store.list())
    dash_br.driver.get(app_url + "/train")
    dash_br.wait_for_contains_text(f"#{ids.CONFIG_CHECK}", "AAL: train", timeout=30)
    dash_br.find_element(f"#{ids.TICKER} .dash-dropdown-clear").click()
    dash_br.wait_for_text_to_equal(f"#{ids.CONFIG_CHECK}", "choose a ticker", timeout=10)
    dash_br.find_element(f"#{ids.TRAIN_BUTTON}").click()
    dash_br.wait_for_text_to_equal(f"#{ids.START_MESSAGE}", "Not started: choose a ticker", timeout=10)
    assert len(store.list()) == before
    assert dash_br.get_logs() == []
