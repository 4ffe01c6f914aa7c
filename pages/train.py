"""Train: set up a run, train it in the background, watch the loss grow, read the results."""
from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, callback, dcc, html, no_update

from components import ids
from components.cards import field, message, metrics_card, model_summary_table, progress_bar
from components.figures import empty_figure, loss_figure, prediction_figure
from components.forms import dataset_options, ticker_choice
from modeling.architectures import REGISTRY
from modeling.config import ConfigError, TrainConfig
from modeling.data import DEFAULT_DATASET, PRICE_COLUMNS, DataError
from modeling.jobs import execute_run
from modeling.pipeline import prepare
from modeling.runs import RunNotFound
from modeling.settings import run_store

dash.register_page(__name__, path="/train", name="Train", title="Train - RNN Stock Lab", order=1)

DEFAULTS = TrainConfig()
PROGRESS_INTERVAL_MS = 250
POLL_INTERVAL_MS = 1000

# (component id, config field): the form <-> TrainConfig mapping, in one place.
FORM_FIELDS = (
    (ids.DATASET, "dataset"), (ids.TICKER, "ticker"), (ids.PRICE_COLUMN, "column"),
    (ids.TRAIN_RATIO, "train_ratio"), (ids.VAL_RATIO, "val_ratio"),
    (ids.LOOK_BACK, "look_back"), (ids.FORESIGHT, "foresight"), (ids.ARCHITECTURE, "arch"),
    (ids.UNITS, "units"), (ids.DROPOUT, "dropout"), (ids.RECURRENT_DROPOUT, "recurrent_dropout"),
    (ids.FILTERS, "filters"), (ids.KERNEL_SIZE, "kernel_size"), (ids.EPOCHS, "epochs"),
    (ids.BATCH_SIZE, "batch_size"), (ids.LEARNING_RATE, "learning_rate"), (ids.SEED, "seed"),
    (ids.PATIENCE, "patience"),
)
FORM_STATES = [State(cid, "value") for cid, _ in FORM_FIELDS] + [State(ids.EARLY_STOPPING, "value")]
FORM_INPUTS = [Input(cid, "value") for cid, _ in FORM_FIELDS] + [Input(ids.EARLY_STOPPING, "value")]


def _number(cid: str, value: Any, step: Any, minimum: Any = None, maximum: Any = None) -> dcc.Input:
    return dcc.Input(id=cid, type="number", value=value, step=step, min=minimum, max=maximum, debounce=True)


