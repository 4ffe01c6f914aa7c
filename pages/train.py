"""Train: set up a run, train it in the background, watch the loss grow, read the results."""
from __future__ import annotations

import json
from typing import Any

import dash
import numpy as np
from dash import Input, Output, State, callback, dcc, html, no_update

from components import ids
from components.cards import field, message, metrics_card, model_summary_table, progress_bar
from components.figures import (compare_prediction_figure, empty_figure, loss_figure, mae_bar_figure,
                                prediction_figure, seed_spread_figure, window_figure)
from components.forms import dataset_options, ticker_choice
from components.session import browser_session
from modeling.architectures import REGISTRY
from modeling.config import LIMITS, ConfigError, TrainConfig
from modeling.data import PRICE_COLUMNS, DataError
from modeling.jobs import run_job
from modeling.pipeline import prepare
from modeling.series import SPLIT_LABELS
from modeling.runs import Run, RunNotFound
from modeling.settings import job_service_problem, run_store, trains_in_job_process
from components.teaching import MAX_SEED_REPEATS, group_section, window_section

dash.register_page(__name__, path="/train", name="Train", title="Train - RNN Stock Lab", order=1)

DEFAULTS = TrainConfig()
MAX_ACTIVE_PER_SESSION = 2
PROGRESS_INTERVAL_MS = 100
POLL_INTERVAL_MS = 250
# The core loop's two charts: short enough that form, Train, live curve and test chart fit one screen.
CORE_GRAPH_HEIGHT = "330px"

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
# Choices that must be made (a cleared dropdown is refused by name, not replaced by a default).
CHOICE_FIELDS = {"dataset": "a dataset", "ticker": "a ticker", "column": "a price column", "arch": "a network"}
FORM_STATES = [State(cid, "value") for cid, _ in FORM_FIELDS] + [State(ids.EARLY_STOPPING, "value")]
FORM_INPUTS = [Input(cid, "value") for cid, _ in FORM_FIELDS] + [Input(ids.EARLY_STOPPING, "value")]


def _number(cid: str, value: Any, step: Any, minimum: Any = None, maximum: Any = None) -> dcc.Input:
    return dcc.Input(id=cid, type="number", value=value, step=step, min=minimum, max=maximum, debounce=True)


def config_from_query(query: dict[str, Any]) -> tuple[TrainConfig, str | None]:
    """Settings from a shared link; a bad link falls back to the defaults and says why."""
    settings = {k: v for k, v in query.items() if k in {name for _, name in FORM_FIELDS}}
    if not settings:
        return DEFAULTS, None
    try:
        return TrainConfig.from_mapping(settings), None
    except ConfigError as exc:
        return DEFAULTS, f"The link's settings were not used: {exc}"


