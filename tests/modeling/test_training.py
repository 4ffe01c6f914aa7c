"""Training, kept tiny: a few epochs on the lecture's AAL series."""
from __future__ import annotations

import math

import numpy as np
import pytest

from modeling.config import TrainConfig
from modeling.series import prepare_series
from modeling.training import EpochReport, TrainResult, train

BASE = TrainConfig.from_mapping({"dataset": "sp500-2012-2017", "ticker": "AAL", "epochs": 2})


@pytest.fixture(scope="module")
def lstm_run(aal_prepared):
    """The lecture's LSTM for two epochs, with every hook report kept."""
    reports: list[EpochReport] = []
    result = train(aal_prepared, BASE, on_epoch_end=reports.append)
    return result, reports


def test_result_fields(lstm_run, aal_prepared):
    result, _ = lstm_run
    assert isinstance(result, TrainResult)
    assert result.config == BASE
    assert result.params == 4_385 == result.model.count_params()
    assert [row["params"] for row in result.summary] == [4352, 33]
    assert set(result.history) == {"loss", "val_loss"}
    assert len(result.history["loss"]) == len(result.history["val_loss"]) == 2
    assert all(math.isfinite(v) and v > 0 for v in result.history["loss"] + result.history["val_loss"])
    assert result.stopped is False
    assert result.best_epoch == 2
    assert len(result.epoch_seconds) == 2
    assert result.first_epoch_seconds == result.epoch_seconds[0]
    assert result.seconds_per_epoch == result.epoch_seconds[1]  # median of epochs 2..N
    assert result.train_seconds >= sum(result.epoch_seconds)
    assert all(math.isfinite(v) for v in result.metrics.values())
    # the last epoch's validation loss is the normalized validation MAE of the final model
    assert result.metrics["val_mae_norm"] == pytest.approx(result.history["val_loss"][-1], abs=1e-5)
    assert result.metrics["naive_test_mae"] == pytest.approx(1.78, abs=0.01)


def test_hook_called_once_per_epoch_with_the_history_so_far(lstm_run):
    result, reports = lstm_run
    assert [r.epoch for r in reports] == [1, 2]
    assert all(r.epochs == 2 for r in reports)
    for i, report in enumerate(reports):
        assert report.loss == result.history["loss"][i]
        assert report.val_loss == result.history["val_loss"][i]
        assert report.history == {"loss": result.history["loss"][:i + 1],
                                  "val_loss": result.history["val_loss"][:i + 1]}
        assert report.elapsed > 0
    assert reports[1].elapsed >= reports[0].elapsed
    # each report holds its own copy of the history
    assert reports[0].history is not reports[1].history
    assert reports[0].history["loss"] is not result.history["loss"]


def test_prediction_dates_are_the_target_dates(lstm_run, aal_prepared):
    result, _ = lstm_run
    predictions = result.predictions
    expected = [str(d)[:10] for d in aal_prepared.target_dates("test")]
    assert predictions["date"] == expected
    assert len(expected) == 126
    assert expected[0] == str(aal_prepared.dates["test"][13])[:10]
    assert expected[-1] == "2017-08-11"
    np.testing.assert_allclose(predictions["actual"], aal_prepared.raw["test"][13:], rtol=1e-5)
    assert len(predictions["predicted"]) == len(predictions["naive"]) == 126


def test_same_seed_same_run_other_seed_other_run(lstm_run, aal_prepared):
    first, _ = lstm_run
    again = train(aal_prepared, BASE)
    assert again.history == first.history  # exact
    assert again.predictions == first.predictions  # exact
    assert again.metrics == first.metrics
    other = train(aal_prepared, BASE.replace(seed=1))
    assert other.history["loss"] != first.history["loss"]
    assert other.history["val_loss"] != first.history["val_loss"]


def test_should_stop_is_checked_between_epochs(aal_prepared):
    calls = {"hook": 0, "stop": 0}

    def on_epoch_end(report):
        calls["hook"] += 1

    def should_stop():
        calls["stop"] += 1
        return calls["stop"] >= 2

    config = BASE.replace(arch="conv1d", epochs=10)
    result = train(aal_prepared, config, on_epoch_end=on_epoch_end, should_stop=should_stop)
    assert result.stopped is True
    assert len(result.history["loss"]) == len(result.history["val_loss"]) == 2
    assert calls == {"hook": 2, "stop": 2}
    assert len(result.epoch_seconds) == 2
    assert result.best_epoch == 2
    # the stopped model is still evaluated
    assert len(result.predictions["date"]) == 126
    assert math.isfinite(result.metrics["test_mae"])


def test_should_stop_at_once_still_runs_one_epoch(aal_prepared):
    result = train(aal_prepared, BASE.replace(arch="conv1d", epochs=5), should_stop=lambda: True)
    assert result.stopped is True
    assert len(result.history["loss"]) == 1


def test_early_stopping_restores_the_best_weights(aal_prepared):
    patience = 2
    config = BASE.replace(arch="conv1d", epochs=40, learning_rate=0.01, patience=patience)
    result = train(aal_prepared, config)
    val = result.history["val_loss"]
    ran = len(val)
    assert ran < 40  # stopped early
    assert result.stopped is False  # early stopping is not a cancellation
    best = int(np.argmin(val)) + 1
    assert result.best_epoch == best
    # Keras' EarlyStopping rule: training stops at the patience-th epoch without improvement
    assert ran == best + patience
    assert all(v >= val[best - 1] for v in val[best:])
    # the returned model is the best epoch's, not the last one's
    assert result.metrics["val_mae_norm"] == pytest.approx(min(val), abs=1e-5)
    assert val[-1] > min(val)

    # the same run without early stopping follows the same path and keeps the last weights
    plain = train(aal_prepared, config.replace(patience=None, epochs=ran))
    assert plain.history == result.history
    assert plain.best_epoch == ran
    assert plain.metrics["val_mae_norm"] == pytest.approx(val[-1], abs=1e-5)


@pytest.mark.parametrize(("arch", "params"), [("gru", 3_393), ("conv1d", 449)])
def test_every_architecture_trains(aal_prepared, arch, params):
    reports = []
    result = train(aal_prepared, BASE.replace(arch=arch), on_epoch_end=reports.append)
    assert result.params == params
    assert [r.epoch for r in reports] == [1, 2]
    assert len(result.history["loss"]) == 2
    assert all(math.isfinite(v) for v in result.history["loss"] + result.history["val_loss"])
    assert all(math.isfinite(v) for v in result.metrics.values())
    assert len(result.predictions["predicted"]) == 126
    # training does something: the second epoch's training loss is lower than the first's
    assert result.history["loss"][1] < result.history["loss"][0]


def test_options_reach_the_model(aal_frame):
    config = BASE.replace(arch="lstm", units=8, look_back=10, foresight=2, epochs=1, batch_size=1024)
    prepared = prepare_series(aal_frame, config.series_spec)
    result = train(prepared, config)
    assert result.params == 4 * (8 + 64 + 8) + 9
    assert result.model.input_shape == (None, 10, 1)
    assert len(result.history["loss"]) == 1
    assert len(result.predictions["date"]) == 139 - 12
