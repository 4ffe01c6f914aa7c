"""Sweeps and scans: many runs started by one click, kept together as a collection in the run store.

A sweep is one ticker over a grid (modeling/sweep.py), a scan one configuration over every ticker
of a dataset or sector (modeling/scan.py). Their runs are ordinary runs (the Train page and
Compare open each) carrying the collection's id as ``group_id`` and the BATCH priority: the
trainers take every student's own click first, so a sweep never holds up a class. One browser
may have one active sweep or scan; only that browser cancels it. The collection (what was asked,
and the tickers a scan skipped) survives a restart with the runs.
"""
from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass
from typing import Any

from modeling.config import TrainConfig
from modeling.limits import ACTIVE_COLLECTIONS_PER_BROWSER
from modeling.scan import plan_scan
from modeling.sweep import SweepError, SweepGrid, plan_sweep
from service import runs as run_service
from service.settings import run_store
from service.store import ACTIVE, BATCH, Collection, CollectionNotFound, Run

KIND_LABELS = {"sweep": "Sweep", "scan": "Scan", "backtest": "Backtest"}
LIST_LIMIT = 50


class CollectionRefused(ValueError):
    """A sweep or scan that is not started; the message says why, in words for the page."""


@dataclass(frozen=True)
class CollectionState:
    """A collection and its runs as the page shows them: k of N finished and the time left."""

    collection: Collection
    runs: list[Run]

    @property
    def total(self) -> int:
        return len(self.runs)

    @property
    def finished(self) -> int:
        return sum(r.status == "finished" for r in self.runs)

    @property
    def ended(self) -> int:
        return sum(not r.active for r in self.runs)

    @property
    def active(self) -> bool:
        return any(r.active for r in self.runs)

    @property
    def seconds_left(self) -> float | None:
        """Runs still to end x the mean training time of the finished ones / the runs training now
        (the trainers interleave runs, so a run's own time already counts its neighbours).
        None until one has finished."""
        if not self.active:
            return 0.0
        times = [r.elapsed for r in self.runs if r.status == "finished" and r.elapsed is not None]
        if not times:
            return None
        running = sum(r.status == "running" for r in self.runs)
        return (self.total - self.ended) * (sum(times) / len(times)) / max(running, 1)


def _duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def progress_text(state: CollectionState) -> str:
    """'4 of 9 finished, about 12 s left'; failed and cancelled runs are named too."""
    text = f"{state.finished} of {state.total} finished"
    others = {}
    for run in state.runs:
        if not run.active and run.status != "finished":
            others[run.status] = others.get(run.status, 0) + 1
    if others:
        text += " (" + ", ".join(f"{n} {status}" for status, n in sorted(others.items())) + ")"
    left = state.seconds_left
    if state.active:
        text += f", about {_duration(left)} left" if left is not None else ", estimating the time left"
    return text


@dataclass(frozen=True)
class CollectionSummary:
    """A collection and how many of its runs are in each status (for a list: no run is read)."""

    collection: Collection
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def finished(self) -> int:
        return self.counts.get("finished", 0)

    @property
    def active(self) -> bool:
        return any(self.counts.get(status, 0) for status in ACTIVE)


def summaries(collections: list[Collection]) -> list[CollectionSummary]:
    counts = run_store().group_status_counts([c.id for c in collections])
    return [CollectionSummary(c, counts.get(c.id, {})) for c in collections]


def active_collection(session: str) -> Collection | None:
    """This browser's sweep or scan that still has queued or running runs, if any."""
    mine = [c for c in run_store().list_collections(limit=LIST_LIMIT * 4) if c.session == session]
    return next((s.collection for s in summaries(mine) if s.active), None)


def _refuse_a_second(session: str) -> None:
    if ACTIVE_COLLECTIONS_PER_BROWSER == 1 and (current := active_collection(session)) is not None:
        state = get(current.id, brief=True)
        raise CollectionRefused(
            f"this browser already has an active {current.kind} ({current.title}: {progress_text(state)}); "
            f"a browser may run one sweep or scan at a time: wait for it to end or cancel it")


def submit_sweep(base: TrainConfig, grid: SweepGrid, session: str) -> Collection:
    """Plan the grid (refused whole, up front, when it cannot be trained), record the sweep and
    queue its runs behind every interactive run. Raises CollectionRefused, SweepError (a
    ConfigError), DataError or ServiceUnavailable, each with its message."""
    configs = plan_sweep(base, grid)
    _refuse_a_second(session)
    title = (f"{base.ticker}: look_back {', '.join(map(str, grid.look_backs))} x "
             f"{', '.join(grid.archs)} x foresight {', '.join(map(str, grid.foresights))}"
             + (f" x {grid.seeds} seeds" if grid.seeds > 1 else ""))
    spec = {"base": base.to_dict(), "grid": grid.to_dict()}
    return _queue("sweep", configs, session, title, spec, {"runs": len(configs)})


