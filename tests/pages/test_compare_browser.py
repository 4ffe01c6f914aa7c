"""The Compare page in Chromium: the runs grid (sort, filter, multi-select), overlaying selected runs,
deleting one."""
from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.keys import Keys

from components import ids
from conftest_helpers import wait_until
from modeling.config import TrainConfig
from modeling.data import LECTURE_DATASET
from service.store import RunStore

pytestmark = pytest.mark.browser

DATA_JS = "var d = document.querySelector('#%s .js-plotly-plot'); return d && d.data ? d.data : [];"


@pytest.fixture(scope="module")
def two_runs(live_app):
    """Two short finished runs (LSTM, GRU) on the lecture's AAL, queued in the app's store and
    trained by the app's own trainer processes."""
    store = RunStore(live_app.data_dir)
    queued = [store.create(TrainConfig(dataset=LECTURE_DATASET, ticker="AAL", arch=arch, epochs=3))
              for arch in ("lstm", "gru")]
    wait_until(lambda: not any(store.get(r.id).active for r in queued), 120, "the two runs to end")
    runs = [store.get(r.id) for r in queued]
    assert [r.status for r in runs] == ["finished", "finished"], [r.reason for r in runs]
    return runs


def graph_data(dash_br, cid: str) -> list[dict]:
    return dash_br.driver.execute_script(DATA_JS % cid)


def table_ids(dash_br) -> list[str]:
    """The run ids in the grid's rows, top to bottom (AG Grid orders rows by style, not DOM order)."""
    return dash_br.driver.execute_script(f"""
        const rows = Array.from(document.querySelectorAll('#{ids.RUNS_TABLE} .ag-center-cols-container .ag-row'));
        rows.sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top);
        return rows.map(r => (r.querySelector('[col-id="id"]') || {{}}).textContent || '');""")


def checkbox(dash_br, run_id: str):
    """The selection checkbox in the row of a run."""
    boxes = dash_br.find_elements(f'#{ids.RUNS_TABLE} .ag-row[row-id="{run_id}"] .ag-selection-checkbox input')
    if not boxes:
        raise AssertionError(f"no row for run {run_id}")
    return boxes[0]


def grid_text(dash_br) -> str:
    return dash_br.find_element(f"#{ids.RUNS_TABLE} .ag-center-cols-container").text


def test_the_grid_sorts_filters_and_fits_the_page(dash_br, app_url, two_runs):
    lstm, gru = two_runs
    dash_br.driver.get(app_url + "/compare")
    wait_until(lambda: sorted(table_ids(dash_br)) == sorted([lstm.id, gru.id]), 20, "both runs in the grid")
    header = dash_br.find_element(f'#{ids.RUNS_TABLE} .ag-header-cell[col-id="arch"] .ag-header-cell-label')
    header.click()  # ascending: gru before lstm
    wait_until(lambda: table_ids(dash_br) == [gru.id, lstm.id], 5, "sorted by architecture, ascending")
    header.click()
    wait_until(lambda: table_ids(dash_br) == [lstm.id, gru.id], 5, "sorted by architecture, descending")
    box = dash_br.find_element(f'#{ids.RUNS_TABLE} .ag-header-cell.ag-floating-filter[col-id="arch"] input')
    box.send_keys("gru")
    wait_until(lambda: table_ids(dash_br) == [gru.id], 5, "only the GRU run after filtering")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.BACKSPACE)
    wait_until(lambda: len(table_ids(dash_br)) == 2, 5, "both runs once the filter is cleared")
    grid, page = dash_br.driver.execute_script(
        f"return [document.getElementById('{ids.RUNS_TABLE}').getBoundingClientRect().right, "
        "document.documentElement.clientWidth];")
    assert grid <= page  # the columns fit: the grid ends inside the page
    assert dash_br.get_logs() == []


def test_compare_overlays_selected_runs_and_deletes_one(dash_br, app_url, live_app, two_runs):
    lstm, gru = two_runs
    dash_br.driver.get(app_url + "/compare")
    wait_until(lambda: sorted(table_ids(dash_br)) == sorted([lstm.id, gru.id]), 20, "both runs in the table")
    row_text = grid_text(dash_br)
    assert "finished" in row_text and "gru" in row_text and "lstm" in row_text

    checkbox(dash_br, lstm.id).click()
    checkbox(dash_br, gru.id).click()
    loss = wait_until(lambda: len(graph_data(dash_br, ids.COMPARE_LOSS_GRAPH)) == 4 and
                      graph_data(dash_br, ids.COMPARE_LOSS_GRAPH), 10, "4 loss traces")
    assert [len(t["y"]) for t in loss] == [3, 3, 3, 3]
    assert sum(lstm.id[:6] in t["name"] for t in loss) == 2 and sum(gru.id[:6] in t["name"] for t in loss) == 2

    mae = wait_until(lambda: graph_data(dash_br, ids.COMPARE_MAE_GRAPH), 10, "the MAE bars")
    bars = [t for t in mae if t["type"] == "bar"]
    assert len(bars) == 1 and len(bars[0]["y"]) == 2
    assert sorted(bars[0]["y"]) == pytest.approx(sorted([lstm.metrics["test_mae"], gru.metrics["test_mae"]]))
    prediction = graph_data(dash_br, ids.COMPARE_PREDICTION_GRAPH)
    assert [t["name"] for t in prediction][:2] == ["actual", "naive"] and len(prediction) == 4

    checkbox(dash_br, gru.id).click()  # keep only the LSTM run selected
    wait_until(lambda: len(graph_data(dash_br, ids.COMPARE_LOSS_GRAPH)) == 2, 10, "2 loss traces")
    dash_br.find_element(f"#{ids.DELETE_BUTTON}").click()
    dash_br.wait_for_text_to_equal(f"#{ids.COMPARE_MESSAGE}", "Deleted 1 run(s).", timeout=10)
    wait_until(lambda: table_ids(dash_br) == [gru.id], 10, "only the GRU run in the table")
    assert [r.id for r in RunStore(live_app.data_dir).list()] == [gru.id]
    assert not (live_app.data_dir / "models" / f"{lstm.id}.keras").exists()
    wait_until(lambda: graph_data(dash_br, ids.COMPARE_LOSS_GRAPH) == [], 10, "the loss chart emptied")
    assert dash_br.get_logs() == []


def test_zoom_on_a_compare_chart_survives_the_table_refresh(dash_br, app_url, two_runs):
    gru = two_runs[1]
    dash_br.driver.get(app_url + "/compare")
    wait_until(lambda: gru.id in table_ids(dash_br), 20, "the GRU run in the table")
    checkbox(dash_br, gru.id).click()
    wait_until(lambda: len(graph_data(dash_br, ids.COMPARE_LOSS_GRAPH)) == 2, 10, "2 loss traces")
    plot = f"document.querySelector('#{ids.COMPARE_LOSS_GRAPH} .js-plotly-plot')"
    dash_br.driver.execute_script(f"Plotly.relayout({plot}, {{'xaxis.range': [1.5, 2.5]}});")
    time.sleep(4)  # longer than the table's refresh interval
    assert dash_br.driver.execute_script(f"return {plot}.layout.xaxis.range;") == [1.5, 2.5]

