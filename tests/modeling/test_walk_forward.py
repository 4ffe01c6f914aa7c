"""The walk-forward split: exact sizes, expanding training windows, no leak, the too-short message."""
from __future__ import annotations

import json

import numpy as np
import pytest

from modeling.__main__ import main
from modeling.config import ConfigError, TrainConfig
from modeling.data import DataError, ticker_frame
from modeling.limits import DEFAULT_FOLDS, FOLDS, LIMITS
from modeling.series import SeriesSpec, prepare_series, walk_forward_bounds


def fold_spec(folds: int, fold: int, **kwargs) -> SeriesSpec:
    return SeriesSpec(folds=folds, fold=fold, **kwargs)


def test_aal_four_folds_exact_sizes(aal_frame):
    """AAL High of the lecture's edition, 926 points: 4 test blocks of 926 // 5 = 185 points after an
    initial part of 186; each history split 70 : 15 with round()."""
    assert len(aal_frame.frame) == 926
    expected = {1: (153, 33, 185), 2: (306, 65, 185), 3: (458, 98, 185), 4: (610, 131, 185)}
    for fold, (n_train, n_val, n_test) in expected.items():
        prepared = prepare_series(aal_frame, fold_spec(4, fold))
        assert prepared.split_counts == {"train": n_train, "val": n_val, "test": n_test}
        # windows: n - look_back - foresight per part, as in the lecture's split
        assert prepared.sequence_counts == {"train": n_train - 13, "val": n_val - 13, "test": 172}
    last = prepare_series(aal_frame, fold_spec(4, 4))
    assert str(last.dates["test"][0])[:10] == "2016-11-16" and str(last.dates["test"][-1])[:10] == "2017-08-11"
    assert str(last.dates["test"][-1])[:10] == str(aal_frame.frame["date"].iloc[-1])[:10]  # ends at the last day


@pytest.mark.parametrize("n", [100, 926, 1259, 1260, 1261])
@pytest.mark.parametrize("folds", range(FOLDS[0], FOLDS[1] + 1))
def test_blocks_tile_the_series_and_training_windows_expand(n, folds):
    block = n // (folds + 1)
    previous_history = 0
    previous_test_end = n - folds * block
    for fold in range(1, folds + 1):
        b = walk_forward_bounds(n, folds, fold)
        assert b["train"][0] == 0 and b["train"][1] == b["val"][0] and b["val"][1] == b["test"][0]
        assert b["test"] == (previous_test_end, previous_test_end + block)  # the block after the previous one
        assert b["test"][1] - b["test"][0] == block
        history = b["val"][1]
        assert history > previous_history  # an expanding window, grown by one block
        if fold > 1:
            assert history - previous_history == block
        assert b["train"][1] == round(history * 0.7 / 0.85)
        previous_history, previous_test_end = history, b["test"][1]
    assert previous_test_end == n  # the last fold is tested on the series' last block


def test_scaler_fitted_on_the_fold_training_part_only_and_no_window_leaks(aal_frame):
    values = aal_frame.frame["high"].to_numpy(dtype=float)
    for fold in (1, 2, 3):
        prepared = prepare_series(aal_frame, fold_spec(3, fold, look_back=5, foresight=2))
        b = walk_forward_bounds(len(values), 3, fold)
        train = values[b["train"][0]:b["train"][1]]
        assert prepared.scaler.data_min_[0] == train.min() and prepared.scaler.data_max_[0] == train.max()
        np.testing.assert_array_equal(prepared.raw["test"], values[b["test"][0]:b["test"][1]])
        # every test window and target lies inside the test block: nothing from after it, nothing from training
        test_norm = prepared.norm["test"]
        np.testing.assert_allclose(prepared.X["test"][0], test_norm[:5])
        np.testing.assert_allclose(prepared.y["test"][-1], test_norm[-1])
        assert prepared.dates["train"][-1] < prepared.dates["val"][0] < prepared.dates["test"][0]
    # a later fold's scaler has seen more: it is not the first fold's
    first, last = (prepare_series(aal_frame, fold_spec(3, f)).scaler for f in (1, 3))
    assert (first.data_min_, first.data_max_) != (last.data_min_, last.data_max_)


def test_too_short_for_k_folds_says_so_with_numbers(prices_2013):
    aptv = ticker_frame(prices_2013, "APTV")  # 44 points
    message = ("APTV has 44 points, too few for 4 folds: fold 1's training part has 10 points; look_back 7 + "
               "foresight 6 needs at least 14 (try fewer folds or a shorter window)")
    for fold in (1, 4):  # the same message whichever fold is asked: fold 1 decides for all
        with pytest.raises(DataError) as info:
            prepare_series(aptv, fold_spec(4, fold))
        assert str(info.value) == message
    with pytest.raises(DataError) as info:
        prepare_series(aptv, fold_spec(2, 1, look_back=3, foresight=0))
    assert str(info.value) == ("APTV has 44 points, too few for 2 folds: fold 1's validation part has 3 points; "
                               "look_back 3 + foresight 0 needs at least 4 (try fewer folds or a shorter window)")


def test_config_fields_limits_and_messages():
    assert (TrainConfig().folds, TrainConfig().fold) == (0, 0)
    assert LIMITS["folds"] == (0, FOLDS[1]) and FOLDS == (2, 8) and FOLDS[0] <= DEFAULT_FOLDS <= FOLDS[1]
    assert TrainConfig.from_mapping({"folds": "3", "fold": 3}).series_spec.folds == 3
    cases = {
        (1, 1): "folds must be 0 (the lecture's split) or from 2 to 8; got 1",
        (9, 1): "folds must be between 0 and 8; got 9",
        (3, 0): "fold must be between 1 and 3; got 0",
        (3, 4): "fold must be between 1 and 3; got 4",
        (0, 2): "fold 2 needs folds (a walk-forward backtest); folds is 0",
    }
    for (folds, fold), message in cases.items():
        with pytest.raises(ConfigError) as info:
            TrainConfig.from_mapping({"folds": folds, "fold": fold})
        assert str(info.value) == message


def test_walk_forward_configs():
    config = TrainConfig(ticker="MSFT", epochs=3, seed=7)
    folds = config.walk_forward(3)
    assert [(c.folds, c.fold) for c in folds] == [(3, 1), (3, 2), (3, 3)]
    assert all(c.replace(folds=0, fold=0) == config for c in folds)  # nothing else changes, not even the seed
    for bad in (1, 9, 2.5, True, "4"):
        with pytest.raises(ConfigError) as info:
            config.walk_forward(bad)
        assert str(info.value) == f"folds must be a whole number from 2 to 8; got {bad!r}"


def test_a_stored_config_from_before_the_folds_keeps_working():
    old = TrainConfig().to_dict()
    del old["folds"], old["fold"]
    assert TrainConfig(**json.loads(json.dumps(old))) == TrainConfig()
    assert TrainConfig.from_mapping(old) == TrainConfig()
    assert TrainConfig.from_mapping(TrainConfig(folds=5, fold=2).to_dict()) == TrainConfig(folds=5, fold=2)


def test_cli_takes_folds_and_refuses_a_bad_fold(capsys):
    assert main(["train", "--folds", "4", "--fold", "5"]) == 1
    assert capsys.readouterr().err == "error: fold must be between 1 and 4; got 5\n"
    assert main(["train", "--ticker", "APTV", "--folds", "4", "--fold", "1"]) == 1
    assert capsys.readouterr().err.startswith("error: APTV has 44 points, too few for 4 folds")
