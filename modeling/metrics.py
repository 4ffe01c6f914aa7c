"""Honest scores in dollars on the test split, next to the naive persistence forecast.

The naive forecast predicts the window's last value: a model that cannot beat it has learned
nothing useful about the future, however low its loss curve looks.
"""
from __future__ import annotations

import numpy as np

from modeling.series import PreparedSeries


def mae(actual: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.mean(np.abs(np.asarray(actual) - np.asarray(predicted))))


def rmse(actual: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(actual) - np.asarray(predicted)) ** 2)))


def mape(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Mean absolute percentage error, in percent (prices are positive, so no division by zero)."""
    actual = np.asarray(actual, dtype=float)
    return float(np.mean(np.abs((actual - np.asarray(predicted)) / actual)) * 100.0)


def direction_accuracy(actual: np.ndarray, predicted: np.ndarray, last: np.ndarray) -> float:
    """Share of targets where the forecast moves the same way (up, down, flat) from the window's last value."""
    actual_move = np.sign(np.asarray(actual) - np.asarray(last))
    predicted_move = np.sign(np.asarray(predicted) - np.asarray(last))
    return float(np.mean(actual_move == predicted_move))


def skill(model_mae: float, naive_mae: float) -> float:
    """1 - MAE / naive MAE: positive beats the naive forecast, negative is worse than it."""
    return float(1.0 - model_mae / naive_mae) if naive_mae > 0 else 0.0


def skill_in_words(value: float) -> str:
    """The skill score as a sentence for the metrics card."""
    percent = round(abs(value) * 100)
    if percent == 0:
        return "is as good as the naive forecast"
    if value > 0:
        return f"beats the naive forecast by {percent}%"
    return f"is {percent}% worse than the naive forecast"


def evaluate(prepared: PreparedSeries, pred_val_norm: np.ndarray,
             pred_test_norm: np.ndarray) -> tuple[dict[str, float], dict[str, list]]:
    """Metrics of normalized predictions and the test predictions in dollars with their dates."""
    actual = prepared.to_price(prepared.y["test"])
    predicted = prepared.to_price(pred_test_norm)
    last = prepared.to_price(prepared.X["test"][:, -1])
    naive_mae = mae(actual, last)
    test_mae = mae(actual, predicted)
    metrics = {
        "test_mae": test_mae,
        "test_rmse": rmse(actual, predicted),
        "test_mape": mape(actual, predicted),
        "test_direction_acc": direction_accuracy(actual, predicted, last),
        "val_mae_norm": mae(prepared.y["val"], pred_val_norm),
        "naive_test_mae": naive_mae,
        "naive_test_rmse": rmse(actual, last),
        "naive_test_mape": mape(actual, last),
        "skill": skill(test_mae, naive_mae),
    }
    dates = [str(np.datetime_as_string(d, unit="D")) for d in prepared.target_dates("test")]
    predictions = {"date": dates, "actual": actual.tolist(), "predicted": predicted.tolist(),
                   "naive": last.tolist()}
    return metrics, predictions
