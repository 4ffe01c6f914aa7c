"""Train: the core loop. Set up a run, submit it to the run service, watch the loss grow, read the
results. The teaching aids below it (lecture preset, windows, groups of runs) live in
components/teaching.py with their callbacks; the form's mapping to a config in components/forms.py."""
from __future__ import annotations

import json
from typing import Any

import dash
from dash import Input, Output, State, callback, dcc, html, no_update

from components import ids
from components.backtest import backtest_section
from components.cards import field, message, metrics_card, model_summary_table, progress_bar
from components.figures import empty_figure, loss_figure, prediction_figure
from components.forms import (FORM_FIELDS, FORM_INPUTS, FORM_STATES, check_form, config_from_link, dataset_options,
                              ticker_choice)
from components.notebook_export import export_notebook_button
from components.session import browser_session
from components.teaching import group_section, lecture_preset_button, window_section
from modeling.architectures import REGISTRY
from modeling.config import ConfigError, TrainConfig
from modeling.data import PRICE_COLUMNS, DataError
from modeling.limits import LIMITS
from service import runs
from service.store import Run, RunNotFound

dash.register_page(__name__, path="/train", name="Train", title="Train - RNN Stock Lab", order=1)

DEFAULTS = TrainConfig()
MAX_ACTIVE_PER_SESSION = 2
POLL_INTERVAL_MS = 250  # the run's one poll, while it is active: a fast epoch takes ~15 ms
# The core loop's two charts: short enough that form, Train, live curve and test chart fit one screen.
CORE_GRAPH_HEIGHT = "330px"


FIELD_NAMES = dict(FORM_FIELDS)


def _number(cid: str, value: Any, step: Any) -> dcc.Input:
    """A number field whose bounds are the config's limits for its setting (modeling/limits.py)."""
    low, high = LIMITS[FIELD_NAMES[cid]]
    return dcc.Input(id=cid, type="number", value=value, step=step, min=low, max=high, debounce=True)


def config_from_query(query: dict[str, Any]) -> tuple[TrainConfig, str | None]:
    """Every setting of the form from a shared link."""
    return config_from_link(query, FIELD_NAMES.values())


def layout(**query: Any) -> html.Div:
    d, link_problem = config_from_query(query)
    url_run = None
    if "run" in query:
        try:
            run = runs.get(query["run"]).run
            d, url_run = run.config, run.id
        except RunNotFound:
            link_problem = f"No run {str(query['run'])[:20]!r} here: it was deleted, or the link is from another server."
    arch_options = [{"label": a.label, "value": a.kind} for a in REGISTRY.values()]
    # The options come with the page: a dropdown whose value is not among its options drops it.
    tickers, ticker = ticker_choice(d.dataset, d.ticker)
    return html.Div([
        html.Div([
            html.H1("Train a network"),
            lecture_preset_button(),
        ], className="title-row"),
        message(link_problem, "info") if link_problem else None,
        dcc.Store(id=ids.URL_RUN, data=url_run),
        html.Div(id=ids.TRAIN_URL_QUERY, hidden=True),
        html.Div([
            html.Fieldset([
                html.Legend("Data"),
                field("Dataset", dcc.Dropdown(id=ids.DATASET, options=dataset_options(), value=d.dataset,
                                              clearable=False), span=6),
                field("Ticker", dcc.Dropdown(id=ids.TICKER, options=tickers, value=ticker, clearable=True,
                                             searchable=True, placeholder="type a ticker, company or sector"), span=6),
                field("Price column", dcc.Dropdown(id=ids.PRICE_COLUMN, options=list(PRICE_COLUMNS),
                                                   value=d.column, clearable=False), span=2),
                field("Training share", _number(ids.TRAIN_RATIO, d.train_ratio, "any"), span=2),
                field("Validation share", _number(ids.VAL_RATIO, d.val_ratio, "any"), span=2),
            ], className="controls field-grid"),
            html.Fieldset([
                html.Legend("Network"),
                field("look_back", _number(ids.LOOK_BACK, d.look_back, 1), tip="values in each input window"),
                field("foresight", _number(ids.FORESIGHT, d.foresight, 1),
                      tip="steps between the window's end and the target"),
                field("Architecture", dcc.Dropdown(id=ids.ARCHITECTURE, options=arch_options, value=d.arch,
                                                   clearable=False)),
                field("Units (LSTM/GRU)", _number(ids.UNITS, d.units, 1)),
                field("Dropout", _number(ids.DROPOUT, d.dropout, "any")),
                field("Recurrent dropout", _number(ids.RECURRENT_DROPOUT, d.recurrent_dropout, "any")),
                field("Filters (Conv1D)", _number(ids.FILTERS, d.filters, 1)),
                field("Kernel size (Conv1D)", _number(ids.KERNEL_SIZE, d.kernel_size, 1)),
            ], className="controls field-grid"),
            html.Fieldset([
                html.Legend("Training"),
                field("Epochs", _number(ids.EPOCHS, d.epochs, 1), span=3),
                field("Batch size", _number(ids.BATCH_SIZE, d.batch_size, 1), span=3),
                field("Learning rate", _number(ids.LEARNING_RATE, d.learning_rate, "any"), span=3),
                field("Seed", _number(ids.SEED, d.seed, 1), span=3),
                html.Div(dcc.Checklist(id=ids.EARLY_STOPPING, options=[{"label": " early stopping", "value": "on"}],
                                       value=["on"] if d.patience is not None else [], className="checklist"),
                         className="field span-3 checklist-field"),
                field("Patience (epochs)", _number(ids.PATIENCE, d.patience if d.patience is not None else 5, 1), span=3),
            ], className="controls field-grid"),
        ], className="control-columns"),
        html.Div([
            html.Button("Train", id=ids.TRAIN_BUTTON, className="button button-primary", n_clicks=0),
            html.Button("Cancel", id=ids.CANCEL_BUTTON, className="button", n_clicks=0, disabled=True),
            export_notebook_button(),
            html.Div(id=ids.CONFIG_CHECK, className="config-check", **{"aria-live": "polite"}),
        ], className="actions"),
        html.Div(id=ids.START_MESSAGE),
        html.Div([html.Span(id=ids.RUN_STATUS, className="run-status"), html.Div(id=ids.PROGRESS)],
                 className="run-line"),
        dcc.Store(id=ids.CANCEL_DONE),
        dcc.Store(id=ids.RUN_SHOWN),
        dcc.Interval(id=ids.RUN_POLL, interval=POLL_INTERVAL_MS, disabled=True),
        html.Div([
            dcc.Graph(id=ids.LOSS_GRAPH, figure=empty_figure("The loss curve appears here while training"),
                      className="graph", style={"height": CORE_GRAPH_HEIGHT}, responsive=True),
            dcc.Graph(id=ids.PREDICTION_GRAPH,
                      figure=empty_figure("Actual vs predicted prices appear here when training ends"),
                      className="graph", style={"height": CORE_GRAPH_HEIGHT}, responsive=True),
        ], className="graph-pair"),
        html.Div([html.Div(id=ids.METRICS), html.Div(id=ids.MODEL_SUMMARY)], className="card-row"),
        group_section(),
        backtest_section(),
        window_section(),
    ])


