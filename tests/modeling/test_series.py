"""The lecture's series preparation: split, scaling on the training part, windows; and a sweep."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modeling.data import DataError, TickerFrame, ticker_frame
from modeling.series import (
    SeriesSpec,
    create_sequences,
    points_needed,
    prepare_series,
    split_sizes,
    validate_spec,
)

LECTURE_VAL_START = [0.13857557, 0.16467934, 0.20206252, 0.31324525, 0.326136]


def create_seq(data: np.ndarray, look_back: int, foresight: int):
    """The lecture's createSeq, as a plain loop over a column vector."""
    X, Y = [], []
    for i in range(len(data) - look_back - foresight):
        X.append(data[i:(i + look_back), 0])
        Y.append(data[i + look_back + foresight])
    return np.array(X), np.array(Y)


def synthetic(values, ticker: str = "SYN", column: str = "high") -> TickerFrame:
    dates = pd.bdate_range("2020-01-01", periods=len(values))
    frame = pd.DataFrame({"date": dates, "open": values, "high": values, "low": values, "close": values,
                          "volume": 1.0})
    return TickerFrame(ticker, frame, {c: 0 for c in ("open", "high", "low", "close", "volume")})


# --- the lecture's reference numbers ---------------------------------------------------------------

def test_lecture_split(aal_prepared):
    assert aal_prepared.ticker == "AAL"
    assert aal_prepared.split_counts == {"train": 648, "val": 139, "test": 139}
    assert sum(aal_prepared.split_counts.values()) == 926
    assert split_sizes(926) == (648, 139, 139)


def test_lecture_normalized_validation_start(aal_prepared):
    assert aal_prepared.norm["val"].dtype == np.float32
    np.testing.assert_allclose(aal_prepared.norm["val"][:5], LECTURE_VAL_START, atol=1e-6)


def test_lecture_windows(aal_prepared):
    assert aal_prepared.X["train"].shape == (635, 7)
    assert aal_prepared.y["train"].shape == (635,)
    assert aal_prepared.sequence_counts == {"train": 635, "val": 126, "test": 126}
    assert aal_prepared.y["val"][0] == pytest.approx(0.37093136, abs=1e-6)
    np.testing.assert_allclose(aal_prepared.X["val"][0][:5], LECTURE_VAL_START, atol=1e-6)
    # the lecture's second validation window and target
    np.testing.assert_allclose(aal_prepared.X["val"][1][:4], LECTURE_VAL_START[1:], atol=1e-6)
    assert aal_prepared.y["val"][1] == pytest.approx(0.36835321, abs=1e-6)
    for split in ("train", "val", "test"):
        assert aal_prepared.X[split].dtype == np.float32
        assert aal_prepared.y[split].dtype == np.float32


def test_scaler_fitted_on_training_part_only(aal_prepared):
    raw = aal_prepared.raw
    assert aal_prepared.scaler.data_min_[0] == raw["train"].min()
    assert aal_prepared.scaler.data_max_[0] == raw["train"].max()
    assert aal_prepared.norm["train"].min() == 0.0
    assert aal_prepared.norm["train"].max() == 1.0
    # validation and test are scaled with the training minimum and maximum, not their own
    assert aal_prepared.norm["val"].min() > 0.0
    assert aal_prepared.norm["val"].max() < 1.0
    expected = (raw["test"] - raw["train"].min()) / (raw["train"].max() - raw["train"].min())
    np.testing.assert_allclose(aal_prepared.norm["test"], expected, rtol=1e-6)


def test_validation_can_exceed_one_when_prices_rise():
    prepared = prepare_series(synthetic(np.linspace(10.0, 30.0, 100)), SeriesSpec())
    assert prepared.norm["train"].min() == 0.0
    assert prepared.norm["train"].max() == 1.0
    assert prepared.norm["val"].min() > 1.0
    assert prepared.norm["test"].max() > prepared.norm["val"].max()
    assert prepared.y["val"].max() > 1.0  # no clipping anywhere


def test_to_price_undoes_the_scaling(aal_prepared):
    np.testing.assert_allclose(aal_prepared.to_price(aal_prepared.norm["test"]), aal_prepared.raw["test"],
                               rtol=1e-6)
    # targets are the prices look_back + foresight steps into each split
    np.testing.assert_allclose(aal_prepared.to_price(aal_prepared.y["test"]), aal_prepared.raw["test"][13:],
                               rtol=1e-6)


