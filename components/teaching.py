"""Layout widgets of the teaching aids on /train: the windowing visualizer and the group view."""
from __future__ import annotations

from dash import dcc, html

from components import ids
from components.figures import empty_figure

MAX_SEED_REPEATS = 10


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
                        title="LSTM, GRU and Conv1D on these settings, one after the other"),
            html.Label("Seed repeats:", htmlFor=ids.SEED_REPEATS, className="field-label inline"),
            dcc.Input(id=ids.SEED_REPEATS, type="number", value=3, min=2, max=MAX_SEED_REPEATS, step=1,
                      className="small-input"),
            html.Button("Train with k seeds", id=ids.SEED_REPEAT_BUTTON, className="button", n_clicks=0,
                        title="the same settings with seeds seed, seed+1, ...: what is noise, what is real"),
        ], className="actions"),
        dcc.Store(id=ids.GROUP_REQUEST),
        dcc.Store(id=ids.GROUP_DONE),
        dcc.Store(id=ids.GROUP_PROGRESS),
        dcc.Store(id=ids.CURRENT_GROUP, storage_type="session"),
        dcc.Interval(id=ids.GROUP_POLL, interval=1000, disabled=True),
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
