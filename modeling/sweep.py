"""A sweep: one ticker and base configuration over a grid of look_back x network x foresight,
each cell trained with one or more seeds. Pure planning: the grid becomes TrainConfigs, or is
refused up front (too many runs, a value out of range, a cell the ticker is too short for)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from modeling.config import ConfigError, TrainConfig
from modeling.data import DataError, load_prices, ticker_frame
from modeling.limits import (SWEEP_DEFAULT_ARCHS, SWEEP_DEFAULT_FORESIGHTS, SWEEP_DEFAULT_LOOK_BACKS,
                             SWEEP_DEFAULT_SEEDS, SWEEP_MAX_RUNS, SWEEP_SEEDS)
from modeling.pipeline import data_path_for
from modeling.series import SeriesSpec, check_split_sizes, split_sizes


class SweepError(ConfigError):
    """A grid that cannot be swept; the message says why and what to change."""


@dataclass(frozen=True)
class SweepGrid:
    """The axes of a sweep: each value list sorted, without repeats."""

    look_backs: tuple[int, ...] = SWEEP_DEFAULT_LOOK_BACKS
    archs: tuple[str, ...] = SWEEP_DEFAULT_ARCHS
    foresights: tuple[int, ...] = SWEEP_DEFAULT_FORESIGHTS
    seeds: int = SWEEP_DEFAULT_SEEDS

    @property
    def size(self) -> int:
        return len(self.look_backs) * len(self.archs) * len(self.foresights) * self.seeds

    def describe(self) -> str:
        """'3 look_backs x 3 networks x 1 foresight x 1 seed'."""
        return " x ".join(_count(n, word) for n, word in (
            (len(self.look_backs), "look_back"), (len(self.archs), "network"),
            (len(self.foresights), "foresight"), (self.seeds, "seed")))

    def to_dict(self) -> dict[str, Any]:
        return {"look_backs": list(self.look_backs), "archs": list(self.archs),
                "foresights": list(self.foresights), "seeds": self.seeds}

    @classmethod
    def from_values(cls, look_backs: Any, archs: Any, foresights: Any, seeds: Any) -> "SweepGrid":
        """The axes from untrusted input (a form, a link): each value checked as a run's setting is."""
        low, high = SWEEP_SEEDS
        if isinstance(seeds, bool) or not isinstance(seeds, (int, float)) or seeds != int(seeds) \
                or not low <= seeds <= high:
            raise SweepError(f"seeds per cell must be a whole number from {low} to {high}; got {seeds!r}")
        return cls(_axis(look_backs, "look_back"), _axis(archs, "arch"), _axis(foresights, "foresight"),
                   int(seeds))

    def check_size(self) -> None:
        if self.size > SWEEP_MAX_RUNS:
            raise SweepError(f"This grid is {self.size} runs ({self.describe()}); "
                             f"a sweep holds at most {SWEEP_MAX_RUNS}")


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


AXIS_NAMES = {"look_back": "look_back", "arch": "network", "foresight": "foresight"}


def _axis(values: Any, name: str) -> tuple:
    """One axis: a list of values, each coerced and range-checked by TrainConfig."""
    if isinstance(values, (str, int, float)) and not isinstance(values, bool):
        values = [values]
    if not isinstance(values, (list, tuple)) or not values:
        raise SweepError(f"choose at least one {AXIS_NAMES[name]}")
    if len(values) > SWEEP_MAX_RUNS:
        raise SweepError(f"at most {SWEEP_MAX_RUNS} values of {AXIS_NAMES[name]}; got {len(values)}")
    checked = {getattr(TrainConfig.from_mapping({name: v}), name) for v in values if v is not None and v != ""}
    if not checked:
        raise SweepError(f"choose at least one {AXIS_NAMES[name]}")
    if name == "arch":  # the registry's order (LSTM, GRU, Conv1D), not the alphabet
        return tuple(kind for kind in SWEEP_DEFAULT_ARCHS if kind in checked) + tuple(
            sorted(checked - set(SWEEP_DEFAULT_ARCHS)))
    return tuple(sorted(checked))


def plan_sweep(base: TrainConfig, grid: SweepGrid, data_path: str | Path | None = None) -> list[TrainConfig]:
    """Every run of the grid, foresight by foresight, look_back by look_back, network by network,
    seed by seed (seeds base.seed, base.seed + 1, ...).

    Refused up front, before anything is queued: a grid over the cap, a cell whose settings the
    engine refuses (a Conv1D kernel longer than the window), and a cell the ticker is too short
    for, with the engine's message ("AAL test split has 20 points; look_back 30 + foresight 6
    needs at least 37")."""
    grid.check_size()
    frame = ticker_frame(load_prices(data_path_for(base.dataset, data_path)), base.ticker)
    counts = dict(zip(("train", "val", "test"), split_sizes(len(frame.frame), base.train_ratio, base.val_ratio)))
    configs = []
    for foresight in grid.foresights:
        for look_back in grid.look_backs:
            try:
                check_split_sizes(frame.ticker, counts, SeriesSpec(base.column, base.train_ratio, base.val_ratio,
                                                                   look_back, foresight))
            except DataError as exc:
                raise SweepError(str(exc)) from None
            for arch in grid.archs:
                cell = base.replace(look_back=look_back, foresight=foresight, arch=arch)
                configs.extend(cell.replace(seed=base.seed + i) for i in range(grid.seeds))
    return configs


def cell_key(config: TrainConfig) -> tuple[int, str, int]:
    """(look_back, network, foresight): the runs of one cell differ only by seed."""
    return config.look_back, config.arch, config.foresight


def grid_cells(configs: Iterable[TrainConfig]) -> list[tuple[int, str, int]]:
    return sorted({cell_key(c) for c in configs})
