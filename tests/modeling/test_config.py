"""TrainConfig.from_mapping: the single gate for untrusted values."""
from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modeling.config import INTEGER_FIELDS, LIMITS, ConfigError, TrainConfig
from modeling.data import DATASETS
from modeling.series import SeriesSpec
from modeling.uploads import UPLOAD_KEY


def refused(values, **kwargs) -> str:
    with pytest.raises(ConfigError) as info:
        TrainConfig.from_mapping(values, **kwargs)
    assert "\n" not in str(info.value)
    return str(info.value)


def test_defaults_are_the_lecture_lstm():
    config = TrainConfig.from_mapping({})
    assert config == TrainConfig()
    assert (config.dataset, config.ticker, config.column, config.arch) == ("sp500-2013-2018", "AAL", "high", "lstm")
    assert (config.look_back, config.foresight, config.units, config.epochs, config.batch_size) == (7, 6, 32, 30, 32)
    assert config.patience is None
    assert config.series_spec == SeriesSpec("high", 0.7, 0.15, 7, 6)
    assert config.arch_params.units == 32 and config.arch_params.kernel_size == 5


def test_strings_are_coerced():
    config = TrainConfig.from_mapping({
        "dataset": "sp500-2012-2017", "ticker": "  brk.b ", "column": " Close", "arch": "GRU",
        "look_back": "10", "foresight": " 3 ", "epochs": "5.0", "batch_size": "64", "units": "16",
        "dropout": "0.2", "recurrent_dropout": "0", "learning_rate": "1e-3", "train_ratio": "0.6",
        "val_ratio": ".2", "seed": "42", "patience": "3", "filters": "8", "kernel_size": "2",
    })
    assert config.ticker == "BRK.B"
    assert config.column == "close"
    assert config.arch == "gru"
    assert config.look_back == 10 and type(config.look_back) is int
    assert config.foresight == 3
    assert config.epochs == 5 and type(config.epochs) is int
    assert config.batch_size == 64 and config.units == 16 and config.seed == 42 and config.patience == 3
    assert config.dropout == 0.2 and config.recurrent_dropout == 0.0
    assert config.learning_rate == 0.001
    assert (config.train_ratio, config.val_ratio) == (0.6, 0.2)
    assert (config.filters, config.kernel_size) == (8, 2)


def test_numbers_pass_and_floats_that_are_whole_become_int():
    config = TrainConfig.from_mapping({"epochs": 3.0, "units": 8, "learning_rate": 1, "patience": 0,
                                       "foresight": 0})
    assert config.epochs == 3 and type(config.epochs) is int
    assert config.learning_rate == 1.0
    assert config.patience == 0
    assert config.foresight == 0


def test_empty_and_none_take_defaults_and_unknown_keys_are_ignored():
    config = TrainConfig.from_mapping({"epochs": "", "ticker": None, "units": None, "colour": "red",
                                       "arch": ""})
    assert config == TrainConfig()


def test_limits_are_inclusive():
    for name, (low, high) in LIMITS.items():
        if name in ("train_ratio", "val_ratio", "folds", "fold"):
            continue  # checked together below (and in test_series.py for the folds)
        for value in (low, high):
            if name == "kernel_size":
                config = TrainConfig.from_mapping({name: value, "look_back": max(7, int(value) + 1)})
            else:
                config = TrainConfig.from_mapping({name: value})
            assert getattr(config, name) == value
    assert TrainConfig.from_mapping({"train_ratio": 0.05, "val_ratio": 0.05}).train_ratio == 0.05
    assert TrainConfig.from_mapping({"train_ratio": 0.9, "val_ratio": 0.05}).val_ratio == 0.05


