"""Figure builders: plain data in, ``go.Figure`` out. No I/O, no globals; the one Dash name here is
``Patch``, for :func:`figure_patch` (a partial update of a figure already on screen).

Colours are fixed per role (actual, model, naive; train, validation, test) so that every chart
of the app reads the same way.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import Patch
import plotly.io as pio
from plotly.subplots import make_subplots

# The app's one look. Set once: passing template= to every figure deep-copies and re-validates
# the whole template each time (7-14 ms a figure, most of a chart's server time).
pio.templates.default = "plotly_white"

ACTUAL = "#1f2937"
MODEL = "#2563eb"
NAIVE = "#d97706"
TRAIN_LOSS = "#2563eb"
VAL_LOSS = "#dc2626"
SPLIT_COLOURS = {"train": "rgba(37, 99, 235, 0.07)", "val": "rgba(217, 119, 6, 0.10)",
                 "test": "rgba(22, 163, 74, 0.10)"}
# The data arrays of the traces these builders make (what a partial update replaces).
DATA_KEYS = ("x", "y", "open", "high", "low", "close")
SPLIT_NAMES = {"train": "train", "val": "validation", "test": "test"}
RUN_PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#0891b2", "#db2777", "#65a30d", "#ea580c")
RANGE_BUTTONS = [
    {"count": 1, "label": "1m", "step": "month", "stepmode": "backward"},
    {"count": 6, "label": "6m", "step": "month", "stepmode": "backward"},
    {"count": 1, "label": "YTD", "step": "year", "stepmode": "todate"},
    {"count": 1, "label": "1y", "step": "year", "stepmode": "backward"},
    {"step": "all", "label": "all"},
]
# The range buttons sit in their own band above the plot, under the title.
RANGE_SELECTOR = {"buttons": RANGE_BUTTONS, "x": 0, "xanchor": "left", "y": 1.0, "yanchor": "bottom"}


# The title sits in its own band at the top; the legend to the right of the plot area, from its top
# down, so that however many entries it has it never covers the title (nor the range buttons).
TITLE_BAND = 50
RANGE_BUTTON_BAND = 32


def _base_layout(fig: go.Figure, title: str, range_buttons: bool = False, **kwargs: Any) -> go.Figure:
    top = TITLE_BAND + (RANGE_BUTTON_BAND if range_buttons else 0)
    fig.update_layout(title={"text": title, "x": 0.01, "xanchor": "left", "y": 1, "yref": "container",
                             "yanchor": "top", "pad": {"t": 14}},
                      margin={"l": 60, "r": 20, "t": top, "b": 40},
                      legend={"orientation": "v", "x": 1.01, "xanchor": "left", "y": 1, "yanchor": "top"},
                      hovermode="x unified", **kwargs)
    return fig


def empty_figure(message: str) -> go.Figure:
    """A blank chart that says why it is blank."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font={"size": 15, "color": "#6b7280"},
                       xref="paper", yref="paper", x=0.5, y=0.5)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _base_layout(fig, "")


def add_split_shading(fig: go.Figure, bounds: Mapping[str, tuple[Any, Any]]) -> go.Figure:
    """Shade the train / validation / test date ranges (bounds: split -> (first, last) dates), each
    named at its top left. Built as plain shapes and annotations in one update (``add_vrect`` costs
    several milliseconds a rectangle)."""
    shapes = [{"type": "rect", "xref": "x", "yref": "y domain", "x0": first, "x1": last, "y0": 0, "y1": 1,
               "fillcolor": SPLIT_COLOURS[split], "line": {"width": 0}, "layer": "below"}
              for split, (first, last) in bounds.items()]
    names = [{"text": SPLIT_NAMES[split], "xref": "x", "yref": "y domain", "x": first, "y": 1, "xanchor": "left",
              "yanchor": "top", "showarrow": False, "font": {"color": "#6b7280"}}
             for split, (first, _last) in bounds.items()]
    fig.update_layout(shapes=list(fig.layout.shapes) + shapes, annotations=list(fig.layout.annotations) + names)
    return fig


def compact_dates(dates: pd.Series) -> np.ndarray:
    """Trading days as "YYYY-MM-DD": a third of the bytes of ISO timestamps, and gzip shrinks them
    further (a fixed-width string array: Plotly checks it as a whole, not value by value)."""
    return pd.to_datetime(dates).dt.strftime("%Y-%m-%d").to_numpy(dtype="U10")


def compact_values(values: pd.Series) -> np.ndarray:
    """Prices or volumes as float32: Plotly sends a numpy array as a base64 typed array (4 bytes a
    value instead of ~10 characters of JSON); 7 significant digits are more than a chart shows."""
    return values.to_numpy(dtype=np.float32)