def submit_scan(base: TrainConfig, sector: str | None, session: str) -> Collection:
    """One configuration over every ticker of the dataset (or of one sector); tickers too short
    for the settings are skipped and recorded with the reason."""
    try:
        plan = plan_scan(base, sector or None)
    except ValueError as exc:  # an unknown sector names the valid ones
        raise CollectionRefused(str(exc)) from None
    where = f"sector {sector}" if sector else "every ticker"
    if not plan.configs:
        raise CollectionRefused(f"no ticker of {where} in {base.dataset} is long enough for look_back "
                                f"{base.look_back} and foresight {base.foresight} ({len(plan.skipped)} skipped)")
    _refuse_a_second(session)
    title = (f"{base.dataset}, {where}: {base.arch}, look_back {base.look_back}, foresight {base.foresight}")
    spec = {"base": base.to_dict(), "sector": sector or None}
    details = {"runs": len(plan.configs), "skipped": [list(item) for item in plan.skipped]}
    return _queue("scan", plan.configs, session, title, spec, details)


def _queue(kind: str, configs: list[TrainConfig], session: str, title: str, spec: dict, details: dict) -> Collection:
    store = run_store()
    collection = store.create_collection(kind, spec, session=session, title=title, details=details)
    try:
        run_service.submit_group(configs, session, group_id=collection.id, priority=BATCH)
    except run_service.ServiceUnavailable:
        store.delete_collection(collection.id)
        raise
    return collection


def find(collection_id: Any) -> Collection:
    """A sweep or scan by id (what was asked, without its runs); raises CollectionNotFound."""
    return run_store().get_collection(collection_id)


def get(collection_id: Any, brief: bool = False) -> CollectionState:
    """A collection and its runs (dead runs failed first); raises CollectionNotFound.

    ``brief``: the runs' status, settings and metrics only (no histories, no predictions): what a
    page that polls hundreds of runs needs."""
    store = run_store()
    collection = store.get_collection(collection_id)
    store.fail_dead_workers()
    return CollectionState(collection, store.group_brief(collection.id) if brief else store.group(collection.id))


def cancel(collection_id: Any, session: str) -> int:
    """Cancel what has not finished of this browser's sweep or scan; the number of runs cancelled
    (0 for another browser's collection, a bad id, or one that has ended)."""
    store = run_store()
    try:
        collection = store.get_collection(collection_id)
    except CollectionNotFound:
        return 0
    if collection.session not in (None, session):
        return 0
    return sum(store.request_cancel(r.id) for r in store.group(collection.id) if r.active)


def list_collections(limit: int = LIST_LIMIT) -> list[CollectionSummary]:
    """The newest sweeps and scans with their runs' status counts, newest first (for Compare)."""
    return summaries([c for c in run_store().list_collections(limit=limit) if c.kind in ("sweep", "scan")])


CSV_COLUMNS = ["collection", "kind", "run", "status", "dataset", "ticker", "column", "look_back", "foresight",
               "network", "seed", "epochs", "epochs_run", "test_mae", "naive_test_mae", "skill", "test_rmse",
               "test_mape", "test_direction_acc", "val_mae_norm", "seconds", "reason"]


def export_csv(state: CollectionState) -> str:
    """One row per run (its settings, seed, status and metrics), then one per skipped ticker with
    the reason it was skipped."""
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS)
    writer.writeheader()
    collection = state.collection
    for run in state.runs:
        c, m = run.config, run.metrics
        writer.writerow({
            "collection": collection.id, "kind": collection.kind, "run": run.id, "status": run.status,
            "dataset": c.dataset, "ticker": c.ticker, "column": c.column, "look_back": c.look_back,
            "foresight": c.foresight, "network": c.arch, "seed": c.seed, "epochs": c.epochs,
            "epochs_run": run.epochs_done, **{k: _number(m.get(k)) for k in (
                "test_mae", "naive_test_mae", "skill", "test_rmse", "test_mape", "test_direction_acc",
                "val_mae_norm")},
            "seconds": _number(run.elapsed), "reason": run.reason or ""})
    base = collection.spec.get("base", {})
    for ticker, reason in collection.details.get("skipped", []):
        writer.writerow({"collection": collection.id, "kind": collection.kind, "status": "skipped",
                         "dataset": base.get("dataset", ""), "ticker": ticker, "column": base.get("column", ""),
                         "look_back": base.get("look_back", ""), "foresight": base.get("foresight", ""),
                         "network": base.get("arch", ""), "seed": base.get("seed", ""),
                         "epochs": base.get("epochs", ""), "reason": reason})
    return out.getvalue()


def _number(value: Any) -> str:
    return "" if value is None else f"{value:.6g}"


def created_text(collection: Collection) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(collection.created))


__all__ = ["CollectionRefused", "CollectionState", "CollectionSummary", "SweepError", "active_collection", "cancel",
           "export_csv", "find", "get", "list_collections", "progress_text", "submit_scan", "submit_sweep"]
