"""Every limit of a run's settings, once: the form's bounds, the checks of the config and of the
architectures, and the command line all read them from here.

Server-side caps: whatever a client posts, one job stays a classroom-sized job.
"""
from __future__ import annotations

LIMITS: dict[str, tuple[float, float]] = {
    "look_back": (1, 250),
    "foresight": (0, 250),
    "epochs": (1, 500),
    "batch_size": (1, 1024),
    "units": (1, 256),
    "filters": (1, 256),
    "kernel_size": (1, 64),
    "dropout": (0.0, 0.9),
    "recurrent_dropout": (0.0, 0.9),
    "learning_rate": (1e-6, 1.0),
    "train_ratio": (0.05, 0.95),
    "val_ratio": (0.05, 0.95),
    "seed": (0, 2**31 - 1),
    "patience": (0, 500),
    # A walk-forward backtest: folds 0 is the lecture's single split, else FOLDS (fold: 1..folds).
    "folds": (0, 8),
    "fold": (0, 8),
}
FOLDS = (2, 8)  # how many folds a walk-forward backtest may have
DEFAULT_FOLDS = 4
INTEGER_FIELDS = frozenset({"look_back", "foresight", "epochs", "batch_size", "units", "filters", "kernel_size",
                            "seed", "patience", "folds", "fold"})

# Training processes of a command-line scan (not a run setting, so not in LIMITS).
SCAN_WORKERS: tuple[int, int] = (1, 64)


def out_of_range(name: str, value: float) -> str | None:
    """The message for a value outside its limits (None when it is inside)."""
    low, high = LIMITS[name]
    if low <= value <= high:
        return None
    return f"{name} must be between {fmt(low)} and {fmt(high)}; got {fmt(value)}"


def fmt(number: float) -> str:
    return f"{number:g}"

# Sweeps (/sweep, modeling/sweep.py): a grid of look_back x network x foresight x seeds on one ticker.
SWEEP_MAX_RUNS = 60                          # runs in one sweep; a larger grid is refused, with its size
SWEEP_SEEDS = (1, 5)                         # seeds per cell
SWEEP_DEFAULT_LOOK_BACKS = (7, 14, 30)
SWEEP_DEFAULT_FORESIGHTS = (6,)
SWEEP_DEFAULT_ARCHS = ("lstm", "gru", "conv1d")
SWEEP_DEFAULT_SEEDS = 1
# The values the sweep form offers (a posted value outside them is still checked against LIMITS).
SWEEP_LOOK_BACK_CHOICES = (3, 5, 7, 10, 14, 20, 30, 45, 60, 90, 120)
SWEEP_FORESIGHT_CHOICES = (0, 1, 3, 6, 10, 14, 20, 30)
# Sweeps and scans a browser may have active at once (its runs queue behind every student's click).
ACTIVE_COLLECTIONS_PER_BROWSER = 1