def layout(**query: Any) -> html.Div:
    d, link_problem = config_from_query(query)
    url_run = None
    if "run" in query:
        try:
            run = run_store().get(query["run"])
            d, url_run = run.config, run.id
        except RunNotFound:
            link_problem = f"No run {str(query['run'])[:20]!r} here: it was deleted, or the link is from another server."
    arch_options = [{"label": a.label, "value": a.kind} for a in REGISTRY.values()]
    # The options come with the page: a dropdown whose value is not among its options drops it.
    tickers, ticker = ticker_choice(d.dataset, d.ticker)
    return html.Div([
        html.Div([
            html.H1("Train a network"),
            html.Button("Lecture preset", id=ids.LECTURE_PRESET, className="button", n_clicks=0,
                        title="2012-2017 edition, AAL, High, 70/15/15, look_back 7, foresight 6, LSTM(32)"),
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
                field("Training share", _number(ids.TRAIN_RATIO, d.train_ratio, "any", 0.05, 0.95), span=2),
                field("Validation share", _number(ids.VAL_RATIO, d.val_ratio, "any", 0.05, 0.95), span=2),
            ], className="controls field-grid"),
            html.Fieldset([
                html.Legend("Network"),
                field("look_back", _number(ids.LOOK_BACK, d.look_back, 1, 1, 250), tip="values in each input window"),
                field("foresight", _number(ids.FORESIGHT, d.foresight, 1, 0, 250),
                      tip="steps between the window's end and the target"),
                field("Architecture", dcc.Dropdown(id=ids.ARCHITECTURE, options=arch_options, value=d.arch,
                                                   clearable=False)),
                field("Units (LSTM/GRU)", _number(ids.UNITS, d.units, 1, 1, 256)),
                field("Dropout", _number(ids.DROPOUT, d.dropout, "any", 0, 0.9)),
                field("Recurrent dropout", _number(ids.RECURRENT_DROPOUT, d.recurrent_dropout, "any", 0, 0.9)),
                field("Filters (Conv1D)", _number(ids.FILTERS, d.filters, 1, 1, 256)),
                field("Kernel size (Conv1D)", _number(ids.KERNEL_SIZE, d.kernel_size, 1, 1, 64)),
            ], className="controls field-grid"),
            html.Fieldset([
                html.Legend("Training"),
                field("Epochs", _number(ids.EPOCHS, d.epochs, 1, 1, 500), span=3),
                field("Batch size", _number(ids.BATCH_SIZE, d.batch_size, 1, 1, 1024), span=3),
                field("Learning rate", _number(ids.LEARNING_RATE, d.learning_rate, "any", 0.000001, 1), span=3),
                field("Seed", _number(ids.SEED, d.seed, 1, 0), span=3),
                html.Div(dcc.Checklist(id=ids.EARLY_STOPPING, options=[{"label": " early stopping", "value": "on"}],
                                       value=["on"] if d.patience is not None else [], className="checklist"),
                         className="field span-3 checklist-field"),
                field("Patience (epochs)", _number(ids.PATIENCE, d.patience if d.patience is not None else 5,
                                                   1, 0, 500), span=3),
            ], className="controls field-grid"),
        ], className="control-columns"),
        html.Div([
            html.Button("Train", id=ids.TRAIN_BUTTON, className="button button-primary", n_clicks=0),
            html.Button("Cancel", id=ids.CANCEL_BUTTON, className="button", n_clicks=0, disabled=True),
            html.Div(id=ids.CONFIG_CHECK, className="config-check", **{"aria-live": "polite"}),
        ], className="actions"),
        html.Div(id=ids.START_MESSAGE),
        html.Div([html.Span(id=ids.RUN_STATUS, className="run-status"), html.Div(id=ids.PROGRESS)],
                 className="run-line"),
        dcc.Store(id=ids.RUN_REQUEST),
        dcc.Store(id=ids.RUN_DONE),
        dcc.Store(id=ids.CANCEL_DONE),
        dcc.Store(id=ids.PROGRESS_STORE),
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
        window_section(),
    ])


def config_from_form(values: list[Any]) -> TrainConfig:
    """The form's values as a checked TrainConfig; raises ConfigError with the reason."""
    *fields_, early_stopping = values
    mapping = {name: value for (_, name), value in zip(FORM_FIELDS, fields_)}
    early = isinstance(early_stopping, list) and "on" in early_stopping
    if not early:
        mapping["patience"] = None
    for name, value in mapping.items():
        # A dropdown the user cleared reaches the server as None: refuse it, never train a default.
        if name in CHOICE_FIELDS and (value is None or value == ""):
            raise ConfigError(f"choose {CHOICE_FIELDS[name]}")
        # A number field that is empty or outside its min/max reaches the server as None: say so,
        # rather than quietly training with the default.
        if value is None and name in LIMITS and (name != "patience" or early):
            low, high = LIMITS[name]
            raise ConfigError(f"{name} is empty or not a number between {low:g} and {high:g}")
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
    if problem := job_service_problem():
        return no_update, no_update, message(f"Not started: {problem}")
    store, session = run_store(), browser_session()
    if store.active_count(session) >= MAX_ACTIVE_PER_SESSION:
        return no_update, no_update, message(
            f"Not started: this browser already has {MAX_ACTIVE_PER_SESSION} active runs, the most it may have. "
            "Wait for one to end or cancel it.")
    run = store.create(config, session=session)
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

    run_job(store, run_id, set_progress, in_process=trains_in_job_process())
    return run_id


@callback(Output(ids.CANCEL_DONE, "data"), Input(ids.CANCEL_BUTTON, "n_clicks"), State(ids.CURRENT_RUN, "data"),
          prevent_initial_call=True)
def cancel_run(n_clicks: Any, run_id: Any):
    """Mark the run cancelled; the job stops after its epoch (or is killed by Dash's cancel)."""
    if not n_clicks:
        return no_update
    store = run_store()
    try:
        run = store.get(run_id)
    except RunNotFound:
        return no_update
    if run.session not in (None, browser_session()):
        return no_update  # another browser's run: not this page's to cancel
    store.request_cancel(run.id)
    return {"run_id": run.id, "n": n_clicks}