def test_target_dates(aal_prepared, aal_frame):
    dates = aal_prepared.target_dates("test")
    assert len(dates) == 126 == len(aal_prepared.y["test"])
    assert dates[0] == aal_prepared.dates["test"][13]
    assert dates[-1] == aal_frame.frame["date"].to_numpy()[-1]
    assert pd.Timestamp(aal_prepared.dates["train"][0]) == pd.Timestamp("2013-12-09")
    assert len(aal_prepared.target_dates("train")) == 635


def test_column_choice(aal_frame):
    close = prepare_series(aal_frame, SeriesSpec(column="close"))
    np.testing.assert_array_equal(close.raw["train"], aal_frame.frame["close"].to_numpy()[:648])
    assert not np.array_equal(close.raw["train"], prepare_series(aal_frame, SeriesSpec()).raw["train"])


def test_filled_count_carried_for_the_column(prices_2013):
    dhr = ticker_frame(prices_2013, "DHR")
    assert prepare_series(dhr, SeriesSpec(column="open")).filled == 2
    assert prepare_series(dhr, SeriesSpec(column="high")).filled == 1
    assert prepare_series(dhr, SeriesSpec(column="close")).filled == 0


# --- create_sequences is the lecture's createSeq -----------------------------------------------------

@pytest.mark.parametrize(("n", "look_back", "foresight"), [
    (50, 7, 6), (50, 1, 0), (50, 10, 0), (30, 3, 20), (20, 7, 6), (14, 7, 6), (13, 7, 6), (5, 7, 6),
])
def test_create_sequences_matches_the_lecture_loop(n, look_back, foresight):
    data = np.random.default_rng(n * 100 + look_back * 10 + foresight).random((n, 1)).astype(np.float32)
    X, y = create_sequences(data, look_back, foresight)
    X_ref, y_ref = create_seq(data, look_back, foresight)
    count = max(n - look_back - foresight, 0)
    assert X.shape == (count, look_back)
    assert y.shape == (count,)
    if count:
        np.testing.assert_array_equal(X, X_ref)
        np.testing.assert_array_equal(y, y_ref.reshape(-1))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3, allow_nan=False, width=32), min_size=0, max_size=60),
       st.integers(1, 12), st.integers(0, 12))
def test_create_sequences_property(values, look_back, foresight):
    data = np.asarray(values, dtype=np.float32).reshape(-1, 1)
    X, y = create_sequences(data, look_back, foresight)
    count = max(len(values) - look_back - foresight, 0)
    assert X.shape == (count, look_back) and y.shape == (count,)
    if count:
        X_ref, y_ref = create_seq(data, look_back, foresight)
        np.testing.assert_array_equal(X, X_ref)
        np.testing.assert_array_equal(y, y_ref.reshape(-1))


def test_create_sequences_returns_independent_arrays():
    data = np.arange(20, dtype=np.float32)
    X, y = create_sequences(data, 3, 1)
    X[0, 0] = 99.0
    y[0] = 99.0
    assert data[0] == 0.0 and data[4] == 4.0
    assert X.flags["C_CONTIGUOUS"]


def test_points_needed():
    assert points_needed(7, 6) == 14
    assert points_needed(1, 0) == 2


# --- adjustable split ratios and spec checks ---------------------------------------------------------

def test_split_ratios_adjustable(aal_frame):
    assert split_sizes(926, 0.8, 0.1) == (741, 93, 92)
    prepared = prepare_series(aal_frame, SeriesSpec(train_ratio=0.8, val_ratio=0.1))
    assert prepared.split_counts == {"train": 741, "val": 93, "test": 92}
    assert prepared.sequence_counts == {"train": 728, "val": 80, "test": 79}
    # the scaler follows the training part
    assert prepared.scaler.data_max_[0] == aal_frame.frame["high"].to_numpy()[:741].max()


@pytest.mark.parametrize(("train", "val"), [(0.9, 0.1), (0.0, 0.15), (0.7, 0.0), (1.2, 0.1), (0.7, 0.4)])
def test_split_ratios_must_leave_a_test_part(train, val):
    with pytest.raises(DataError) as info:
        split_sizes(100, train, val)
    assert str(info.value) == (f"split ratios must be positive and leave a test part: train {train}, "
                               f"validation {val}")


