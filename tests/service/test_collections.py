"""Sweeps and scans in the run service: grid to runs, the cap, one active per browser, the
fairness order, persistence across a reopened store, the CSV export."""
from __future__ import annotations

import csv
import io
import os

import pytest

from modeling.config import TrainConfig
from modeling.data import DataError
from modeling.sweep import SweepError, SweepGrid
from service import collections, runs
from service.settings import run_store
from service.store import BATCH, INTERACTIVE, CollectionNotFound, RunStore

BASE = TrainConfig(dataset="sp500-2013-2018", ticker="AAL", epochs=2)


def test_a_sweep_queues_its_grid_as_batch_runs_of_one_collection(data_dir):
    sweep = collections.submit_sweep(BASE, SweepGrid.from_values([7, 14], ["lstm", "conv1d"], [6], 2), "browser-a")
    state = collections.get(sweep.id)
    assert (sweep.kind, sweep.session, state.total, state.finished, state.active) == ("sweep", "browser-a", 8, 0, True)
    assert sweep.title == "AAL: look_back 7, 14 x lstm, conv1d x foresight 6 x 2 seeds"
    assert sweep.spec["grid"] == {"look_backs": [7, 14], "archs": ["lstm", "conv1d"], "foresights": [6], "seeds": 2}
    assert [(r.config.look_back, r.config.arch, r.config.seed) for r in state.runs] == [
        (7, "lstm", 0), (7, "lstm", 1), (7, "conv1d", 0), (7, "conv1d", 1),
        (14, "lstm", 0), (14, "lstm", 1), (14, "conv1d", 0), (14, "conv1d", 1)]
    assert {(r.group_id, r.priority, r.session, r.status) for r in state.runs} == {
        (sweep.id, BATCH, "browser-a", "queued")}
    assert collections.progress_text(state) == "0 of 8 finished, estimating the time left"
    # A sweep's runs are not the browser's own clicks: Train still lets it start runs.
    assert runs.active_count("browser-a") == 0


def test_a_grid_over_the_cap_or_a_too_short_cell_queues_nothing(data_dir):
    with pytest.raises(SweepError, match=r"^This grid is 81 runs \(3 look_backs x 3 networks x 3 foresights x "
                                         r"3 seeds\); a sweep holds at most 60$"):
        collections.submit_sweep(BASE, SweepGrid.from_values([7, 14, 30], ["lstm", "gru", "conv1d"], [1, 6, 10], 3),
                                 "browser-a")
    with pytest.raises(SweepError, match="^DWDP validation split has 16 points; look_back 14 "):
        collections.submit_sweep(BASE.replace(ticker="DWDP"), SweepGrid(), "browser-a")
    with pytest.raises(DataError, match="unknown ticker 'NOPE'"):
        collections.submit_sweep(BASE.replace(ticker="NOPE"), SweepGrid(), "browser-a")
    assert run_store().list() == [] and run_store().list_collections() == []


def test_one_browser_has_one_active_sweep_or_scan_and_only_it_cancels(data_dir):
    sweep = collections.submit_sweep(BASE, SweepGrid.from_values([7], ["conv1d"], [6], 2), "browser-a")
    with pytest.raises(collections.CollectionRefused) as refused:
        collections.submit_scan(BASE, "Telecommunication Services", "browser-a")
    assert str(refused.value) == (
        "this browser already has an active sweep (AAL: look_back 7 x conv1d x foresight 6 x 2 seeds: "
        "0 of 2 finished, estimating the time left); a browser may run one sweep or scan at a time: "
        "wait for it to end or cancel it")
    other = collections.submit_scan(BASE, "Telecommunication Services", "browser-b")  # another browser may
    assert collections.cancel(sweep.id, "browser-b") == 0
    assert collections.cancel("../etc", "browser-a") == 0
    assert collections.cancel(sweep.id, "browser-a") == 2
    state = collections.get(sweep.id)
    assert [r.status for r in state.runs] == ["cancelled", "cancelled"] and not state.active
    assert collections.progress_text(state) == "0 of 2 finished (2 cancelled)"
    assert collections.cancel(sweep.id, "browser-a") == 0  # nothing left to cancel
    again = collections.submit_sweep(BASE, SweepGrid.from_values([7], ["conv1d"], [6], 1), "browser-a")
    assert collections.active_collection("browser-a").id == again.id
    assert collections.active_collection("browser-b").id == other.id


def test_a_students_click_is_claimed_before_queued_sweep_runs(data_dir):
    sweep = collections.submit_sweep(BASE, SweepGrid.from_values([7, 14], ["conv1d"], [6], 1), "browser-a")
    click = runs.submit(BASE, "browser-b")  # submitted after the sweep
    assert (click.priority, runs.get(click.id).position) == (INTERACTIVE, 1)
    sweep_runs = collections.get(sweep.id).runs
    assert [runs.get(r.id).position for r in sweep_runs] == [2, 3]
    store = run_store()
    assert [store.claim_next(os.getpid()) for _ in range(4)] == [click.id, sweep_runs[0].id, sweep_runs[1].id, None]


