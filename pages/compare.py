"""Compare: every run in a sortable, filterable table; overlay the selected runs; delete, download."""
from __future__ import annotations

import csv
import io
from typing import Any

import dash
import dash_ag_grid as dag
from dash import Input, Output, State, callback, dcc, html, no_update

from components import ids
from components.cards import message
from components.figures import compare_loss_figure, compare_prediction_figure, empty_figure, mae_bar_figure
from components.notebook_export import export_notebook_button
from components.session import browser_session
from service import collections
from service import runs as run_service
from service.store import Run, RunNotFound

dash.register_page(__name__, path="/compare", name="Compare", title="Compare - RNN Stock Lab", order=2)

MAX_SELECTED = 8
NUMBER = {"filter": "agNumberColumnFilter", "type": "numericColumn", "cellDataType": "number", "minWidth": 80}
TEXT = {"cellDataType": "text"}  # declared, not guessed from the first row ("epochs" holds 5 or "3/30")
# Every column sorts and filters (a filter box under each header); the grid fits its columns to the
# page's width, so the page never scrolls sideways (the minimum widths keep every one-word header
# whole at 1280 px; longer headers wrap at their spaces). The checkbox column selects runs.
COLUMNS = [
    {"headerName": "run", "field": "id", "minWidth": 125, **TEXT},
    {"headerName": "ticker", "field": "ticker", **TEXT},
    {"headerName": "architecture", "field": "arch", "minWidth": 110, **TEXT},
    {"headerName": "column", "field": "column", "minWidth": 80, **TEXT},
    {"headerName": "look_back", "field": "look_back", **NUMBER, "minWidth": 100},
    {"headerName": "foresight", "field": "foresight", **NUMBER, "minWidth": 92},
    {"headerName": "epochs", "field": "epochs", "minWidth": 80, **TEXT},
    {"headerName": "test MAE ($)", "field": "test_mae", **NUMBER},
    {"headerName": "naive MAE ($)", "field": "naive_mae", **NUMBER},
    {"headerName": "skill", "field": "skill", **NUMBER, "minWidth": 70},
    {"headerName": "direction", "field": "direction", **NUMBER, "minWidth": 92},
    {"headerName": "time (s)", "field": "seconds", **NUMBER},
    {"headerName": "status", "field": "status", "minWidth": 105, **TEXT},
]
DEFAULT_COLUMN = {"sortable": True, "filter": True, "floatingFilter": True, "resizable": True, "minWidth": 70,
                  "suppressHeaderMenuButton": True, "wrapHeaderText": True, "autoHeaderHeight": True}
GRID_OPTIONS = {"rowSelection": {"mode": "multiRow", "checkboxes": True, "headerCheckbox": True,
                                 "enableClickSelection": False},
                "pagination": True, "paginationPageSize": 15, "paginationPageSizeSelector": False,
                "domLayout": "autoHeight", "animateRows": False, "tooltipShowDelay": 300}


def run_row(run: Run) -> dict[str, Any]:
    """A run as a table row: rounded numbers, blanks where a run has no result."""
    m = run.metrics

    def num(key: str, digits: int) -> float | None:
        return round(m[key], digits) if key in m else None

    return {"id": run.id, "ticker": run.config.ticker, "arch": run.config.arch, "column": run.config.column,
            "look_back": run.config.look_back, "foresight": run.config.foresight,
            "epochs": f"{run.epochs_done}/{run.config.epochs}" if run.active or run.status != "finished"
            else run.epochs_done,
            "test_mae": num("test_mae", 3), "naive_mae": num("naive_test_mae", 3), "skill": num("skill", 3),
            "direction": num("test_direction_acc", 3),
            "seconds": round(run.elapsed, 1) if run.elapsed is not None else None, "status": run.status}