def layout(**_query: Any) -> html.Div:
    d = DEFAULTS
    arch_options = [{"label": a.label, "value": a.kind} for a in REGISTRY.values()]
    return html.Div([
        html.H1("Train a network"),
        html.Div([
            html.Fieldset([
                html.Legend("Data"),
                field("Dataset", dcc.Dropdown(id=ids.DATASET, options=dataset_options(), value=DEFAULT_DATASET,
                                              clearable=False)),
                field("Ticker", dcc.Dropdown(id=ids.TICKER, value=d.ticker, clearable=False, searchable=True,
                                             placeholder="type a ticker")),
                field("Price column", dcc.Dropdown(id=ids.PRICE_COLUMN, options=list(PRICE_COLUMNS),
                                                   value=d.column, clearable=False)),
                field("Training share", _number(ids.TRAIN_RATIO, d.train_ratio, "any", 0.05, 0.95)),
                field("Validation share", _number(ids.VAL_RATIO, d.val_ratio, "any", 0.05, 0.95)),
                field("look_back", _number(ids.LOOK_BACK, d.look_back, 1, 1, 250), "values in each input window"),
                field("foresight", _number(ids.FORESIGHT, d.foresight, 1, 0, 250),
                      "steps between the window's end and the target"),
            ], className="controls"),
            html.Fieldset([
                html.Legend("Network"),
                field("Architecture", dcc.Dropdown(id=ids.ARCHITECTURE, options=arch_options, value=d.arch,
                                                   clearable=False)),
                field("Units (LSTM/GRU)", _number(ids.UNITS, d.units, 1, 1, 256)),
                field("Dropout", _number(ids.DROPOUT, d.dropout, "any", 0, 0.9)),
                field("Recurrent dropout", _number(ids.RECURRENT_DROPOUT, d.recurrent_dropout, "any", 0, 0.9)),
                field("Filters (Conv1D)", _number(ids.FILTERS, d.filters, 1, 1, 256)),
                field("Kernel size (Conv1D)", _number(ids.KERNEL_SIZE, d.kernel_size, 1, 1, 64)),
            ], className="controls"),
            html.Fieldset([
                html.Legend("Training"),
                field("Epochs", _number(ids.EPOCHS, d.epochs, 1, 1, 500)),
                field("Batch size", _number(ids.BATCH_SIZE, d.batch_size, 1, 1, 1024)),
                field("Learning rate", _number(ids.LEARNING_RATE, d.learning_rate, "any", 0.000001, 1)),
                field("Seed", _number(ids.SEED, d.seed, 1, 0)),
                dcc.Checklist(id=ids.EARLY_STOPPING, options=[{"label": " early stopping", "value": "on"}],
                              value=[], className="checklist"),
                field("Patience (epochs)", _number(ids.PATIENCE, 5, 1, 0, 500)),
            ], className="controls"),
        ], className="control-columns"),
        html.Div(id=ids.CONFIG_CHECK, className="config-check"),
        html.Div([
            html.Button("Train", id=ids.TRAIN_BUTTON, className="button button-primary", n_clicks=0),
            html.Button("Cancel", id=ids.CANCEL_BUTTON, className="button", n_clicks=0, disabled=True),
            html.Span(id=ids.RUN_STATUS, className="run-status"),
        ], className="actions"),
        html.Div(id=ids.START_MESSAGE),
        html.Div(id=ids.PROGRESS),
        dcc.Store(id=ids.RUN_REQUEST),
        dcc.Store(id=ids.RUN_DONE),
        dcc.Store(id=ids.CANCEL_DONE),
        dcc.Store(id=ids.PROGRESS_STORE),
        dcc.Interval(id=ids.RUN_POLL, interval=POLL_INTERVAL_MS, disabled=True),
        html.Div([
            dcc.Graph(id=ids.LOSS_GRAPH, figure=empty_figure("The loss curve appears here while training"),
                      className="graph"),
            dcc.Graph(id=ids.PREDICTION_GRAPH,
                      figure=empty_figure("Actual vs predicted prices appear here when training ends"),
                      className="graph"),
        ], className="graph-pair"),
        html.Div([html.Div(id=ids.METRICS), html.Div(id=ids.MODEL_SUMMARY)], className="card-row"),
    ])


def config_from_form(values: list[Any]) -> TrainConfig:
    """The form's values as a checked TrainConfig; raises ConfigError with the reason."""
    *fields_, early_stopping = values
    mapping = {name: value for (_, name), value in zip(FORM_FIELDS, fields_)}
    if not (isinstance(early_stopping, list) and "on" in early_stopping):
        mapping["patience"] = None
    return TrainConfig.from_mapping(mapping)


def check_form(values: list[Any]) -> tuple[TrainConfig, str]:
    """Validate the form against the engine and the data; returns the config and a one-line summary."""
    config = config_from_form(values)
    prepared = prepare(config)
    splits, windows = prepared.split_counts, prepared.sequence_counts
    text = (f"{prepared.ticker}: train {splits['train']}, validation {splits['val']}, test {splits['test']} points; "
            f"{windows['train']} / {windows['val']} / {windows['test']} windows of {config.look_back} values")
    if prepared.filled:
        text += f"; {prepared.filled} missing {config.column} values filled by interpolation"
    return config, text


@callback(Output(ids.TICKER, "options"), Output(ids.TICKER, "value"),
          Input(ids.DATASET, "value"), State(ids.TICKER, "value"))
def update_tickers(dataset: Any, ticker: Any):
    return ticker_choice(dataset, ticker)


@callback(Output(ids.CONFIG_CHECK, "children"), *FORM_INPUTS)
def show_config_check(*values: Any):
    try:
        _, text = check_form(list(values))
    except (ConfigError, DataError) as exc:
        return message(str(exc))
    return message(text, "info")


@callback(Output(ids.RUN_REQUEST, "data"), Output(ids.CURRENT_RUN, "data"), Output(ids.START_MESSAGE, "children"),
          Input(ids.TRAIN_BUTTON, "n_clicks"), *FORM_STATES, prevent_initial_call=True)
def start_run(n_clicks: Any, *values: Any):
    """Validate everything first; only a good configuration becomes a queued run."""
    if not n_clicks:
        return no_update, no_update, no_update
    try:
        config, _ = check_form(list(values))
    except (ConfigError, DataError) as exc:
        return no_update, no_update, message(f"Not started: {exc}")
    run = run_store().create(config)
    return run.id, run.id, None


