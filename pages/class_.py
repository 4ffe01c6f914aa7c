"""Class view: every run of everyone, live, ranked by skill; nicknames; the instructor's cancel and pin,
and the projector view of the pinned run (/class?view=projector).

No accounts: a browser is its session cookie, and it shows under the nickname it sets (always as
text). The instructor is whoever holds RNNLAB_INSTRUCTOR_KEY: entered once, kept in this tab's
session storage, and checked again by the run service on every cancel and pin.
"""
from __future__ import annotations

from typing import Any

import dash
import dash_ag_grid as dag
from dash import Input, Output, State, callback, dcc, html, no_update

from components import ids
from components.cards import field, message
from components.figures import empty_figure, loss_figure, prediction_figure
from components.session import browser_session
from modeling.architectures import REGISTRY
from service import runs as run_service
from service.settings import instructor_key_configured, instructor_key_matches
from service.store import Run, RunSummary

dash.register_page(__name__, path="/class", name="Class", title="Class - RNN Stock Lab", order=4)

POLL_MS = 2000
PROJECTOR_POLL_MS = 1000
NUMBER = {"filter": "agNumberColumnFilter", "type": "numericColumn", "cellDataType": "number", "minWidth": 80}
# Every cell is plain text (dash-ag-grid's default renderer): no markdown or HTML renderer anywhere,
# so a nickname such as "<img src=x onerror=...>" shows as the characters typed.
TEXT = {"cellDataType": "text"}
COLUMNS = [
    {"headerName": "rank", "field": "rank", **NUMBER, "minWidth": 70},
    {"headerName": "nickname", "field": "nickname", "minWidth": 140, **TEXT},
    {"headerName": "ticker", "field": "ticker", **TEXT},
    {"headerName": "network", "field": "network", **TEXT},
    {"headerName": "look_back", "field": "look_back", **NUMBER, "minWidth": 100},
    {"headerName": "foresight", "field": "foresight", **NUMBER, "minWidth": 92},
    {"headerName": "status / epoch", "field": "status", "minWidth": 140, **TEXT},
    {"headerName": "test MAE ($)", "field": "test_mae", **NUMBER},
    {"headerName": "naive MAE ($)", "field": "naive_mae", **NUMBER},
    {"headerName": "skill", "field": "skill", **NUMBER, "minWidth": 70},
    {"headerName": "run", "field": "id", "minWidth": 125, **TEXT},
]
DEFAULT_COLUMN = {"sortable": True, "resizable": True, "minWidth": 70, "suppressHeaderMenuButton": True,
                  "wrapHeaderText": True, "autoHeaderHeight": True}
GRID_OPTIONS = {"rowSelection": {"mode": "singleRow", "checkboxes": True, "enableClickSelection": True},
                "pagination": True, "paginationPageSize": 20, "paginationPageSizeSelector": False,
                "domLayout": "autoHeight", "animateRows": False}


def status_text(run: Run | RunSummary) -> str:
    """"running, epoch 3 of 30", "queued", "finished, 30 epochs", "cancelled at epoch 4 of 30"."""
    done, total = run.epochs_done, run.config.epochs
    if run.status == "running":
        return f"running, epoch {done} of {total}"
    if run.status == "finished":
        return f"finished, {done} epochs"
    if run.status == "queued":
        return "queued"
    return f"{run.status} at epoch {done} of {total}"


def class_rows(all_runs: list[Run] | list[RunSummary], names: dict[str, str], ticker: Any = None, arch: Any = None) -> list[dict]:
    """The class table: runs with a skill first, best first, ranked 1, 2, ...; then runs without one
    (still training, or ended without a result), newest first. Filtered by ticker and network."""
    chosen = [r for r in all_runs
              if (not isinstance(ticker, str) or r.config.ticker == ticker)
              and (not isinstance(arch, str) or r.config.arch == arch)]
    scored = sorted((r for r in chosen if "skill" in r.metrics), key=lambda r: (-r.metrics["skill"], r.created))
    unscored = sorted((r for r in chosen if "skill" not in r.metrics), key=lambda r: -r.created)
    rows = []
    for place, run in enumerate(scored + unscored, start=1):
        m = run.metrics
        rows.append({
            "id": run.id, "rank": place if "skill" in m else None,
            "nickname": names.get(run.session or "", "") or "anonymous",
            "ticker": run.config.ticker, "network": REGISTRY[run.config.arch].label,
            "look_back": run.config.look_back, "foresight": run.config.foresight, "status": status_text(run),
            "test_mae": round(m["test_mae"], 3) if "test_mae" in m else None,
            "naive_mae": round(m["naive_test_mae"], 3) if "naive_test_mae" in m else None,
            "skill": round(m["skill"], 3) if "skill" in m else None,
        })
    return rows


