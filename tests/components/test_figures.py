"""Figure builders: plain data in, figures with the expected traces, shapes and axes out."""
from __future__ import annotations

import pandas as pd
import pytest

from components import figures
from components.figures import (
    NAIVE, RANGE_BUTTONS, RUN_PALETTE, SPLIT_COLOURS, candlestick_figure, compare_loss_figure,
    compare_prediction_figure, empty_figure, loss_figure, mae_bar_figure, prediction_figure, price_figure, run_label,
)

DATES = pd.date_range("2020-01-01", periods=10, freq="D")


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"date": DATES, "open": [float(i) for i in range(10)],
                         "high": [i + 2.0 for i in range(10)], "low": [i - 1.0 for i in range(10)],
                         "close": [i + 0.5 for i in range(10)], "volume": [1000 * (i + 1) for i in range(10)]})


def make_run(run_id: str, ticker: str = "AAL", arch: str = "lstm", loss=(0.3, 0.2, 0.1),
             val_loss=(0.4, 0.3, 0.25), test_mae: float = 1.5, naive_mae: float = 2.0) -> dict:
    dates = ["2017-01-03", "2017-01-04", "2017-01-05"]
    return {"id": run_id,
            "config": {"ticker": ticker, "arch": arch, "look_back": 7, "foresight": 6, "column": "high"},
            "history": {"loss": list(loss), "val_loss": list(val_loss)},
            "result": {"predictions": {"date": dates, "actual": [10.0, 11.0, 12.0],
                                       "predicted": [10.5, 11.5, 12.5], "naive": [9.0, 10.0, 11.0]},
                       "metrics": {"test_mae": test_mae, "naive_test_mae": naive_mae}}}


def test_price_figure_has_high_low_and_three_split_rectangles(frame):
    bounds = {"train": (DATES[0], DATES[6]), "val": (DATES[7], DATES[8]), "test": (DATES[9], DATES[9])}
    fig = price_figure(frame, "AAL", bounds, company="American Airlines Group")
    assert [t.name for t in fig.data] == ["High", "Low"]
    assert list(fig.data[0].y) == list(frame["high"])
    assert list(fig.data[1].y) == list(frame["low"])
    assert len(fig.data[0].x) == 10
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    assert len(rects) == 3
    assert [(pd.Timestamp(r.x0), pd.Timestamp(r.x1)) for r in rects] == [
        (DATES[0], DATES[6]), (DATES[7], DATES[8]), (DATES[9], DATES[9])]
    assert [r.fillcolor for r in rects] == [SPLIT_COLOURS["train"], SPLIT_COLOURS["val"], SPLIT_COLOURS["test"]]
    assert [a.text for a in fig.layout.annotations] == ["train", "validation", "test"]
    assert fig.layout.title.text == "AAL high and low prices (American Airlines Group)"
    assert [b.label for b in fig.layout.xaxis.rangeselector.buttons] == [b["label"] for b in RANGE_BUTTONS]


def test_price_figure_without_bounds_has_no_shading(frame):
    fig = price_figure(frame, "AAL")
    assert len(fig.layout.shapes) == 0
    assert fig.layout.title.text == "AAL high and low prices"


def test_candlestick_figure_has_ohlc_volume_and_range_buttons(frame):
    fig = candlestick_figure(frame, "AAL")
    kinds = [t.type for t in fig.data]
    assert kinds == ["candlestick", "scatter"] and fig.data[1].fill == "tozeroy"  # volume: one filled line
    candle, volume = fig.data
    assert list(candle.open) == list(frame["open"]) and list(candle.close) == list(frame["close"])
    assert list(candle.high) == list(frame["high"]) and list(candle.low) == list(frame["low"])
    assert list(volume.y) == list(frame["volume"])
    assert volume.yaxis == "y2"
    labels = [b.label for b in fig.layout.xaxis.rangeselector.buttons]
    assert labels == ["1m", "6m", "YTD", "1y", "all"]
    # no range slider: it draws every candle a second time (the range buttons and zoom remain)
    assert fig.layout.xaxis2.rangeslider.visible is False and fig.layout.xaxis.rangeslider.visible is False
    assert fig.layout.title.text == "AAL daily candlesticks and volume"


def test_loss_figure_spans_planned_epochs_and_shows_history():
    history = {"loss": [0.5, 0.4, 0.3], "val_loss": [0.6, 0.45]}
    fig = loss_figure(history, epochs=30)
    train, val = fig.data
    assert list(train.x) == [1, 2, 3] and list(train.y) == [0.5, 0.4, 0.3]
    assert list(val.x) == [1, 2] and list(val.y) == [0.6, 0.45]
    assert tuple(fig.layout.xaxis.range) == (0.5, 30.5)
    assert fig.layout.title.text == "Normalized MAE validation = 0.450"


