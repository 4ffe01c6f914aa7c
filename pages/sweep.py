"""Sweeps and scans: many runs from one click. A sweep trains one ticker over a grid of look_back x
network x foresight (x seeds) and fills a heatmap as its runs finish; a scan trains one
configuration on every ticker of a dataset or sector and shows where it beats the naive forecast.

Planning is the engine's (modeling/sweep.py, modeling/scan.py), queueing the service's
(service/collections.py: BATCH runs, behind every student's click; one active per browser),
figures the components' (components/sweep_figures.py). The page follows its collection through
one poll, while it is active; ``/sweep?id=...`` opens a collection again.
"""
from __future__ import annotations

from typing import Any

import dash
import dash_ag_grid as dag
from dash import Input, Output, State, callback, dcc, html, no_update

from components import ids
from components.cards import field, message
from components.figures import BAND_KINDS, empty_figure
from components.forms import config_from_form, dataset_options, ticker_choice
from components.session import browser_session
from components.teaching import seed_band_figure
from components.sweep_figures import (METRICS, mae_by_foresight, scan_treemap, skill_histogram, sweep_heatmap,
                                      sweep_parallel)
from modeling.architectures import REGISTRY
from modeling.config import ConfigError, TrainConfig
from modeling.data import PRICE_COLUMNS, DataError, catalog_for_file
from modeling.limits import LIMITS, SWEEP_FORESIGHT_CHOICES, SWEEP_LOOK_BACK_CHOICES, SWEEP_MAX_RUNS, SWEEP_SEEDS
from modeling.pipeline import data_path_for
from modeling.scan import sectors
from modeling.sweep import SweepGrid
from service import collections
from service import runs as run_service
from service.store import RUN_ID, CollectionNotFound, Run

dash.register_page(__name__, path="/sweep", name="Sweep", title="Sweep - RNN Stock Lab", order=3)

DEFAULTS = TrainConfig()
POLL_INTERVAL_MS = 1000
ALL_TICKERS = "all"
# (component id, config field): the settings every run of a sweep or scan shares.
SHARED_FIELDS = (
    (ids.SWEEP_DATASET, "dataset"), (ids.SWEEP_PRICE_COLUMN, "column"), (ids.SWEEP_TRAIN_RATIO, "train_ratio"),
    (ids.SWEEP_VAL_RATIO, "val_ratio"), (ids.SWEEP_UNITS, "units"), (ids.SWEEP_DROPOUT, "dropout"),
    (ids.SWEEP_RECURRENT_DROPOUT, "recurrent_dropout"), (ids.SWEEP_FILTERS, "filters"),
    (ids.SWEEP_KERNEL_SIZE, "kernel_size"), (ids.SWEEP_EPOCHS, "epochs"), (ids.SWEEP_BATCH_SIZE, "batch_size"),
    (ids.SWEEP_LEARNING_RATE, "learning_rate"), (ids.SWEEP_SEED, "seed"), (ids.SWEEP_PATIENCE, "patience"),
)
SWEEP_FIELDS = ((ids.SWEEP_TICKER, "ticker"), *SHARED_FIELDS)
SCAN_FIELDS = ((ids.SCAN_LOOK_BACK, "look_back"), (ids.SCAN_FORESIGHT, "foresight"),
               (ids.SCAN_ARCHITECTURE, "arch"), *SHARED_FIELDS)
EARLY = State(ids.SWEEP_EARLY_STOPPING, "value")
SWEEP_STATES = [State(cid, "value") for cid, _ in SWEEP_FIELDS] + [EARLY]
SCAN_STATES = [State(cid, "value") for cid, _ in SCAN_FIELDS] + [EARLY]
GRID_STATES = [State(ids.SWEEP_LOOK_BACKS, "value"), State(ids.SWEEP_ARCHITECTURES, "value"),
               State(ids.SWEEP_FORESIGHTS, "value"), State(ids.SWEEP_SEEDS, "value")]
HIDDEN, SHOWN = {"display": "none"}, {}
SCAN_COLUMNS = [
    {"headerName": "ticker", "field": "ticker", "minWidth": 90, "cellDataType": "text"},
    {"headerName": "company", "field": "company", "minWidth": 160, "cellDataType": "text"},
    {"headerName": "sector", "field": "sector", "minWidth": 140, "cellDataType": "text"},
    {"headerName": "skill", "field": "skill", "type": "numericColumn", "sort": "desc", "minWidth": 80},
    {"headerName": "test MAE ($)", "field": "test_mae", "type": "numericColumn", "minWidth": 100},
    {"headerName": "naive MAE ($)", "field": "naive_mae", "type": "numericColumn", "minWidth": 100},
    {"headerName": "direction", "field": "direction", "type": "numericColumn", "minWidth": 90},
    {"headerName": "status", "field": "status", "minWidth": 95, "cellDataType": "text"},
]


