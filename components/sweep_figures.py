"""Figure builders of sweeps and scans (/sweep): plain rows in, ``go.Figure`` out.

A row is one run: ``id``, ``ticker``, ``sector``, ``look_back``, ``arch``, ``foresight``, ``seed``,
``status`` and, once it has finished, ``test_mae``, ``naive_mae`` and ``skill``. Unfinished runs
leave their cell empty, so the figures fill as runs finish. Skill is coloured on a diverging
scale centred at 0 (blue: beats the naive forecast; red: does worse).
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from components.figures import NAIVE, RUN_PALETTE, _base_layout, empty_figure
from modeling.architectures import REGISTRY

METRICS = {"test_mae": "test MAE ($)", "skill": "skill vs naive"}
MAE_SCALE = "YlOrRd"          # low (good) pale, high red
SKILL_SCALE = "RdBu"          # red below 0, blue above, white at 0

Row = Mapping[str, Any]


def arch_label(kind: str) -> str:
    return REGISTRY[kind].label if kind in REGISTRY else kind


def finished(rows: Sequence[Row]) -> list[Row]:
    return [r for r in rows if r.get("status") == "finished" and r.get("test_mae") is not None]


def skill_range(skills: Sequence[float]) -> float:
    """Half-width of the skill colour scale: the largest |skill|, at least 0.05, at most 1 (a very
    bad run saturates rather than washing out every other colour)."""
    largest = max((abs(s) for s in skills), default=0.0)
    return float(min(max(largest, 0.05), 1.0))


def _cell_stats(runs: Sequence[Row], metric: str) -> dict[str, Any]:
    done = finished(runs)
    values = np.array([r[metric] for r in done], dtype=float)
    maes = np.array([r["test_mae"] for r in done], dtype=float)
    open_run = (done or list(runs))[0]["id"] if runs else ""
    return {
        "z": float(values.mean()) if len(values) else None,
        "open": open_run, "done": len(done), "total": len(runs),
        "mae": float(maes.mean()) if len(maes) else None,
        "sd": float(maes.std(ddof=1)) if len(maes) > 1 else 0.0,
        "skill": float(np.mean([r["skill"] for r in done])) if done else None,
        "naive": float(np.mean([r["naive_mae"] for r in done])) if done else None,
    }


def sweep_heatmap(rows: Sequence[Row], look_backs: Sequence[int], archs: Sequence[str],
                  foresights: Sequence[int], metric: str = "test_mae") -> go.Figure:
    """look_back x network, one panel per foresight; colour = mean test MAE or skill over a cell's
    seeds. Empty until a cell's first run finishes. Each cell carries the id of a run to open."""
    metric = metric if metric in METRICS else "test_mae"
    fig = make_subplots(rows=1, cols=max(len(foresights), 1), shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=[f"foresight {f}" for f in foresights])
    y_labels = [str(lb) for lb in look_backs]
    x_labels = [arch_label(a) for a in archs]
    all_values = []
    for col, foresight in enumerate(foresights, start=1):
        z, custom, text = [], [], []
        for look_back in look_backs:
            z_row, custom_row, text_row = [], [], []
            for arch in archs:
                cell = [r for r in rows if (r["look_back"], r["arch"], r["foresight"]) == (look_back, arch, foresight)]
                stats = _cell_stats(cell, metric)
                z_row.append(stats["z"])
                if stats["z"] is not None:
                    all_values.append(stats["z"])
                custom_row.append([stats["open"], stats["done"], stats["total"],
                                   _fmt(stats["mae"], "$"), _fmt(stats["sd"], "$"), _fmt(stats["skill"], "+"),
                                   _fmt(stats["naive"], "$")])
                text_row.append(_cell_text(stats, metric))
            z.append(z_row)
            custom.append(custom_row)
            text.append(text_row)
        fig.add_trace(go.Heatmap(
            z=z, x=x_labels, y=y_labels, customdata=custom, text=text, texttemplate="%{text}",
            coloraxis="coloraxis", xgap=2, ygap=2, name=f"foresight {foresight}",
            hovertemplate=("look_back %{y}, %{x}, foresight " + str(foresight) + "<br>"
                           "test MAE %{customdata[3]} (± %{customdata[4]} over seeds)<br>"
                           "naive MAE %{customdata[6]}, skill %{customdata[5]}<br>"
                           "%{customdata[1]} of %{customdata[2]} runs finished; click to open<extra></extra>")),
            row=1, col=col)
        fig.update_xaxes(type="category", title_text="network", row=1, col=col)
    fig.update_yaxes(type="category", title_text="look_back", row=1, col=1)
    if metric == "skill":
        half = skill_range(all_values)
        axis = {"colorscale": SKILL_SCALE, "cmid": 0, "cmin": -half, "cmax": half}
    else:
        axis = {"colorscale": MAE_SCALE}
    fig.update_layout(coloraxis={**axis, "colorbar": {"title": {"text": METRICS[metric]}}})
    _base_layout(fig, f"{METRICS[metric]} by look_back and network")
    fig.update_layout(hovermode="closest")
    return fig


