"""Reusable widgets: labelled fields, the metrics card, the model summary, the progress bar."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from dash import html

from modeling.metrics import skill_in_words


def field(label: str, control: Any, hint: str = "", span: int = 0, tip: str = "") -> html.Div:
    """A control with its label (and an optional hint underneath, or a tip shown on hover).

    ``span``: columns taken in a ``.field-grid`` of six (0: the grid's default, two)."""
    children = [html.Label(label, className="field-label"), control]
    if hint:
        children.append(html.Div(hint, className="field-hint"))
    return html.Div(children, className=f"field span-{span}" if span else "field", title=tip or None)


def message(text: str, kind: str = "error") -> html.Div:
    """An inline notice; kind is error, info or ok. Text is rendered as text, never as HTML."""
    return html.Div(text, className=f"notice notice-{kind}", role="alert" if kind == "error" else "status")


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def progress_bar(epoch: int, epochs: int, elapsed: float, status: str = "running", position: int = 0) -> html.Div:
    """Epoch k of N with the share done and the time left at the pace so far (or the queue position)."""
    share = epoch / epochs if epochs else 0.0
    if status == "queued":
        text = f"queued, position {position}: waiting for a training slot" if position else \
            "queued: waiting for a training slot"
    elif epoch == 0:
        text = f"starting: preparing data and model (0 of {epochs} epochs)"
    else:
        left = elapsed / epoch * (epochs - epoch)
        text = f"epoch {epoch} of {epochs}" + (f", about {format_duration(left)} left" if epoch < epochs else "")
    return html.Div([
        html.Div(text, className="progress-text"),
        html.Div(html.Div(className="progress-fill", style={"width": f"{share:.1%}"}), className="progress-track",
                 role="progressbar", **{"aria-valuenow": epoch, "aria-valuemin": 0, "aria-valuemax": epochs}),
    ], className="progress-box")


def _metric(label: str, value: str, hint: str = "") -> html.Div:
    return html.Div([html.Div(value, className="metric-value"), html.Div(label, className="metric-label")],
                    className="metric", title=hint)


def metrics_card(metrics: Mapping[str, float], arch_label: str = "model") -> html.Div:
    """The test-split scores, the naive baseline and the skill said in words."""
    if not metrics:
        return html.Div()
    skill = metrics["skill"]
    verdict = f"The {arch_label} {skill_in_words(skill)} (skill {skill:+.2f})."
    return html.Div([
        html.H3("Test results"),
        html.Div([
            _metric("test MAE", f"${metrics['test_mae']:.3f}", "mean absolute error in dollars on the test split"),
            _metric("test RMSE", f"${metrics['test_rmse']:.3f}", "root mean squared error in dollars"),
            _metric("test MAPE", f"{metrics['test_mape']:.2f}%", "mean absolute percentage error"),
            _metric("direction", f"{metrics['test_direction_acc']:.0%}",
                    "share of up/down moves (from the window's last value) predicted correctly"),
            _metric("val MAE (normalized)", f"{metrics['val_mae_norm']:.4f}", "the lecture's validation score"),
            _metric("naive MAE", f"${metrics['naive_test_mae']:.3f}",
                    "predicting the window's last value: the baseline to beat"),
        ], className="metric-grid"),
        html.P(verdict, className="verdict " + ("verdict-good" if skill > 0 else "verdict-bad")),
    ], className="card")


def model_summary_table(rows: Sequence[Mapping[str, Any]], params: int) -> html.Div:
    """Layers, output shapes and parameters, as Keras' model.summary() shows them."""
    if not rows:
        return html.Div()
    header = html.Tr([html.Th("Layer (type)"), html.Th("Output shape"), html.Th("Param #")])
    body = [html.Tr([html.Td(f"{r['name']} ({r['type']})"), html.Td(r["output_shape"]), html.Td(f"{r['params']:,}")])
            for r in rows]
    return html.Div([
        html.H3("Model summary"),
        html.Table([html.Thead(header), html.Tbody(body)], className="summary-table"),
        html.P(f"Total params: {params:,}", className="summary-total"),
    ], className="card")