def _number(cid: str, name: str, value: Any, step: Any) -> dcc.Input:
    low, high = LIMITS[name]
    return dcc.Input(id=cid, type="number", value=value, step=step, min=low, max=high, debounce=True)


def _arch_options() -> list[dict[str, str]]:
    return [{"label": a.label, "value": a.kind} for a in REGISTRY.values()]


def layout(id: Any = None, **_query: Any) -> html.Div:  # noqa: A002 - the link's parameter is ?id=
    d, grid, sector = DEFAULTS, SweepGrid(), ALL_TICKERS
    url_id, problem = None, None
    if id is not None:
        try:
            collection = collections.find(id)
            url_id = collection.id
            d, grid, sector = settings_of(collection)
        except CollectionNotFound:
            problem = f"No sweep or scan {str(id)[:20]!r} here: it was deleted, or the link is from another server."
    tickers, ticker = ticker_choice(d.dataset, d.ticker)
    sector_options = _sector_options(d.dataset)
    sector = sector if sector in [o["value"] for o in sector_options] else ALL_TICKERS
    low, high = SWEEP_SEEDS
    return html.Div([
        html.H1("Sweeps and scans"),
        html.P(f"A sweep trains one ticker over a grid of settings (at most {SWEEP_MAX_RUNS} runs); a scan trains "
               "one configuration on every ticker of a dataset or sector. Their runs queue behind every "
               "single click on Train, and each is an ordinary run that Compare and Train open.", className="lead"),
        message(problem, "info") if problem else None,
        dcc.Store(id=ids.SWEEP_URL_ID, data=url_id),
        dcc.Store(id=ids.SWEEP_CURRENT, storage_type="session"),
        dcc.Store(id=ids.SWEEP_SHOWN),
        dcc.Location(id=ids.SWEEP_OPEN_RUN, refresh="callback-nav"),
        html.Div(id=ids.SWEEP_URL_QUERY, hidden=True),
        html.Fieldset([
            html.Legend("Settings every run shares"),
            field("Dataset", dcc.Dropdown(id=ids.SWEEP_DATASET, options=dataset_options(), value=d.dataset,
                                          clearable=False), span=3),
            field("Price column", dcc.Dropdown(id=ids.SWEEP_PRICE_COLUMN, options=list(PRICE_COLUMNS),
                                               value=d.column, clearable=False)),
            field("Epochs", _number(ids.SWEEP_EPOCHS, "epochs", d.epochs, 1)),
            field("Training share", _number(ids.SWEEP_TRAIN_RATIO, "train_ratio", d.train_ratio, "any")),
            field("Validation share", _number(ids.SWEEP_VAL_RATIO, "val_ratio", d.val_ratio, "any")),
            field("Units (LSTM/GRU)", _number(ids.SWEEP_UNITS, "units", d.units, 1)),
            field("Dropout", _number(ids.SWEEP_DROPOUT, "dropout", d.dropout, "any")),
            field("Recurrent dropout", _number(ids.SWEEP_RECURRENT_DROPOUT, "recurrent_dropout",
                                               d.recurrent_dropout, "any")),
            field("Filters (Conv1D)", _number(ids.SWEEP_FILTERS, "filters", d.filters, 1)),
            field("Kernel size (Conv1D)", _number(ids.SWEEP_KERNEL_SIZE, "kernel_size", d.kernel_size, 1)),
            field("Batch size", _number(ids.SWEEP_BATCH_SIZE, "batch_size", d.batch_size, 1)),
            field("Learning rate", _number(ids.SWEEP_LEARNING_RATE, "learning_rate", d.learning_rate, "any")),
            field("First seed", _number(ids.SWEEP_SEED, "seed", d.seed, 1), tip="seeds per cell count up from it"),
            html.Div(dcc.Checklist(id=ids.SWEEP_EARLY_STOPPING, options=[{"label": " early stopping", "value": "on"}],
                                   value=["on"] if d.patience is not None else [], className="checklist"),
                     className="field checklist-field"),
            field("Patience (epochs)", _number(ids.SWEEP_PATIENCE, "patience", 5 if d.patience is None else d.patience,
                                               1)),
        ], className="controls field-grid"),
        html.Div([
            html.Fieldset([
                html.Legend("Sweep: one ticker over a grid"),
                field("Ticker", dcc.Dropdown(id=ids.SWEEP_TICKER, options=tickers, value=ticker, searchable=True,
                                             placeholder="type a ticker, company or sector"), span=6),
                field("look_backs", dcc.Dropdown(id=ids.SWEEP_LOOK_BACKS, options=list(SWEEP_LOOK_BACK_CHOICES),
                                                 value=list(grid.look_backs), multi=True), span=3),
                field("foresights", dcc.Dropdown(id=ids.SWEEP_FORESIGHTS, options=list(SWEEP_FORESIGHT_CHOICES),
                                                 value=list(grid.foresights), multi=True), span=3),
                field("Networks", dcc.Dropdown(id=ids.SWEEP_ARCHITECTURES, options=_arch_options(),
                                               value=list(grid.archs), multi=True), span=3),
                field(f"Seeds per cell ({low}-{high})",
                      dcc.Input(id=ids.SWEEP_SEEDS, type="number", value=grid.seeds, min=low, max=high,
                                step=1, debounce=True), span=3),
                html.Div([
                    html.Button("Start sweep", id=ids.SWEEP_START, className="button button-primary", n_clicks=0),
                    html.Div(id=ids.SWEEP_GRID_SIZE, className="config-check", **{"aria-live": "polite"}),
                ], className="actions span-6"),
            ], className="controls field-grid"),
            html.Fieldset([
                html.Legend("Scan: one configuration over many tickers"),
                field("Tickers", dcc.Dropdown(id=ids.SCAN_SECTOR, options=sector_options, value=sector,
                                              clearable=False), span=6),
                field("look_back", _number(ids.SCAN_LOOK_BACK, "look_back", d.look_back, 1)),
                field("foresight", _number(ids.SCAN_FORESIGHT, "foresight", d.foresight, 1)),
                field("Network", dcc.Dropdown(id=ids.SCAN_ARCHITECTURE, options=_arch_options(), value=d.arch,
                                              clearable=False)),
                html.Div(html.Button("Start scan", id=ids.SCAN_START, className="button button-primary", n_clicks=0),
                         className="actions span-6"),
            ], className="controls field-grid"),
        ], className="graph-pair"),
        html.Div([
            html.Button("Cancel", id=ids.SWEEP_CANCEL, className="button", n_clicks=0, disabled=True),
            html.Button("Download CSV", id=ids.SWEEP_EXPORT, className="button", n_clicks=0, disabled=True),
            html.Div(id=ids.SWEEP_TITLE, className="run-status"),
        ], className="actions"),
        html.Div(id=ids.SWEEP_MESSAGE),
        html.Div(id=ids.SWEEP_PROGRESS, className="run-line"),
        dcc.Download(id=ids.SWEEP_DOWNLOAD),
        dcc.Interval(id=ids.SWEEP_POLL, interval=POLL_INTERVAL_MS, disabled=True),
        html.Div([
            html.Div([html.Span("Colour: ", className="field-label inline"),
                      dcc.RadioItems(id=ids.SWEEP_METRIC, options=[{"label": f" {v}", "value": k}
                                                                   for k, v in METRICS.items()],
                                     value="test_mae", inline=True, className="radio")], className="actions"),
            dcc.Graph(id=ids.SWEEP_HEATMAP, figure=empty_figure("Start a sweep: its cells fill as runs finish"),
                      className="graph"),
            dcc.Graph(id=ids.SWEEP_PARALLEL, figure=empty_figure(""), className="graph"),
            dcc.Graph(id=ids.SWEEP_FORESIGHT_GRAPH, figure=empty_figure(""), className="graph", style=HIDDEN),
            html.Div([
                html.Div([html.Span("Seeds of one cell: ", className="field-label inline"),
                          dcc.Dropdown(id=ids.SWEEP_BAND_CELL, options=[], clearable=False, className="inline-dropdown"),
                          dcc.RadioItems(id=ids.SWEEP_BAND_KIND, options=[{"label": f" {v}", "value": k}
                                                                          for k, v in BAND_KINDS.items()],
                                         value="minmax", inline=True, className="radio")], className="actions"),
                dcc.Graph(id=ids.SWEEP_BAND, figure=empty_figure(""), className="graph"),
            ], id=ids.SWEEP_BAND_BOX, style=HIDDEN),
        ], id=ids.SWEEP_RESULTS),
        html.Div([
            html.H2(id=ids.SCAN_HEADLINE),
            html.Div(id=ids.SCAN_SKIPPED),
            dag.AgGrid(id=ids.SCAN_TABLE, columnDefs=SCAN_COLUMNS, rowData=[], getRowId="params.data.id",
                       defaultColDef={"sortable": True, "filter": True, "resizable": True, "minWidth": 70,
                                      "flex": 1, "suppressHeaderMenuButton": True},
                       dashGridOptions={"pagination": True, "paginationPageSize": 20,
                                        "paginationPageSizeSelector": False, "domLayout": "autoHeight",
                                        "animateRows": False},
                       className="runs-grid", style={"height": None}),
            html.Div([
                dcc.Graph(id=ids.SCAN_MAP, figure=empty_figure(""), className="graph graph-tall"),
                dcc.Graph(id=ids.SCAN_HISTOGRAM, figure=empty_figure(""), className="graph"),
            ], className="graph-pair"),
        ], id=ids.SCAN_RESULTS, style=HIDDEN),
    ])


