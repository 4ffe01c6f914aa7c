"""Page callbacks called as plain functions against a throwaway run store (no browser, no server).

Dash's ``@callback`` returns the original function, so ``train.start_run(...)`` is an ordinary call.
The pages can only be imported once a ``use_pages`` app exists, so a session fixture builds one
with ``RNNLAB_DATA_DIR`` pointing at a temporary directory.
"""
from __future__ import annotations

import base64
import gzip
import importlib
import math
from types import SimpleNamespace

import plotly.graph_objects as go
from plotly.io.json import to_json_plotly
import pytest
from dash import Patch, no_update

from modeling.config import TrainConfig
from modeling.data import LECTURE_DATASET
from modeling.settings import DATA_DIR_ENV
from service.store import RunStore


def text(component) -> str:
    """Every string in a component tree, concatenated."""
    if component is None:
        return ""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return "".join(text(c) for c in component)
    return text(getattr(component, "children", None))


DEFAULT_SUMMARY = "AAL: train 881, validation 189, test 189 points"


@pytest.fixture(scope="session")
def pages(tmp_path_factory):
    """A Dash app (and its pages) bound to a temporary data dir for the whole session."""
    directory = tmp_path_factory.mktemp("callbacks-data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(DATA_DIR_ENV, str(directory))
        import app

        dash_app = app.create_app()
        yield SimpleNamespace(app=dash_app, train=importlib.import_module("pages.train"),
                              teaching=importlib.import_module("components.teaching"),
                              forms=importlib.import_module("components.forms"),
                              compare=importlib.import_module("pages.compare"),
                              explore=importlib.import_module("pages.explore"),
                              store=RunStore(directory), data_dir=directory)


@pytest.fixture(scope="session")
def finished_run(pages):
    """A real 2-epoch training on the lecture edition (TensorFlow in this process, a few seconds)."""
    from service.execution import execute_run

    run = pages.store.create(TrainConfig(dataset=LECTURE_DATASET, ticker="AAL", epochs=2))
    assert execute_run(pages.store, run.id) == "finished"
    return pages.store.get(run.id)


@pytest.fixture(scope="session")
def failed_run(pages):
    """A run whose ticker is not in its dataset fails in the job with the data's message."""
    from service.execution import execute_run

    run = pages.store.create(TrainConfig(dataset=LECTURE_DATASET, ticker="ZZZZ", epochs=2))
    assert execute_run(pages.store, run.id) == "failed"
    return pages.store.get(run.id)


def as_browser(pages, callback, *args, browser="browser-1"):
    """Call a callback inside a request from one browser (its signed-cookie session id)."""
    import flask

    with pages.app.server.test_request_context("/_dash-update-component", method="POST"):
        flask.session["rnnlab"] = browser
        return callback(*args)


def start_run(pages, n_clicks, values):
    """train.start_run inside a request: it keys runs to the browser's (signed cookie) session."""
    return as_browser(pages, pages.train.start_run, n_clicks, *values)


def form(pages, **changes):
    """The Train form's values in callback order: the defaults, with some fields changed."""
    values = {name: getattr(pages.train.DEFAULTS, name) for _, name in pages.train.FORM_FIELDS}
    values["patience"] = 5
    early = changes.pop("early_stopping", [])
    unknown = set(changes) - set(values)
    assert not unknown, unknown
    values.update(changes)
    return [values[name] for _, name in pages.train.FORM_FIELDS] + [early]


class FakeModel:
    """Stands in for a Keras model: ``store.finish`` only calls ``save``."""

    def save(self, path):
        path.write_bytes(b"not really a model")


def fake_finished(pages, ticker="AAL", dates=("2017-06-01", "2017-06-02"), model=None, **config):
    """A finished run with a small made-up result (no training)."""
    run = pages.store.create(TrainConfig(dataset=LECTURE_DATASET, ticker=ticker, epochs=3, **config))
    result = {"history": {"loss": [0.3, 0.2, 0.1], "val_loss": [0.4, 0.3, 0.2]}, "train_seconds": 1.25,
              "metrics": {"test_mae": 1.23456, "naive_test_mae": 1.5, "skill": 0.17696, "test_direction_acc": 0.5,
                          "test_rmse": 1.6, "test_mape": 2.0, "val_mae_norm": 0.05},
              "predictions": {"date": list(dates), "actual": [10.0, 11.0], "predicted": [10.5, 10.75],
                              "naive": [9.5, 10.0]}}
    pages.store.mark_running(run.id)
    pages.store.finish(run.id, result, model)
    return pages.store.get(run.id)


# ---------------------------------------------------------------------------------------------- Train


def test_check_form_accepts_the_defaults(pages):
    config, summary = pages.train.check_form(form(pages))
    assert config == TrainConfig()
    assert summary.startswith(DEFAULT_SUMMARY)
    assert "868 / 176 / 176 windows of 7 values" in summary


def test_config_from_form_early_stopping_switches_patience(pages):
    assert pages.forms.config_from_form(form(pages)).patience is None
    assert pages.forms.config_from_form(form(pages, early_stopping=["on"], patience=3)).patience == 3


def test_check_form_reports_filled_values(pages):
    _, summary = pages.train.check_form(form(pages, dataset=LECTURE_DATASET, ticker="FTV"))
    assert "2 missing high values filled by interpolation" in summary


def test_show_config_check_says_the_summary_or_the_problem(pages):
    ok = pages.train.show_config_check(*form(pages))
    assert ok.className == "notice notice-info" and ok.children.startswith(DEFAULT_SUMMARY)
    bad = pages.train.show_config_check(*form(pages, arch="conv1d", look_back=4))
    assert bad.className == "notice notice-error"
    assert "needs look_back of at least 6" in bad.children


@pytest.mark.parametrize("changes, expected", [
    ({"epochs": "1000"}, "epochs must be between 1 and 500; got 1000"),
    ({"look_back": "abc"}, "look_back must be a number; got 'abc'"),
    ({"arch": "rnn"}, "unknown architecture 'rnn'"),
    ({"ticker": "../../etc"}, "ticker must be 1 to 16 letters"),
    ({"dataset": "nope"}, "unknown dataset 'nope'"),
    ({"learning_rate": math.nan}, "learning_rate must be a finite number"),
    ({"dropout": True}, "dropout must be a number"),
    ({"ticker": "ZZZZ"}, "unknown ticker 'ZZZZ'"),
    ({"dataset": "upload-000000000000"}, "dataset upload-000000000000 is not there"),
    ({"ticker": "APTV", "look_back": 30},
     "APTV training split has 31 points; look_back 30 + foresight 6 needs at least 37"),
])
def test_start_run_refuses_bad_values_and_creates_no_run(pages, changes, expected):
    before = len(pages.store.list())
    current, notice = start_run(pages, 1, form(pages, **changes))
    assert current is no_update
    assert notice.children.startswith("Not started: ")
    assert expected in notice.children
    assert notice.className == "notice notice-error"
    assert len(pages.store.list()) == before


def test_start_run_without_a_click_does_nothing(pages):
    before = len(pages.store.list())
    assert start_run(pages, 0, form(pages)) == (no_update, no_update)
    assert len(pages.store.list()) == before


def test_start_run_queues_a_run_and_cancel_run_cancels_it(pages):
    current, notice = start_run(pages, 1, form(pages, epochs=40, arch="gru"))
    assert notice is None
    run = pages.store.get(current)
    assert run.status == "queued"
    assert run.config == TrainConfig(epochs=40, arch="gru")

    assert as_browser(pages, pages.train.cancel_run, 1, run.id) == {"run_id": run.id, "n": 1}
    cancelled = pages.store.get(run.id)
    assert cancelled.status == "cancelled" and cancelled.cancel_requested
    assert cancelled.reason == "cancelled by the user"


def test_start_run_caps_active_runs_per_browser(pages):
    cap = pages.train.MAX_ACTIVE_PER_SESSION
    start = pages.train.start_run
    started = [as_browser(pages, start, 1, *form(pages), browser="capped")[0] for _ in range(cap)]
    assert all(pages.store.get(run_id).status == "queued" for run_id in started)
    assert {pages.store.get(run_id).session for run_id in started} == {"capped"}
    before = len(pages.store.list())
    current, notice = as_browser(pages, start, 1, *form(pages), browser="capped")
    assert current is no_update
    assert notice.children.startswith(f"Not started: this browser already has {cap} active runs")
    assert len(pages.store.list()) == before
    # another browser can neither cancel these runs nor is it limited by them
    assert as_browser(pages, pages.train.cancel_run, 1, started[0], browser="other") is no_update
    request, notice = as_browser(pages, start, 1, *form(pages), browser="other")
    assert notice is None
    pages.store.request_cancel(request)
    as_browser(pages, pages.train.cancel_run, 1, started[0], browser="capped")
    request, notice = as_browser(pages, start, 1, *form(pages), browser="capped")  # a slot is free again
    assert notice is None and pages.store.get(request).status == "queued"
    for run_id in (*started[1:], request):
        pages.store.request_cancel(run_id)


def test_cancel_run_ignores_bad_ids_and_keeps_finished_runs(pages, finished_run):
    assert as_browser(pages, pages.train.cancel_run, 1, "../x") is no_update
    assert as_browser(pages, pages.train.cancel_run, 0, finished_run.id) is no_update
    as_browser(pages, pages.train.cancel_run, 2, finished_run.id)
    assert pages.store.get(finished_run.id).status == "finished"


def test_update_tickers_keeps_the_ticker_or_falls_back(pages):
    options, value = pages.train.update_tickers(LECTURE_DATASET, "AAPL")
    assert value == "AAPL" and {"AAL", "AAPL"} <= {o["value"] for o in options}
    assert pages.train.update_tickers(LECTURE_DATASET, "NOPE")[1] == "AAL"
    assert pages.train.update_tickers("nope", "AAL") == ([], None)


def test_show_run_without_a_run(pages):
    for run_id in (None, "../x", "0" * 12):
        status, progress, loss, prediction, card, summary, poll_disabled, *_ = pages.train.show_run(
            run_id, None, None, None)
        assert status is None and progress is None and poll_disabled is True
        assert loss is no_update and prediction is no_update


def test_show_run_finished(pages, finished_run):
    status, progress, loss, prediction, card, summary, poll_disabled, *_ = pages.train.show_run(
        finished_run.id, None, None, None)
    assert text(status).startswith(f"Run {finished_run.id}: finished")
    assert progress is None and poll_disabled is True
    assert isinstance(loss, go.Figure)
    assert [len(t.y) for t in loss.data] == [2, 2]
    assert tuple(loss.layout.xaxis.range) == (0.5, 2.5)
    assert loss.layout.title.text.startswith("AAL LSTM")
    assert [t.name for t in prediction.data] == ["actual", "predicted (LSTM)", "naive (last value of the window)"]
    assert len(prediction.data[0].x) == len(finished_run.result["predictions"]["date"]) > 100
    assert "naive forecast" in text(card)
    assert "Total params:" in text(summary)


def test_show_run_failed(pages, failed_run):
    status, progress, loss, prediction, card, summary, poll_disabled, *_ = pages.train.show_run(
        failed_run.id, None, None, None)
    assert text(status).startswith(f"Run {failed_run.id}: failed: unknown ticker 'ZZZZ'")
    assert progress is None and card is None and summary is None and poll_disabled is True
    assert len(prediction.data) == 0


def test_show_run_queued_then_polled_while_it_trains(pages):
    """One poll follows the run: the first view draws everything, later polls send only what
    changed (nothing at all when nothing did), and the results come when it ends."""
    run = pages.store.create(TrainConfig(epochs=30))
    status, progress, loss, prediction, _, _, poll_disabled, train_off, cancel_off, shown = pages.train.show_run(
        run.id, None, None, None)
    assert "queued" in text(status)
    position = pages.store.queue_position(run.id)
    assert position >= 1
    assert text(progress) == f"queued, position {position}: waiting for a training slot"
    assert (poll_disabled, train_off, cancel_off) == (False, True, False)
    assert tuple(loss.layout.xaxis.range) == (0.5, 30.5)
    assert isinstance(prediction, go.Figure) and shown == [run.id, "queued", 0, position]
    assert pages.train.show_run(run.id, None, 1, shown) == (no_update,) * 10  # nothing new

    pages.store.mark_running(run.id)
    pages.store.record_epoch(run.id, {"loss": [0.3, 0.2, 0.1], "val_loss": [0.4, 0.3, 0.2]}, 3.0)
    status, progress, loss, prediction, card, summary, poll_disabled, *_, shown = pages.train.show_run(
        run.id, None, 2, shown)
    assert text(status).startswith(f"Run {run.id}: running")
    assert text(progress) == "epoch 3 of 30, about 27 s left"
    assert [len(t.y) for t in loss.data] == [3, 3]
    assert loss.layout.title.text == "AAL LSTM: normalized MAE validation = 0.200"
    assert (prediction, card, summary) == (no_update,) * 3 and poll_disabled is False
    assert shown == [run.id, "running", 3, 0]

    pages.store.request_cancel(run.id)
    status, progress, _, _, _, _, poll_disabled, train_off, cancel_off, _ = pages.train.show_run(
        run.id, None, 3, shown)
    assert "cancelled" in text(status) and progress is None
    assert (poll_disabled, train_off, cancel_off) == (True, False, True)


# -------------------------------------------------------------------------------------------- Compare


def test_run_row_of_finished_and_queued_runs(pages, finished_run):
    row = pages.compare.run_row(finished_run)
    m = finished_run.metrics
    assert row["id"] == finished_run.id and row["ticker"] == "AAL" and row["arch"] == "lstm"
    assert row["epochs"] == 2 and row["status"] == "finished"
    assert row["test_mae"] == round(m["test_mae"], 3) and row["skill"] == round(m["skill"], 3)
    assert row["naive_mae"] == round(m["naive_test_mae"], 3)
    assert isinstance(row["seconds"], float)

    queued = pages.store.create(TrainConfig(epochs=30))
    row = pages.compare.run_row(queued)
    assert row["epochs"] == "0/30" and row["status"] == "queued"
    assert row["test_mae"] is None and row["seconds"] is None and row["skill"] is None
    pages.store.request_cancel(queued.id)
    assert pages.compare.run_row(pages.store.get(queued.id))["epochs"] == "0/30"


def test_same_test_window_keeps_runs_on_the_same_ticker_and_dates(pages):
    a = fake_finished(pages)
    b = fake_finished(pages, arch="gru")
    other_ticker = fake_finished(pages, ticker="AAPL")
    other_dates = fake_finished(pages, dates=("2017-06-02", "2017-06-05"))
    queued = pages.store.create(TrainConfig())
    same = pages.compare.same_test_window([queued, a, other_ticker, b, other_dates])
    assert [r.id for r in same] == [a.id, b.id]
    assert pages.compare.same_test_window([queued]) == []
    for run in (a, b, other_ticker, other_dates):
        pages.store.delete(run.id)
    pages.store.request_cancel(queued.id)


def test_predictions_csv(pages, finished_run):
    csv_text = pages.compare.predictions_csv(finished_run)
    lines = csv_text.splitlines()
    p = finished_run.result["predictions"]
    assert lines[0] == "date,actual,predicted,naive"
    assert len(lines) == len(p["date"]) + 1
    assert lines[1] == f"{p['date'][0]},{p['actual'][0]},{p['predicted'][0]},{p['naive'][0]}"


def test_selected_ids_takes_the_ids_of_grid_rows_only(pages):
    rows = [{"id": "abc", "ticker": "AAL"}, {"id": 5}, {"ticker": "x"}, "abc", None, {"id": "def"}]
    assert pages.compare.selected_ids(rows) == ["abc", "def"]
    assert pages.compare.selected_ids({"id": "abc"}) == [] and pages.compare.selected_ids(None) == []


def test_selected_runs_ignores_invalid_and_unknown_ids(pages, finished_run):
    selected = ["../x", None, 5, "0" * 12, "<script>", finished_run.id]
    assert [r.id for r in pages.compare.selected_runs(selected)] == [finished_run.id]
    assert pages.compare.selected_runs("../x") == []
    assert pages.compare.selected_runs(None) == []
    assert len(pages.compare.selected_runs([finished_run.id] * 20)) == pages.compare.MAX_SELECTED


def test_show_selection_overlays_the_selected_runs(pages, finished_run):
    other = fake_finished(pages)
    loss, prediction, mae = pages.compare.show_selection([{"id": finished_run.id}, {"id": other.id}], [])
    assert len(loss.data) == 4
    assert len(prediction.data) == 3  # actual, naive, and the first run: the other has other dates
    assert list(mae.data[0].y) == [finished_run.metrics["test_mae"], other.metrics["test_mae"]]
    empty_loss, _, empty_mae = pages.compare.show_selection([], [])
    assert len(empty_loss.data) == 0 and len(empty_mae.data) == 0
    pages.store.delete(other.id)


def test_refresh_table_lists_the_store(pages, finished_run):
    rows = pages.compare.refresh_table(None, None, None)
    assert pages.compare.refresh_table(None, None, rows) is no_update  # unchanged rows are not re-sent
    assert finished_run.id in [r["id"] for r in rows]
    assert len(rows) == len(pages.store.list())


def test_delete_runs_deletes_finished_and_refuses_active(pages):
    done = fake_finished(pages, model=FakeModel())
    assert pages.store.model_bytes(done.id) == b"not really a model"
    active = pages.store.create(TrainConfig())
    notice, selected = as_browser(pages, pages.compare.delete_runs, 1,
                                  [{"id": done.id}, {"id": active.id}, {"id": "../x"}, "junk", {"id": 5}])
    assert notice.children == (f"Deleted 1 run(s). Not deleted while active (cancel them first): {active.id}.")
    assert selected == [{"id": active.id}]  # the grid keeps these rows selected
    ids_left = [r.id for r in pages.store.list()]
    assert done.id not in ids_left and active.id in ids_left
    pages.store.request_cancel(active.id)


def test_delete_runs_without_a_selection(pages):
    notice, selected = as_browser(pages, pages.compare.delete_runs, 1, [])
    assert notice.children == "Select the runs to delete first." and selected is no_update
    notice, _ = as_browser(pages, pages.compare.delete_runs, 1, [{"id": "../x"}])
    assert notice.children == "Select the runs to delete first."


def test_download_without_a_finished_run_says_so(pages):
    data, notice = pages.compare.download_for(["../x"], "csv")
    assert data is no_update and notice.children == "Select a finished run to download."


# -------------------------------------------------------------------------------------------- Explore


def test_show_ticker_draws_the_default_ticker(pages):
    price, candles, summary, notice, shown = pages.explore.show_ticker("sp500-2013-2018", "AAL", 0.7, 0.15, False)
    assert notice is None and shown is True
    assert [t.name for t in price.data] == ["High", "Low"] and len(price.data[0].x) == 1259
    assert len([s for s in price.layout.shapes if s.type == "rect"]) == 3
    assert [t.type for t in candles.data] == ["candlestick", "scatter"]
    content = text(summary)
    assert "1,259 trading days, 2013-02-08 to 2018-02-07" in content
    assert "American Airlines Group" in content
    assert "split: train 881, validation 189, test 189 points" in content


def test_show_ticker_sends_compact_arrays_then_only_what_changes(pages):
    """Prices go as float32 typed arrays and dates as days; once the charts show a ticker, a switch
    is a Patch of the data arrays, title and shading, without the template or the axes."""
    price, candles, *_ = pages.explore.show_ticker("sp500-2013-2018", "AAL", 0.7, 0.15, False)
    plain = price.to_plotly_json()
    assert plain["data"][0]["y"]["dtype"] == "f4" and plain["data"][0]["x"][0] == "2013-02-08"
    assert candles.to_plotly_json()["data"][0]["open"]["dtype"] == "f4"
    price, candles, summary, notice, shown = pages.explore.show_ticker("sp500-2013-2018", "AAPL", 0.7, 0.15, True)
    assert isinstance(price, Patch) and isinstance(candles, Patch) and shown is True
    operations = {tuple(op["location"]): op["params"]["value"] for op in price.to_plotly_json()["operations"]}
    assert set(operations) == {("data", 0, "x"), ("data", 0, "y"), ("data", 1, "x"), ("data", 1, "y"),
                               ("layout", "title"), ("layout", "shapes"), ("layout", "annotations")}
    assert operations[("layout", "title")]["text"].startswith("AAPL high and low prices")
    assert len(operations[("layout", "shapes")]) == 3
    candle_ops = {tuple(op["location"]) for op in candles.to_plotly_json()["operations"]}
    assert candle_ops == {("data", 0, "x"), ("data", 0, "open"), ("data", 0, "high"), ("data", 0, "low"),
                          ("data", 0, "close"), ("data", 1, "x"), ("data", 1, "y"), ("layout", "title")}
    assert "Apple" in text(summary)
    body = to_json_plotly([price.to_plotly_json(), candles.to_plotly_json()]).encode()
    assert len(gzip.compress(body)) < 80_000, len(gzip.compress(body))  # was 260 kB, uncompressed


def test_show_ticker_unknown_ticker_or_dataset(pages):
    price, candles, summary, notice, shown = pages.explore.show_ticker("sp500-2013-2018", "NOPE", 0.7, 0.15, True)
    assert notice.children == "unknown ticker 'NOPE'" and summary is None and shown is False
    assert len(price.data) == 0 and len(candles.data) == 0  # whole (blank) figures: the next ticker redraws
    _, _, _, notice, _ = pages.explore.show_ticker("../../etc/passwd", "AAL", 0.7, 0.15, False)
    assert "unknown dataset" in notice.children
    *_, summary, notice, shown = pages.explore.show_ticker("sp500-2013-2018", None, 0.7, 0.15, True)
    assert summary is None and notice.children == "Choose a ticker." and shown is False


def test_show_ticker_with_bad_shares_draws_without_split(pages):
    price, _, summary, notice, _ = pages.explore.show_ticker("sp500-2013-2018", "AAL", None, 0.15, False)
    assert notice.children == "split not shown: the shares must be numbers"
    assert len(price.layout.shapes) == 0 and len(price.data) == 2
    assert "split:" not in text(summary)
    _, _, _, notice, _ = pages.explore.show_ticker("sp500-2013-2018", "AAL", 0.9, 0.1, False)
    assert notice.children.startswith("split not shown: ")


def test_explore_link_settings_are_checked(pages):
    config, problem = pages.explore.settings_from_query({"ticker": "aapl", "dataset": LECTURE_DATASET,
                                                         "train_ratio": "0.6", "look_back": "x"})
    assert problem is None and (config.ticker, config.dataset, config.train_ratio) == ("AAPL", LECTURE_DATASET, 0.6)
    config, problem = pages.explore.settings_from_query({"ticker": "../etc"})
    assert config.ticker == "AAL" and problem.startswith("The link's settings were not used: ticker must be")
    assert pages.explore.train_href(LECTURE_DATASET, "AAPL", 0.6, 0.2) == \
        "/train?dataset=sp500-2012-2017&ticker=AAPL&train_ratio=0.6&val_ratio=0.2"


def test_explore_update_tickers_keeps_the_ticker_when_present(pages):
    options, value = pages.explore.update_tickers(LECTURE_DATASET, "MSFT")
    assert value == "MSFT"
    aal = next(o for o in options if o["value"] == "AAL")
    assert aal["label"].startswith("AAL · American Airlines Group") and "Industrials" in aal["search"]
    assert pages.explore.update_tickers(LECTURE_DATASET, "NOT-THERE")[1] == "AAL"
    assert pages.explore.update_tickers(None, "AAL") == ([], None)


def test_a_number_the_browser_rejected_is_refused_not_defaulted(pages):
    """dcc.Input(type=number) posts None for an empty or out-of-range value."""
    current, notice = start_run(pages, 1, form(pages, epochs=None))
    assert current is no_update
    assert notice.children == "Not started: epochs is empty or not a number between 1 and 500"
    with pytest.raises(pages.train.ConfigError, match="^look_back is empty or not a number between 1 and 250$"):
        pages.train.check_form(form(pages, look_back=None))
    # patience may be empty while early stopping is off
    assert pages.train.check_form(form(pages, patience=None))[0].patience is None


def test_delete_runs_keeps_other_browsers_runs(pages):
    mine = fake_finished(pages)
    theirs = pages.store.create(TrainConfig(dataset=LECTURE_DATASET, epochs=2), session="someone-else")
    pages.store.fail(theirs.id, "x")
    notice, kept = as_browser(pages, pages.compare.delete_runs, 1, [{"id": mine.id}, {"id": theirs.id}])
    assert notice.children == f"Deleted 1 run(s). Not deleted, started in another browser: {theirs.id}."
    assert kept == [{"id": theirs.id}]
    assert pages.store.get(theirs.id).status == "failed"


def test_download_predictions_and_model(pages):
    run = fake_finished(pages, model=FakeModel())
    data, notice = pages.compare.download_for([run.id], "csv")
    assert notice is None and data["filename"] == f"rnnlab-AAL-{run.id}-predictions.csv"
    assert data["content"].splitlines() == ["date,actual,predicted,naive", "2017-06-01,10.0,10.5,9.5",
                                            "2017-06-02,11.0,10.75,10.0"]
    data, notice = pages.compare.download_for([run.id], "model")
    assert notice is None and data["filename"] == f"rnnlab-AAL-lstm-{run.id}.keras"
    assert base64.b64decode(data["content"]) == b"not really a model"
    from service.store import runs

    with pages.store.engine.begin() as db:  # not the model the run saved
        db.execute(runs.update().where(runs.c.id == run.id).values(model=b"swapped"))
    data, notice = pages.compare.download_for([run.id], "model")
    assert data is no_update and notice.children == f"the model of run {run.id} was changed after it was saved"


@pytest.mark.parametrize("name, expected", [("ticker", "choose a ticker"), ("arch", "choose a network"),
                                            ("dataset", "choose a dataset"), ("column", "choose a price column")])
@pytest.mark.parametrize("missing", [None, ""])
def test_a_missing_choice_is_refused_like_an_invalid_one(pages, name, expected, missing):
    """A cleared dropdown posts None: the run is refused by name, never trained on a default."""
    before = len(pages.store.list())
    current, notice = start_run(pages, 1, form(pages, **{name: missing}))
    assert current is no_update
    assert notice.children == f"Not started: {expected}"
    assert len(pages.store.list()) == before
    check = pages.train.show_config_check(*form(pages, **{name: missing}))
    assert check.className == "notice notice-error" and check.children == expected
    _, group_notice = as_browser(pages, pages.teaching.start_group, 1, None, 3, *form(pages, **{name: missing}))
    assert group_notice.children == f"Not started: {expected}"


def test_one_edit_prepares_the_config_once_for_the_check_and_the_window(pages, monkeypatch):
    """The form check and the window view fire together on every edit: one preparation serves both."""
    calls = []
    real = pages.forms.prepare
    monkeypatch.setattr(pages.forms, "prepare", lambda config: calls.append(config) or real(config))
    values = form(pages, look_back=11, foresight=2)  # settings no other test prepared
    check = pages.train.show_config_check(*values)
    figure, text_rows, last = pages.teaching.show_window(*values, "val", 0)
    assert "windows of 11 values" in check.children and last > 0 and "X[0]" in text(text_rows)
    assert len(calls) == 1


def clicked(pages, callback, prop_id, *args, browser="browser-1"):
    """A callback that reads dash.ctx.triggered_id, called as if ``prop_id`` had been clicked."""
    import dash._callback_context as callback_context

    token = callback_context.context_value.set(SimpleNamespace(triggered_inputs=[{"prop_id": prop_id, "value": 1}]))
    try:
        return as_browser(pages, callback, *args, browser=browser)
    finally:
        callback_context.context_value.reset(token)


def test_start_group_submits_all_three_then_show_group_follows_them(pages):
    start = pages.teaching.start_group
    group_id, notice = clicked(pages, start, "train-all-button.n_clicks", 1, None, 3, *form(pages, epochs=4),
                               browser="grouped")
    assert notice is None
    group = pages.store.group(group_id)
    assert [r.config.arch for r in group] == ["lstm", "gru", "conv1d"] and {r.status for r in group} == {"queued"}
    status, _, _, _, _, poll_disabled, all_off, seeds_off = pages.teaching.show_group(group_id, None)
    assert "All three networks" in text(status) and "lstm seed 0: queued (epoch 0/4)" in text(status)
    assert (poll_disabled, all_off, seeds_off) == (False, True, True)
    _, notice = clicked(pages, start, "seed-repeat-button.n_clicks", None, 1, 3, *form(pages), browser="grouped")
    assert notice.children.startswith("Not started: this browser has active runs")
    for run in group:
        pages.store.request_cancel(run.id)
    *_, poll_disabled, all_off, seeds_off = pages.teaching.show_group(group_id, 1)
    assert (poll_disabled, all_off, seeds_off) == (True, False, False)
    group_id, notice = clicked(pages, start, "seed-repeat-button.n_clicks", None, 1, 3, *form(pages), browser="grouped")
    assert notice is None and [r.config.seed for r in pages.store.group(group_id)] == [0, 1, 2]
    for run in pages.store.group(group_id):
        pages.store.request_cancel(run.id)


# --- notebook export (/train and /compare) ----------------------------------------------------------

def test_export_notebook_gives_the_shown_run_the_selected_run_or_the_form(pages, finished_run):
    import json as json_module

    from components import notebook_export

    # /train with a run shown: that run (its config, not the form's)
    data, notice = as_browser(pages, notebook_export.export_notebook, 1, None, finished_run.id,
                              *form(pages, ticker="AAPL", look_back=20))
    assert notice is None and data["filename"] == "rnnlab_AAL_lstm_lb7_fs6.ipynb"
    notebook = json_module.loads(data["content"])
    assert notebook["nbformat"] == 4 and notebook["metadata"]["rnnlab"]["config"] == finished_run.config.to_dict()
    # /train without a run: the form as it stands
    data, notice = as_browser(pages, notebook_export.export_notebook, 1, None, None,
                              *form(pages, ticker="AAPL", look_back=20, arch="gru"))
    assert notice is None and data["filename"] == "rnnlab_AAPL_gru_lb20_fs6.ipynb"
    # a form the engine refuses: its message, nothing sent
    data, notice = as_browser(pages, notebook_export.export_notebook, 1, None, None, *form(pages, ticker="APTV"))
    assert data is no_update
    assert text(notice) == "Not exported: APTV validation split has 7 points; look_back 7 + foresight 6 needs at least 14"
    # /compare: the first selected run; nothing selected says so; forged rows are skipped
    data, _ = as_browser(pages, notebook_export.export_notebook, 1, [{"id": finished_run.id}], "ffffffffffff",
                         *[None] * 19)
    assert data["filename"] == "rnnlab_AAL_lstm_lb7_fs6.ipynb"
    for rows in ([], [{"id": "../etc"}], ["x", 3, {"id": 5}]):
        data, notice = as_browser(pages, notebook_export.export_notebook, 1, rows, None, *[None] * 19)
        assert data is no_update and text(notice) == "Select a run to export first."


# --- class view (/class) ----------------------------------------------------------------------------

@pytest.fixture
def class_page(pages, monkeypatch):
    monkeypatch.setenv("RNNLAB_INSTRUCTOR_KEY", "the key")
    return importlib.import_module("pages.class_")


def test_class_table_ranks_everyones_runs_by_skill_and_filters(pages, class_page, finished_run):
    from dataclasses import replace

    runs_ = [replace(finished_run, id="a" * 12, session="s1", result={"metrics": {"skill": 0.1, "test_mae": 1.0,
                                                                                     "naive_test_mae": 1.1}}),
             replace(finished_run, id="b" * 12, session="s2", result={"metrics": {"skill": 0.3, "test_mae": 0.7,
                                                                                     "naive_test_mae": 1.0}}),
             replace(finished_run, id="c" * 12, session="s3", status="running", result={},
                     history={"loss": [0.3, 0.2], "val_loss": [0.3, 0.2]}, config=finished_run.config.replace(
                         arch="gru", ticker="AAPL"))]
    names = {"s1": "<img src=x onerror=alert(1)>", "s2": "Ada"}
    rows = class_page.class_rows(runs_, names)
    assert [(r["rank"], r["id"][0], r["nickname"]) for r in rows] == [
        (1, "b", "Ada"), (2, "a", "<img src=x onerror=alert(1)>"), (None, "c", "anonymous")]
    assert rows[2]["status"] == "running, epoch 2 of 2" and rows[2]["network"] == "GRU"
    assert [r["id"][0] for r in class_page.class_rows(runs_, names, ticker="AAPL")] == ["c"]
    assert [r["id"][0] for r in class_page.class_rows(runs_, names, arch="lstm")] == ["b", "a"]
    assert class_page.class_rows(runs_, names, ticker="AAL", arch="gru") == []
    # no column renders markup
    assert all("cellRenderer" not in c and c.get("cellDataType") in ("text", "number") for c in class_page.COLUMNS)


def test_class_nickname_is_checked_and_saved_for_this_browser(pages, class_page):
    saved = as_browser(pages, class_page.save_nickname, 1, None, "<b>bold</b>", browser="nick-browser")
    assert text(saved) == "Saved: your runs show as <b>bold</b>"
    assert pages.store.nicknames()["nick-browser"] == "<b>bold</b>"
    refused = as_browser(pages, class_page.save_nickname, 1, None, "x" * 40, browser="nick-browser")
    assert text(refused) == "Not saved: a nickname has at most 32 characters; this one has 40"
    assert pages.store.nicknames()["nick-browser"] == "<b>bold</b>"


def test_class_cancel_needs_the_owner_or_the_instructor_key(pages, class_page):
    theirs = pages.store.create(TrainConfig(dataset=LECTURE_DATASET, epochs=2), session="owner", status="running")
    rows = [{"id": theirs.id}]
    for key in (None, "wrong", {"wrong": True}, ["the key"]):  # a client can post anything
        notice = as_browser(pages, class_page.cancel_selected, 1, rows, key, browser="intruder")
        assert text(notice) == (f"Not cancelled: run {theirs.id} was started in another browser; only that "
                                "browser or the instructor can cancel it.")
        assert pages.store.get(theirs.id).status == "running"
    notice = as_browser(pages, class_page.cancel_selected, 1, rows, "the key", browser="teacher")
    assert text(notice) == f"Cancelled run {theirs.id}." and pages.store.get(theirs.id).status == "cancelled"
    notice = as_browser(pages, class_page.cancel_selected, 1, rows, "the key", browser="teacher")
    assert text(notice) == f"Run {theirs.id} has already ended (cancelled)."
    mine = pages.store.create(TrainConfig(dataset=LECTURE_DATASET, epochs=2), session="owner", status="running")
    notice = as_browser(pages, class_page.cancel_selected, 1, [{"id": mine.id}], None, browser="owner")
    assert text(notice) == f"Cancelled run {mine.id}."
    assert text(as_browser(pages, class_page.cancel_selected, 1, [], "the key")) == "Select a run first."


def test_class_pin_needs_the_instructor_key_and_shows_on_the_projector(pages, class_page, finished_run):
    pages.store.set_setting("pinned_run", None)
    title, _, _, shown = class_page.show_pinned(1, None)
    assert title == "No run pinned yet: the instructor pins one from the class view." and shown == "none"
    assert class_page.show_pinned(2, "none") == (no_update,) * 4
    for key in (None, "wrong", {"wrong": True}):
        notice = as_browser(pages, class_page.pin_selected, 1, [{"id": finished_run.id}], key)
        assert text(notice).startswith("Not pinned: only the instructor can pin a run")
    assert pages.store.setting("pinned_run") is None
    notice = as_browser(pages, class_page.pin_selected, 1, [{"id": finished_run.id}], "the key")
    assert text(notice) == f"Pinned run {finished_run.id} to the projector view."
    title, loss, predictions, shown = class_page.show_pinned(3, "none")
    assert title.startswith("anonymous: AAL LSTM, look_back 7, foresight 6 (finished")
    assert len(loss.data) == 2 and [t.name for t in predictions.data][:1] == ["actual"]
    assert class_page.show_pinned(4, shown) == (no_update,) * 4


def test_class_unlock_keeps_only_the_right_key(pages, class_page, monkeypatch):
    assert class_page.unlock(1, None, "wrong") == ({"wrong": True}, "")
    assert text(class_page.show_instructor({"wrong": True})) == "That is not the instructor key."
    assert class_page.unlock(1, None, "the key") == ("the key", "")
    assert text(class_page.show_instructor("the key")).startswith("Instructor: you can cancel any run")
    monkeypatch.delenv("RNNLAB_INSTRUCTOR_KEY")  # the key is checked on every use, not once
    assert class_page.show_instructor("the key") is None
    assert class_page.unlock(1, None, "the key") == ({"wrong": True}, "")


def test_class_page_shows_this_browsers_nickname_and_whether_instructor_features_are_on(pages, class_page,
                                                                                         monkeypatch):
    def find(component, cid):
        if getattr(component, "id", None) == cid:
            return component
        children = getattr(component, "children", None)
        for child in children if isinstance(children, (list, tuple)) else [children]:
            if child is not None and not isinstance(child, (str, int, float)):
                found = find(child, cid)
                if found is not None:
                    return found
        return None

    pages.store.set_nickname("returning-browser", "Ada")
    page = as_browser(pages, class_page.layout, browser="returning-browser")
    assert find(page, pages.train.ids.CLASS_NICKNAME).value == "Ada"
    assert not find(page, pages.train.ids.CLASS_KEY_INPUT).disabled
    assert "Instructor features are off" not in text(page)
    monkeypatch.delenv("RNNLAB_INSTRUCTOR_KEY")
    page = as_browser(pages, class_page.layout, browser="new-browser")
    assert find(page, pages.train.ids.CLASS_NICKNAME).value == ""
    assert find(page, pages.train.ids.CLASS_KEY_INPUT).disabled and find(page, pages.train.ids.CLASS_KEY_BUTTON).disabled
    assert "Instructor features are off: start the app with RNNLAB_INSTRUCTOR_KEY set" in text(page)
    projector = class_page.layout(view="projector")
    assert find(projector, pages.train.ids.PROJECTOR_LOSS_GRAPH) is not None
    assert find(projector, pages.train.ids.CLASS_TABLE) is None