@callback(Output(ids.TICKER, "options"), Output(ids.TICKER, "value"),
          Input(ids.DATASET, "value"), State(ids.TICKER, "value"), prevent_initial_call=True)
def update_tickers(dataset: Any, ticker: Any):
    return ticker_choice(dataset, ticker)


@callback(Output(ids.CONFIG_CHECK, "children"), *FORM_INPUTS)
def show_config_check(*values: Any):
    try:
        _, text = check_form(list(values))
    except (ConfigError, DataError) as exc:
        return message(str(exc))
    return message(text, "info")


@callback(Output(ids.CURRENT_RUN, "data"), Output(ids.START_MESSAGE, "children"),
          Input(ids.TRAIN_BUTTON, "n_clicks"), *FORM_STATES, prevent_initial_call=True)
def start_run(n_clicks: Any, *values: Any):
    """Validate everything first; only a good configuration is submitted to the run service,
    which has it trained whether or not this page stays open. The page then follows it."""
    if not n_clicks:
        return no_update, no_update
    try:
        config, _ = check_form(list(values))
    except (ConfigError, DataError) as exc:
        return no_update, message(f"Not started: {exc}")
    session = browser_session()
    if runs.active_count(session) >= MAX_ACTIVE_PER_SESSION:
        return no_update, message(
            f"Not started: this browser already has {MAX_ACTIVE_PER_SESSION} active runs, the most it may have. "
            "Wait for one to end or cancel it.")
    try:
        run = runs.submit(config, session)
    except runs.ServiceUnavailable as exc:
        return no_update, message(f"Not started: {exc}")
    return run.id, None


@callback(Output(ids.CANCEL_DONE, "data"), Input(ids.CANCEL_BUTTON, "n_clicks"), State(ids.CURRENT_RUN, "data"),
          prevent_initial_call=True)
def cancel_run(n_clicks: Any, run_id: Any):
    """Ask the service to cancel this browser's run (queued: at once; running: after its epoch)."""
    if not n_clicks or not runs.cancel(run_id, browser_session()):
        return no_update  # a bad id, another browser's run, or one that has already ended
    return {"run_id": run_id, "n": n_clicks}