@pytest.mark.parametrize(("values", "message"), [
    ({"epochs": 1000}, "epochs must be between 1 and 500; got 1000"),
    ({"epochs": "0"}, "epochs must be between 1 and 500; got 0"),
    ({"units": 300}, "units must be between 1 and 256; got 300"),
    ({"look_back": 251}, "look_back must be between 1 and 250; got 251"),
    ({"batch_size": 2000}, "batch_size must be between 1 and 1024; got 2000"),
    ({"foresight": -1}, "foresight must be between 0 and 250; got -1"),
    ({"dropout": 0.95}, "dropout must be between 0 and 0.9; got 0.95"),
    ({"learning_rate": 2}, "learning_rate must be between 1e-06 and 1; got 2"),
    ({"learning_rate": "0"}, "learning_rate must be between 1e-06 and 1; got 0"),
    ({"seed": -5}, "seed must be between 0 and 2.14748e+09; got -5"),
    ({"epochs": 10**400}, "epochs must be between 1 and 500; got a number too large to use"),
])
def test_out_of_range(values, message):
    assert refused(values) == message


@pytest.mark.parametrize(("values", "message"), [
    ({"epochs": "abc"}, "epochs must be a number; got 'abc'"),
    ({"epochs": "10 epochs"}, "epochs must be a number; got '10 epochs'"),
    ({"units": [32]}, "units must be a number; got [32]"),
    ({"units": {"n": 32}}, "units must be a number; got {'n': 32}"),
    ({"dropout": "0,1"}, "dropout must be a number; got '0,1'"),
    ({"epochs": "2.5"}, "epochs must be a whole number; got '2.5'"),
    ({"look_back": 7.5}, "look_back must be a whole number; got 7.5"),
])
def test_non_numeric(values, message):
    assert refused(values) == message


@pytest.mark.parametrize(("values", "message"), [
    ({"learning_rate": float("nan")}, "learning_rate must be a finite number; got nan"),
    ({"learning_rate": "NaN"}, "learning_rate must be a finite number; got 'NaN'"),
    ({"epochs": float("inf")}, "epochs must be a finite number; got inf"),
    ({"dropout": "-inf"}, "dropout must be a finite number; got '-inf'"),
    ({"seed": "1e400"}, "seed must be a finite number; got '1e400'"),
])
def test_nan_and_infinity(values, message):
    assert refused(values) == message


@pytest.mark.parametrize(("values", "message"), [
    ({"epochs": True}, "epochs must be a number; got True"),
    ({"dropout": False}, "dropout must be a number; got False"),
    ({"patience": True}, "patience must be a number; got True"),
])
def test_booleans_are_not_numbers(values, message):
    assert refused(values) == message


@pytest.mark.parametrize(("values", "message"), [
    ({"arch": "rnn"}, "unknown architecture 'rnn'; valid kinds: lstm, gru, conv1d"),
    ({"arch": " Transformer "}, "unknown architecture 'transformer'; valid kinds: lstm, gru, conv1d"),
    ({"column": "adj_close"}, "unknown price column 'adj_close'; valid columns: open, high, low, close"),
    ({"column": "Volume"}, "unknown price column 'volume'; valid columns: open, high, low, close"),
    ({"dataset": "sp500-1999"}, "unknown dataset 'sp500-1999'; valid datasets: sp500-2013-2018, sp500-2012-2017"),
    ({"arch": 3}, "arch must be text; got 3"),
    ({"ticker": ["AAL"]}, "ticker must be text; got ['AAL']"),
])
def test_unknown_choices(values, message):
    assert refused(values) == message


@pytest.mark.parametrize("ticker", ["A B", "AAL;DROP", "../etc", "X" * 17, "  ", "<b>", "AA\nL", "ÄÖ€"])
def test_bad_ticker_text(ticker):
    expected_text = ticker.strip().upper()
    assert refused({"ticker": ticker}) == (
        f"ticker must be 1 to 16 letters, digits, '.', '-' or '_'; got {expected_text!r}")


@pytest.mark.parametrize("ticker", ["A", "BRK.B", "BF-B", "X_1", "X" * 16])
def test_good_ticker_text(ticker):
    assert TrainConfig.from_mapping({"ticker": ticker}).ticker == ticker.upper()


