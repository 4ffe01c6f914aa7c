"""The forecast band over seeds and the walk-forward backtest chart: traces, labels and numbers."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from components.figures import backtest_figure, fold_spread, forecast_band_figure

DATES = ["2017-01-03", "2017-01-04", "2017-01-05"]
ACTUAL = [10.0, 11.0, 12.0]
NAIVE = [9.5, 10.0, 11.0]
SEEDS = [[10.0, 11.0, 13.0], [11.0, 12.0, 12.0], [12.0, 10.0, 14.0], [11.0, 11.0, 13.0]]


def _band(fig: go.Figure) -> tuple[np.ndarray, np.ndarray]:
    """The band trace's upper edge (dates in order) and lower edge (dates in order)."""
    y = np.array(fig.data[1].y, dtype=float)
    half = len(y) // 2
    return y[:half], y[half:][::-1]


def test_minmax_band_mean_and_labels():
    fig = forecast_band_figure(DATES, ACTUAL, SEEDS, NAIVE, band="minmax", label="LSTM")
    assert [t.name for t in fig.data] == ["actual", "min-max over 4 seeds", "mean prediction (LSTM, 4 seeds)",
                                          "naive (last value of the window)"]
    upper, lower = _band(fig)
    np.testing.assert_allclose(upper, [12.0, 12.0, 14.0])
    np.testing.assert_allclose(lower, [10.0, 10.0, 12.0])
    np.testing.assert_allclose(fig.data[2].y, [11.0, 11.0, 13.0])
    assert fig.data[1].fill == "toself" and list(fig.data[1].x) == DATES + DATES[::-1]
    assert fig.layout.title.text == "Test predictions: mean and min-max over 4 seeds"


def test_two_std_band_is_mean_plus_minus_two_sample_deviations():
    fig = forecast_band_figure(DATES, ACTUAL, SEEDS, None, band="2std", title="AAL")
    assert [t.name for t in fig.data] == ["actual", "±2 std over 4 seeds", "mean prediction (model, 4 seeds)"]
    values = np.array(SEEDS)
    std = values.std(axis=0, ddof=1)  # 0.8165, 0.8165, 0.8165
    upper, lower = _band(fig)
    np.testing.assert_allclose(upper, values.mean(axis=0) + 2 * std)
    np.testing.assert_allclose(lower, values.mean(axis=0) - 2 * std)
    np.testing.assert_allclose(upper - lower, [4 * 0.816496580927726] * 3)
    assert fig.layout.title.text == "AAL"


def test_one_seed_band_is_the_prediction_itself_and_bad_input_is_refused():
    fig = forecast_band_figure(DATES, ACTUAL, SEEDS[:1], NAIVE, band="2std")
    assert fig.data[1].name == "±2 std over 1 seed"
    upper, lower = _band(fig)
    np.testing.assert_allclose(upper, SEEDS[0])
    np.testing.assert_allclose(lower, SEEDS[0])
    with pytest.raises(ValueError, match="unknown band 'iqr'"):
        forecast_band_figure(DATES, ACTUAL, SEEDS, NAIVE, band="iqr")
    with pytest.raises(ValueError, match="same dates"):
        forecast_band_figure(DATES, ACTUAL, [[1.0, 2.0]], NAIVE)


def _fold(fold: int, start: int, mae: float, naive_mae: float) -> dict:
    dates = [f"2016-0{start}-0{d}" for d in (1, 2, 3)]
    return {"fold": fold, "status": "finished",
            "predictions": {"date": dates, "actual": [1.0, 2.0, 3.0], "predicted": [1.1, 2.1, 2.9],
                            "naive": [0.9, 1.9, 3.1]},
            "metrics": {"test_mae": mae, "naive_test_mae": naive_mae}}


def test_backtest_figure_traces_and_spread_numbers():
    folds = [_fold(1, 1, 1.0, 1.5), _fold(2, 4, 2.0, 1.5), _fold(3, 7, 3.0, 2.5),
             {"fold": 4, "status": "running", "predictions": None, "metrics": None}]
    fig = backtest_figure(folds, "AAL high, 4 folds", "LSTM")
    names = [t.name for t in fig.data]
    assert names == ["actual", "naive (last value of the window)", "fold 1 predicted", "fold 2 predicted",
                     "fold 3 predicted", "LSTM MAE ($)", "naive MAE ($)",
                     "LSTM mean $2.00 ± $1.00 (std over 3 folds)", "naive mean $1.83 ± $0.58 (std over 3 folds)"]
    assert fig.layout.title.text == "AAL high, 4 folds: LSTM MAE $2.00 ± $1.00, naive $1.83 ± $0.58"
    # actual and naive are one line each, broken between the folds' windows
    assert list(fig.data[0].x).count(None) == 3 and len(fig.data[0].y) == 12
    assert list(fig.data[5].x) == [1, 2, 3] and list(fig.data[5].y) == [1.0, 2.0, 3.0]
    assert list(fig.layout.xaxis2.ticktext) == ["fold 1", "fold 2", "fold 3"]
    assert list(fig.layout.xaxis2.tickvals) == [1, 2, 3]
    assert list(fig.data[6].y) == [1.5, 1.5, 2.5] and list(fig.data[5].text) == ["$1.00", "$2.00", "$3.00"]
    assert list(fig.data[7].x) == [0.5, 3.5] and list(fig.data[7].y) == [2.0, 2.0]  # the mean across every fold
    assert fig.data[2].xaxis == "x" and fig.data[5].xaxis == "x2"  # time axis on top, MAE per fold below
    assert fold_spread([1.0, 2.0, 3.0]) == (2.0, 1.0) and fold_spread([4.0]) == (4.0, 0.0)


def test_backtest_figure_before_any_fold_finished_says_so():
    fig = backtest_figure([{"fold": 1, "status": "queued", "predictions": None, "metrics": None}])
    assert len(fig.data) == 0
    assert fig.layout.annotations[0].text == "Each fold's test window and MAE appear here as the folds finish"