def test_a_scan_records_its_skipped_tickers_and_refuses_an_unknown_sector(data_dir):
    scan = collections.submit_scan(BASE.replace(ticker="AAL", look_back=10, arch="conv1d"), "Materials", "browser-a")
    state = collections.get(scan.id)
    assert scan.title == "sp500-2013-2018, sector Materials: conv1d, look_back 10, foresight 6"
    assert state.total == 24 and "DWDP" not in {r.config.ticker for r in state.runs}
    assert {r.config.look_back for r in state.runs} == {10}
    assert scan.details["skipped"] == [
        ["DWDP", "DWDP validation split has 16 points; look_back 10 + foresight 6 needs at least 17"]]
    with pytest.raises(collections.CollectionRefused, match="^unknown sector 'Space'; valid sectors: Consumer"):
        collections.submit_scan(BASE, "Space", "browser-b")
    with pytest.raises(collections.CollectionRefused, match=(
            r"^no ticker of sector Telecommunication Services in sp500-2013-2018 is long enough for look_back "
            r"250 and foresight 6 \(3 skipped\)$")):
        collections.submit_scan(BASE.replace(look_back=250), "Telecommunication Services", "browser-b")


def test_collections_survive_a_reopened_store_and_export_one_csv_row_per_run(data_dir):
    from service.execution import execute_run

    sweep = collections.submit_sweep(BASE, SweepGrid.from_values([7, 14], ["conv1d"], [6], 1), "browser-a")
    scan = collections.submit_scan(BASE.replace(look_back=10, arch="conv1d"), "Materials", "browser-b")
    store = run_store()
    first, second = collections.get(sweep.id).runs
    assert execute_run(store, first.id) == "finished"
    store.request_cancel(second.id)

    reopened = RunStore(data_dir)  # what a restarted server opens
    assert [c.id for c in reopened.list_collections()] == [scan.id, sweep.id]
    assert [r.id for r in reopened.group(sweep.id)] == [first.id, second.id]
    listed = collections.list_collections()
    assert [(s.collection.kind, s.finished, s.total) for s in listed] == [("scan", 0, 24), ("sweep", 1, 2)]
    state = collections.get(sweep.id)
    assert collections.progress_text(state) == "1 of 2 finished (1 cancelled)" and state.seconds_left == 0.0

    rows = list(csv.DictReader(io.StringIO(collections.export_csv(state))))
    assert [(r["run"], r["status"], r["look_back"], r["network"], r["seed"]) for r in rows] == [
        (first.id, "finished", "7", "conv1d", "0"), (second.id, "cancelled", "14", "conv1d", "0")]
    metrics = store.get(first.id).metrics
    assert float(rows[0]["test_mae"]) == pytest.approx(metrics["test_mae"], rel=1e-5)
    assert float(rows[0]["skill"]) == pytest.approx(metrics["skill"], rel=1e-5)
    assert rows[1]["test_mae"] == "" and rows[1]["reason"] == "cancelled by the user"

    scan_rows = list(csv.DictReader(io.StringIO(collections.export_csv(collections.get(scan.id)))))
    assert len(scan_rows) == 25 and scan_rows[-1]["status"] == "skipped" and scan_rows[-1]["ticker"] == "DWDP"
    assert scan_rows[-1]["reason"] == "DWDP validation split has 16 points; look_back 10 + foresight 6 needs at least 17"
    with pytest.raises(CollectionNotFound):
        collections.get("0" * 12)
    with pytest.raises(CollectionNotFound):
        collections.get("<script>")


def test_the_store_reads_a_groups_metrics_and_status_counts_without_the_predictions(tmp_path, store_url):
    store = RunStore(tmp_path, store_url)
    configs = [BASE.replace(look_back=lb) for lb in (7, 14, 30)]
    first, second, third = store.create_group(configs, session="s", group_id="abcdef012345", priority=BATCH)
    metrics = {"test_mae": 1.25, "naive_test_mae": 1.5, "skill": 1 / 6}
    store.finish(first.id, {"metrics": metrics, "history": {"loss": [0.2, 0.1], "val_loss": [0.3, 0.2]},
                            "predictions": {"date": ["2017-01-03"], "actual": [1.0]}})
    store.request_cancel(second.id)
    brief = store.group_brief("abcdef012345")
    assert [(r.id, r.status, r.config.look_back, r.priority) for r in brief] == [
        (first.id, "finished", 7, BATCH), (second.id, "cancelled", 14, BATCH), (third.id, "queued", 30, BATCH)]
    assert brief[0].result == {"metrics": metrics} and brief[1].result == {} and brief[0].history["loss"] == []
    assert store.group(first.group_id)[0].result["predictions"]["actual"] == [1.0]  # the full run is still there
    assert store.group_status_counts(["abcdef012345", "0" * 12]) == {
        "abcdef012345": {"finished": 1, "cancelled": 1, "queued": 1}, "0" * 12: {}}
    assert store.group_status_counts([]) == {}


def test_the_time_left_is_the_runs_to_go_times_the_mean_finished_time_over_the_runs_training_now(data_dir):
    sweep = collections.submit_sweep(BASE, SweepGrid.from_values([7, 14], ["conv1d"], [6, 10], 1), "browser-a")
    store = run_store()
    first, second, third, _fourth = collections.get(sweep.id).runs
    for run, seconds in ((first, 4.0), (second, 6.0)):
        store.mark_running(run.id, os.getpid())
        store.finish(run.id, {"metrics": {"test_mae": 1.0}, "train_seconds": seconds})
    state = collections.get(sweep.id, brief=True)
    assert state.seconds_left == 2 * 5.0  # 2 to go x 5 s; none training now counts as one
    store.mark_running(third.id, os.getpid())
    state = collections.get(sweep.id, brief=True)
    assert (state.finished, state.ended, state.seconds_left) == (2, 2, 10.0)
    assert collections.progress_text(state) == "2 of 4 finished, about 10 s left"
