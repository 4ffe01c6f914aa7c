"""The lecture's series preparation: one price column, a chronological split, scaling, windows.

Pure numpy/pandas/scikit-learn, so the web server can check a configuration (and say what is
wrong with it) before any TensorFlow process starts.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.preprocessing import MinMaxScaler

from modeling.data import PRICE_COLUMNS, DataError, TickerFrame

SPLITS = ("train", "val", "test")
SPLIT_LABELS = {"train": "training", "val": "validation", "test": "test"}


def split_sizes(n: int, train_ratio: float = 0.7, val_ratio: float = 0.15) -> tuple[int, int, int]:
    """Chronological split sizes as in the lecture: round() for train and validation, test gets the rest."""
    if not (0 < train_ratio < 1 and 0 < val_ratio < 1 and train_ratio + val_ratio < 1):
        raise DataError(f"split ratios must be positive and leave a test part: train {train_ratio}, "
                        f"validation {val_ratio}")
    n_train = round(n * train_ratio)
    n_val = round(n * val_ratio)
    return n_train, n_val, n - n_train - n_val


def walk_forward_bounds(n: int, folds: int, fold: int, train_ratio: float = 0.7,
                        val_ratio: float = 0.15) -> dict[str, tuple[int, int]]:
    """Where fold ``fold`` (1..folds) of a walk-forward backtest cuts a series of ``n`` points.

    The series is cut as scikit-learn's TimeSeriesSplit cuts it: the last ``folds`` blocks of
    ``b = n // (folds + 1)`` points each are the test blocks, and what comes before the first one
    (``n - folds * b`` points, at least b) is the initial training part. Fold i is tested on block
    i and trained on everything before it, an expanding window: its last part is the validation
    part, in the lecture's train : validation proportion (``round(h * train_ratio / (train_ratio +
    val_ratio))`` of its h points for training, the rest for validation). So fold 1 trains on the
    initial part, fold k on all but the last block; no fold sees a point after its test block.
    As in the lecture's split, each part is windowed on its own values: a test window takes its
    look_back inputs from inside the block, and the first look_back + foresight points of each
    block are inputs only.
    """
    if not 1 <= fold <= folds:
        raise DataError(f"fold must be between 1 and {folds}; got {fold}")
    block = n // (folds + 1)
    test_start = n - (folds - fold + 1) * block
    n_train = round(test_start * train_ratio / (train_ratio + val_ratio))
    return {"train": (0, n_train), "val": (n_train, test_start), "test": (test_start, test_start + block)}


def split_bounds(n: int, spec: "SeriesSpec") -> dict[str, tuple[int, int]]:
    """The [start, end) positions of the training, validation and test parts of a series of n points:
    the lecture's chronological split, or one fold of a walk-forward backtest (``spec.folds`` > 0)."""
    if spec.folds:
        return walk_forward_bounds(n, spec.folds, spec.fold, spec.train_ratio, spec.val_ratio)
    n_train, n_val, _ = split_sizes(n, spec.train_ratio, spec.val_ratio)
    return {"train": (0, n_train), "val": (n_train, n_train + n_val), "test": (n_train + n_val, n)}


def check_fold_sizes(ticker: str, n: int, spec: "SeriesSpec") -> None:
    """Raise the too-short error of a walk-forward backtest: every fold must hold one window in each
    part. Fold 1 has the shortest training and validation parts and every test block is the same
    size, so fold 1 decides for all (the same message whichever fold is asked)."""
    needed = points_needed(spec.look_back, spec.foresight)
    bounds = walk_forward_bounds(n, spec.folds, 1, spec.train_ratio, spec.val_ratio)
    for split in SPLITS:
        start, end = bounds[split]
        if end - start < needed:
            raise DataError(
                f"{ticker} has {n} points, too few for {spec.folds} folds: fold 1's {SPLIT_LABELS[split]} part "
                f"has {end - start} points; look_back {spec.look_back} + foresight {spec.foresight} needs at "
                f"least {needed} (try fewer folds or a shorter window)")


def create_sequences(values: np.ndarray, look_back: int, foresight: int) -> tuple[np.ndarray, np.ndarray]:
    """The lecture's createSeq, vectorized: X[i] = values[i:i+look_back], y[i] = values[i+look_back+foresight].

    With n values there are n - look_back - foresight windows (none when that is not positive).
    """
    values = np.asarray(values, dtype=np.float32).reshape(-1)
    count = len(values) - look_back - foresight
    if count <= 0:
        return np.empty((0, look_back), np.float32), np.empty((0,), np.float32)
    windows = np.lib.stride_tricks.sliding_window_view(values, look_back)[:count]
    return np.ascontiguousarray(windows), values[look_back + foresight:].copy()