def _fmt(value: float | None, kind: str) -> str:
    if value is None:
        return "-"
    return f"{value:+.3f}" if kind == "+" else f"${value:.3f}"


def _cell_text(stats: Mapping[str, Any], metric: str) -> str:
    if stats["z"] is None:
        return f"0/{stats['total']}" if stats["total"] else ""
    value = f"{stats['z']:+.2f}" if metric == "skill" else f"{stats['z']:.3f}"
    if stats["total"] > 1:
        value += f"<br>±{stats['sd']:.3f}" if stats["done"] > 1 else ""
        value += f" ({stats['done']}/{stats['total']})" if stats["done"] < stats["total"] else ""
    return value


def sweep_parallel(rows: Sequence[Row], archs: Sequence[str]) -> go.Figure:
    """Parallel coordinates over every finished run: look_back, foresight, network, seed, test MAE,
    skill; the line's colour is its skill."""
    done = finished(rows)
    if not done:
        return empty_figure("Finished runs appear here as lines across their settings and scores")
    arch_index = {a: i for i, a in enumerate(archs)}
    skills = [r["skill"] for r in done]
    half = skill_range(skills)
    dims = [
        {"label": "look_back", "values": [r["look_back"] for r in done]},
        {"label": "foresight", "values": [r["foresight"] for r in done]},
        {"label": "network", "values": [arch_index.get(r["arch"], 0) for r in done],
         "tickvals": list(range(len(archs))), "ticktext": [arch_label(a) for a in archs],
         "range": [-0.5, max(len(archs) - 0.5, 0.5)]},
        {"label": "seed", "values": [r["seed"] for r in done]},
        {"label": "test MAE ($)", "values": [r["test_mae"] for r in done]},
        {"label": "skill", "values": skills},
    ]
    fig = go.Figure(go.Parcoords(dimensions=dims, line={"color": skills, "colorscale": SKILL_SCALE, "cmid": 0,
                                                         "cmin": -half, "cmax": half, "showscale": True,
                                                         "colorbar": {"title": {"text": "skill"}}}))
    _base_layout(fig, f"All {len(done)} finished runs")
    fig.update_layout(margin={"l": 60, "r": 60, "t": 80, "b": 30})
    return fig