def price_figure(frame: pd.DataFrame, ticker: str, bounds: Mapping[str, tuple[Any, Any]] | None = None,
                 company: str = "") -> go.Figure:
    """High and Low prices as in the lecture, with the split parts shaded."""
    fig = go.Figure()
    dates = compact_dates(frame["date"])
    fig.add_trace(go.Scatter(x=dates, y=compact_values(frame["high"]), name="High",
                             line={"color": MODEL, "width": 1.5}))
    fig.add_trace(go.Scatter(x=dates, y=compact_values(frame["low"]), name="Low",
                             line={"color": NAIVE, "width": 1.5}))
    if bounds:
        add_split_shading(fig, bounds)
    title = f"{ticker} high and low prices" + (f" ({company})" if company else "")
    _base_layout(fig, title, range_buttons=True, yaxis_title="price ($)")
    fig.update_xaxes(rangeselector=RANGE_SELECTOR, rangeslider={"visible": False}, type="date")
    return fig


def candlestick_figure(frame: pd.DataFrame, ticker: str) -> go.Figure:
    """Daily candlesticks over a volume panel, with range buttons.

    Volume is one filled line, not 1,259 bars, and there is no range slider (it draws every candle
    a second time): a ticker switch then redraws in about a tenth of the time (45 vs 400 ms)."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.75, 0.25], vertical_spacing=0.03)
    dates = compact_dates(frame["date"])
    fig.add_trace(go.Candlestick(x=dates, open=compact_values(frame["open"]), high=compact_values(frame["high"]),
                                 low=compact_values(frame["low"]), close=compact_values(frame["close"]),
                                 name="OHLC"), row=1, col=1)
    fig.add_trace(go.Scatter(x=dates, y=compact_values(frame["volume"]), name="Volume", mode="lines",
                             fill="tozeroy", line={"color": "#9ca3af", "width": 0.5}, fillcolor="#d1d5db"),
                  row=2, col=1)
    _base_layout(fig, f"{ticker} daily candlesticks and volume", range_buttons=True, showlegend=False)
    fig.update_layout(hovermode="x")
    fig.update_xaxes(rangeslider={"visible": False}, type="date")
    fig.update_xaxes(rangeselector=RANGE_SELECTOR, row=1, col=1)
    fig.update_yaxes(title_text="price ($)", row=1, col=1)
    fig.update_yaxes(title_text="volume", row=2, col=1)
    return fig


def figure_patch(fig: go.Figure, layout_keys: Sequence[str] = ("title", "shapes", "annotations")) -> Patch:
    """What differs between two figures of the same builder: every trace's data arrays and a few
    layout parts. Sending this instead of the figure leaves the template, axes and buttons in place."""
    plain = fig.to_plotly_json()
    patch = Patch()
    for index, trace in enumerate(plain["data"]):
        for key in DATA_KEYS:
            if key in trace:
                patch["data"][index][key] = trace[key]
    for key in layout_keys:
        patch["layout"][key] = plain["layout"].get(key, [] if key in ("shapes", "annotations") else {})
    return patch


def loss_figure(history: Mapping[str, Sequence[float]], epochs: int | None = None, title: str = "") -> go.Figure:
    """Training and validation MAE per epoch; the x axis spans all planned epochs so the curve grows."""
    loss = list(history.get("loss", []))
    val = list(history.get("val_loss", []))
    x = list(range(1, len(loss) + 1))
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=loss, name="training MAE", mode="lines+markers",
                             line={"color": TRAIN_LOSS}, marker={"size": 4}))
    fig.add_trace(go.Scatter(x=x[:len(val)], y=val, name="validation MAE", mode="lines+markers",
                             line={"color": VAL_LOSS}, marker={"size": 4}))
    if not title:
        title = (f"Normalized MAE validation = {val[-1]:.3f}" if val else "Loss per epoch")
    _base_layout(fig, title, xaxis_title="epoch", yaxis_title="mean absolute error (normalized)")
    upper = max(epochs or 0, len(loss), 1)
    fig.update_xaxes(range=[0.5, upper + 0.5])
    return fig


def prediction_figure(predictions: Mapping[str, Sequence[Any]], ticker: str, column: str = "high",
                      label: str = "model") -> go.Figure:
    """Actual versus predicted prices on the test split, with the naive forecast as a third line."""
    fig = go.Figure()
    dates = predictions.get("date", [])
    fig.add_trace(go.Scatter(x=dates, y=predictions.get("actual", []), name="actual",
                             line={"color": ACTUAL, "width": 2}))
    fig.add_trace(go.Scatter(x=dates, y=predictions.get("predicted", []), name=f"predicted ({label})",
                             line={"color": MODEL, "width": 2}))
    fig.add_trace(go.Scatter(x=dates, y=predictions.get("naive", []), name="naive (last value of the window)",
                             line={"color": NAIVE, "width": 1.5, "dash": "dot"}))
    _base_layout(fig, f"{ticker} {column} price on the test split: actual vs predicted",
                 yaxis_title="price ($)", xaxis_title="date of the target")
    return fig


def run_label(run: Mapping[str, Any]) -> str:
    """A short name for a run in legends: ticker, architecture, window and its id."""
    c = run["config"]
    return f"{c['ticker']} {c['arch']} lb{c['look_back']} fs{c['foresight']} #{run['id'][:6]}"


def compare_loss_figure(runs: Iterable[Mapping[str, Any]]) -> go.Figure:
    """Every selected run's validation (solid) and training (dotted) MAE on one chart."""
    fig = go.Figure()
    for i, run in enumerate(runs):
        colour = RUN_PALETTE[i % len(RUN_PALETTE)]
        label = run_label(run)
        history = run.get("history", {})
        fig.add_trace(go.Scatter(y=history.get("val_loss", []), x=list(range(1, len(history.get("val_loss", [])) + 1)),
                                 name=f"{label} validation", line={"color": colour}, legendgroup=label))
        fig.add_trace(go.Scatter(y=history.get("loss", []), x=list(range(1, len(history.get("loss", [])) + 1)),
                                 name=f"{label} training", line={"color": colour, "dash": "dot"},
                                 legendgroup=label, opacity=0.6))
    _base_layout(fig, "Loss curves", xaxis_title="epoch", yaxis_title="MAE (normalized)")
    fig.update_layout(uirevision="compare")  # a refresh with the same runs keeps the user's zoom
    return fig


