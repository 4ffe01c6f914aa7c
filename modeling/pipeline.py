"""From a configuration to prepared windows and from a result to plain JSON.

The one path every entry point (CLI, web callbacks, benchmarks) takes to the data, so that the
same configuration always reads the same file and cuts the same windows.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from modeling.config import TrainConfig
from modeling.data import DATASETS, DataError, dataset_path, load_prices, ticker_frame
from modeling.series import PreparedSeries, prepare_series
from modeling.training import TrainResult
from modeling.uploads import UPLOAD_KEY, upload_path


def data_path_for(dataset: str, data_path: str | Path | None = None) -> Path:
    """The CSV behind a run: an explicit path wins, then a bundled dataset key, then an upload key."""
    if data_path is not None:
        return Path(data_path)
    if dataset in DATASETS:
        return dataset_path(dataset)
    if isinstance(dataset, str) and UPLOAD_KEY.match(dataset):
        from modeling.settings import data_dir

        return upload_path(data_dir(), dataset)
    raise DataError(f"unknown dataset {str(dataset)[:40]!r}; valid datasets: {', '.join(DATASETS)} "
                    "or an uploaded one")


def prepare(config: TrainConfig, data_path: str | Path | None = None) -> PreparedSeries:
    """Load the data, take the ticker, split, scale and window it as the configuration says."""
    prices = load_prices(data_path_for(config.dataset, data_path))
    return prepare_series(ticker_frame(prices, config.ticker), config.series_spec)


def result_summary(prepared: PreparedSeries, result: TrainResult) -> dict[str, Any]:
    """The JSON the CLI prints and the run store keeps (without the model itself)."""
    return {
        "config": result.config.to_dict(),
        "ticker": prepared.ticker,
        "split": prepared.split_counts,
        "sequences": prepared.sequence_counts,
        "filled_missing": prepared.filled,
        "params": result.params,
        "summary": result.summary,
        "history": result.history,
        "epochs_run": len(result.history["loss"]),
        "best_epoch": result.best_epoch,
        "stopped": result.stopped,
        "metrics": result.metrics,
        "seconds_per_epoch": result.seconds_per_epoch,
        "first_epoch_seconds": result.first_epoch_seconds,
        "train_seconds": result.train_seconds,
        "predictions": result.predictions,
    }