def mae_by_foresight(rows: Sequence[Row], archs: Sequence[str], foresights: Sequence[int]) -> go.Figure:
    """Test MAE against foresight, one line per network (mean over look_backs and seeds, with the
    spread over them as error bars) and the naive forecast's MAE."""
    done = finished(rows)
    if not done:
        return empty_figure("Test MAE against foresight appears here as runs finish")
    fig = go.Figure()
    for i, arch in enumerate(archs):
        xs, ys, sds = [], [], []
        for foresight in foresights:
            maes = [r["test_mae"] for r in done if r["arch"] == arch and r["foresight"] == foresight]
            if maes:
                xs.append(foresight)
                ys.append(float(np.mean(maes)))
                sds.append(float(np.std(maes, ddof=1)) if len(maes) > 1 else 0.0)
        if xs:
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=arch_label(arch),
                                     line={"color": RUN_PALETTE[i % len(RUN_PALETTE)]},
                                     error_y={"type": "data", "array": sds, "visible": any(sds)}))
    naive_x, naive_y = [], []
    for foresight in foresights:
        naive = [r["naive_mae"] for r in done if r["foresight"] == foresight]
        if naive:
            naive_x.append(foresight)
            naive_y.append(float(np.mean(naive)))
    fig.add_trace(go.Scatter(x=naive_x, y=naive_y, mode="lines+markers", name="naive forecast",
                             line={"color": NAIVE, "dash": "dash"}))
    _base_layout(fig, "Test MAE against foresight (mean over look_backs and seeds)",
                 xaxis_title="foresight (steps)", yaxis_title="test MAE ($)")
    return fig


def skill_histogram(rows: Sequence[Row]) -> go.Figure:
    """How skill spreads over a scan's tickers, with the naive forecast's 0 marked."""
    done = finished(rows)
    if not done:
        return empty_figure("The spread of skill over the tickers appears here as runs finish")
    skills = [r["skill"] for r in done]
    fig = go.Figure(go.Histogram(x=skills, nbinsx=min(40, max(5, len(skills))), marker={"color": "#2563eb"},
                                 name="tickers", hovertemplate="skill %{x}<br>%{y} tickers<extra></extra>"))
    fig.add_vline(x=0, line={"color": NAIVE, "dash": "dash"}, annotation_text="naive", annotation_position="top")
    beats = sum(s > 0 for s in skills)
    _base_layout(fig, f"Skill over {len(skills)} tickers: {beats} beat the naive forecast",
                 xaxis_title="skill (1 - MAE / naive MAE)", yaxis_title="tickers", bargap=0.05)
    fig.update_layout(hovermode="closest")
    return fig


def scan_treemap(rows: Sequence[Row]) -> go.Figure:
    """Every finished ticker as a tile of the same size, grouped by sector, coloured by skill on a
    scale centred at 0; a sector's colour is its tickers' mean skill. Each tile carries its run id."""
    done = finished(rows)
    if not done:
        return empty_figure("The sector map fills as runs finish")
    sectors: dict[str, list[Row]] = {}
    for r in done:
        sectors.setdefault(r.get("sector") or "no sector", []).append(r)
    ids, labels, parents, values, colours, custom = [], [], [], [], [], []
    for sector, members in sorted(sectors.items()):
        ids.append(sector)
        labels.append(sector)
        parents.append("")
        values.append(len(members))
        colours.append(float(np.mean([m["skill"] for m in members])))
        custom.append(["", f"{len(members)} tickers", f"{colours[-1]:+.3f} (mean)"])
        for m in sorted(members, key=lambda m: m["ticker"]):
            ids.append(f"{sector}/{m['ticker']}")
            labels.append(m["ticker"])
            parents.append(sector)
            values.append(1)
            colours.append(float(m["skill"]))
            custom.append([m["id"], f"test MAE ${m['test_mae']:.3f}, naive ${m['naive_mae']:.3f}",
                           f"{m['skill']:+.3f}"])
    half = skill_range([float(r["skill"]) for r in done])
    fig = go.Figure(go.Treemap(
        ids=ids, labels=labels, parents=parents, values=values, branchvalues="total", customdata=custom,
        marker={"colors": colours, "colorscale": SKILL_SCALE, "cmid": 0, "cmin": -half, "cmax": half,
                "showscale": True, "colorbar": {"title": {"text": "skill"}}},
        hovertemplate="%{label}<br>skill %{customdata[2]}<br>%{customdata[1]}<extra></extra>",
        texttemplate="%{label}<br>%{customdata[2]}"))
    _base_layout(fig, "Skill by sector (every ticker the same size)")
    fig.update_layout(margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return fig
