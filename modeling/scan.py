"""A scan: one configuration over every ticker of a dataset, or over one sector.

:func:`plan_scan` decides, from the ticker catalog alone (row counts, no windows, no training),
which tickers can be trained with the settings and which are skipped, with the engine's own
too-few-points message. The app's scan page and the CLI both start from it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from modeling.config import TrainConfig
from modeling.data import DataError, catalog_for_file
from modeling.pipeline import data_path_for
from modeling.series import check_split_sizes, split_sizes


@dataclass(frozen=True)
class ScanPlan:
    """The runs of a scan, in ticker order, and the tickers left out with the reason."""

    configs: list[TrainConfig] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def _catalog(dataset: str, data_path: str | Path | None) -> pd.DataFrame:
    return catalog_for_file(data_path_for(dataset, data_path))


def sectors(dataset: str, data_path: str | Path | None = None) -> list[str]:
    """The sectors of a dataset's tickers (from the bundled company list), sorted."""
    catalog = _catalog(dataset, data_path)
    return sorted({s for s in catalog["sector"] if s})


def plan_scan(base: TrainConfig, sector: str | None = None,
              data_path: str | Path | None = None) -> ScanPlan:
    """One configuration per trainable ticker (``base`` with that ticker), in ticker order.

    A ticker whose train, validation or test split is too short for ``look_back + foresight``
    is skipped with the message training it would give (:func:`modeling.series.check_split_sizes`
    on the split sizes of its row count), so nothing is windowed or trained to decide.
    An unknown sector raises ValueError naming the valid ones.
    """
    catalog = _catalog(base.dataset, data_path)
    if sector is not None and str(sector).strip():
        wanted = str(sector).strip().casefold()
        valid = sorted({s for s in catalog["sector"] if s})
        if wanted not in {s.casefold() for s in valid}:
            if not valid:
                raise ValueError(f"unknown sector {str(sector)[:60]!r}: this dataset's tickers have no sectors")
            raise ValueError(f"unknown sector {str(sector)[:60]!r}; valid sectors: {', '.join(valid)}")
        catalog = catalog[catalog["sector"].str.casefold() == wanted]

    spec = base.series_spec
    configs: list[TrainConfig] = []
    skipped: list[tuple[str, str]] = []
    for ticker, rows in zip(catalog["ticker"], catalog["rows"]):
        counts = dict(zip(("train", "val", "test"), split_sizes(int(rows), spec.train_ratio, spec.val_ratio)))
        try:
            check_split_sizes(ticker, counts, spec)
        except DataError as exc:
            skipped.append((ticker, str(exc)))
            continue
        configs.append(base.replace(ticker=ticker))
    return ScanPlan(configs, skipped)
