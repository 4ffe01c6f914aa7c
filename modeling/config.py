"""One training configuration, checked field by field from untrusted input.

The CLI, the web callbacks and the run store all speak this dataclass. ``TrainConfig.from_mapping``
is the single gate for values that come from outside (a form, a URL, a POST a client forged):
every field is coerced and range-checked with a message a person can act on.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping

from modeling.architectures import ARCHITECTURES, ArchParams, check_architecture
from modeling.data import DATASETS, DEFAULT_DATASET, PRICE_COLUMNS, DataError
from modeling.limits import FOLDS, INTEGER_FIELDS, LIMITS, fmt, out_of_range
from modeling.series import SeriesSpec, validate_spec
from modeling.uploads import UPLOAD_KEY

class ConfigError(ValueError):
    """A configuration value that is missing, malformed or out of range."""


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a run; defaults are the lecture's LSTM on AAL's High price."""

    dataset: str = DEFAULT_DATASET
    ticker: str = "AAL"
    column: str = "high"
    train_ratio: float = 0.7
    val_ratio: float = 0.15
    look_back: int = 7
    foresight: int = 6
    arch: str = "lstm"
    units: int = 32
    dropout: float = 0.1
    recurrent_dropout: float = 0.1
    filters: int = 64
    kernel_size: int = 5
    epochs: int = 30
    batch_size: int = 32
    learning_rate: float = 0.001
    seed: int = 0
    patience: int | None = None
    # Walk-forward backtest (modeling.series.walk_forward_bounds): 0 and 0 for the lecture's split.
    # Stored configs from before these fields have neither key and take these defaults.
    folds: int = 0
    fold: int = 0

    @property
    def series_spec(self) -> SeriesSpec:
        return SeriesSpec(self.column, self.train_ratio, self.val_ratio, self.look_back, self.foresight,
                          self.folds, self.fold)

    @property
    def arch_params(self) -> ArchParams:
        return ArchParams(self.units, self.dropout, self.recurrent_dropout, self.filters, self.kernel_size)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def walk_forward(self, folds: int) -> list["TrainConfig"]:
        """The runs of a walk-forward backtest of these settings: one per fold, 1..folds, each an
        ordinary run whose split is that fold's (the same seed, so a fold is reproducible)."""
        low, high = FOLDS
        if isinstance(folds, bool) or not isinstance(folds, int) or not low <= folds <= high:
            raise ConfigError(f"folds must be a whole number from {low} to {high}; got {folds!r}")
        return [self.replace(folds=folds, fold=fold) for fold in range(1, folds + 1)]

    def replace(self, **changes: Any) -> "TrainConfig":
        return TrainConfig.from_mapping({**self.to_dict(), **changes}, datasets=None)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], datasets: Mapping[str, Any] | None = DATASETS) -> "TrainConfig":
        """Coerce and check untrusted values; unknown keys are ignored, missing ones take defaults.

        ``datasets`` lists the bundled dataset keys (None skips that check, e.g. for a path); an
        upload key is accepted by its form, and whether it exists is checked when it is loaded.
        """
        if not isinstance(values, Mapping):
            raise ConfigError("the configuration must be a mapping of field names to values")
        clean: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in values or values[f.name] is None or values[f.name] == "":
                continue
            clean[f.name] = _coerce(f.name, values[f.name], f.default)
        config = cls(**clean)
        config.check(datasets)
        return config

    def check(self, datasets: Mapping[str, Any] | None = DATASETS) -> None:
        """Cross-field checks that need no data: dataset, ticker form, column, split, architecture."""
        if datasets is not None and self.dataset not in datasets and not UPLOAD_KEY.match(self.dataset):
            raise ConfigError(f"unknown dataset {self.dataset!r}; valid datasets: {', '.join(datasets)}")
        if not self.ticker or len(self.ticker) > 16 or not all(c.isalnum() or c in ".-_" for c in self.ticker):
            raise ConfigError(f"ticker must be 1 to 16 letters, digits, '.', '-' or '_'; got {self.ticker!r}")
        if self.column not in PRICE_COLUMNS:
            raise ConfigError(f"unknown price column {self.column!r}; valid columns: {', '.join(PRICE_COLUMNS)}")
        if self.arch not in ARCHITECTURES:
            raise ConfigError(f"unknown architecture {self.arch!r}; valid kinds: {', '.join(ARCHITECTURES)}")
        if self.folds and not FOLDS[0] <= self.folds <= FOLDS[1]:
            raise ConfigError(f"folds must be 0 (the lecture's split) or from {FOLDS[0]} to {FOLDS[1]}; "
                              f"got {self.folds}")
        try:
            validate_spec(self.series_spec)
            check_architecture(self.arch, self.look_back, self.arch_params)
        except (DataError, ValueError) as exc:
            raise ConfigError(str(exc)) from None


def _coerce(name: str, value: Any, default: Any) -> Any:
    if name in LIMITS:
        low, high = LIMITS[name]
        if isinstance(value, bool):
            raise ConfigError(f"{name} must be a number; got {value!r}")
        try:
            number = float(value)
        except OverflowError:  # an integer too large for a float, e.g. 10**400 from a JSON body
            raise ConfigError(f"{name} must be between {fmt(low)} and {fmt(high)}; got a number "
                              "too large to use") from None
        except (TypeError, ValueError):
            raise ConfigError(f"{name} must be a number; got {value!r}") from None
        if not math.isfinite(number):
            raise ConfigError(f"{name} must be a finite number; got {value!r}")
        if name in INTEGER_FIELDS:
            if number != int(number):
                raise ConfigError(f"{name} must be a whole number; got {value!r}")
            number = int(number)
        problem = out_of_range(name, number)
        if problem:
            raise ConfigError(problem)
        return number
    if not isinstance(value, str):
        raise ConfigError(f"{name} must be text; got {value!r}")
    value = value.strip()
    if name == "ticker":
        return value.upper()
    return value.lower() if name in ("column", "arch") else value