def compare_prediction_figure(runs: Sequence[Mapping[str, Any]]) -> go.Figure:
    """Test predictions of runs that share a ticker and test window, over the actual and naive lines."""
    if not runs:
        return empty_figure("Select runs on the same ticker and test window to overlay their predictions")
    first = runs[0]["result"]["predictions"]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=first["date"], y=first["actual"], name="actual", line={"color": ACTUAL, "width": 2}))
    fig.add_trace(go.Scatter(x=first["date"], y=first["naive"], name="naive",
                             line={"color": NAIVE, "width": 1.5, "dash": "dot"}))
    for i, run in enumerate(runs):
        p = run["result"]["predictions"]
        fig.add_trace(go.Scatter(x=p["date"], y=p["predicted"], name=run_label(run),
                                 line={"color": RUN_PALETTE[i % len(RUN_PALETTE)], "width": 1.5}))
    c = runs[0]["config"]
    _base_layout(fig, f"{c['ticker']} {c['column']}: test predictions", yaxis_title="price ($)")
    fig.update_layout(uirevision="compare")
    return fig


def mae_bar_figure(runs: Sequence[Mapping[str, Any]]) -> go.Figure:
    """Test MAE per run as bars, each run's naive MAE marked as a line across its bar."""
    if not runs:
        return empty_figure("Select finished runs to compare their test MAE")
    labels = [run_label(r) for r in runs]
    maes = [r["result"]["metrics"]["test_mae"] for r in runs]
    naive = [r["result"]["metrics"]["naive_test_mae"] for r in runs]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=labels, y=maes, name="test MAE ($)",
                         marker_color=[RUN_PALETTE[i % len(RUN_PALETTE)] for i in range(len(runs))],
                         text=[f"${m:.2f}" for m in maes], textposition="outside"))
    fig.add_trace(go.Scatter(x=labels, y=naive, name="naive MAE ($)", mode="markers+lines",
                             marker={"symbol": "line-ew-open", "size": 40, "color": NAIVE, "line": {"width": 3}},
                             line={"color": NAIVE, "dash": "dot"}))
    _base_layout(fig, "Test MAE per run (naive forecast marked)", yaxis_title="MAE ($)")
    fig.update_layout(hovermode="closest", uirevision="compare")
    return fig