def layout(**query: Any) -> html.Div:
    if query.get("view") == "projector":
        return projector_layout()
    try:
        nickname = run_service.nicknames().get(browser_session(), "")
    except RuntimeError:  # no request (a layout built outside one): no session to read
        nickname = ""
    arch_options = [{"label": a.label, "value": a.kind} for a in REGISTRY.values()]
    return html.Div([
        html.H1("Class view"),
        html.P("Every run of everyone in this class, live, best first by skill (1 - MAE / naive MAE on the test "
               "split). Set a nickname to show next to your runs; there are no accounts.", className="lead"),
        html.Div([
            field("Your nickname", dcc.Input(id=ids.CLASS_NICKNAME, value=nickname, maxLength=run_service.NICKNAME_MAX,
                                             placeholder="shown next to your runs", debounce=False), span=3),
            html.Button("Save nickname", id=ids.CLASS_NICKNAME_SAVE, className="button", n_clicks=0),
            html.Div(id=ids.CLASS_NICKNAME_MESSAGE),
        ], className="actions"),
        html.Div([
            field("Ticker", dcc.Dropdown(id=ids.CLASS_TICKER_FILTER, options=[], placeholder="every ticker"), span=3),
            field("Network", dcc.Dropdown(id=ids.CLASS_ARCH_FILTER, options=arch_options,
                                          placeholder="every network"), span=3),
        ], className="controls field-grid"),
        dag.AgGrid(id=ids.CLASS_TABLE, columnDefs=COLUMNS, defaultColDef=DEFAULT_COLUMN, rowData=[],
                   getRowId="params.data.id", columnSize="responsiveSizeToFit", dashGridOptions=GRID_OPTIONS,
                   selectedRows=[], className="runs-grid", style={"height": None}),
        dcc.Interval(id=ids.CLASS_POLL, interval=POLL_MS),
        html.Div([
            html.Button("Cancel selected run", id=ids.CLASS_CANCEL, className="button", n_clicks=0,
                        title="your own runs; the instructor: anyone's"),
            html.Button("Pin selected run to the projector", id=ids.CLASS_PIN, className="button", n_clicks=0,
                        title="instructor only"),
            dcc.Link("Projector view", href="/class?view=projector", className="link"),
            html.Div(id=ids.CLASS_ACTION_MESSAGE),
        ], className="actions"),
        instructor_section(),
    ])


def instructor_section() -> html.Details:
    """The key box (or why there is none); the key stays in this tab's session storage."""
    off = not instructor_key_configured()
    return html.Details([
        html.Summary("Instructor"),
        message("Instructor features are off: start the app with RNNLAB_INSTRUCTOR_KEY set to a key of your "
                "choice to cancel anyone's run and pin a run to the projector.", "info") if off else None,
        html.Div([
            field("Instructor key", dcc.Input(id=ids.CLASS_KEY_INPUT, type="password", value="", debounce=False,
                                              autoComplete="off", disabled=off), span=3),
            html.Button("Unlock", id=ids.CLASS_KEY_BUTTON, className="button", n_clicks=0, disabled=off),
        ], className="actions"),
        html.Div(id=ids.CLASS_KEY_STATUS),
        dcc.Store(id=ids.CLASS_KEY_STORE, storage_type="session"),
    ], className="section")


def projector_layout() -> html.Div:
    """The pinned run, big: its loss curve and its test predictions, followed live."""
    big = {"height": "42vh"}
    return html.Div([
        html.H1(id=ids.PROJECTOR_TITLE),
        dcc.Graph(id=ids.PROJECTOR_LOSS_GRAPH, figure=empty_figure("No run pinned yet"), style=big, responsive=True),
        dcc.Graph(id=ids.PROJECTOR_PREDICTION_GRAPH, figure=empty_figure(""), style=big, responsive=True),
        dcc.Interval(id=ids.PROJECTOR_POLL, interval=PROJECTOR_POLL_MS),
        dcc.Store(id=ids.PROJECTOR_SHOWN),
    ], className="projector")


@callback(Output(ids.CLASS_TABLE, "rowData"), Output(ids.CLASS_TICKER_FILTER, "options"),
          Input(ids.CLASS_POLL, "n_intervals"), Input(ids.CLASS_TICKER_FILTER, "value"),
          Input(ids.CLASS_ARCH_FILTER, "value"), Input(ids.CLASS_NICKNAME_MESSAGE, "children"),
          State(ids.CLASS_TABLE, "rowData"), State(ids.CLASS_TICKER_FILTER, "options"))
def refresh_class(_tick: Any, ticker: Any, arch: Any, _saved: Any, shown: Any, shown_options: Any):
    """Every run, re-read while the page is open; unchanged rows and options are not sent again."""
    all_runs = run_service.summaries()
    rows = class_rows(all_runs, run_service.nicknames(), ticker, arch)
    options = sorted({r.config.ticker for r in all_runs})
    return (no_update if rows == shown else rows, no_update if options == shown_options else options)


