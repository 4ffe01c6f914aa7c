"""The teaching aids on /train, each with its layout and its callbacks: the lecture preset, the
windowing visualizer, and groups of runs (all three networks, or seed repeats).

They sit beside the core loop (pages/train.py) and read the same form (components/forms.py).
"""
from __future__ import annotations

from typing import Any

import dash
import numpy as np
from dash import Input, Output, State, callback, dcc, html, no_update

from components import ids
from components.cards import message
from components.figures import (BAND_KINDS, compare_prediction_figure, empty_figure, forecast_band_figure,
                                mae_bar_figure, seed_spread_figure, window_figure)
from components.forms import FORM_FIELDS, FORM_INPUTS, FORM_STATES, check_form, prepared_form
from components.session import browser_session
from modeling.architectures import REGISTRY
from modeling.config import ConfigError, TrainConfig
from modeling.data import LECTURE_DATASET, DataError
from modeling.series import SPLIT_LABELS
from service import runs
from service.store import RunNotFound

MAX_SEED_REPEATS = 10
GROUP_POLL_MS = 500


def lecture_preset_button() -> html.Button:
    return html.Button("Lecture preset", id=ids.LECTURE_PRESET, className="button", n_clicks=0,
                       title="2012-2017 edition, AAL, High, 70/15/15, look_back 7, foresight 6, LSTM(32)")


def window_section() -> html.Div:
    """Slider over the sample index; the graph marks one window and its target, the text shows X and y."""
    return html.Details([
        html.Summary(html.H2("How windows are cut"), id=ids.WINDOW_SUMMARY),
        html.P("Each training example is look_back consecutive values (X) and the value foresight steps "
               "after them (y), from the normalized series of one split.", className="lead"),
        html.Div([
            dcc.RadioItems(id=ids.WINDOW_SPLIT, options=[{"label": " training", "value": "train"},
                                                          {"label": " validation", "value": "val"},
                                                          {"label": " test", "value": "test"}],
                           value="val", inline=True, className="radio"),
        ], className="actions"),
        dcc.Slider(id=ids.WINDOW_INDEX, min=0, max=1, step=1, value=0, marks=None,
                   tooltip={"placement": "bottom", "always_visible": True}, updatemode="drag"),
        html.Div(id=ids.WINDOW_TEXT, className="window-text"),
        dcc.Graph(id=ids.WINDOW_GRAPH, figure=empty_figure("Pick settings to see a window"), className="graph"),
    ], id=ids.WINDOW_SECTION, className="section")


def group_section() -> html.Div:
    """ "Train all three" and seed repeats: the buttons, then overlays, MAE bars, mean and spread.

    Collapsed until opened, so that the core loop (form, Train, live curve, test chart) fits one screen."""
    return html.Details([
        html.Summary(html.H2("Compare the three networks, or one network over seeds"), id=ids.GROUP_SUMMARY),
        html.Div([
            html.Button("Train all three", id=ids.TRAIN_ALL_BUTTON, className="button", n_clicks=0,
                        title="LSTM, GRU and Conv1D on these settings, trained side by side"),
            html.Label("Seed repeats:", htmlFor=ids.SEED_REPEATS, className="field-label inline"),
            dcc.Input(id=ids.SEED_REPEATS, type="number", value=3, min=2, max=MAX_SEED_REPEATS, step=1,
                      className="small-input"),
            html.Button("Train with k seeds", id=ids.SEED_REPEAT_BUTTON, className="button", n_clicks=0,
                        title="the same settings with seeds seed, seed+1, ...: what is noise, what is real"),
            html.Span("Seed band:", className="field-label inline"),
            dcc.RadioItems(id=ids.BAND_KIND, options=[{"label": " min-max", "value": "minmax"},
                                                      {"label": " mean ± 2 std", "value": "2std"}],
                           value="minmax", inline=True, className="radio"),
        ], className="actions"),
        dcc.Store(id=ids.CURRENT_GROUP, storage_type="session"),
        dcc.Interval(id=ids.GROUP_POLL, interval=GROUP_POLL_MS, disabled=True),
        html.Div(id=ids.GROUP_MESSAGE),
        html.Div(id=ids.GROUP_STATUS, className="group-status"),
        html.Div([
            dcc.Graph(id=ids.GROUP_PREDICTION_GRAPH, figure=empty_figure("Train all three to overlay them here"),
                      className="graph"),
            dcc.Graph(id=ids.GROUP_MAE_GRAPH, figure=empty_figure("Test MAE per network appears here"),
                      className="graph"),
        ], className="graph-pair"),
        html.Div([
            dcc.Graph(id=ids.SEED_LOSS_GRAPH, figure=empty_figure("Seed repeats show mean and spread here"),
                      className="graph"),
            html.Div(id=ids.SEED_SUMMARY, className="card"),
        ], className="graph-pair"),
    ], id=ids.GROUP_SECTION, className="section")