def window_figure(dates: Sequence[Any], prices: Sequence[float], start: int, look_back: int, foresight: int,
                  split_label: str, ticker: str) -> go.Figure:
    """One window of the lecture's createSeq on a split's prices: the input values and the target.

    The look_back inputs are marked, the foresight gap shaded, and the target (look_back + foresight
    after the window's start) ringed, so the slider shows how every training example is cut.
    """
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=list(dates), y=list(prices), name=f"{split_label} prices",
                             line={"color": "#9ca3af", "width": 1.5}))
    window = slice(start, start + look_back)
    target = start + look_back + foresight
    fig.add_trace(go.Scatter(x=list(dates[window]), y=list(prices[window]), name=f"input window ({look_back} values)",
                             mode="lines+markers", line={"color": MODEL, "width": 3}, marker={"size": 8}))
    if foresight > 0:
        fig.add_vrect(x0=dates[start + look_back - 1], x1=dates[target], fillcolor="rgba(217, 119, 6, 0.12)",
                      line_width=0, layer="below", annotation_text=f"foresight {foresight}",
                      annotation_position="top left")
    fig.add_trace(go.Scatter(x=[dates[target]], y=[prices[target]], name="target", mode="markers",
                             marker={"size": 16, "color": VAL_LOSS, "symbol": "circle-open", "line": {"width": 3}}))
    _base_layout(fig, f"{ticker}: window {start} of the {split_label} split", yaxis_title="price ($)")
    fig.update_layout(hovermode="closest")
    return fig


def seed_spread_figure(histories: Sequence[Mapping[str, Sequence[float]]], title: str) -> go.Figure:
    """Mean validation and training loss over seed repeats, with a band of ± one standard deviation."""

    fig = go.Figure()
    for key, colour, name in (("val_loss", VAL_LOSS, "validation MAE"), ("loss", TRAIN_LOSS, "training MAE")):
        curves = [list(h.get(key, [])) for h in histories if h.get(key)]
        if not curves:
            continue
        length = min(len(c) for c in curves)
        values = np.array([c[:length] for c in curves])
        mean, std = values.mean(axis=0), values.std(axis=0)
        x = list(range(1, length + 1))
        fig.add_trace(go.Scatter(x=x + x[::-1], y=list(mean + std) + list((mean - std)[::-1]), fill="toself",
                                 fillcolor=colour, opacity=0.15, line={"width": 0}, name=f"{name} ± 1 std",
                                 hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=x, y=list(mean), name=f"{name} (mean of {len(curves)} seeds)",
                                 line={"color": colour, "width": 2}))
    return _base_layout(fig, title, xaxis_title="epoch", yaxis_title="MAE (normalized)")


# --- Walk-forward backtest and forecast bands (issue #14) -------------------------------------------------

BAND_KINDS = {"minmax": "min-max", "2std": "±2 std"}


def forecast_band_figure(dates: Sequence[Any], actual: Sequence[float], predictions_by_seed: Sequence[Sequence[float]],
                         naive: Sequence[float] | None = None, band: str = "minmax", title: str = "",
                         label: str = "model") -> go.Figure:
    """The mean test prediction of runs that differ only in their seed, with a band around it.

    ``band`` "minmax" spans the lowest to the highest prediction of each date; "2std" the mean ± 2
    standard deviations (ddof 1) over the seeds. The legend names the band and the number of
    seeds ("min-max over 5 seeds", "±2 std over 5 seeds"), so a class reads how wide the noise is.
    Every prediction must cover the same dates (same settings, same test window)."""
    if band not in BAND_KINDS:
        raise ValueError(f"unknown band {band!r}; valid bands: {', '.join(BAND_KINDS)}")
    values = np.asarray([list(p) for p in predictions_by_seed], dtype=float)
    if values.ndim != 2 or not len(values) or values.shape[1] != len(dates):
        raise ValueError("every seed's predictions must cover the same dates")
    seeds = len(values)
    mean = values.mean(axis=0)
    if band == "minmax":
        low, high = values.min(axis=0), values.max(axis=0)
    else:
        spread = 2 * (values.std(axis=0, ddof=1) if seeds > 1 else np.zeros_like(mean))
        low, high = mean - spread, mean + spread
    x = list(dates)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=list(actual), name="actual", line={"color": ACTUAL, "width": 2}))
    fig.add_trace(go.Scatter(x=x + x[::-1], y=list(high) + list(low[::-1]), fill="toself",
                             fillcolor="rgba(37, 99, 235, 0.18)", line={"width": 0}, hoverinfo="skip",
                             name=f"{BAND_KINDS[band]} over {seeds} seed{'s' if seeds != 1 else ''}"))
    fig.add_trace(go.Scatter(x=x, y=list(mean), line={"color": MODEL, "width": 2},
                             name=f"mean prediction ({label}, {seeds} seed{'s' if seeds != 1 else ''})"))
    if naive is not None:
        fig.add_trace(go.Scatter(x=x, y=list(naive), name="naive (last value of the window)",
                                 line={"color": NAIVE, "width": 1.5, "dash": "dot"}))
    return _base_layout(fig, title or f"Test predictions: mean and {BAND_KINDS[band]} over {seeds} seeds",
                        yaxis_title="price ($)", xaxis_title="date of the target")