def _live_view(run: Run, live: Any, position: int) -> tuple:
    """Status line, progress bar and loss curve of a run; the live payload wins when it is ahead."""
    history, elapsed = run.history, run.elapsed or 0.0
    if (isinstance(live, dict) and live.get("run_id") == run.id and run.active
            and len(live.get("history", {}).get("loss", [])) > run.epochs_done):
        history, elapsed = live["history"], float(live.get("elapsed", 0.0))
    config = run.config
    done = len(history.get("loss", []))
    title = f"{config.ticker} {REGISTRY[config.arch].label}: " + (
        f"normalized MAE validation = {history['val_loss'][-1]:.3f}" if done else "loss per epoch")
    progress = progress_bar(done, config.epochs, elapsed, run.status, position) if run.active else None
    return _status_text(run.status, run.reason, run.id), progress, loss_figure(history, config.epochs, title)


def _load_run(run_id: Any) -> Run | None:
    store = run_store()
    store.fail_dead_workers()
    try:
        return store.get(run_id)
    except RunNotFound:
        return None


@callback(Output(ids.RUN_STATUS, "children", allow_duplicate=True), Output(ids.PROGRESS, "children", allow_duplicate=True),
          Output(ids.LOSS_GRAPH, "figure", allow_duplicate=True), Input(ids.PROGRESS_STORE, "data"),
          prevent_initial_call=True)
def show_progress(live: Any):
    """While the job runs: the curve grows with every progress payload (whole history each time)."""
    run = _load_run(live.get("run_id")) if isinstance(live, dict) else None
    if run is None:
        return no_update, no_update, no_update
    position = int(live.get("position") or 0) if run.status == "queued" else 0
    return _live_view(run, live, position)


@callback(Output(ids.RUN_STATUS, "children"), Output(ids.PROGRESS, "children"), Output(ids.LOSS_GRAPH, "figure"),
          Output(ids.PREDICTION_GRAPH, "figure"), Output(ids.METRICS, "children"),
          Output(ids.MODEL_SUMMARY, "children"), Output(ids.RUN_POLL, "disabled"),
          Output(ids.TRAIN_BUTTON, "disabled", allow_duplicate=True),
          Output(ids.CANCEL_BUTTON, "disabled", allow_duplicate=True),
          Input(ids.CURRENT_RUN, "data"), Input(ids.CANCEL_DONE, "data"), Input(ids.RUN_POLL, "n_intervals"),
          State(ids.RUN_REQUEST, "data"), prevent_initial_call="initial_duplicate")
def show_run(run_id: Any, _cancelled: Any, _tick: Any, followed: Any):
    """The whole run from the store: on page load, and polled while it is active until it ends.

    It takes no input from the background job: Dash holds a callback whose inputs a running job
    will write, and this one must speak even when the job cannot (its job service gone). While
    this page's own job reports the run live, a poll costs one read and changes nothing.
    The buttons follow the run too: back on the page, an active run can be cancelled."""
    if not run_id:
        return (None, None, no_update, no_update, None, None, True, False, True)
    run = _load_run(run_id)
    if run is None:
        return (None, None, no_update, no_update, None, None, True, False, True)
    if run.active and followed == run.id and dash.ctx.triggered_id == ids.RUN_POLL:
        return (no_update,) * 9
    position = run_store().queue_position(run.id) if run.status == "queued" else 0
    status, progress, loss = _live_view(run, None, position)
    config, result = run.config, run.result
    label = REGISTRY[config.arch].label
    if result.get("predictions"):
        predictions = prediction_figure(result["predictions"], config.ticker, config.column, label)
        card = metrics_card(result["metrics"], label)
        summary = model_summary_table(result.get("summary", []), result.get("params", 0))
    else:
        predictions = empty_figure("Actual vs predicted prices appear here when training ends")
        card = summary = None
    return status, progress, loss, predictions, card, summary, not run.active, run.active, not run.active


def _status_text(status: str, reason: str | None, run_id: str) -> list:
    text = {"queued": "queued", "running": "running", "finished": "finished", "cancelled": "cancelled",
            "failed": f"failed: {reason}", "interrupted": f"interrupted: {reason}"}.get(status, status)
    return [html.Span(f"Run {run_id}: ", className="run-id"),
            html.Span(text, className=f"status status-{status}"),
            " ", dcc.Link("link to this run", href=f"/train?run={run_id}", id=ids.SHARE_LINK, className="link"),
            " ", dcc.Link("open in Compare", href="/compare", className="link")]


# ---- teaching aids: lecture preset, windowing visualizer, groups of runs, shareable links ----