@callback(Output(ids.CLASS_NICKNAME_MESSAGE, "children"), Input(ids.CLASS_NICKNAME_SAVE, "n_clicks"),
          Input(ids.CLASS_NICKNAME, "n_submit"), State(ids.CLASS_NICKNAME, "value"), prevent_initial_call=True)
def save_nickname(_clicks: Any, _submit: Any, nickname: Any):
    try:
        saved = run_service.set_nickname(browser_session(), nickname)
    except run_service.NicknameError as exc:
        return message(f"Not saved: {exc}")
    return message(f"Saved: your runs show as {saved}", "ok")


@callback(Output(ids.CLASS_KEY_STORE, "data"), Output(ids.CLASS_KEY_INPUT, "value"),
          Input(ids.CLASS_KEY_BUTTON, "n_clicks"), Input(ids.CLASS_KEY_INPUT, "n_submit"),
          State(ids.CLASS_KEY_INPUT, "value"), prevent_initial_call=True)
def unlock(_clicks: Any, _submit: Any, key: Any):
    """Keep the key in this tab only if it is the instructor's; the box is emptied either way."""
    return (key if instructor_key_matches(key) else {"wrong": True}), ""


@callback(Output(ids.CLASS_KEY_STATUS, "children"), Input(ids.CLASS_KEY_STORE, "data"))
def show_instructor(key: Any):
    if instructor_key_matches(key):
        return message("Instructor: you can cancel any run and pin a run to the projector view.", "ok")
    if isinstance(key, dict) and key.get("wrong"):
        return message("That is not the instructor key.")
    return None


def _selected_run(rows: Any) -> Run | None:
    chosen = [r.get("id") for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []
    found = run_service.find([i for i in chosen if isinstance(i, str)][:1])
    return found[0] if found else None


@callback(Output(ids.CLASS_ACTION_MESSAGE, "children"), Input(ids.CLASS_CANCEL, "n_clicks"),
          State(ids.CLASS_TABLE, "selectedRows"), State(ids.CLASS_KEY_STORE, "data"), prevent_initial_call=True)
def cancel_selected(n_clicks: Any, rows: Any, key: Any):
    """Your own run, or anyone's with the instructor key (the run service checks the key)."""
    run = _selected_run(rows)
    if not n_clicks or run is None:
        return message("Select a run first.", "info")
    if run_service.cancel(run.id, browser_session(), instructor_key=key):
        return message(f"Cancelled run {run.id}.", "ok")
    if not run.active:
        return message(f"Run {run.id} has already ended ({run.status}).", "info")
    return message(f"Not cancelled: run {run.id} was started in another browser; only that browser or the "
                   "instructor can cancel it.")


@callback(Output(ids.CLASS_ACTION_MESSAGE, "children", allow_duplicate=True), Input(ids.CLASS_PIN, "n_clicks"),
          State(ids.CLASS_TABLE, "selectedRows"), State(ids.CLASS_KEY_STORE, "data"), prevent_initial_call=True)
def pin_selected(n_clicks: Any, rows: Any, key: Any):
    run = _selected_run(rows)
    if not n_clicks or run is None:
        return message("Select a run first.", "info")
    if not run_service.pin(run.id, key):
        return message("Not pinned: only the instructor can pin a run (enter the instructor key below).")
    return message(f"Pinned run {run.id} to the projector view.", "ok")


@callback(Output(ids.PROJECTOR_TITLE, "children"), Output(ids.PROJECTOR_LOSS_GRAPH, "figure"),
          Output(ids.PROJECTOR_PREDICTION_GRAPH, "figure"), Output(ids.PROJECTOR_SHOWN, "data"),
          Input(ids.PROJECTOR_POLL, "n_intervals"), State(ids.PROJECTOR_SHOWN, "data"))
def show_pinned(_tick: Any, shown: Any):
    """The pinned run's curve and predictions; a poll that finds nothing new sends nothing."""
    run = run_service.pinned()
    if run is None:
        if shown == "none":
            return (no_update,) * 4
        return ("No run pinned yet: the instructor pins one from the class view.",
                empty_figure("No run pinned yet"), empty_figure(""), "none")
    now_shown = [run.id, run.status, run.epochs_done]
    if shown == now_shown:
        return (no_update,) * 4
    nickname = run_service.nicknames().get(run.session or "", "") or "anonymous"
    config, label = run.config, REGISTRY[run.config.arch].label
    title = (f"{nickname}: {config.ticker} {label}, look_back {config.look_back}, foresight {config.foresight} "
             f"({status_text(run)})")
    loss = loss_figure(run.history, config.epochs, f"{config.ticker} {label}: loss per epoch")
    predictions = run.result.get("predictions")
    chart = (prediction_figure(predictions, config.ticker, config.column, label) if predictions
             else empty_figure("The test predictions appear when training ends"))
    return title, loss, chart, now_shown