def test_cross_field_checks():
    assert refused({"train_ratio": 0.9, "val_ratio": 0.1}) == \
        "split ratios must be positive and leave a test part: train 0.9, validation 0.1"
    assert refused({"arch": "conv1d", "kernel_size": 7, "look_back": 7}) == (
        "Conv1D kernel_size 7 needs look_back of at least 8 (MaxPooling1D(2) needs 2 convolution outputs); "
        "got look_back 7")
    # the kernel only matters for the convolution
    assert TrainConfig.from_mapping({"arch": "lstm", "kernel_size": 7, "look_back": 7}).kernel_size == 7


def test_not_a_mapping():
    assert refused(["epochs", 3]) == "the configuration must be a mapping of field names to values"
    assert refused("epochs=3") == "the configuration must be a mapping of field names to values"


def test_upload_keys_are_accepted_by_their_form():
    assert TrainConfig.from_mapping({"dataset": "upload-0123456789ab"}).dataset == "upload-0123456789ab"
    assert refused({"dataset": "upload-../../etc"}) == (
        "unknown dataset 'upload-../../etc'; valid datasets: sp500-2013-2018, sp500-2012-2017")


def test_dataset_check_can_be_skipped():
    config = TrainConfig.from_mapping({"dataset": "my-upload"}, datasets=None)
    assert config.dataset == "my-upload"
    assert refused({"dataset": "x"}, datasets={"x2": 1}) == "unknown dataset 'x'; valid datasets: x2"


def test_replace_and_round_trip():
    config = TrainConfig.from_mapping({"ticker": "msft", "epochs": 3})
    assert TrainConfig.from_mapping(config.to_dict()) == config
    changed = config.replace(arch="GRU", units="8")
    assert (changed.arch, changed.units, changed.ticker, changed.epochs) == ("gru", 8, "MSFT", 3)
    with pytest.raises(ConfigError) as info:
        config.replace(epochs=0)
    assert str(info.value) == "epochs must be between 1 and 500; got 0"


# --- property: any mapping gives a config within LIMITS, or ConfigError ---------------------------------

FIELDS = [*LIMITS, "dataset", "ticker", "column", "arch", "colour"]
scalar = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["", " 7 ", "1e3", "nan", "-inf", "0.5", "64", "lstm", "GRU", "conv1d", "high",
                     "close", "sp500-2012-2017", "AAL", "1e400", "0x10", "1_000", "7.0"]),
)
value = st.one_of(scalar, st.lists(scalar, max_size=2), st.dictionaries(st.text(max_size=3), scalar, max_size=2))


def _within_limits(config: TrainConfig) -> None:
    for name, (low, high) in LIMITS.items():
        got = getattr(config, name)
        if name == "patience" and got is None:
            continue
        assert isinstance(got, (int, float)) and not isinstance(got, bool), name
        assert math.isfinite(got), name
        assert low <= got <= high, name
        if name in INTEGER_FIELDS:
            assert type(got) is int, name
    assert config.dataset in DATASETS or UPLOAD_KEY.match(config.dataset)
    assert config.column in ("open", "high", "low", "close")
    assert config.arch in ("lstm", "gru", "conv1d")
    assert 1 <= len(config.ticker) <= 16
    assert config.train_ratio + config.val_ratio < 1


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(FIELDS), value, max_size=8))
def test_from_mapping_property(values):
    try:
        config = TrainConfig.from_mapping(values)
    except ConfigError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    _within_limits(config)


@settings(max_examples=200, deadline=None)
@given(st.fixed_dictionaries({}, optional={name: st.floats(low - 2, high + 2) | st.integers(int(low) - 2, int(high) + 2)
                                           for name, (low, high) in LIMITS.items() if high < 1e6}))
def test_from_mapping_property_near_the_limits(values):
    try:
        config = TrainConfig.from_mapping(values)
    except ConfigError:
        return
    _within_limits(config)