def settings_of(collection: Any) -> tuple[TrainConfig, SweepGrid, str]:
    """The form's settings of a sweep or scan (a link fills the form with them); the defaults for
    whatever no longer checks out."""
    spec = collection.spec if isinstance(collection.spec, dict) else {}
    try:
        base = TrainConfig.from_mapping(spec.get("base", {}))
    except ConfigError:
        base = DEFAULTS
    grid = SweepGrid()
    if collection.kind == "sweep":
        try:
            axes = spec.get("grid", {})
            grid = SweepGrid.from_values(axes.get("look_backs"), axes.get("archs"), axes.get("foresights"),
                                         axes.get("seeds"))
        except (ConfigError, AttributeError):
            pass
    sector = spec.get("sector") if collection.kind == "scan" and isinstance(spec.get("sector"), str) else None
    return base, grid, sector or ALL_TICKERS


def _sector_options(dataset: Any) -> list[dict[str, str]]:
    try:
        names = sectors(dataset)
    except (DataError, ValueError, OSError):
        names = []
    return [{"label": "every ticker of the dataset", "value": ALL_TICKERS}] + [
        {"label": f"sector: {s}", "value": s} for s in names]


@callback(Output(ids.SWEEP_TICKER, "options"), Output(ids.SWEEP_TICKER, "value"), Output(ids.SCAN_SECTOR, "options"),
          Output(ids.SCAN_SECTOR, "value"), Input(ids.SWEEP_DATASET, "value"), State(ids.SWEEP_TICKER, "value"),
          prevent_initial_call=True)
