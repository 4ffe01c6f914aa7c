"""Explore: pick a dataset and a ticker, see its prices, candlesticks, split and data quality."""
from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Any

import dash
import pandas as pd
from dash import Input, Output, State, callback, dcc, html, no_update

from components import ids
from components.cards import field, message
from components.figures import candlestick_figure, empty_figure, price_figure
from components.forms import dataset_options, ticker_choice
from modeling.data import DEFAULT_DATASET, DataError, catalog_for_file, load_prices, ticker_frame
from modeling.pipeline import data_path_for
from modeling.series import SPLITS, split_sizes
from modeling.settings import data_dir
from modeling.uploads import save_upload

dash.register_page(__name__, path="/", name="Explore", title="Explore - RNN Stock Lab", order=0)


def layout(**_query: Any) -> html.Div:
    return html.Div([
        html.H1("Explore a ticker"),
        html.Div([
            field("Dataset", dcc.Dropdown(id=ids.EXPLORE_DATASET, options=dataset_options(),
                                          value=DEFAULT_DATASET, clearable=False)),
            field("Ticker", dcc.Dropdown(id=ids.EXPLORE_TICKER, value="AAL", clearable=False,
                                         placeholder="type a ticker, company or sector", searchable=True),
                  "search by ticker, company or sector"),
            field("Training share", dcc.Input(id=ids.EXPLORE_TRAIN_RATIO, type="number", value=0.7,
                                              min=0.05, max=0.95, step=0.05)),
            field("Validation share", dcc.Input(id=ids.EXPLORE_VAL_RATIO, type="number", value=0.15,
                                                min=0.05, max=0.95, step=0.05)),
        ], className="controls controls-row"),
        dcc.Upload(id=ids.EXPLORE_UPLOAD, className="upload", max_size=-1, multiple=False,
                   children=html.Div(["Upload your own CSV (date, open, high, low, close, volume, Name): ",
                                      html.A("choose a file", className="link"), " or drop it here"])),
        html.Div(id=ids.UPLOAD_MESSAGE),
        html.Div(id=ids.EXPLORE_MESSAGE),
        html.Div(id=ids.EXPLORE_SUMMARY, className="summary"),
        dcc.Graph(id=ids.PRICE_GRAPH, figure=empty_figure("Loading prices..."), className="graph"),
        dcc.Graph(id=ids.CANDLE_GRAPH, figure=empty_figure("Loading candlesticks..."), className="graph graph-tall"),
    ])


@callback(Output(ids.EXPLORE_TICKER, "options"), Output(ids.EXPLORE_TICKER, "value"),
          Input(ids.EXPLORE_DATASET, "value"), State(ids.EXPLORE_TICKER, "value"))
def update_tickers(dataset: Any, ticker: Any) -> tuple[list[dict], str | None]:
    return ticker_choice(dataset, ticker)


@callback(Output(ids.EXPLORE_DATASET, "options"), Output(ids.EXPLORE_DATASET, "value"),
          Output(ids.UPLOAD_MESSAGE, "children"), Input(ids.EXPLORE_UPLOAD, "contents"),
          State(ids.EXPLORE_UPLOAD, "filename"), prevent_initial_call=True)
def upload_dataset(contents: Any, filename: Any):
    """Decode, validate and keep an uploaded CSV; select it when it is good."""
    if not isinstance(contents, str) or "," not in contents:
        return no_update, no_update, message("Nothing was uploaded.")
    name = Path(str(filename or "upload.csv")).name
    try:
        content = base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        return no_update, no_update, message(f"{name}: the upload was not readable")
    try:
        entry = save_upload(data_dir(), name, content)
    except DataError as exc:
        return no_update, no_update, message(f"Not loaded: {exc}")
    return (dataset_options(), entry["key"],
            message(f"Loaded {entry['filename']}: {entry['tickers']} tickers, {entry['rows']:,} rows.", "ok"))


@callback(Output(ids.PRICE_GRAPH, "figure"), Output(ids.CANDLE_GRAPH, "figure"),
          Output(ids.EXPLORE_SUMMARY, "children"), Output(ids.EXPLORE_MESSAGE, "children"),
          Input(ids.EXPLORE_DATASET, "value"), Input(ids.EXPLORE_TICKER, "value"),
          Input(ids.EXPLORE_TRAIN_RATIO, "value"), Input(ids.EXPLORE_VAL_RATIO, "value"))
def show_ticker(dataset: Any, ticker: Any, train_ratio: Any, val_ratio: Any):
    blank = empty_figure("Pick a ticker")
    if not isinstance(dataset, str) or not isinstance(ticker, str) or not ticker:
        return blank, blank, None, None
    try:
        path = data_path_for(dataset)
        data = ticker_frame(load_prices(path), ticker)
    except DataError as exc:
        return blank, blank, None, message(str(exc))
    frame = data.frame
    notice = None
    bounds = None
    try:
        sizes = split_sizes(len(frame), float(train_ratio), float(val_ratio))
        edges, start = {}, 0
        for split, size in zip(SPLITS, sizes):
            if size > 0:
                edges[split] = (frame["date"].iloc[start], frame["date"].iloc[start + size - 1])
            start += size
        bounds = edges
    except (TypeError, ValueError, DataError) as exc:
        notice = message(f"split not shown: {exc}" if isinstance(exc, DataError)
                         else "split not shown: the shares must be numbers", "info")
        sizes = None
    row = catalog_for_file(path).set_index("ticker").loc[data.ticker]
    return (price_figure(frame, data.ticker, bounds, row["company"]), candlestick_figure(frame, data.ticker),
            _summary(data.ticker, row, frame, data.filled, sizes), notice)


def _summary(ticker: str, row: pd.Series, frame: pd.DataFrame, filled: dict[str, int],
             sizes: tuple[int, int, int] | None) -> list:
    gaps = {k: v for k, v in filled.items() if v}
    gap_text = ("no missing values" if not gaps else
                "missing values filled by time interpolation inside the ticker: "
                + ", ".join(f"{k} {v}" for k, v in gaps.items()))
    items = [
        html.Li([html.B(ticker), f" {row['company']}" + (f" ({row['sector']})" if row["sector"] else "")]),
        html.Li(f"{len(frame):,} trading days, {row['first']} to {row['last']}"),
        html.Li(gap_text),
    ]
    if sizes:
        items.append(html.Li(f"split: train {sizes[0]}, validation {sizes[1]}, test {sizes[2]} points"))
    return html.Ul(items)