def _live_view(run: Run, position: int) -> tuple:
    """Status line, progress bar and loss curve of a run."""
    config, history = run.config, run.history
    done = run.epochs_done
    title = f"{config.ticker} {REGISTRY[config.arch].label}: " + (
        f"normalized MAE validation = {history['val_loss'][-1]:.3f}" if done else "loss per epoch")
    progress = progress_bar(done, config.epochs, run.elapsed or 0.0, run.status, position) if run.active else None
    return _status_text(run.status, run.reason, run.id), progress, loss_figure(history, config.epochs, title)


NOTHING_SHOWN = (None, None, no_update, no_update, None, None, True, False, True, None)


@callback(Output(ids.RUN_STATUS, "children"), Output(ids.PROGRESS, "children"), Output(ids.LOSS_GRAPH, "figure"),
          Output(ids.PREDICTION_GRAPH, "figure"), Output(ids.METRICS, "children"),
          Output(ids.MODEL_SUMMARY, "children"), Output(ids.RUN_POLL, "disabled"),
          Output(ids.TRAIN_BUTTON, "disabled"), Output(ids.CANCEL_BUTTON, "disabled"),
          Output(ids.RUN_SHOWN, "data"),
          Input(ids.CURRENT_RUN, "data"), Input(ids.CANCEL_DONE, "data"), Input(ids.RUN_POLL, "n_intervals"),
          State(ids.RUN_SHOWN, "data"))
def show_run(run_id: Any, _cancelled: Any, _tick: Any, shown: Any):
    """The page's one view of its run, read from the run service: on page load, after a click,
    and polled while the run is active (status, queue position or epoch k of N and the time left,
    the growing loss curve), then its results. The buttons follow the run too, so that back on
    the page an active run can be cancelled.

    ``shown``: what the browser last drew (run, status, epochs, position); a poll that finds the
    same sends nothing, so a class polling many times a second costs a read each, no drawing."""
    try:
        state = runs.get(run_id) if run_id else None
    except RunNotFound:
        state = None
    if state is None:
        return NOTHING_SHOWN
    run, position = state.run, state.position
    now_shown = [run.id, run.status, run.epochs_done, position]
    if shown == now_shown:
        return (no_update,) * 10  # a poll that finds nothing new
    status, progress, loss = _live_view(run, position)
    buttons = (not run.active, run.active, not run.active)
    if run.active and isinstance(shown, list) and shown[:1] == [run.id]:
        return (status, progress, loss, no_update, no_update, no_update, *buttons, now_shown)
    config, result = run.config, run.result
    label = REGISTRY[config.arch].label
    if result.get("predictions"):
        predictions = prediction_figure(result["predictions"], config.ticker, config.column, label)
        card = metrics_card(result["metrics"], label)
        summary = model_summary_table(result.get("summary", []), result.get("params", 0))
    else:
        predictions = empty_figure("Actual vs predicted prices appear here when training ends")
        card = summary = None
    return status, progress, loss, predictions, card, summary, *buttons, now_shown


def _status_text(status: str, reason: str | None, run_id: str) -> list:
    text = {"queued": "queued", "running": "running", "finished": "finished", "cancelled": "cancelled",
            "failed": f"failed: {reason}", "interrupted": f"interrupted: {reason}"}.get(status, status)
    return [html.Span(f"Run {run_id}: ", className="run-id"),
            html.Span(text, className=f"status status-{status}"),
            " ", dcc.Link("link to this run", href=f"/train?run={run_id}", id=ids.SHARE_LINK, className="link"),
            " ", dcc.Link("open in Compare", href="/compare", className="link")]


@callback(Output(ids.CURRENT_RUN, "data", allow_duplicate=True), Input(ids.URL_RUN, "data"),
          prevent_initial_call="initial_duplicate")
def open_run_from_url(run_id: Any):
    """/train?run=<id> opens that run's results."""
    try:
        return runs.get(run_id).run.id
    except RunNotFound:
        return no_update


dash.clientside_callback(
    """function(...values) {
        const names = %s;
        const params = new URLSearchParams();
        const early = values[values.length - 1];
        names.forEach((name, i) => {
            const v = values[i];
            if (v === null || v === undefined || v === '') { return; }
            if (name === 'patience' && !(Array.isArray(early) && early.includes('on'))) { return; }
            params.set(name, v);
        });
        const query = params.toString();
        window.history.replaceState(window.history.state, '', window.location.pathname + '?' + query);
        const dataset = values[0], ticker = values[1];
        const chosen = (dataset && ticker) ? {dataset: dataset, ticker: ticker} : dash_clientside.no_update;
        return [query, chosen];
    }""" % json.dumps([name for _, name in FORM_FIELDS]),
    Output(ids.TRAIN_URL_QUERY, "children"), Output(ids.CHOSEN, "data", allow_duplicate=True), *FORM_INPUTS,
    prevent_initial_call="initial_duplicate")
