"""The Sweep page's callbacks called as plain functions (the app and store of test_callbacks.py):
whatever a client posts is checked, one active sweep or scan per browser, the view, the export."""
from __future__ import annotations

import importlib

import pytest
from dash import no_update

from test_callbacks import as_browser, clicked, pages, text  # noqa: F401 - the session's app and store


@pytest.fixture(scope="module")
def sweep(pages):  # noqa: F811
    return importlib.import_module("pages.sweep")


def sweep_values(sweep, **changes):
    """The sweep form's values in callback order (defaults, some changed), then the scan form's."""
    d = sweep.DEFAULTS
    base = {name: getattr(d, name) for _, name in sweep.SHARED_FIELDS}
    base.update(patience=5, epochs=2)
    sweep_form = {"ticker": "AAL", **base}
    scan_form = {"look_back": 10, "foresight": 6, "arch": "conv1d", **base}
    for key, value in changes.items():
        target = scan_form if key.startswith("scan_") else sweep_form
        target[key.removeprefix("scan_")] = value
    return ([sweep_form[name] for _, name in sweep.SWEEP_FIELDS] + [[]]
            + [scan_form[name] for _, name in sweep.SCAN_FIELDS] + [[]])


def start(pages, sweep, button, grid=([7, 14], ["conv1d"], [6], 1), sector="all", browser="b1", **changes):  # noqa: F811
    return clicked(pages, sweep.start, f"{button}.n_clicks", 1, 1, *grid, sector, *sweep_values(sweep, **changes),
                   browser=browser)


def test_start_checks_what_a_client_posts_and_refuses_a_second_active_sweep(pages, sweep):  # noqa: F811
    for grid, refusal in [
        ((["<script>"], ["conv1d"], [6], 1), "Not started: look_back must be a number; got '<script>'"),
        (([7], ["conv1d"], [6], 9), "Not started: seeds per cell must be a whole number from 1 to 5; got 9"),
        (([7, 14, 30], ["lstm", "gru", "conv1d"], [1, 6, 10], 3),
         "Not started: This grid is 81 runs (3 look_backs x 3 networks x 3 foresights x 3 seeds); "
         "a sweep holds at most 60"),
    ]:
        current, notice = start(pages, sweep, "sweep-start", grid)
        assert current is no_update and notice.children == refusal
    current, notice = start(pages, sweep, "sweep-start", ticker=None)
    assert notice.children == "Not started: choose a ticker"
    current, notice = start(pages, sweep, "scan-start", sector="<b>Space</b>", browser="b2")
    assert notice.children.startswith("Not started: unknown sector '<b>Space</b>'; valid sectors: ")
    current, notice = start(pages, sweep, "sweep-start")
    assert notice is None and [r.config.look_back for r in pages.store.group(current)] == [7, 14]
    _, notice = start(pages, sweep, "scan-start", sector="Materials")
    assert notice.children.startswith("Not started: this browser already has an active sweep (AAL: look_back 7, 14")
    assert as_browser(pages, sweep.cancel, 1, current, browser="b2").children == \
        "Nothing cancelled: it has ended, or another browser started it."
    assert as_browser(pages, sweep.cancel, 1, current, browser="b1").children == \
        "Cancelled 2 run(s) that had not finished."


def test_the_view_follows_a_collection_and_a_poll_with_nothing_new_sends_nothing(pages, sweep):  # noqa: F811
    current, _ = start(pages, sweep, "scan-start", sector="Materials", browser="b3")
    out = sweep.show_collection(current, None, "skill", None)
    title, progress, *_, poll_off, cancel_off, export_off, shown = out
    assert "Scan " + current in text(title) and text(progress) == "0 of 24 finished, estimating the time left"
    assert out[6] == sweep.HIDDEN and out[7] == sweep.SHOWN  # the scan's part shows, the sweep's not
    assert out[8] == "Conv1D beats the naive forecast on 0 of 0 tickers so far"
    assert len(out[9]) == 24 and "DWDP validation split has 16 points" in text(out[12])
    assert (poll_off, cancel_off, export_off) == (False, False, False)
    assert sweep.show_collection(current, 1, "skill", shown) == (no_update,) * sweep.SHOW_OUTPUTS
    assert sweep.show_collection("../../etc", 1, "skill", None) == sweep.NOTHING
    csv_file = sweep.export(1, current)
    assert csv_file["filename"] == f"rnnlab-scan-{current}.csv" and csv_file["content"].count("\n") == 26
    assert as_browser(pages, sweep.cancel, 1, current, browser="b3").children.startswith("Cancelled 24 run(s)")


