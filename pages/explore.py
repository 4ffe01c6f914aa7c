"""Explore: pick a dataset and a ticker, see its prices, candlesticks, split and data quality."""
from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import dash
import pandas as pd
from dash import Input, Output, State, callback, dcc, html, no_update

from components import ids
from components.cards import field, message
from components.figures import candlestick_figure, empty_figure, figure_patch, price_figure
from components.forms import config_from_link, dataset_options, ticker_choice
from modeling.config import TrainConfig
from modeling.data import DataError, catalog_for_file, load_prices, ticker_frame
from modeling.pipeline import data_path_for
from modeling.series import SPLITS, split_sizes
from modeling.settings import data_dir
from modeling.uploads import save_upload

dash.register_page(__name__, path="/", name="Explore", title="Explore - RNN Stock Lab", order=0)

# The settings a link to Explore may carry (the same names as Train's links).
QUERY_FIELDS = ("dataset", "ticker", "train_ratio", "val_ratio")


def settings_from_query(query: dict[str, Any]) -> tuple[TrainConfig, str | None]:
    """Dataset, ticker and split from a shared link, checked as Train checks them."""
    return config_from_link(query, QUERY_FIELDS)


def layout(**query: Any) -> html.Div:
    """The page, opened on the link's dataset, ticker and split (or the defaults)."""
    d, link_problem = settings_from_query(query)
    # The options come with the page: a dropdown whose value is not among its options drops it.
    tickers, ticker = ticker_choice(d.dataset, d.ticker)
    return html.Div([
        html.Div([
            html.H1("Explore a ticker"),
            dcc.Link(f"Train a network on {ticker}" if ticker else "Train a network", id=ids.EXPLORE_TRAIN_LINK,
                     className="button button-primary",
                     href=train_href(d.dataset, ticker, d.train_ratio, d.val_ratio)),
        ], className="title-row"),
        message(link_problem, "info") if link_problem else None,
        html.Div(id=ids.EXPLORE_URL_QUERY, hidden=True),
        dcc.Store(id=ids.EXPLORE_SHOWN, data=False),
        html.Div([
            field("Dataset", dcc.Dropdown(id=ids.EXPLORE_DATASET, options=dataset_options(),
                                          value=d.dataset, clearable=False)),
            field("Ticker", dcc.Dropdown(id=ids.EXPLORE_TICKER, options=tickers, value=ticker, clearable=False,
                                         placeholder="type a ticker, company or sector", searchable=True),
                  "search by ticker, company or sector"),
            field("Training share", dcc.Input(id=ids.EXPLORE_TRAIN_RATIO, type="number", value=d.train_ratio,
                                              min=0.05, max=0.95, step=0.05)),
            field("Validation share", dcc.Input(id=ids.EXPLORE_VAL_RATIO, type="number", value=d.val_ratio,
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


def train_href(dataset: Any, ticker: Any, train_ratio: Any, val_ratio: Any) -> str:
    """/train with Explore's dataset, ticker and split (the initial link; the browser keeps it current)."""
    settings = {"dataset": dataset, "ticker": ticker, "train_ratio": train_ratio, "val_ratio": val_ratio}
    return "/train?" + urlencode({k: v for k, v in settings.items() if v is not None})


# Explore's settings in its own URL (a link shows the same view), in the Train link, and in the
# app-wide store of the chosen dataset and ticker (the nav opens either page on it). In the browser:
# no server round trip.
dash.clientside_callback(
    """function(dataset, ticker, trainRatio, valRatio) {
        const params = new URLSearchParams();
        if (dataset) { params.set('dataset', dataset); }
        if (ticker) { params.set('ticker', ticker); }
        if (trainRatio !== null && trainRatio !== undefined) { params.set('train_ratio', trainRatio); }
        if (valRatio !== null && valRatio !== undefined) { params.set('val_ratio', valRatio); }
        const query = params.toString();
        window.history.replaceState(window.history.state, '', window.location.pathname + '?' + query);
        const chosen = (dataset && ticker) ? {dataset: dataset, ticker: ticker} : dash_clientside.no_update;
        return [query, '/train?' + query, ticker ? 'Train a network on ' + ticker : 'Train a network', chosen];
    }""",
    Output(ids.EXPLORE_URL_QUERY, "children"), Output(ids.EXPLORE_TRAIN_LINK, "href"),
    Output(ids.EXPLORE_TRAIN_LINK, "children"), Output(ids.CHOSEN, "data", allow_duplicate=True),
    Input(ids.EXPLORE_DATASET, "value"), Input(ids.EXPLORE_TICKER, "value"),
    Input(ids.EXPLORE_TRAIN_RATIO, "value"), Input(ids.EXPLORE_VAL_RATIO, "value"),
    prevent_initial_call="initial_duplicate")


@callback(Output(ids.EXPLORE_TICKER, "options"), Output(ids.EXPLORE_TICKER, "value"),
          Input(ids.EXPLORE_DATASET, "value"), State(ids.EXPLORE_TICKER, "value"), prevent_initial_call=True)
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
          Output(ids.EXPLORE_SHOWN, "data"),
          Input(ids.EXPLORE_DATASET, "value"), Input(ids.EXPLORE_TICKER, "value"),
          Input(ids.EXPLORE_TRAIN_RATIO, "value"), Input(ids.EXPLORE_VAL_RATIO, "value"),
          State(ids.EXPLORE_SHOWN, "data"))
def show_ticker(dataset: Any, ticker: Any, train_ratio: Any, val_ratio: Any, shown: Any = False):
    """Both charts, the summary and the split for one ticker.

    Once the charts show a ticker (``shown``), a switch sends only what changes (the data arrays,
    title and split shading) as a Patch, not the whole figure again."""
    blank = empty_figure("Pick a ticker")
    if not isinstance(dataset, str) or not isinstance(ticker, str) or not ticker:
        return blank, blank, None, message("Choose a ticker.", "info"), False
    try:
        path = data_path_for(dataset)
        data = ticker_frame(load_prices(path), ticker)
    except DataError as exc:
        return blank, blank, None, message(str(exc)), False
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
    price = price_figure(frame, data.ticker, bounds, row["company"])
    candles = candlestick_figure(frame, data.ticker)
    if shown is True:
        price, candles = figure_patch(price), figure_patch(candles, ("title",))
    return price, candles, _summary(data.ticker, row, frame, data.filled, sizes), notice, True


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
