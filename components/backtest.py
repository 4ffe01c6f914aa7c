"""The walk-forward backtest on /train, with its layout and callbacks: k folds of an expanding
training window (modeling.series.walk_forward_bounds), each an ordinary run, queued as one group
(service.backtest), then one chart of the folds' test windows and their MAE against the naive one.

One test window of 139 days can flatter or sink a model by luck; k consecutive test blocks show
how much the error moves from one period to the next.
"""
from __future__ import annotations

import math
import time
from typing import Any

from dash import Input, Output, State, callback, dcc, html, no_update

from components import ids
from components.cards import format_duration, message
from components.figures import backtest_figure, empty_figure
from components.forms import FORM_STATES, check_form
from components.session import browser_session
from modeling.architectures import REGISTRY
from modeling.config import ConfigError
from modeling.data import DataError
from modeling.limits import DEFAULT_FOLDS, FOLDS
from service import runs
from service.backtest import backtest, fold_results, submit_backtest
from service.store import CollectionNotFound, RunNotFound

BACKTEST_POLL_MS = 500
BACKTEST_GRAPH_HEIGHT = "640px"
WAITING = "Each fold's test window and MAE appear here as the folds finish"


def backtest_section() -> html.Details:
    """Folds, a button, progress and the chart; collapsed until opened, as the other teaching aids."""
    low, high = FOLDS
    return html.Details([
        html.Summary(html.H2("Walk-forward backtest"), id=ids.BACKTEST_SUMMARY),
        html.P("The same settings trained k times on an expanding window: the series after an initial part is "
               "cut into k equal test blocks, and fold i trains on everything before block i (its last part for "
               "validation) and is tested on block i. Each fold's MAE next to the naive forecast's shows whether "
               "one test window was luck.", className="lead"),
        html.Div([
            html.Label("Folds:", htmlFor=ids.BACKTEST_FOLDS, className="field-label inline"),
            dcc.Input(id=ids.BACKTEST_FOLDS, type="number", value=DEFAULT_FOLDS, min=low, max=high, step=1,
                      className="small-input"),
            html.Button("Run backtest", id=ids.BACKTEST_START, className="button", n_clicks=0,
                        title=f"{low} to {high} folds of these settings, queued as one group"),
            html.Button("Cancel backtest", id=ids.BACKTEST_CANCEL, className="button", n_clicks=0, disabled=True),
        ], className="actions"),
        dcc.Store(id=ids.CURRENT_BACKTEST, storage_type="session"),
        dcc.Store(id=ids.BACKTEST_SHOWN),
        dcc.Interval(id=ids.BACKTEST_POLL, interval=BACKTEST_POLL_MS, disabled=True),
        html.Div(id=ids.BACKTEST_MESSAGE),
        html.Div(id=ids.BACKTEST_STATUS, className="group-status"),
        html.Div(id=ids.BACKTEST_PROGRESS),
        dcc.Graph(id=ids.BACKTEST_GRAPH, figure=empty_figure(WAITING), className="graph",
                  style={"height": BACKTEST_GRAPH_HEIGHT}),
    ], id=ids.BACKTEST_SECTION, className="section")


def parse_folds(value: Any) -> int:
    """The folds input as a whole number within modeling.limits.FOLDS, or ConfigError in words."""
    low, high = FOLDS
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value != int(value) or not low <= value <= high:
        raise ConfigError(f"folds must be a whole number from {low} to {high}; got {value!r}")
    return int(value)


@callback(Output(ids.CURRENT_BACKTEST, "data"), Output(ids.BACKTEST_MESSAGE, "children"),
          Input(ids.BACKTEST_START, "n_clicks"), State(ids.BACKTEST_FOLDS, "value"), *FORM_STATES,
          prevent_initial_call=True)
def start_backtest(n_clicks: Any, folds: Any, *values: Any):
    """Check the form and the folds (a ticker too short for k folds is refused with the numbers),
    then queue the folds as one backtest group."""
    if not n_clicks:
        return no_update, no_update
    session = browser_session()
    try:
        config, _ = check_form(list(values))
        folds = parse_folds(folds)
        if runs.active_count(session):
            return no_update, message("Not started: this browser has active runs; wait for them to end "
                                      "or cancel them first.")
        collection, _group = submit_backtest(config, folds, session)
    except (ConfigError, DataError, runs.ServiceUnavailable) as exc:
        return no_update, message(f"Not started: {exc}")
    return collection.id, None


@callback(Output(ids.BACKTEST_MESSAGE, "children", allow_duplicate=True), Input(ids.BACKTEST_CANCEL, "n_clicks"),
          State(ids.CURRENT_BACKTEST, "data"), prevent_initial_call=True)