def update_dataset(dataset: Any, ticker: Any):
    tickers, chosen = ticker_choice(dataset, ticker)
    return tickers, chosen, _sector_options(dataset), ALL_TICKERS


@callback(Output(ids.SWEEP_GRID_SIZE, "children"), *[Input(s.component_id, "value") for s in GRID_STATES])
def show_grid_size(look_backs: Any, archs: Any, foresights: Any, seeds: Any):
    """The grid's size as it is chosen, and the refusal before a click when it is too large."""
    try:
        grid = SweepGrid.from_values(look_backs, archs, foresights, seeds)
        grid.check_size()
    except ConfigError as exc:
        return message(str(exc))
    return message(f"{grid.size} run{'s' if grid.size != 1 else ''}: {grid.describe()}", "info")


@callback(Output(ids.SWEEP_CURRENT, "data"), Output(ids.SWEEP_MESSAGE, "children"),
          Input(ids.SWEEP_START, "n_clicks"), Input(ids.SCAN_START, "n_clicks"),
          *GRID_STATES, State(ids.SCAN_SECTOR, "value"), *SWEEP_STATES, *SCAN_STATES, prevent_initial_call=True)
def start(_sweep: Any, _scan: Any, look_backs: Any, archs: Any, foresights: Any, seeds: Any, sector: Any,
          *values: Any):
    """Check everything, then submit the sweep or scan; a refusal says why and queues nothing."""
    trigger = dash.ctx.triggered_id
    if trigger not in (ids.SWEEP_START, ids.SCAN_START):
        return no_update, no_update
    sweep_values, scan_values = list(values[:len(SWEEP_STATES)]), list(values[len(SWEEP_STATES):])
    session = browser_session()
    try:
        if trigger == ids.SWEEP_START:
            base = config_from_form(sweep_values, SWEEP_FIELDS)
            collection = collections.submit_sweep(
                base, SweepGrid.from_values(look_backs, archs, foresights, seeds), session)
        else:
            base = config_from_form(scan_values, SCAN_FIELDS)
            if not isinstance(sector, str) or not sector:
                raise ConfigError("choose every ticker or one sector")
            collection = collections.submit_scan(base, None if sector == ALL_TICKERS else sector, session)
    except (ConfigError, DataError, collections.CollectionRefused, run_service.ServiceUnavailable) as exc:
        return no_update, message(f"Not started: {exc}")
    return collection.id, None