def test_a_click_on_a_cell_tile_or_row_opens_its_run_and_nothing_else(pages, sweep):  # noqa: F811
    current, _ = start(pages, sweep, "sweep-start", browser="b5")
    seven, fourteen = pages.store.group(current)
    cell = {"points": [{"curveNumber": 0, "x": "Conv1D", "y": "14", "z": None}]}  # what Plotly sends
    assert clicked(pages, sweep.open_run, "sweep-heatmap.clickData", cell, None, None, current) == \
        f"/train?run={fourteen.id}"
    assert clicked(pages, sweep.open_run, "scan-table.cellClicked", None, None, {"rowId": seven.id}, current) == \
        f"/train?run={seven.id}"
    for bad in ({"points": [{"curveNumber": 3, "x": "Conv1D", "y": "14"}]}, {"points": [{"curveNumber": 0,
                "x": "LSTM", "y": "14"}]}, {"points": [{"x": "Conv1D", "y": "<b>"}]}, {"points": []}, "x", None):
        assert clicked(pages, sweep.open_run, "sweep-heatmap.clickData", bad, None, None, current) is no_update
    assert clicked(pages, sweep.open_run, "scan-table.cellClicked", None, None, {"rowId": "javascript:x"},
                   current) is no_update
    assert clicked(pages, sweep.open_run, "sweep-heatmap.clickData", cell, None, None, "../x") is no_update
    as_browser(pages, sweep.cancel, 1, current, browser="b5")


def test_compare_lists_sweeps_and_scans_with_their_links(pages, sweep):  # noqa: F811
    current, _ = start(pages, sweep, "sweep-start", browser="b4")
    listed = pages.compare.list_collections(None)
    assert "Sweeps and scans (" in text(listed) and f"/sweep?id={current}" in str(listed)
    assert "AAL: look_back 7, 14 x conv1d x foresight 60 of 2" in text(listed)  # title, then "0 of 2"
    as_browser(pages, sweep.cancel, 1, current, browser="b4")


def find_component(tree, cid):
    """The component with this id in a layout tree (None when there is none)."""
    if getattr(tree, "id", None) == cid:
        return tree
    children = getattr(tree, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, (str, int, float)):
            found = find_component(child, cid)
            if found is not None:
                return found
    return None


def test_a_link_fills_the_form_with_the_sweeps_settings_and_a_bad_link_says_so(pages, sweep):  # noqa: F811
    from components import ids

    current, _ = start(pages, sweep, "sweep-start", ([14, 30], ["gru", "conv1d"], [3, 6], 2), browser="b6",
                       ticker="MSFT", epochs=7)
    page = sweep.layout(id=current)
    values = {cid: find_component(page, cid).value for cid in (
        ids.SWEEP_TICKER, ids.SWEEP_EPOCHS, ids.SWEEP_LOOK_BACKS, ids.SWEEP_ARCHITECTURES, ids.SWEEP_FORESIGHTS,
        ids.SWEEP_SEEDS)}
    assert values == {ids.SWEEP_TICKER: "MSFT", ids.SWEEP_EPOCHS: 7, ids.SWEEP_LOOK_BACKS: [14, 30],
                      ids.SWEEP_ARCHITECTURES: ["gru", "conv1d"], ids.SWEEP_FORESIGHTS: [3, 6], ids.SWEEP_SEEDS: 2}
    assert find_component(page, ids.SWEEP_URL_ID).data == current
    as_browser(pages, sweep.cancel, 1, current, browser="b6")
    bad = sweep.layout(id="<script>")
    assert find_component(bad, ids.SWEEP_URL_ID).data is None
    assert "No sweep or scan '<script>' here" in text(bad)


def test_a_sweep_with_seeds_shows_a_cells_band_over_its_finished_seeds(pages, sweep):  # noqa: F811
    current, _ = start(pages, sweep, "sweep-start", grid=([7, 14], ["conv1d"], [6], 2), browser="b9")
    runs = pages.store.group(current)
    assert len(runs) == 4
    style, options, cell, figure = sweep.show_band(None, None, "minmax", current)
    assert style == sweep.SHOWN and cell == "conv1d|7|6" and [o["label"] for o in options] == [
        "Conv1D, look_back 7, foresight 6", "Conv1D, look_back 14, foresight 6"]
    assert figure.layout.annotations[0].text == "This cell's band appears as its seeds finish"
    dates = ["2017-01-03", "2017-01-04", "2017-01-05"]
    for run, predicted in zip([r for r in runs if r.config.look_back == 7], ([1.0, 2.0, 3.0], [3.0, 4.0, 5.0])):
        pages.store.finish(run.id, {"predictions": {"date": dates, "actual": [2.0, 3.0, 4.0], "predicted": predicted,
                                                    "naive": [1.5, 2.5, 3.5]}, "metrics": {"test_mae": 1.0}})
    _, _, _, figure = sweep.show_band(None, "conv1d|7|6", "minmax", current)
    names = [trace.name for trace in figure.data]
    assert "min-max over 2 seeds" in names and "mean prediction (Conv1D, 2 seeds)" in names
    mean = next(t for t in figure.data if t.name.startswith("mean prediction"))
    assert list(mean.y) == [2.0, 3.0, 4.0]
    _, _, cell, _ = sweep.show_band(None, "<img>|1|1", "bogus", current)  # a forged cell falls back to the first
    assert cell == "conv1d|7|6"
    assert sweep.show_band(None, None, "minmax", "../x")[0] == sweep.HIDDEN
    one_seed, _ = start(pages, sweep, "sweep-start", browser="b10")
    assert sweep.show_band(None, None, "minmax", one_seed)[0] == sweep.HIDDEN