def layout(**_query: Any) -> html.Div:
    return html.Div([
        html.H1("Compare runs"),
        html.P("Select runs to overlay their loss curves; runs on the same ticker and test window also "
               "overlay their test predictions.", className="lead"),
        dag.AgGrid(id=ids.RUNS_TABLE, columnDefs=COLUMNS, defaultColDef=DEFAULT_COLUMN, rowData=[],
                   getRowId="params.data.id", columnSize="responsiveSizeToFit", dashGridOptions=GRID_OPTIONS,
                   selectedRows=[], className="runs-grid", style={"height": None}),
        html.Div([
            html.Button("Delete selected", id=ids.DELETE_BUTTON, className="button", n_clicks=0),
            html.Button("Download predictions (CSV)", id=ids.DOWNLOAD_CSV_BUTTON, className="button", n_clicks=0),
            html.Button("Download model (.keras)", id=ids.DOWNLOAD_MODEL_BUTTON, className="button", n_clicks=0),
            export_notebook_button(),
        ], className="actions"),
        html.Div(id=ids.COMPARE_MESSAGE),
        dcc.Download(id=ids.DOWNLOAD),
        dcc.Interval(id=ids.RUNS_REFRESH, interval=3000),
        html.Div(id=ids.COMPARE_COLLECTIONS),
        dcc.Graph(id=ids.COMPARE_LOSS_GRAPH, figure=empty_figure("Select runs to overlay their loss curves"),
                  className="graph"),
        html.Div([
            dcc.Graph(id=ids.COMPARE_PREDICTION_GRAPH, figure=compare_prediction_figure([]), className="graph"),
            dcc.Graph(id=ids.COMPARE_MAE_GRAPH, figure=mae_bar_figure([]), className="graph"),
        ], className="graph-pair"),
    ])


@callback(Output(ids.RUNS_TABLE, "rowData"), Input(ids.RUNS_REFRESH, "n_intervals"),
          Input(ids.COMPARE_MESSAGE, "children"), State(ids.RUNS_TABLE, "rowData"))
def refresh_table(_tick: Any, _message: Any, shown: Any):
    """The runs, refreshed every few seconds; unchanged rows are not sent again (charts stay put)."""
    rows = [run_row(r) for r in run_service.list_runs()]
    return no_update if rows == shown else rows


def selected_ids(rows: Any) -> list[str]:
    """The run ids of the grid's selected rows (a client can post anything: non-rows are skipped)."""
    if not isinstance(rows, list):
        return []
    return [row["id"] for row in rows if isinstance(row, dict) and isinstance(row.get("id"), str)]


def selected_runs(selected: Any) -> list[Run]:
    """The selected runs that still exist, in the order selected (ids are validated by the store)."""
    if not isinstance(selected, list):
        return []
    return run_service.find(selected[:MAX_SELECTED])


def _plain(run: Run) -> dict[str, Any]:
    return {"id": run.id, "config": run.config.to_dict(), "history": run.history, "result": run.result}


def same_test_window(runs: list[Run]) -> list[Run]:
    """Runs with predictions that share the first run's ticker, column, split and target dates."""
    with_predictions = [r for r in runs if r.result.get("predictions")]
    if not with_predictions:
        return []
    first = with_predictions[0]
    key = first.result["predictions"]["date"]
    return [r for r in with_predictions
            if r.config.ticker == first.config.ticker and r.config.column == first.config.column
            and r.config.dataset == first.config.dataset and r.result["predictions"]["date"] == key]


@callback(Output(ids.COMPARE_LOSS_GRAPH, "figure"), Output(ids.COMPARE_PREDICTION_GRAPH, "figure"),
          Output(ids.COMPARE_MAE_GRAPH, "figure"), Input(ids.RUNS_TABLE, "selectedRows"),
          Input(ids.RUNS_TABLE, "rowData"))
def show_selection(rows: Any, _data: Any):
    runs = selected_runs(selected_ids(rows))
    if not runs:
        return (empty_figure("Select runs to overlay their loss curves"), compare_prediction_figure([]),
                mae_bar_figure([]))
    finished = [_plain(r) for r in runs if r.metrics]
    return (compare_loss_figure([_plain(r) for r in runs]),
            compare_prediction_figure([_plain(r) for r in same_test_window(runs)]), mae_bar_figure(finished))