def test_loss_figure_range_grows_past_planned_epochs_and_handles_empty_history():
    fig = loss_figure({"loss": [0.3] * 12, "val_loss": [0.2] * 12}, epochs=10, title="mine")
    assert tuple(fig.layout.xaxis.range) == (0.5, 12.5)
    assert fig.layout.title.text == "mine"
    empty = loss_figure({}, epochs=None)
    assert [len(t.x) for t in empty.data] == [0, 0]
    assert tuple(empty.layout.xaxis.range) == (0.5, 1.5)
    assert empty.layout.title.text == "Loss per epoch"


def test_prediction_figure_has_actual_predicted_naive_on_the_dates():
    p = make_run("abc")["result"]["predictions"]
    fig = prediction_figure(p, "AAL", "high", "LSTM")
    assert [t.name for t in fig.data] == ["actual", "predicted (LSTM)", "naive (last value of the window)"]
    for trace in fig.data:
        assert list(trace.x) == p["date"]
    assert [list(t.y) for t in fig.data] == [p["actual"], p["predicted"], p["naive"]]
    assert fig.layout.title.text == "AAL high price on the test split: actual vs predicted"


def test_run_label_names_ticker_arch_window_and_short_id():
    assert run_label(make_run("0123456789ab")) == "AAL lstm lb7 fs6 #012345"


def test_compare_loss_figure_has_validation_and_training_per_run():
    runs = [make_run("aaaaaaaaaaaa"), make_run("bbbbbbbbbbbb", arch="gru", loss=(0.3, 0.2), val_loss=(0.4, 0.3))]
    fig = compare_loss_figure(runs)
    assert len(fig.data) == 4
    assert [t.name for t in fig.data] == ["AAL lstm lb7 fs6 #aaaaaa validation", "AAL lstm lb7 fs6 #aaaaaa training",
                                          "AAL gru lb7 fs6 #bbbbbb validation", "AAL gru lb7 fs6 #bbbbbb training"]
    assert [len(t.x) for t in fig.data] == [3, 3, 2, 2]
    assert list(fig.data[0].y) == [0.4, 0.3, 0.25] and list(fig.data[1].y) == [0.3, 0.2, 0.1]
    assert fig.data[0].line.color == fig.data[1].line.color == RUN_PALETTE[0]
    assert fig.data[2].line.color == RUN_PALETTE[1]
    assert fig.data[1].line.dash == "dot"


def test_compare_prediction_figure_overlays_runs_on_actual_and_naive():
    runs = [make_run("aaaaaaaaaaaa"), make_run("bbbbbbbbbbbb", arch="gru")]
    fig = compare_prediction_figure(runs)
    assert [t.name for t in fig.data] == ["actual", "naive", run_label(runs[0]), run_label(runs[1])]
    assert list(fig.data[0].y) == [10.0, 11.0, 12.0]
    assert list(fig.data[1].y) == [9.0, 10.0, 11.0]
    assert list(fig.data[2].y) == [10.5, 11.5, 12.5]
    assert list(fig.data[3].x) == ["2017-01-03", "2017-01-04", "2017-01-05"]
    assert fig.layout.title.text == "AAL high: test predictions"


def test_compare_prediction_figure_without_runs_says_why():
    fig = compare_prediction_figure([])
    assert len(fig.data) == 0
    assert "Select runs on the same ticker" in fig.layout.annotations[0].text


def test_mae_bar_figure_has_bars_and_naive_line():
    runs = [make_run("aaaaaaaaaaaa", test_mae=1.5, naive_mae=2.0), make_run("bbbbbbbbbbbb", test_mae=2.5, naive_mae=2.0)]
    fig = mae_bar_figure(runs)
    bars, naive = fig.data
    assert bars.type == "bar" and list(bars.y) == [1.5, 2.5]
    assert list(bars.x) == [run_label(r) for r in runs]
    assert list(bars.text) == ["$1.50", "$2.50"]
    assert list(bars.marker.color) == [RUN_PALETTE[0], RUN_PALETTE[1]]
    assert naive.type == "scatter" and list(naive.y) == [2.0, 2.0] and naive.line.color == NAIVE
    assert mae_bar_figure([]).layout.annotations[0].text == "Select finished runs to compare their test MAE"


def test_empty_figure_states_the_reason_and_hides_axes():
    fig = empty_figure("Nothing to show yet")
    assert len(fig.data) == 0
    assert [a.text for a in fig.layout.annotations] == ["Nothing to show yet"]
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False


def test_figures_serialize_to_json():
    """Dash sends figures as JSON: every builder's output must serialize."""
    runs = [make_run("aaaaaaaaaaaa")]
    for fig in (compare_loss_figure(runs), compare_prediction_figure(runs), mae_bar_figure(runs),
                figures.empty_figure("x")):
        assert fig.to_json()