LECTURE_SETTINGS = {
    ids.DATASET: "sp500-2012-2017", ids.TICKER: "AAL", ids.PRICE_COLUMN: "high", ids.TRAIN_RATIO: 0.7,
    ids.VAL_RATIO: 0.15, ids.LOOK_BACK: 7, ids.FORESIGHT: 6, ids.ARCHITECTURE: "lstm", ids.UNITS: 32,
    ids.DROPOUT: 0.1, ids.RECURRENT_DROPOUT: 0.1, ids.BATCH_SIZE: 32, ids.LEARNING_RATE: 0.001,
}


@callback([Output(cid, "value", allow_duplicate=True) for cid in LECTURE_SETTINGS],
          Input(ids.LECTURE_PRESET, "n_clicks"), prevent_initial_call=True)
def lecture_preset(n_clicks: Any):
    """One click to the lecture's set-up: the 2012-2017 edition, AAL High, 70/15/15, 7/6, LSTM(32)."""
    if not n_clicks:
        return [no_update] * len(LECTURE_SETTINGS)
    return list(LECTURE_SETTINGS.values())


@callback(Output(ids.WINDOW_GRAPH, "figure"), Output(ids.WINDOW_TEXT, "children"), Output(ids.WINDOW_INDEX, "max"),
          *FORM_INPUTS, Input(ids.WINDOW_SPLIT, "value"), Input(ids.WINDOW_INDEX, "value"))
def show_window(*values: Any):
    """The window at the slider's index on the chosen split, with its normalized X row and y value."""
    *form, split, index = values
    try:
        config, _ = check_form(list(form))
        prepared = prepare(config)
    except (ConfigError, DataError) as exc:
        return empty_figure(str(exc)), None, 0
    split = split if split in ("train", "val", "test") else "val"
    count = prepared.sequence_counts[split]
    index = min(max(int(index), 0), count - 1) if isinstance(index, (int, float)) else 0
    # Shown in float64, as the lecture prints them (the training arrays are float32).
    norm = prepared.scaler.transform(prepared.raw[split].reshape(-1, 1)).reshape(-1)
    x_row = norm[index:index + config.look_back]
    target = norm[index + config.look_back + config.foresight]
    fig = window_figure(prepared.dates[split], prepared.raw[split], index, config.look_back, config.foresight,
                        SPLIT_LABELS[split], prepared.ticker)
    counts = prepared.sequence_counts
    text = [
        html.Div(["X[", str(index), "] (normalized) = ",
                  html.Code("[" + " ".join(f"{v:.8f}" for v in x_row) + "]")]),
        html.Div(["y[", str(index), "] = ", html.Code(f"{target:.8f}"),
                  f"  (the value {config.foresight} steps after the window)"]),
        html.Div(f"windows: training {counts['train']}, validation {counts['val']}, test {counts['test']} "
                 f"(n - look_back - foresight per split)"),
    ]
    return fig, text, count - 1


@callback(Output(ids.GROUP_REQUEST, "data"), Output(ids.CURRENT_GROUP, "data"), Output(ids.GROUP_MESSAGE, "children"),
          Input(ids.TRAIN_ALL_BUTTON, "n_clicks"), Input(ids.SEED_REPEAT_BUTTON, "n_clicks"),
          State(ids.SEED_REPEATS, "value"), *FORM_STATES, prevent_initial_call=True)
def start_group(_all: Any, _seeds: Any, repeats: Any, *values: Any):
    """Queue LSTM, GRU and Conv1D on these settings, or the same network with k seeds."""
    try:
        config, _ = check_form(list(values))
        if dash.ctx.triggered_id == ids.SEED_REPEAT_BUTTON:
            k = TrainConfig.from_mapping({"seed": repeats}).seed if not isinstance(repeats, bool) else None
            if not isinstance(repeats, (int, float)) or not 2 <= int(repeats) <= MAX_SEED_REPEATS or k != repeats:
                raise ConfigError(f"seed repeats must be a whole number from 2 to {MAX_SEED_REPEATS}; got {repeats!r}")
            configs = [config.replace(seed=config.seed + i) for i in range(int(repeats))]
        else:
            configs = [config.replace(arch=kind) for kind in REGISTRY]
    except (ConfigError, DataError) as exc:
        return no_update, no_update, message(f"Not started: {exc}")
    if problem := job_service_problem():
        return no_update, no_update, message(f"Not started: {problem}")
    store, session = run_store(), browser_session()
    if store.active_count(session):
        return no_update, no_update, message("Not started: this browser has active runs; wait for them to end "
                                             "or cancel them first.")
    runs = store.create_group(configs, session=session)
    return runs[0].group_id, runs[0].group_id, None


