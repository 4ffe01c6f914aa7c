"""The Sweep page in Chromium: a too-large grid is refused with its size, a small sweep fills the
heatmap and reaches "2 of 2 finished", a scan over one sector shows its table, headline, map and
skipped ticker; Compare lists both and a link opens a sweep again. The console stays clean.

Runs go through the real app and its warm trainers; Conv1D with 5 epochs keeps every run short."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from components import ids
from conftest_helpers import wait_until
from service.store import RunStore

pytestmark = pytest.mark.browser

GRAPH_JS = "var d = document.querySelector('#%s .js-plotly-plot'); return d && d.data ? d.data : [];"


def open_sweep(dash_br, url: str) -> None:
    dash_br.driver.get(url)
    dash_br.wait_for_contains_text(f"#{ids.SWEEP_GRID_SIZE}", "runs", timeout=30)


def set_number(dash_br, cid: str, value) -> None:
    box = dash_br.find_element(f"#{cid}")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(str(value), Keys.TAB)


def toggle(dash_br, cid: str, *values) -> None:
    """Open a Dash 4 dropdown and click its options with these values (on in a multi-select: off)."""
    dash_br.find_element(f"#{cid}").click()
    for value in values:
        option = dash_br.wait_for_element(f'.dash-dropdown-content input[value="{value}"]', timeout=5)
        option.find_element(By.XPATH, "./ancestor::label").click()
    dash_br.find_element("h1").click()  # close it


def graph_data(dash_br, cid: str) -> list[dict]:
    return dash_br.driver.execute_script(GRAPH_JS % cid)


def filled_cells(dash_br) -> int:
    return sum(v is not None for t in graph_data(dash_br, ids.SWEEP_HEATMAP) if t.get("type") == "heatmap"
               for row in t.get("z", []) for v in row)


def test_a_grid_over_the_cap_is_refused_with_its_size(dash_br, app_url, live_app):
    open_sweep(dash_br, app_url + "/sweep")
    assert dash_br.find_element(f"#{ids.SWEEP_GRID_SIZE}").text == \
        "9 runs: 3 look_backs x 3 networks x 1 foresight x 1 seed"  # the default grid
    set_number(dash_br, ids.SWEEP_SEEDS, 5)
    toggle(dash_br, ids.SWEEP_FORESIGHTS, 1)
    refusal = "This grid is 90 runs (3 look_backs x 3 networks x 2 foresights x 5 seeds); a sweep holds at most 60"
    dash_br.wait_for_text_to_equal(f"#{ids.SWEEP_GRID_SIZE}", refusal, timeout=10)
    dash_br.find_element(f"#{ids.SWEEP_START}").click()
    dash_br.wait_for_text_to_equal(f"#{ids.SWEEP_MESSAGE}", "Not started: " + refusal, timeout=10)
    assert RunStore(live_app.data_dir).list() == []
    assert dash_br.get_logs() == []


def test_a_small_sweep_fills_the_heatmap_and_a_scan_shows_where_it_beats_naive(dash_br, app_url, live_app):
    store = RunStore(live_app.data_dir)
    open_sweep(dash_br, app_url + "/sweep")
    set_number(dash_br, ids.SWEEP_EPOCHS, 5)
    toggle(dash_br, ids.SWEEP_LOOK_BACKS, 30)
    toggle(dash_br, ids.SWEEP_ARCHITECTURES, "lstm", "gru")
    dash_br.wait_for_text_to_equal(f"#{ids.SWEEP_GRID_SIZE}",
                                   "2 runs: 2 look_backs x 1 network x 1 foresight x 1 seed", timeout=10)
    dash_br.find_element(f"#{ids.SWEEP_START}").click()
    dash_br.wait_for_contains_text(f"#{ids.SWEEP_PROGRESS}", "2 of 2 finished", timeout=60)
    wait_until(lambda: filled_cells(dash_br) == 2, 10, "both heatmap cells filled")
    sweep = store.list_collections(kind="sweep")[0]
    assert dash_br.driver.current_url.endswith(f"/sweep?id={sweep.id}")
    runs = store.group(sweep.id)
    assert [(r.status, r.config.look_back, r.config.arch, r.config.epochs) for r in runs] == [
        ("finished", 7, "conv1d", 5), ("finished", 14, "conv1d", 5)]
    heat = [t for t in graph_data(dash_br, ids.SWEEP_HEATMAP) if t["type"] == "heatmap"][0]
    assert heat["y"] == ["7", "14"] and heat["x"] == ["Conv1D"]
    assert [row[0] for row in heat["z"]] == pytest.approx([r.metrics["test_mae"] for r in runs], abs=1e-4)
    assert len(graph_data(dash_br, ids.SWEEP_PARALLEL)[0]["dimensions"]) == 6
    wait_until(lambda: dash_br.find_element(f"#{ids.SWEEP_CANCEL}").get_attribute("disabled") is not None, 5,
               "Cancel disabled once the sweep has ended")

    # A scan over one sector: 24 Materials tickers trained, DWDP too short for look_back 10.
    toggle(dash_br, ids.SCAN_SECTOR, "Materials")
    set_number(dash_br, ids.SCAN_LOOK_BACK, 10)
    toggle(dash_br, ids.SCAN_ARCHITECTURE, "conv1d")
    dash_br.find_element(f"#{ids.SCAN_START}").click()
    dash_br.wait_for_contains_text(f"#{ids.SWEEP_PROGRESS}", "24 of 24 finished", timeout=120)
    headline = dash_br.find_element(f"#{ids.SCAN_HEADLINE}").text
    assert headline.startswith("Conv1D beats the naive forecast on ") and headline.endswith(" of 24 tickers")
    skipped = dash_br.find_element(f"#{ids.SCAN_SKIPPED}").text
    assert "DWDP: DWDP validation split has 16 points; look_back 10 + foresight 6 needs at least 17" in skipped
    assert len(dash_br.find_elements(f"#{ids.SCAN_TABLE} .ag-center-cols-container .ag-row")) == 20  # one page
    tiles = graph_data(dash_br, ids.SCAN_MAP)[0]
    assert tiles["type"] == "treemap" and sorted(tiles["parents"]).count("Materials") == 24
    assert graph_data(dash_br, ids.SCAN_HISTOGRAM)[0]["type"] == "histogram"
    assert not dash_br.find_element(f"#{ids.SWEEP_RESULTS}").is_displayed()
    assert dash_br.get_logs() == []

    # Compare lists both; the sweep's link shows its heatmap again.
    dash_br.driver.get(app_url + "/compare")
    dash_br.wait_for_contains_text(f"#{ids.COMPARE_COLLECTIONS}", "Sweeps and scans (2)", timeout=20)
    listed = dash_br.find_element(f"#{ids.COMPARE_COLLECTIONS}").text
    assert "24 of 24" in listed and "2 of 2" in listed
    dash_br.find_element(f'#{ids.COMPARE_COLLECTIONS} a[href="/sweep?id={sweep.id}"]').click()
    dash_br.wait_for_contains_text(f"#{ids.SWEEP_PROGRESS}", "2 of 2 finished", timeout=20)
    wait_until(lambda: filled_cells(dash_br) == 2, 10, "the sweep's heatmap again")
    assert dash_br.get_logs() == []

    # A click on a cell (the upper one: look_back 14) opens its run on Train.
    plot = dash_br.find_element(f"#{ids.SWEEP_HEATMAP} .nsewdrag")
    dash_br.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", plot)
    ActionChains(dash_br.driver).move_to_element(plot).move_by_offset(0, -plot.size["height"] // 4).pause(0.3) \
        .click().perform()
    # Train opens /train?run=<id>, then its form writes the run's settings into the URL (a shareable link)
    wait_until(lambda: "/train?" in dash_br.driver.current_url, 10, "the run on Train")
    dash_br.wait_for_contains_text(f"#{ids.RUN_STATUS}", f"Run {runs[1].id}: finished", timeout=20)
    assert dash_br.get_logs() == []


def test_one_active_sweep_per_browser_and_cancel_ends_it(dash_br, app_url, live_app):
    store = RunStore(live_app.data_dir)
    open_sweep(dash_br, app_url + "/sweep")
    set_number(dash_br, ids.SWEEP_EPOCHS, 500)
    toggle(dash_br, ids.SWEEP_LOOK_BACKS, 30)
    toggle(dash_br, ids.SWEEP_ARCHITECTURES, "gru", "conv1d")
    dash_br.wait_for_text_to_equal(f"#{ids.SWEEP_GRID_SIZE}",
                                   "2 runs: 2 look_backs x 1 network x 1 foresight x 1 seed", timeout=10)
    dash_br.find_element(f"#{ids.SWEEP_START}").click()
    dash_br.wait_for_contains_text(f"#{ids.SWEEP_PROGRESS}", "0 of 2 finished", timeout=20)
    sweep = store.list_collections(kind="sweep")[0]
    known = [c.id for c in store.list_collections()]
    dash_br.find_element(f"#{ids.SCAN_START}").click()  # a second one from the same browser
    dash_br.wait_for_contains_text(f"#{ids.SWEEP_MESSAGE}", "Not started: this browser already has an active "
                                   "sweep (AAL: look_back 7, 14 x lstm x foresight 6: 0 of 2 finished", timeout=10)
    assert [c.id for c in store.list_collections()] == known  # nothing new was queued
    wait_until(lambda: dash_br.find_element(f"#{ids.SWEEP_CANCEL}").get_attribute("disabled") is None, 5,
               "Cancel enabled while the sweep runs")
    dash_br.find_element(f"#{ids.SWEEP_CANCEL}").click()
    dash_br.wait_for_text_to_equal(f"#{ids.SWEEP_MESSAGE}", "Cancelled 2 run(s) that had not finished.", timeout=10)
    dash_br.wait_for_contains_text(f"#{ids.SWEEP_PROGRESS}", "0 of 2 finished (2 cancelled)", timeout=10)
    assert [r.status for r in store.group(sweep.id)] == ["cancelled", "cancelled"]
    assert dash_br.get_logs() == []


def test_a_sweep_with_two_seeds_draws_a_cells_mean_prediction_with_its_band(dash_br, app_url, live_app):
    open_sweep(dash_br, app_url + "/sweep")
    set_number(dash_br, ids.SWEEP_EPOCHS, 5)
    toggle(dash_br, ids.SWEEP_LOOK_BACKS, 14, 30)
    toggle(dash_br, ids.SWEEP_ARCHITECTURES, "lstm", "gru")
    set_number(dash_br, ids.SWEEP_SEEDS, 2)
    dash_br.wait_for_text_to_equal(f"#{ids.SWEEP_GRID_SIZE}",
                                   "2 runs: 1 look_back x 1 network x 1 foresight x 2 seeds", timeout=10)
    dash_br.find_element(f"#{ids.SWEEP_START}").click()
    dash_br.wait_for_contains_text(f"#{ids.SWEEP_PROGRESS}", "2 of 2 finished", timeout=60)
    wait_until(lambda: "min-max over 2 seeds" in [t.get("name") for t in graph_data(dash_br, ids.SWEEP_BAND)], 15,
               "the cell's band over its two seeds")
    assert dash_br.find_element(f"#{ids.SWEEP_BAND_CELL}").text.startswith("Conv1D, look_back 7, foresight 6")
    assert dash_br.get_logs() == []
