"""The model registry: the lecture's three networks, their checks and their parameter counts."""
from __future__ import annotations

import pytest

from modeling.architectures import (
    ARCHITECTURES,
    REGISTRY,
    ArchitectureError,
    ArchParams,
    arch_params_from,
    build_model,
    check_architecture,
    get_architecture,
    model_summary,
)


def lstm_params(units: int) -> int:
    return 4 * (units * 1 + units * units + units) + units + 1


def gru_params(units: int) -> int:
    # Keras 3 GRU has reset_after=True: two bias vectors per gate
    return 3 * (units * 1 + units * units + 2 * units) + units + 1


def conv1d_params(look_back: int, filters: int, kernel_size: int) -> int:
    pooled = (look_back - kernel_size + 1) // 2
    return kernel_size * filters + filters + pooled * filters + 1


def test_registry_kinds():
    assert ARCHITECTURES == ("lstm", "gru", "conv1d")
    assert set(REGISTRY) == {"lstm", "gru", "conv1d"}
    assert get_architecture("lstm").label == "LSTM"
    assert get_architecture("gru").uses == ("units", "dropout", "recurrent_dropout")
    assert get_architecture("conv1d").uses == ("filters", "kernel_size")


@pytest.mark.parametrize("kind", ["rnn", "LSTM", "", None, ["lstm"]])
def test_unknown_kind_lists_valid_kinds(kind):
    with pytest.raises(ArchitectureError) as info:
        get_architecture(kind)
    assert str(info.value) == f"unknown architecture {kind!r}; valid kinds: lstm, gru, conv1d"


def test_unknown_kind_refused_by_build_and_check():
    for call in (lambda: build_model("transformer", 7), lambda: check_architecture("transformer", 7)):
        with pytest.raises(ArchitectureError) as info:
            call()
        assert str(info.value) == "unknown architecture 'transformer'; valid kinds: lstm, gru, conv1d"


def test_lstm_has_the_lecture_parameter_count():
    model = build_model("lstm", 7)
    assert model.count_params() == 4_385 == lstm_params(32)
    assert model_summary(model) == [
        {"name": "lstm", "type": "LSTM", "output_shape": "(None, 32)", "params": 4352},
        {"name": "dense", "type": "Dense", "output_shape": "(None, 1)", "params": 33},
    ]
    assert model.input_shape == (None, 7, 1)
    assert model.output_shape == (None, 1)


def test_gru_parameter_count():
    model = build_model("gru", 7)
    assert model.count_params() == 3_393 == gru_params(32)
    assert [row["params"] for row in model_summary(model)] == [3360, 33]


def test_conv1d_has_the_lecture_parameter_count():
    model = build_model("conv1d", 7)
    assert model.count_params() == 449 == conv1d_params(7, 64, 5)
    assert model_summary(model) == [
        {"name": "conv1d", "type": "Conv1D", "output_shape": "(None, 3, 64)", "params": 384},
        {"name": "max_pooling1d", "type": "MaxPooling1D", "output_shape": "(None, 1, 64)", "params": 0},
        {"name": "flatten", "type": "Flatten", "output_shape": "(None, 64)", "params": 0},
        {"name": "dense", "type": "Dense", "output_shape": "(None, 1)", "params": 65},
    ]


@pytest.mark.parametrize(("kind", "params", "expected"), [
    ("lstm", ArchParams(units=16), lstm_params(16)),
    ("lstm", ArchParams(units=64), lstm_params(64)),
    ("gru", ArchParams(units=8), gru_params(8)),
    ("conv1d", ArchParams(filters=32, kernel_size=3), conv1d_params(7, 32, 3)),
    ("conv1d", ArchParams(filters=64, kernel_size=6), conv1d_params(7, 64, 6)),
])
def test_adjustable_units_and_filters_change_the_count(kind, params, expected):
    count = build_model(kind, 7, params).count_params()
    assert count == expected
    assert count != build_model(kind, 7).count_params()


def test_look_back_changes_conv1d_but_not_recurrent_counts():
    assert build_model("conv1d", 30).count_params() == conv1d_params(30, 64, 5) == 1_217
    assert build_model("lstm", 30).count_params() == 4_385
    assert build_model("lstm", 30).input_shape == (None, 30, 1)


def test_conv1d_kernel_longer_than_look_back_is_refused():
    with pytest.raises(ArchitectureError) as info:
        check_architecture("conv1d", 4, ArchParams(kernel_size=5))
    assert str(info.value) == ("Conv1D kernel_size 5 needs look_back of at least 6 (MaxPooling1D(2) needs 2 "
                               "convolution outputs); got look_back 4")
    # a kernel as long as the window leaves one output: too few for the pooling
    with pytest.raises(ArchitectureError) as info:
        build_model("conv1d", 5)
    assert str(info.value) == ("Conv1D kernel_size 5 needs look_back of at least 6 (MaxPooling1D(2) needs 2 "
                               "convolution outputs); got look_back 5")
    assert build_model("conv1d", 6).count_params() == conv1d_params(6, 64, 5)


@pytest.mark.parametrize(("kind", "params", "message"), [
    ("lstm", ArchParams(units=0), "units must be between 1 and 256; got 0"),
    ("gru", ArchParams(units=2000), "units must be between 1 and 256; got 2000"),
    ("lstm", ArchParams(dropout=1.0), "dropout must be between 0 and 0.9; got 1"),
    ("gru", ArchParams(recurrent_dropout=-0.1), "recurrent_dropout must be between 0 and 0.9; got -0.1"),
    ("conv1d", ArchParams(filters=0), "filters must be between 1 and 256; got 0"),
    ("conv1d", ArchParams(kernel_size=0), "kernel_size must be between 1 and 64; got 0"),
    ("conv1d", ArchParams(kernel_size=65), "kernel_size must be between 1 and 64; got 65"),
])
def test_parameter_checks(kind, params, message):
    with pytest.raises(ArchitectureError) as info:
        check_architecture(kind, 7, params)
    assert str(info.value) == message


def test_checks_ignore_knobs_an_architecture_does_not_use():
    assert check_architecture("lstm", 3, ArchParams(kernel_size=50)).kind == "lstm"
    assert check_architecture("conv1d", 7, ArchParams(units=0)).kind == "conv1d"


def test_arch_params_from_mapping():
    params = arch_params_from({"units": 8, "filters": None, "epochs": 3, "kernel_size": 2})
    assert params == ArchParams(units=8, kernel_size=2)