@callback(Output(ids.RUN_DONE, "data"), Input(ids.RUN_REQUEST, "data"),
          progress=Output(ids.PROGRESS_STORE, "data"),
          running=[(Output(ids.TRAIN_BUTTON, "disabled"), True, False),
                   (Output(ids.CANCEL_BUTTON, "disabled"), False, True)],
          cancel=[Input(ids.CANCEL_BUTTON, "n_clicks")],
          background=True, interval=PROGRESS_INTERVAL_MS, prevent_initial_call=True)
def train_job(set_progress, run_id: Any):
    """Runs in a job process: trains the queued run and streams its whole history so far."""
    store = run_store()
    try:
        store.get(run_id)
    except RunNotFound:
        return None

    def on_progress(report) -> None:
        set_progress({"run_id": run_id, "epoch": report.epoch, "epochs": report.epochs,
                      "elapsed": report.elapsed, "history": report.history})

    execute_run(store, run_id, on_progress=on_progress)
    return run_id


@callback(Output(ids.CANCEL_DONE, "data"), Input(ids.CANCEL_BUTTON, "n_clicks"), State(ids.CURRENT_RUN, "data"),
          prevent_initial_call=True)
def cancel_run(n_clicks: Any, run_id: Any):
    """Mark the run cancelled; the job stops after its epoch (or is killed by Dash's cancel)."""
    if not n_clicks:
        return no_update
    try:
        run_store().request_cancel(run_id)
    except RunNotFound:
        return no_update
    return {"run_id": run_id, "n": n_clicks}


@callback(Output(ids.RUN_STATUS, "children"), Output(ids.PROGRESS, "children"), Output(ids.LOSS_GRAPH, "figure"),
          Output(ids.PREDICTION_GRAPH, "figure"), Output(ids.METRICS, "children"),
          Output(ids.MODEL_SUMMARY, "children"), Output(ids.RUN_POLL, "disabled"),
          Input(ids.CURRENT_RUN, "data"), Input(ids.PROGRESS_STORE, "data"), Input(ids.RUN_DONE, "data"),
          Input(ids.CANCEL_DONE, "data"), Input(ids.RUN_POLL, "n_intervals"))
def show_run(run_id: Any, live: Any, _done: Any, _cancelled: Any, _tick: Any):
    """Draw the current run from the store, using the live progress when it is ahead of the store."""
    if not run_id:
        return (None, None, no_update, no_update, None, None, True)
    store = run_store()
    store.fail_dead_workers()
    try:
        run = store.get(run_id)
    except RunNotFound:
        return (None, None, no_update, no_update, None, None, True)
    history, elapsed = run.history, run.elapsed or 0.0
    if (isinstance(live, dict) and live.get("run_id") == run.id and run.active
            and len(live.get("history", {}).get("loss", [])) > run.epochs_done):
        history, elapsed = live["history"], float(live.get("elapsed", 0.0))
    config = run.config
    done = len(history.get("loss", []))
    label = REGISTRY[config.arch].label
    title = f"{config.ticker} {label}: " + (f"normalized MAE validation = {history['val_loss'][-1]:.3f}"
                                            if done else "loss per epoch")
    status = _status_text(run.status, run.reason, run.id)
    progress = progress_bar(done, config.epochs, elapsed, run.status) if run.active else None
    loss = loss_figure(history, config.epochs, title)
    result = run.result
    if result.get("predictions"):
        predictions = prediction_figure(result["predictions"], config.ticker, config.column, label)
        card = metrics_card(result["metrics"], label)
        summary = model_summary_table(result.get("summary", []), result.get("params", 0))
    else:
        predictions = empty_figure("Actual vs predicted prices appear here when training ends")
        card = summary = None
    return status, progress, loss, predictions, card, summary, not run.active


def _status_text(status: str, reason: str | None, run_id: str) -> list:
    text = {"queued": "queued", "running": "running", "finished": "finished", "cancelled": "cancelled",
            "failed": f"failed: {reason}", "interrupted": f"interrupted: {reason}"}.get(status, status)
    return [html.Span(f"Run {run_id}: ", className="run-id"),
            html.Span(text, className=f"status status-{status}"),
            " ", dcc.Link("open in Compare", href="/compare", className="link")]