@callback(Output(ids.GROUP_DONE, "data"), Input(ids.GROUP_REQUEST, "data"),
          progress=Output(ids.GROUP_PROGRESS, "data"),
          running=[(Output(ids.TRAIN_ALL_BUTTON, "disabled"), True, False),
                   (Output(ids.SEED_REPEAT_BUTTON, "disabled"), True, False)],
          background=True, interval=PROGRESS_INTERVAL_MS, prevent_initial_call=True)
def train_group_job(set_progress, group_id: Any):
    """Runs in a job process: the group's queued runs one after the other."""
    store = run_store()
    try:
        runs = store.group(group_id)
    except RunNotFound:
        return None
    for index, run in enumerate(runs):
        def on_update(payload: dict, index: int = index) -> None:
            set_progress({"group_id": group_id, "index": index, "count": len(runs), "run_id": payload["run_id"],
                          "status": payload["status"], "epoch": payload["epoch"], "epochs": payload["epochs"]})
        run_job(store, run.id, on_update, in_process=trains_in_job_process())
    return group_id


@callback(Output(ids.GROUP_STATUS, "children"), Output(ids.GROUP_PREDICTION_GRAPH, "figure"),
          Output(ids.GROUP_MAE_GRAPH, "figure"), Output(ids.SEED_LOSS_GRAPH, "figure"),
          Output(ids.SEED_SUMMARY, "children"), Output(ids.GROUP_POLL, "disabled"),
          Input(ids.CURRENT_GROUP, "data"), Input(ids.GROUP_PROGRESS, "data"), Input(ids.GROUP_POLL, "n_intervals"))
def show_group(group_id: Any, live: Any, _tick: Any):
    """The group from the store, with the live progress; polled until every run has ended."""
    if not group_id:
        return None, no_update, no_update, no_update, None, True
    store = run_store()
    store.fail_dead_workers()
    try:
        runs = store.group(group_id)
    except RunNotFound:
        return None, no_update, no_update, no_update, None, True
    if not runs:
        return None, no_update, no_update, no_update, None, True
    active = any(r.active for r in runs)
    seeds = len({r.config.seed for r in runs}) == len(runs) and len({r.config.arch for r in runs}) == 1
    done = [r for r in runs if r.status == "finished"]
    lines = [f"{r.config.arch} seed {r.config.seed}: {r.status}" + (f" (epoch {r.epochs_done}/{r.config.epochs})"
                                                                     if r.active else "") for r in runs]
    if isinstance(live, dict) and live.get("group_id") == group_id and active and live.get("status") == "running":
        lines.append(f"now training run {live['index'] + 1} of {live['count']}: epoch {live['epoch']} of "
                     f"{live['epochs']}")
    status = html.Div([html.H3("Seed repeats" if seeds else "All three networks"),
                       html.Ul([html.Li(line) for line in lines])])
    plain = [_plain_run(r) for r in done]
    predictions = compare_prediction_figure(plain) if plain else no_update
    bars = mae_bar_figure(plain) if plain else no_update
    if not seeds:
        return status, predictions, bars, no_update, None, not active
    spread = seed_spread_figure([r.history for r in runs if r.history.get("loss")],
                                f"{runs[0].config.arch}: mean and spread over {len(runs)} seeds")
    return status, predictions, bars, spread, seed_summary(done), not active


def _plain_run(run) -> dict[str, Any]:
    return {"id": run.id, "config": run.config.to_dict(), "history": run.history, "result": run.result}


def seed_summary(runs: list) -> html.Div | None:
    """Mean ± standard deviation of test MAE over the finished seed repeats, next to the naive MAE."""
    if not runs:
        return None
    maes = np.array([r.metrics["test_mae"] for r in runs])
    naive = runs[0].metrics["naive_test_mae"]
    spread = maes.std(ddof=1) if len(maes) > 1 else 0.0
    return html.Div([
        html.H3("Test MAE over seeds"),
        html.P(f"mean ${maes.mean():.3f} ± ${spread:.3f} (standard deviation over {len(maes)} seeds); "
               f"range ${maes.min():.3f} to ${maes.max():.3f}; naive forecast ${naive:.3f}"),
        html.P("A difference between two settings smaller than this spread is noise, not a real difference.",
               className="lead"),
    ])


@callback(Output(ids.CURRENT_RUN, "data", allow_duplicate=True), Input(ids.URL_RUN, "data"),
          prevent_initial_call="initial_duplicate")
def open_run_from_url(run_id: Any):
    """/train?run=<id> opens that run's results."""
    try:
        return run_store().get(run_id).id
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