@pytest.mark.parametrize(("spec", "message"), [
    (SeriesSpec(column="adj_close"), "unknown price column 'adj_close'; valid columns: open, high, low, close"),
    (SeriesSpec(column="volume"), "unknown price column 'volume'; valid columns: open, high, low, close"),
    (SeriesSpec(look_back=0), "look_back must be a whole number of at least 1; got 0"),
    (SeriesSpec(look_back=2.5), "look_back must be a whole number of at least 1; got 2.5"),
    (SeriesSpec(foresight=-1), "foresight must be a whole number of at least 0; got -1"),
    (SeriesSpec(train_ratio=0.9, val_ratio=0.1),
     "split ratios must be positive and leave a test part: train 0.9, validation 0.1"),
])
def test_validate_spec(spec, message, aal_frame):
    with pytest.raises(DataError) as info:
        validate_spec(spec)
    assert str(info.value) == message
    with pytest.raises(DataError) as info:
        prepare_series(aal_frame, spec)
    assert str(info.value) == message


def test_foresight_zero(aal_frame):
    prepared = prepare_series(aal_frame, SeriesSpec(foresight=0))
    assert prepared.sequence_counts == {"train": 641, "val": 132, "test": 132}
    assert prepared.y["val"][0] == prepared.norm["val"][7]


# --- too few points -----------------------------------------------------------------------------------

def test_too_few_points_in_training_split(prices_2013):
    aptv = ticker_frame(prices_2013, "APTV")
    assert len(aptv.frame) == 44
    with pytest.raises(DataError) as info:
        prepare_series(aptv, SeriesSpec(look_back=30))
    assert str(info.value) == "APTV training split has 31 points; look_back 30 + foresight 6 needs at least 37"


def test_too_few_points_in_validation_split(prices_2013, prices_2012):
    with pytest.raises(DataError) as info:
        prepare_series(ticker_frame(prices_2013, "APTV"), SeriesSpec())
    assert str(info.value) == "APTV validation split has 7 points; look_back 7 + foresight 6 needs at least 14"
    with pytest.raises(DataError) as info:
        prepare_series(ticker_frame(prices_2012, "BHF"), SeriesSpec())
    assert str(info.value) == "BHF validation split has 3 points; look_back 7 + foresight 6 needs at least 14"


def test_too_few_points_in_test_split():
    # 100 points, 70/24/6: training and validation hold a window, the test part does not
    with pytest.raises(DataError) as info:
        prepare_series(synthetic(np.linspace(1, 2, 100), "TINY"), SeriesSpec(train_ratio=0.7, val_ratio=0.24))
    assert str(info.value) == "TINY test split has 6 points; look_back 7 + foresight 6 needs at least 14"


def test_just_enough_points():
    # 14 points in every split give exactly one window each
    prepared = prepare_series(synthetic(np.linspace(1, 2, 42)), SeriesSpec(train_ratio=1 / 3, val_ratio=1 / 3))
    assert prepared.split_counts == {"train": 14, "val": 14, "test": 14}
    assert prepared.sequence_counts == {"train": 1, "val": 1, "test": 1}


# --- sweep: every ticker of both editions with the default settings ------------------------------------

TOO_FEW = re.compile(r"^(\S+) (training|validation|test) split has (\d+) points; "
                     r"look_back 7 \+ foresight 6 needs at least 14$")


@pytest.mark.parametrize(("edition", "expected_refused"), [
    ("prices_2013", {"APTV"}),
    ("prices_2012", {"BHF", "BHGE"}),
])
def test_sweep_every_ticker(request, edition, expected_refused):
    prices = request.getfixturevalue(edition)
    spec = SeriesSpec()  # high, 70/15/15, look_back 7, foresight 6
    prepared_count, refused = 0, {}
    # ticker_frame on each ticker's own rows is ticker_frame on the whole table, without
    # comparing 600,000 names 500 times.
    for ticker, rows in prices.groupby("ticker", sort=True):
        data = ticker_frame(rows, ticker)
        try:
            prepared = prepare_series(data, spec)
        except DataError as exc:  # any other exception fails the test
            match = TOO_FEW.match(str(exc))
            assert match, f"{ticker}: unexpected message {exc}"
            assert match.group(1) == ticker
            assert int(match.group(3)) < 14
            refused[ticker] = str(exc)
            continue
        prepared_count += 1
        for split in ("train", "val", "test"):
            n = prepared.split_counts[split]
            assert prepared.X[split].shape == (n - 13, 7), ticker
            assert prepared.y[split].shape == (n - 13,), ticker
            assert np.isfinite(prepared.X[split]).all(), ticker
        assert prepared.norm["train"].min() == pytest.approx(0.0, abs=1e-6), ticker
        assert prepared.norm["train"].max() == pytest.approx(1.0, abs=1e-6), ticker
    assert set(refused) == expected_refused
    assert prepared_count + len(refused) == prices["ticker"].nunique()
