"""Walk-forward backtests: the k folds of one configuration, queued as one group of ordinary runs.

A backtest is a "backtest" collection in the run store; its runs carry the collection's id as
their group id and the BATCH priority, so a student's single click is served before them. Each
fold is an ordinary run (``TrainConfig.folds``/``fold`` choose its split), trained by the same
path as any other: the embedded trainers or the Celery workers.
"""
from __future__ import annotations

from typing import Any

from modeling.config import TrainConfig
from modeling.pipeline import prepare
from service import runs
from service.settings import run_store
from service.store import BATCH, Collection, CollectionNotFound, Run


def check_backtest(config: TrainConfig, folds: int) -> tuple[list[TrainConfig], dict[str, Any]]:
    """The fold configurations and the sizes of the folds' parts, or ConfigError / DataError with a
    message a person can act on (a ticker too short for k folds says by how much)."""
    configs = config.walk_forward(folds)
    sizes = {}
    for fold_config in configs:  # the first checks every fold's sizes; a few milliseconds each
        sizes[str(fold_config.fold)] = prepare(fold_config).split_counts
    return configs, {"sizes": sizes}


def submit_backtest(config: TrainConfig, folds: int, session: str | None) -> tuple[Collection, list[Run]]:
    """Check, then record the backtest and queue its folds (BATCH priority) as one group.

    Raises ConfigError or DataError for settings that cannot be backtested, ServiceUnavailable
    when runs cannot be queued (then nothing is left behind)."""
    configs, details = check_backtest(config, folds)
    store = run_store()
    title = f"{config.ticker} {config.arch} walk-forward backtest, {folds} folds"
    collection = store.create_collection("backtest", {"config": config.to_dict(), "folds": folds}, session=session,
                                         title=title, details=details)
    try:
        group = runs.submit_group(configs, session, group_id=collection.id, priority=BATCH)
    except runs.ServiceUnavailable:
        store.delete_collection(collection.id)
        raise
    return collection, group


def backtest(collection_id: Any) -> tuple[Collection, list[Run]]:
    """A backtest and its fold runs in fold order; CollectionNotFound for a bad id or another kind."""
    collection = run_store().get_collection(collection_id)
    if collection.kind != "backtest":
        raise CollectionNotFound(f"{collection.id} is a {collection.kind}, not a backtest")
    return collection, sorted(runs.group(collection.id), key=lambda r: r.config.fold)


def fold_results(group: list[Run]) -> list[dict[str, Any]]:
    """The folds as the backtest figure takes them (plain data; predictions once a fold finished)."""
    return [{"fold": r.config.fold, "status": r.status,
             "predictions": r.result.get("predictions") if r.status == "finished" else None,
             "metrics": r.metrics if r.status == "finished" else None} for r in group]