def points_needed(look_back: int, foresight: int) -> int:
    """Fewest points a split needs for one window: look_back inputs, foresight gap, one target."""
    return look_back + foresight + 1


@dataclass(frozen=True)
class SeriesSpec:
    """What to cut from a ticker's prices: which column, the split ratios, the window geometry."""

    column: str = "high"
    train_ratio: float = 0.7
    val_ratio: float = 0.15
    look_back: int = 7
    foresight: int = 6
    folds: int = 0  # 0: the lecture's single split; 2-8: a walk-forward backtest of that many folds
    fold: int = 0   # which fold (1..folds) when folds > 0


@dataclass
class PreparedSeries:
    """A ticker's series split, scaled on the training part only, and cut into windows."""

    ticker: str
    spec: SeriesSpec
    dates: dict[str, np.ndarray]
    raw: dict[str, np.ndarray]
    norm: dict[str, np.ndarray]
    X: dict[str, np.ndarray]
    y: dict[str, np.ndarray]
    scaler: MinMaxScaler
    filled: int

    @property
    def split_counts(self) -> dict[str, int]:
        return {s: len(self.raw[s]) for s in SPLITS}

    @property
    def sequence_counts(self) -> dict[str, int]:
        return {s: len(self.y[s]) for s in SPLITS}

    def target_dates(self, split: str) -> np.ndarray:
        """The date of each window's target in a split."""
        offset = self.spec.look_back + self.spec.foresight
        return self.dates[split][offset:]

    def to_price(self, normalized: np.ndarray) -> np.ndarray:
        """Undo the MinMax scaling: normalized values back to dollars."""
        values = np.asarray(normalized, dtype=np.float64).reshape(-1, 1)
        return self.scaler.inverse_transform(values).reshape(-1)


def validate_spec(spec: SeriesSpec) -> None:
    """Reject a specification that cannot describe any series, before data is touched."""
    if spec.column not in PRICE_COLUMNS:
        raise DataError(f"unknown price column {spec.column!r}; valid columns: {', '.join(PRICE_COLUMNS)}")
    if int(spec.look_back) != spec.look_back or spec.look_back < 1:
        raise DataError(f"look_back must be a whole number of at least 1; got {spec.look_back}")
    if int(spec.foresight) != spec.foresight or spec.foresight < 0:
        raise DataError(f"foresight must be a whole number of at least 0; got {spec.foresight}")
    split_sizes(100, spec.train_ratio, spec.val_ratio)
    if spec.folds:
        if int(spec.folds) != spec.folds or spec.folds < 2:
            raise DataError(f"folds must be 0 (the lecture's split) or at least 2; got {spec.folds}")
        if int(spec.fold) != spec.fold or not 1 <= spec.fold <= spec.folds:
            raise DataError(f"fold must be between 1 and {spec.folds}; got {spec.fold}")
    elif spec.fold:
        raise DataError(f"fold {spec.fold} needs folds (a walk-forward backtest); folds is 0")


def check_split_sizes(ticker: str, counts: dict[str, int], spec: SeriesSpec) -> None:
    """Raise the too-few-points error for the first split that cannot hold one window."""
    needed = points_needed(spec.look_back, spec.foresight)
    for split in SPLITS:
        if counts[split] < needed:
            raise DataError(
                f"{ticker} {SPLIT_LABELS[split]} split has {counts[split]} points; look_back "
                f"{spec.look_back} + foresight {spec.foresight} needs at least {needed}")


def prepare_series(ticker_data: TickerFrame, spec: SeriesSpec) -> PreparedSeries:
    """Split chronologically (the lecture's split, or one fold of a walk-forward backtest), fit
    MinMaxScaler on the training part only, and cut windows."""
    validate_spec(spec)
    frame: pd.DataFrame = ticker_data.frame
    values = frame[spec.column].to_numpy(dtype=np.float64)
    dates = frame["date"].to_numpy()
    if spec.folds:
        check_fold_sizes(ticker_data.ticker, len(values), spec)
    bounds = split_bounds(len(values), spec)
    check_split_sizes(ticker_data.ticker, {s: b - a for s, (a, b) in bounds.items()}, spec)

    raw = {s: values[a:b] for s, (a, b) in bounds.items()}
    split_dates = {s: dates[a:b] for s, (a, b) in bounds.items()}
    scaler = MinMaxScaler(feature_range=(0, 1)).fit(raw["train"].reshape(-1, 1))
    norm = {s: scaler.transform(raw[s].reshape(-1, 1)).reshape(-1).astype(np.float32) for s in SPLITS}
    X, y = {}, {}
    for split in SPLITS:
        X[split], y[split] = create_sequences(norm[split], spec.look_back, spec.foresight)
    return PreparedSeries(ticker_data.ticker, spec, split_dates, raw, norm, X, y, scaler,
                          ticker_data.filled.get(spec.column, 0))
