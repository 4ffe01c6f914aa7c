"""Walk-forward backtests in the run service: k fold runs queued as one BATCH group of a collection."""

import pytest

from modeling.config import ConfigError, TrainConfig
from modeling.data import DataError
from service import backtest as backtests
from service import runs
from service.execution import execute_run
from service.settings import run_store
from service.store import BATCH, INTERACTIVE, CollectionNotFound

CONFIG = TrainConfig(dataset="sp500-2012-2017", ticker="AAL", epochs=2, arch="conv1d")


def test_a_backtest_queues_k_fold_runs_as_one_batch_group(data_dir):
    collection, group = backtests.submit_backtest(CONFIG, 3, "browser-a")
    assert collection.kind == "backtest" and collection.session == "browser-a"
    assert collection.spec == {"config": CONFIG.to_dict(), "folds": 3}
    assert collection.title == "AAL conv1d walk-forward backtest, 3 folds"
    assert collection.details["sizes"] == {"1": {"train": 192, "val": 41, "test": 231},
                                           "2": {"train": 382, "val": 82, "test": 231},
                                           "3": {"train": 572, "val": 123, "test": 231}}
    assert len(group) == 3
    assert {r.group_id for r in group} == {collection.id}
    assert {r.priority for r in group} == {BATCH} and {r.status for r in group} == {"queued"}
    assert [(r.config.folds, r.config.fold) for r in group] == [(3, 1), (3, 2), (3, 3)]
    assert all(r.config.replace(folds=0, fold=0) == CONFIG for r in group)
    found, again = backtests.backtest(collection.id)
    assert found.id == collection.id and [r.id for r in again] == [r.id for r in group]
    # a student's own click is served first, and queued ahead of the backtest
    click = runs.submit(CONFIG, "browser-b")
    assert click.priority == INTERACTIVE and runs.get(click.id).position == 1
    assert runs.get(group[0].id).position == 2


def test_settings_that_cannot_be_backtested_queue_nothing(data_dir):
    with pytest.raises(DataError) as info:
        backtests.submit_backtest(CONFIG.replace(ticker="APTV", dataset="sp500-2013-2018"), 4, None)
    assert str(info.value).startswith("APTV has 44 points, too few for 4 folds: fold 1's training part has 10")
    with pytest.raises(ConfigError) as info:
        backtests.submit_backtest(CONFIG, 9, None)
    assert str(info.value) == "folds must be a whole number from 2 to 8; got 9"
    assert run_store().list() == [] and run_store().list_collections() == []


def test_unavailable_job_service_leaves_no_collection(data_dir, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    with pytest.raises(runs.ServiceUnavailable):
        backtests.submit_backtest(CONFIG, 2, "browser-a")
    assert run_store().list() == [] and run_store().list_collections() == []


def test_backtest_refuses_other_ids_and_kinds(data_dir):
    sweep = run_store().create_collection("sweep", {"x": 1})
    for bad in (sweep.id, "../x", None, "0" * 12):
        with pytest.raises(CollectionNotFound):
            backtests.backtest(bad)


def test_a_fold_trains_by_the_ordinary_path_on_its_own_split(data_dir):
    """A fold is an ordinary run: the same executor trains it, on its fold's split, reproducibly."""
    _, group = backtests.submit_backtest(CONFIG, 2, None)
    store = run_store()
    assert execute_run(store, group[1].id) == "finished"
    run = store.get(group[1].id)
    # 926 points, 2 folds: blocks of 308 after an initial 310; fold 2 trains on 618 points
    assert run.result["split"] == {"train": 509, "val": 109, "test": 308}
    assert run.result["sequences"]["test"] == 308 - 13
    predictions = run.result["predictions"]
    assert predictions["date"][-1] == "2017-08-11" and len(predictions["predicted"]) == 295
    folds = backtests.fold_results(store.group(run.group_id))
    assert [f["fold"] for f in folds] == [1, 2] and folds[0]["predictions"] is None
    assert folds[1]["metrics"]["test_mae"] == run.metrics["test_mae"]
    # the same fold again gives the same numbers (seeded)
    again = store.create(run.config)
    assert execute_run(store, again.id) == "finished"
    assert store.get(again.id).result["predictions"]["predicted"] == predictions["predicted"]
