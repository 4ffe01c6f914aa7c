"""Scores in dollars, the naive persistence forecast and the skill score."""
from __future__ import annotations

import math

import numpy as np
import pytest

from modeling.metrics import direction_accuracy, evaluate, mae, mape, rmse, skill, skill_in_words

ACTUAL = np.array([10.0, 12.0, 9.0, 11.0])
PREDICTED = np.array([11.0, 12.0, 7.0, 11.5])


def test_mae():
    assert mae(ACTUAL, PREDICTED) == pytest.approx((1 + 0 + 2 + 0.5) / 4)  # 0.875
    assert mae(ACTUAL, ACTUAL) == 0.0
    assert mae([1, 2], [2, 4]) == 1.5
    assert isinstance(mae(ACTUAL, PREDICTED), float)


def test_rmse():
    assert rmse(ACTUAL, PREDICTED) == pytest.approx(math.sqrt((1 + 0 + 4 + 0.25) / 4))
    assert rmse([3.0], [0.0]) == 3.0
    assert rmse(ACTUAL, PREDICTED) >= mae(ACTUAL, PREDICTED)


def test_mape_is_in_percent():
    assert mape([100.0, 200.0], [110.0, 190.0]) == pytest.approx(7.5)  # (10% + 5%) / 2
    assert mape(ACTUAL, PREDICTED) == pytest.approx((10 + 0 + 200 / 9 + 100 / 22) / 4)
    assert mape([1, 2], [1, 2]) == 0.0


def test_direction_accuracy():
    actual = np.array([3.0, 1.0, 2.0, 2.0])
    predicted = np.array([2.5, 1.5, 2.0, 3.0])
    last = np.array([2.0, 2.0, 2.0, 2.0])
    # moves: actual up, down, flat, flat; predicted up, down, flat, up -> 3 of 4
    assert direction_accuracy(actual, predicted, last) == 0.75
    assert direction_accuracy(actual, actual, last) == 1.0
    assert direction_accuracy([3.0, 1.0], [1.0, 3.0], [2.0, 2.0]) == 0.0


def test_skill():
    assert skill(1.76, 2.0) == pytest.approx(0.12)
    assert skill(2.6, 2.0) == pytest.approx(-0.3)
    assert skill(2.0, 2.0) == 0.0
    assert skill(0.0, 2.0) == 1.0
    assert skill(1.0, 0.0) == 0.0  # a flat series: no naive error to beat


@pytest.mark.parametrize(("value", "words"), [
    (skill(1.76, 2.0), "beats the naive forecast by 12%"),
    (skill(2.6, 2.0), "is 30% worse than the naive forecast"),
    (0.12, "beats the naive forecast by 12%"),
    (-0.3, "is 30% worse than the naive forecast"),
    (1.0, "beats the naive forecast by 100%"),
    (-1.0373773284252792, "is 104% worse than the naive forecast"),
    (0.0, "is as good as the naive forecast"),
    (0.004, "is as good as the naive forecast"),
    (-0.004, "is as good as the naive forecast"),
    (0.006, "beats the naive forecast by 1%"),
])
def test_skill_in_words(value, words):
    assert skill_in_words(value) == words


def test_naive_forecast_on_the_lecture_series(aal_prepared):
    """The naive persistence forecast on AAL's test split, look_back 7, foresight 6: about $1.78."""
    perfect_val = aal_prepared.y["val"]
    perfect_test = aal_prepared.y["test"]
    metrics, predictions = evaluate(aal_prepared, perfect_val, perfect_test)
    assert metrics["naive_test_mae"] == pytest.approx(1.78, abs=0.01)
    actual = aal_prepared.raw["test"][13:]
    naive = aal_prepared.raw["test"][6:-7]  # the last value of each window
    assert metrics["naive_test_mae"] == pytest.approx(np.mean(np.abs(actual - naive)), rel=1e-5)
    assert metrics["naive_test_rmse"] >= metrics["naive_test_mae"]
    assert metrics["naive_test_mape"] == pytest.approx(np.mean(np.abs(actual - naive) / actual) * 100, rel=1e-5)
    # a perfect model
    assert metrics["test_mae"] == pytest.approx(0.0, abs=1e-4)
    assert metrics["test_rmse"] == pytest.approx(0.0, abs=1e-4)
    assert metrics["val_mae_norm"] == 0.0
    assert metrics["test_direction_acc"] == 1.0
    assert metrics["skill"] == pytest.approx(1.0, abs=1e-4)
    assert set(metrics) == {"test_mae", "test_rmse", "test_mape", "test_direction_acc", "val_mae_norm",
                            "naive_test_mae", "naive_test_rmse", "naive_test_mape", "skill"}
    assert all(isinstance(v, float) for v in metrics.values())
    # predictions in dollars, dated by their targets
    assert set(predictions) == {"date", "actual", "predicted", "naive"}
    assert len(predictions["date"]) == 126
    assert predictions["date"][0] == str(aal_prepared.target_dates("test")[0])[:10]
    assert predictions["date"][-1] == "2017-08-11"
    np.testing.assert_allclose(predictions["actual"], actual, rtol=1e-5)
    np.testing.assert_allclose(predictions["naive"], naive, rtol=1e-5)


def test_evaluate_with_the_naive_forecast_as_model(aal_prepared):
    last_val = aal_prepared.X["val"][:, -1]
    last_test = aal_prepared.X["test"][:, -1]
    metrics, predictions = evaluate(aal_prepared, last_val, last_test)
    assert metrics["test_mae"] == pytest.approx(metrics["naive_test_mae"])
    assert metrics["skill"] == pytest.approx(0.0, abs=1e-9)
    assert predictions["predicted"] == pytest.approx(predictions["naive"])