# The lecture's set-up: the config's defaults on the lecture's edition (one source for them).
LECTURE_CONFIG = TrainConfig(dataset=LECTURE_DATASET)
LECTURE_SETTINGS = {cid: getattr(LECTURE_CONFIG, name) for cid, name in FORM_FIELDS
                    if name in ("dataset", "ticker", "column", "train_ratio", "val_ratio", "look_back", "foresight",
                                "arch", "units", "dropout", "recurrent_dropout", "batch_size", "learning_rate")}


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
        config, prepared = prepared_form(list(form))
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


@callback(Output(ids.CURRENT_GROUP, "data"), Output(ids.GROUP_MESSAGE, "children"),
          Input(ids.TRAIN_ALL_BUTTON, "n_clicks"), Input(ids.SEED_REPEAT_BUTTON, "n_clicks"),
          State(ids.SEED_REPEATS, "value"), *FORM_STATES, prevent_initial_call=True)
def start_group(_all: Any, _seeds: Any, repeats: Any, *values: Any):
    """Submit LSTM, GRU and Conv1D on these settings, or the same network with k seeds, as a group."""
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
        return no_update, message(f"Not started: {exc}")
    session = browser_session()
    if runs.active_count(session):
        return no_update, message("Not started: this browser has active runs; wait for them to end "
                                  "or cancel them first.")
    try:
        group = runs.submit_group(configs, session)
    except runs.ServiceUnavailable as exc:
        return no_update, message(f"Not started: {exc}")
    return group[0].group_id, None


@callback(Output(ids.GROUP_STATUS, "children"), Output(ids.GROUP_PREDICTION_GRAPH, "figure"),
          Output(ids.GROUP_MAE_GRAPH, "figure"), Output(ids.SEED_LOSS_GRAPH, "figure"),
          Output(ids.SEED_SUMMARY, "children"), Output(ids.GROUP_POLL, "disabled"),
          Output(ids.TRAIN_ALL_BUTTON, "disabled"), Output(ids.SEED_REPEAT_BUTTON, "disabled"),
          Input(ids.CURRENT_GROUP, "data"), Input(ids.GROUP_POLL, "n_intervals"), Input(ids.BAND_KIND, "value"))
def show_group(group_id: Any, _tick: Any, band: Any = "minmax"):
    """The group from the run service, polled until every run has ended (the group buttons wait).
    Seed repeats show their mean test prediction with a band (min-max or ± 2 std) over the seeds."""
    nothing = (None, no_update, no_update, no_update, None, True, False, False)
    if not group_id:
        return nothing
    try:
        group = runs.group(group_id)
    except RunNotFound:
        return nothing
    if not group:
        return nothing
    active = any(r.active for r in group)
    seeds = len({r.config.seed for r in group}) == len(group) and len({r.config.arch for r in group}) == 1
    done = [r for r in group if r.status == "finished"]
    lines = [f"{r.config.arch} seed {r.config.seed}: {r.status}" + (f" (epoch {r.epochs_done}/{r.config.epochs})"
                                                                     if r.active else "") for r in group]
    status = html.Div([html.H3("Seed repeats" if seeds else "All three networks"),
                       html.Ul([html.Li(line) for line in lines])])
    plain = [_plain_run(r) for r in done]
    predictions = compare_prediction_figure(plain) if plain else no_update
    bars = mae_bar_figure(plain) if plain else no_update
    if not seeds:
        return status, predictions, bars, no_update, None, not active, active, active
    if done:
        predictions = seed_band_figure(done, band if band in BAND_KINDS else "minmax")
    spread = seed_spread_figure([r.history for r in group if r.history.get("loss")],
                                f"{group[0].config.arch}: mean and spread over {len(group)} seeds")
    return status, predictions, bars, spread, seed_summary(done), not active, active, active


def seed_band_figure(finished: list, band: str):
    """The finished seed repeats' mean test prediction with its band, over the actual and naive lines."""
    first = finished[0]
    p, c = first.result["predictions"], first.config
    same = [r for r in finished if r.result["predictions"]["date"] == p["date"]]
    return forecast_band_figure(p["date"], p["actual"], [r.result["predictions"]["predicted"] for r in same],
                                p["naive"], band, f"{c.ticker} {c.column}: test predictions over {len(same)} seeds",
                                REGISTRY[c.arch].label)


def _plain_run(run) -> dict[str, Any]:
    return {"id": run.id, "config": run.config.to_dict(), "history": run.history, "result": run.result}


def seed_summary(finished: list) -> html.Div | None:
    """Mean ± standard deviation of test MAE over the finished seed repeats, next to the naive MAE."""
    if not finished:
        return None
    maes = np.array([r.metrics["test_mae"] for r in finished])
    naive = finished[0].metrics["naive_test_mae"]
    spread = maes.std(ddof=1) if len(maes) > 1 else 0.0
    return html.Div([
        html.H3("Test MAE over seeds"),
        html.P(f"mean ${maes.mean():.3f} ± ${spread:.3f} (standard deviation over {len(maes)} seeds); "
               f"range ${maes.min():.3f} to ${maes.max():.3f}; naive forecast ${naive:.3f}"),
        html.P("A difference between two settings smaller than this spread is noise, not a real difference.",
               className="lead"),
    ])