def fold_spread(values: Sequence[float]) -> tuple[float, float]:
    """Mean and standard deviation (ddof 1; 0 for one value) of per-fold numbers."""
    array = np.asarray(values, dtype=float)
    return float(array.mean()), float(array.std(ddof=1)) if len(array) > 1 else 0.0


def backtest_figure(folds: Sequence[Mapping[str, Any]], title: str = "", label: str = "model") -> go.Figure:
    """A walk-forward backtest: top, every finished fold's test window on one time axis (actual,
    the fold's prediction, naive); bottom, test MAE per fold for the model and the naive forecast,
    each with its mean (dashed line) and standard deviation over the folds in the legend.

    ``folds``: one mapping per fold, ``{"fold": i, "predictions": {date, actual, predicted, naive},
    "metrics": {test_mae, naive_test_mae}}``; a fold without predictions (still training) is left out.
    """
    done = [f for f in folds if f.get("predictions") and f.get("metrics")]
    if not done:
        return empty_figure("Each fold's test window and MAE appear here as the folds finish")
    fig = make_subplots(rows=2, cols=1, row_heights=[0.6, 0.4], vertical_spacing=0.16,
                        subplot_titles=("test windows of the folds: actual, predicted, naive", "test MAE per fold"))
    dates: list[Any] = []
    actual: list[Any] = []
    naive: list[Any] = []
    for f in done:  # one line each for actual and naive, broken between the folds' windows
        p = f["predictions"]
        dates += list(p["date"]) + [None]
        actual += list(p["actual"]) + [None]
        naive += list(p["naive"]) + [None]
    fig.add_trace(go.Scatter(x=dates, y=actual, name="actual", line={"color": ACTUAL, "width": 2},
                             connectgaps=False), row=1, col=1)
    fig.add_trace(go.Scatter(x=dates, y=naive, name="naive (last value of the window)", connectgaps=False,
                             line={"color": NAIVE, "width": 1.2, "dash": "dot"}), row=1, col=1)
    for f in done:
        p = f["predictions"]
        fig.add_trace(go.Scatter(x=list(p["date"]), y=list(p["predicted"]), name=f"fold {f['fold']} predicted",
                                 line={"color": RUN_PALETTE[(f["fold"] - 1) % len(RUN_PALETTE)], "width": 1.8}),
                      row=1, col=1)
    # The folds sit at 1..k on a numeric axis labelled "fold i", so that a mean line spans them all.
    positions = [f["fold"] for f in done]
    names = [f"fold {f['fold']}" for f in done]
    model_mae = [f["metrics"]["test_mae"] for f in done]
    naive_mae = [f["metrics"]["naive_test_mae"] for f in done]
    for values, colour, who in ((model_mae, MODEL, label), (naive_mae, NAIVE, "naive")):
        fig.add_trace(go.Bar(x=positions, y=values, name=f"{who} MAE ($)", marker_color=colour, hovertext=names,
                             text=[f"${m:.2f}" for m in values], textposition="outside"), row=2, col=1)
    edges = [min(positions) - 0.5, max(positions) + 0.5]
    for values, colour, who in ((model_mae, MODEL, label), (naive_mae, NAIVE, "naive")):
        mean, std = fold_spread(values)
        fig.add_trace(go.Scatter(x=edges, y=[mean, mean], mode="lines", line={"color": colour, "dash": "dash"},
                                 name=f"{who} mean ${mean:.2f} ± ${std:.2f} (std over {len(values)} folds)"),
                      row=2, col=1)
    mean, std = fold_spread(model_mae)
    naive_mean, naive_std = fold_spread(naive_mae)
    heading = title or "Walk-forward backtest"
    _base_layout(fig, f"{heading}: {label} MAE ${mean:.2f} ± ${std:.2f}, naive ${naive_mean:.2f} ± ${naive_std:.2f}")
    fig.update_layout(barmode="group", hovermode="closest", margin={"t": TITLE_BAND + 20})
    fig.update_yaxes(title_text="price ($)", row=1, col=1)
    fig.update_yaxes(title_text="MAE ($)", rangemode="tozero", row=2, col=1)
    fig.update_xaxes(type="date", row=1, col=1)
    fig.update_xaxes(tickvals=positions, ticktext=names, range=edges, row=2, col=1)
    return fig