@callback(Output(ids.SWEEP_MESSAGE, "children", allow_duplicate=True), Input(ids.SWEEP_CANCEL, "n_clicks"),
          State(ids.SWEEP_CURRENT, "data"), prevent_initial_call=True)
def cancel(n_clicks: Any, collection_id: Any):
    """Cancel what has not finished (only the browser that started it may); the poll then shows it."""
    if not n_clicks:
        return no_update
    cancelled = collections.cancel(collection_id, browser_session())
    if not cancelled:
        return message("Nothing cancelled: it has ended, or another browser started it.", "info")
    return message(f"Cancelled {cancelled} run(s) that had not finished.", "ok")


@callback(Output(ids.SWEEP_CURRENT, "data", allow_duplicate=True), Input(ids.SWEEP_URL_ID, "data"),
          prevent_initial_call="initial_duplicate")
def open_from_url(collection_id: Any):
    """/sweep?id=... shows that sweep or scan (checked in the layout)."""
    return collection_id if isinstance(collection_id, str) and RUN_ID.match(collection_id) else no_update


dash.clientside_callback(
    """function(id) {
        const query = id ? '?id=' + encodeURIComponent(id) : '';
        if (window.location.pathname === '/sweep' && window.location.search !== query) {
            window.history.replaceState(window.history.state, '', window.location.pathname + query);
        }
        return query;
    }""",
    Output(ids.SWEEP_URL_QUERY, "children"), Input(ids.SWEEP_CURRENT, "data"))