def cancel_backtest(n_clicks: Any, collection_id: Any):
    """Cancel this browser's active folds of the backtest (queued at once, running after its epoch)."""
    if not n_clicks:
        return no_update
    try:
        _, group = backtest(collection_id)
    except (CollectionNotFound, RunNotFound):
        return no_update
    session = browser_session()
    cancelled = sum(runs.cancel(r.id, session) for r in group if r.active)
    return message(f"Cancelled {cancelled} fold{'s' if cancelled != 1 else ''} of the backtest.", "info") \
        if cancelled else no_update


def _fold_line(run: Any, sizes: dict[str, int] | None) -> str:
    config = run.config
    text = f"fold {config.fold} of {config.folds}"
    if sizes:
        text += f" (train {sizes['train']}, validation {sizes['val']}, test {sizes['test']} points)"
    text += f": {run.status}"
    if run.active and run.status == "running":
        text += f", epoch {run.epochs_done} of {config.epochs}"
    elif run.status == "finished":
        m = run.metrics
        text += f", test MAE ${m['test_mae']:.3f} (naive ${m['naive_test_mae']:.3f})"
    elif run.status in ("failed", "interrupted") and run.reason:
        text += f": {run.reason}"
    return text


def _progress(group: list) -> html.Div | None:
    """Epochs done over every fold, with the time left at the pace so far (or the queue position)."""
    if not any(r.active for r in group):
        return None
    total = sum(r.config.epochs for r in group)
    done = sum(r.config.epochs if not r.active else r.epochs_done for r in group)
    started = [r.started for r in group if r.started]
    count = f"{done} of {total} epochs over {len(group)} folds"
    if not started:
        first = next(r for r in group if r.status == "queued")
        try:
            position = runs.get(first.id).position
        except RunNotFound:
            position = 0
        text = f"queued, position {position}: waiting for a training slot ({count})" if position else \
            f"queued: waiting for a training slot ({count})"
    elif done == 0:
        text = f"starting: preparing data and models ({count})"
    else:
        left = (time.time() - min(started)) / done * (total - done)
        text = f"{count}, about {format_duration(left)} left"
    return html.Div([
        html.Div(text, className="progress-text"),
        html.Div(html.Div(className="progress-fill", style={"width": f"{done / total:.1%}"}),
                 className="progress-track", role="progressbar",
                 **{"aria-valuenow": done, "aria-valuemin": 0, "aria-valuemax": total}),
    ], className="progress-box")


@callback(Output(ids.BACKTEST_STATUS, "children"), Output(ids.BACKTEST_PROGRESS, "children"),
          Output(ids.BACKTEST_GRAPH, "figure"), Output(ids.BACKTEST_POLL, "disabled"),
          Output(ids.BACKTEST_START, "disabled"), Output(ids.BACKTEST_CANCEL, "disabled"),
          Output(ids.BACKTEST_SHOWN, "data"),
          Input(ids.CURRENT_BACKTEST, "data"), Input(ids.BACKTEST_POLL, "n_intervals"),
          State(ids.BACKTEST_SHOWN, "data"))
def show_backtest(collection_id: Any, _tick: Any, shown: Any):
    """The backtest from the run store, polled until every fold has ended; a poll that finds the
    same statuses and epochs as last time sends nothing."""
    nothing = (None, None, no_update, True, False, True, None)
    if not collection_id:
        return nothing
    try:
        collection, group = backtest(collection_id)
    except (CollectionNotFound, RunNotFound):
        return nothing
    if not group:
        return nothing
    now_shown = [collection.id, [[r.status, r.epochs_done] for r in group]]
    if shown == now_shown:
        return (no_update,) * 7
    active = any(r.active for r in group)
    config = group[0].config
    label = REGISTRY[config.arch].label
    sizes = collection.details.get("sizes", {})
    status = html.Div([
        html.H3(collection.title or "Walk-forward backtest"),
        html.Ul([html.Li(_fold_line(r, r.result.get("split") or sizes.get(str(r.config.fold)))) for r in group]),
    ])
    statuses_drawn = isinstance(shown, list) and len(shown) == 2 and shown[0] == collection.id and \
        isinstance(shown[1], list) and [s[:1] if isinstance(s, list) else None for s in shown[1]] == \
        [[r.status] for r in group]
    figure = no_update if statuses_drawn else backtest_figure(  # the chart changes only when a fold ends
        fold_results(group), f"{config.ticker} {config.column}, {len(group)} folds", label)
    return status, _progress(group), figure, not active, active, not active, now_shown
