"""A scan: one configuration over every ticker of a dataset, or over one sector.

:func:`plan_scan` decides, from the ticker catalog alone (row counts, no windows, no training),
which tickers can be trained with the settings and which are skipped, with the engine's own
too-few-points message. The app's scan (through the run service) and the CLI both start from it;
:func:`run_scan` is the CLI's runner: warm worker processes, one ticker after another.
"""
from __future__ import annotations

import multiprocessing
import os
import queue
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from modeling.config import TrainConfig
from modeling.data import DataError, catalog_for_file, load_prices
from modeling.pipeline import data_path_for, prepare
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


@dataclass(frozen=True)
class TickerOutcome:
    """One ticker of a scan: ``finished`` with the metrics of ``train --json``, or ``skipped``
    (too short for the settings) / ``failed`` with the reason."""

    ticker: str
    status: str
    metrics: dict[str, float] | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, object]:
        if self.status == "finished":
            return {"ticker": self.ticker, "status": self.status, "metrics": self.metrics}
        return {"ticker": self.ticker, "status": self.status, "reason": self.reason}


def default_workers() -> int:
    """One training process per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def run_scan(plan: ScanPlan, workers: int | None = None, data_path: str | Path | None = None,
             on_outcome: Callable[[TickerOutcome], None] | None = None) -> list[TickerOutcome]:
    """Train every planned configuration with ``workers`` processes; outcomes in ticker order.

    The prices are loaded here, once, before the workers are forked (no TensorFlow in this
    process, so forking is safe), so a worker starts without parsing the file again. Each worker
    keeps one :class:`~modeling.training.TraceCache` for all its tickers: the network is traced
    once per worker, not once per ticker. The tickers are handed out one at a time from a queue,
    so a slow worker takes fewer. Every run is the one ``python -m modeling train`` gives for the
    same configuration and seed (the engine's numbers do not depend on the process or on what it
    trained before). ``on_outcome`` is called in this process as each ticker ends, in the order
    they end (skipped tickers first).
    """
    outcomes = [TickerOutcome(ticker, "skipped", reason=reason) for ticker, reason in plan.skipped]
    for outcome in outcomes:
        if on_outcome is not None:
            on_outcome(outcome)
    configs = list(plan.configs)
    if configs:
        load_prices(data_path_for(configs[0].dataset, data_path))  # in this process, before the fork
        count = max(1, min(int(workers or default_workers()), len(configs)))
        outcomes += _train_in_workers(configs, count, data_path, on_outcome)
    return sorted(outcomes, key=lambda outcome: outcome.ticker)


def _train_in_workers(configs: list[TrainConfig], count: int, data_path: str | Path | None,
                      on_outcome: Callable[[TickerOutcome], None] | None) -> list[TickerOutcome]:
    # Fork (the workers inherit the loaded prices) unless this process has imported TensorFlow,
    # whose threads do not survive a fork; then start the workers fresh.
    context = multiprocessing.get_context("spawn" if "tensorflow" in sys.modules else "fork")
    tasks, results = context.Queue(), context.Queue()
    processes = [context.Process(target=_worker, args=(configs, data_path, tasks, results), daemon=True)
                 for _ in range(count)]
    for process in processes:
        process.start()  # before the queue's feeder thread exists: no thread is forked mid-lock
    for index in range(len(configs)):
        tasks.put(index)
    for _ in range(count):
        tasks.put(None)
    outcomes: dict[int, TickerOutcome] = {}
    try:
        while len(outcomes) < len(configs):
            try:
                index, outcome = results.get(timeout=1.0)
            except queue.Empty:
                if not any(process.is_alive() for process in processes):
                    break  # every worker is gone (killed): what is left cannot finish
                continue
            outcomes[index] = outcome
            if on_outcome is not None:
                on_outcome(outcome)
    finally:
        for process in processes:
            if process.is_alive() and len(outcomes) < len(configs):
                process.terminate()
            process.join(timeout=5)
    lost = [TickerOutcome(c.ticker, "failed", reason="its training process ended unexpectedly")
            for i, c in enumerate(configs) if i not in outcomes]
    return [*outcomes.values(), *lost]


def _worker(configs: list[TrainConfig], data_path: str | Path | None, tasks: Any, results: Any) -> None:
    """A forked training process: train the configurations whose indices come from ``tasks``."""
    from modeling.training import TraceCache

    cache = TraceCache()
    while (index := tasks.get()) is not None:
        results.put((index, train_one(configs[index], data_path, cache)))


def train_one(config: TrainConfig, data_path: str | Path | None = None, cache: Any = None) -> TickerOutcome:
    """Train one ticker of a scan, as ``python -m modeling train`` would, and keep its metrics."""
    from modeling.training import train

    try:
        prepared = prepare(config, data_path)
    except (DataError, ValueError) as exc:
        return TickerOutcome(config.ticker, "skipped", reason=str(exc))
    try:
        result = train(prepared, config, cache=cache)
    except Exception as exc:  # noqa: BLE001 - one ticker's failure must not end the scan
        return TickerOutcome(config.ticker, "failed", reason=f"training failed: {type(exc).__name__}: {exc}")
    return TickerOutcome(config.ticker, "finished", metrics=dict(result.metrics))