def run_row(run: Run, catalog: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """A run as the figures and the table read it (plain data)."""
    c, m = run.config, run.metrics
    company, sector = catalog.get(c.ticker, ("", ""))
    return {"id": run.id, "ticker": c.ticker, "company": company, "sector": sector, "look_back": c.look_back,
            "arch": c.arch, "foresight": c.foresight, "seed": c.seed, "status": run.status,
            "test_mae": _round(m.get("test_mae")), "naive_mae": _round(m.get("naive_test_mae")),
            "skill": _round(m.get("skill")), "direction": _round(m.get("test_direction_acc"))}


def _round(value: Any) -> float | None:
    return round(float(value), 4) if isinstance(value, (int, float)) else None


def _catalog(dataset: str) -> dict[str, tuple[str, str]]:
    try:
        frame = catalog_for_file(data_path_for(dataset))
    except (DataError, OSError):
        return {}
    return {t: (c, s) for t, c, s in zip(frame["ticker"], frame["company"], frame["sector"])}


SHOW_OUTPUTS = 17
NOTHING = (None, None, no_update, no_update, no_update, no_update, SHOWN, HIDDEN, None, no_update, no_update,
           no_update, None, True, True, True, None)


@callback(Output(ids.SWEEP_TITLE, "children"), Output(ids.SWEEP_PROGRESS, "children"),
          Output(ids.SWEEP_HEATMAP, "figure"), Output(ids.SWEEP_PARALLEL, "figure"),
          Output(ids.SWEEP_FORESIGHT_GRAPH, "figure"), Output(ids.SWEEP_FORESIGHT_GRAPH, "style"),
          Output(ids.SWEEP_RESULTS, "style"), Output(ids.SCAN_RESULTS, "style"),
          Output(ids.SCAN_HEADLINE, "children"), Output(ids.SCAN_TABLE, "rowData"), Output(ids.SCAN_MAP, "figure"),
          Output(ids.SCAN_HISTOGRAM, "figure"), Output(ids.SCAN_SKIPPED, "children"),
          Output(ids.SWEEP_POLL, "disabled"), Output(ids.SWEEP_CANCEL, "disabled"), Output(ids.SWEEP_EXPORT, "disabled"),
          Output(ids.SWEEP_SHOWN, "data"),
          Input(ids.SWEEP_CURRENT, "data"), Input(ids.SWEEP_POLL, "n_intervals"), Input(ids.SWEEP_METRIC, "value"),
          State(ids.SWEEP_SHOWN, "data"))
def show_collection(collection_id: Any, _tick: Any, metric: Any, shown: Any):
    """The page's one view of its sweep or scan: progress, then the figures, redrawn when a run
    has changed status (a poll that finds nothing new sends nothing), polled while it is active."""
    if not collection_id:
        return NOTHING
    try:
        state = collections.get(collection_id, brief=True)
    except CollectionNotFound:
        return NOTHING
    metric = metric if metric in METRICS else "test_mae"
    now_shown = [state.collection.id, metric, [[r.id, r.status] for r in state.runs]]
    if shown == now_shown:
        return (no_update,) * SHOW_OUTPUTS
    collection = state.collection
    rows = [run_row(r, _catalog(collection.spec.get("base", {}).get("dataset", "")) if collection.kind == "scan"
                    else {}) for r in state.runs]
    title = [html.Span(f"{collections.KIND_LABELS.get(collection.kind, collection.kind)} {collection.id}: ",
                       className="run-id"), collection.title or "", " ",
             dcc.Link("link to this " + collection.kind, href=f"/sweep?id={collection.id}", id=ids.SWEEP_LINK,
                      className="link")]
    share = state.ended / state.total if state.total else 0.0
    progress = html.Div([
        html.Div(collections.progress_text(state), className="progress-text"),
        html.Div(html.Div(className="progress-fill", style={"width": f"{share:.1%}"}), className="progress-track",
                 role="progressbar", **{"aria-valuenow": state.ended, "aria-valuemin": 0,
                                        "aria-valuemax": state.total}),
    ], className="progress-box")
    controls = (not state.active, not state.active, False)
    if collection.kind == "sweep":
        grid = collection.spec.get("grid", {})
        look_backs, archs, foresights = grid.get("look_backs", []), grid.get("archs", []), grid.get("foresights", [])
        several = len(foresights) > 1
        return (title, progress, sweep_heatmap(rows, look_backs, archs, foresights, metric),
                sweep_parallel(rows, archs), mae_by_foresight(rows, archs, foresights) if several else no_update,
                SHOWN if several else HIDDEN, SHOWN, HIDDEN, None, no_update, no_update, no_update, None,
                *controls, now_shown)
    return (title, progress, no_update, no_update, no_update, HIDDEN, HIDDEN, SHOWN, scan_headline(state, rows),
            rows, scan_treemap(rows), skill_histogram(rows), skipped_list(collection.details.get("skipped", [])),
            *controls, now_shown)


def band_cells(grid: dict[str, Any]) -> list[dict[str, str]]:
    """The dropdown's cells of a sweep with several seeds: "LSTM, look_back 7, foresight 6"."""
    return [{"label": f"{REGISTRY[a].label if a in REGISTRY else a}, look_back {lb}, foresight {fs}",
             "value": f"{a}|{lb}|{fs}"}
            for fs in grid.get("foresights", []) for a in grid.get("archs", []) for lb in grid.get("look_backs", [])]


@callback(Output(ids.SWEEP_BAND_BOX, "style"), Output(ids.SWEEP_BAND_CELL, "options"),
          Output(ids.SWEEP_BAND_CELL, "value"), Output(ids.SWEEP_BAND, "figure"),
          Input(ids.SWEEP_SHOWN, "data"), Input(ids.SWEEP_BAND_CELL, "value"), Input(ids.SWEEP_BAND_KIND, "value"),
          State(ids.SWEEP_CURRENT, "data"))
def show_band(_shown: Any, cell: Any, band: Any, collection_id: Any):
    """A sweep with several seeds per cell: one cell's mean test prediction with a band over its
    finished seeds (redrawn as seeds finish)."""
    try:
        collection = collections.get(collection_id, brief=True).collection if collection_id else None
    except CollectionNotFound:
        collection = None
    grid = collection.spec.get("grid", {}) if collection is not None and collection.kind == "sweep" else {}
    if not isinstance(grid, dict) or int(grid.get("seeds", 1) or 1) < 2:
        return HIDDEN, [], None, no_update
    options = band_cells(grid)
    values = [o["value"] for o in options]
    cell = cell if cell in values else values[0]
    band = band if band in BAND_KINDS else "minmax"
    arch, look_back, foresight = cell.split("|")
    finished = [r for r in collections.get(collection.id).runs
                if r.status == "finished" and r.result.get("predictions") and r.config.arch == arch
                and str(r.config.look_back) == look_back and str(r.config.foresight) == foresight]
    figure = (seed_band_figure(finished, band) if finished
              else empty_figure("This cell's band appears as its seeds finish"))
    return SHOWN, options, cell, figure


def scan_headline(state: collections.CollectionState, rows: list[dict[str, Any]]) -> str:
    """'Conv1D beats the naive forecast on 17 of 24 tickers' (so far, while it runs)."""
    done = [r for r in rows if r["status"] == "finished" and r["skill"] is not None]
    arch = state.collection.spec.get("base", {}).get("arch", "")
    label = REGISTRY[arch].label if arch in REGISTRY else "The network"
    text = f"{label} beats the naive forecast on {sum(r['skill'] > 0 for r in done)} of {len(done)} tickers"
    return text + (" so far" if state.active else "")


def skipped_list(skipped: Any) -> html.Details | None:
    """Tickers too short for the settings, each with the engine's reason."""
    if not isinstance(skipped, list) or not skipped:
        return None
    items = [html.Li(f"{ticker}: {reason}") for ticker, reason in skipped]
    return html.Details([html.Summary(f"{len(skipped)} ticker(s) skipped: too short for these settings"),
                         html.Ul(items)], open=len(skipped) <= 10, className="section")


@callback(Output(ids.SWEEP_OPEN_RUN, "href"), Input(ids.SWEEP_HEATMAP, "clickData"),
          Input(ids.SCAN_MAP, "clickData"), Input(ids.SCAN_TABLE, "cellClicked"), State(ids.SWEEP_CURRENT, "data"),
          prevent_initial_call=True)
def open_run(heat: Any, tile: Any, cell: Any, collection_id: Any):
    """A click on a heatmap cell, a treemap tile or a table row opens that run on Train.

    A click on a chart names the cell (panel, network, look_back) or the tile (its id, sector/ticker),
    not a run: the run is looked up in the collection (a cell's first finished seed)."""
    trigger = dash.ctx.triggered_id
    try:
        if trigger == ids.SCAN_TABLE:
            run_id = cell["rowId"]
        elif trigger in (ids.SWEEP_HEATMAP, ids.SCAN_MAP):
            point = (heat if trigger == ids.SWEEP_HEATMAP else tile)["points"][0]
            run_id = _run_at(collections.get(collection_id, brief=True), point)
        else:
            return no_update
    except (KeyError, IndexError, TypeError, ValueError, CollectionNotFound):
        return no_update
    if not isinstance(run_id, str) or not RUN_ID.match(run_id):
        return no_update
    return f"/train?run={run_id}"


def _run_at(state: collections.CollectionState, point: dict[str, Any]) -> str | None:
    """The run behind a clicked heatmap cell or treemap tile (None when there is none)."""
    if state.collection.kind == "sweep":
        foresight = state.collection.spec["grid"]["foresights"][int(point["curveNumber"])]
        look_back = int(point["y"])
        kinds = [kind for kind, arch in REGISTRY.items() if arch.label == point["x"]]
        matches = [r for r in state.runs if (r.config.look_back, r.config.foresight) == (look_back, foresight)
                   and r.config.arch in kinds]
    else:
        ticker = str(point.get("id", "")).rpartition("/")[2]
        matches = [r for r in state.runs if r.config.ticker == ticker]
    finished_first = sorted(matches, key=lambda r: r.status != "finished")
    return finished_first[0].id if finished_first else None


@callback(Output(ids.SWEEP_DOWNLOAD, "data"), Input(ids.SWEEP_EXPORT, "n_clicks"), State(ids.SWEEP_CURRENT, "data"),
          prevent_initial_call=True)
def export(n_clicks: Any, collection_id: Any):
    """One CSV row per run (settings, seed, status, metrics), then the skipped tickers."""
    if not n_clicks:
        return no_update
    try:
        state = collections.get(collection_id)
    except CollectionNotFound:
        return no_update
    return dict(content=collections.export_csv(state),
                filename=f"rnnlab-{state.collection.kind}-{state.collection.id}.csv")