@callback(Output(ids.COMPARE_MESSAGE, "children"), Output(ids.RUNS_TABLE, "selectedRows"),
          Input(ids.DELETE_BUTTON, "n_clicks"), State(ids.RUNS_TABLE, "selectedRows"),
          prevent_initial_call=True)
def delete_runs(n_clicks: Any, rows: Any):
    """Delete the selected runs this browser may delete; the others stay selected, with the reason."""
    runs = selected_runs(selected_ids(rows))
    if not n_clicks or not runs:
        return message("Select the runs to delete first.", "info"), no_update
    session = browser_session()
    active = [r.id for r in runs if r.active]
    others = [r.id for r in runs if not r.active and r.session not in (None, session)]
    deleted = [r for r in runs if r.id not in active and r.id not in others and run_service.delete(r.id, session)]
    text = f"Deleted {len(deleted)} run(s)."
    if active:
        text += f" Not deleted while active (cancel them first): {', '.join(active)}."
    if others:
        text += f" Not deleted, started in another browser: {', '.join(others)}."
    return message(text, "ok"), [{"id": run_id} for run_id in active + others]


@callback(Output(ids.DOWNLOAD, "data"), Output(ids.COMPARE_MESSAGE, "children", allow_duplicate=True),
          Input(ids.DOWNLOAD_CSV_BUTTON, "n_clicks"), Input(ids.DOWNLOAD_MODEL_BUTTON, "n_clicks"),
          State(ids.RUNS_TABLE, "selectedRows"), prevent_initial_call=True)
def download(_csv: Any, _model: Any, rows: Any):
    kind = "model" if dash.ctx.triggered_id == ids.DOWNLOAD_MODEL_BUTTON else "csv"
    return download_for(selected_ids(rows), kind)


def download_for(selected: Any, kind: str) -> tuple[Any, Any]:
    """The first selected finished run's predictions (CSV) or model (checked against its SHA-256)."""
    runs = [r for r in selected_runs(selected) if r.result.get("predictions")]
    if not runs:
        return no_update, message("Select a finished run to download.", "info")
    run = runs[0]
    if kind == "model":
        try:
            data = run_service.model_bytes(run.id)
        except RunNotFound as exc:
            return no_update, message(str(exc.args[0]))
        return dcc.send_bytes(data, filename=f"rnnlab-{run.config.ticker}-{run.config.arch}-{run.id}.keras"), None
    return dict(content=predictions_csv(run), filename=f"rnnlab-{run.config.ticker}-{run.id}-predictions.csv"), None


def predictions_csv(run: Run) -> str:
    """date, actual, predicted, naive: the test predictions in dollars."""
    p = run.result["predictions"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["date", "actual", "predicted", "naive"])
    writer.writerows(zip(p["date"], p["actual"], p["predicted"], p["naive"]))
    return out.getvalue()


@callback(Output(ids.COMPARE_COLLECTIONS, "children"), Input(ids.RUNS_REFRESH, "n_intervals"))
def list_collections(_tick: Any):
    """Sweeps and scans (their runs are rows of the grid above), each with its link to /sweep?id=..."""
    states = collections.list_collections()
    if not states:
        return None
    header = html.Tr([html.Th(h) for h in ("kind", "what", "finished", "created", "")])
    rows = [html.Tr([html.Td(collections.KIND_LABELS.get(s.collection.kind, s.collection.kind)),
                     html.Td(s.collection.title or ""), html.Td(f"{s.finished} of {s.total}"),
                     html.Td(collections.created_text(s.collection)),
                     html.Td(dcc.Link("open", href=f"/sweep?id={s.collection.id}", className="link"))])
            for s in states]
    return html.Details([html.Summary(html.H2(f"Sweeps and scans ({len(states)})")),
                         html.Table([html.Thead(header), html.Tbody(rows)], className="summary-table")],
                        open=True, className="section")
