"""The export-notebook button of /train and /compare: a run (or the form's settings) as a notebook.

One button id and one callback serve both pages: each page's inputs are optional states, so the
callback reads whichever page is open (Compare: the grid's first selected run; Train: the run
shown, else the form as it stands). Everything a client posts is checked again here.
"""
from __future__ import annotations

from typing import Any

from dash import Input, Output, State, callback, dcc, html, no_update

from components import ids
from components.cards import message
from components.forms import FORM_FIELDS, check_form
from modeling.config import ConfigError, TrainConfig
from modeling.data import DataError
from modeling.notebook import notebook_filename, notebook_json
from modeling.pipeline import data_path_for
from service import runs as run_service
from service.store import RunNotFound

IPYNB_TYPE = "application/x-ipynb+json"


def export_notebook_button() -> html.Span:
    """The button and its download; the message goes next to it."""
    return html.Span([
        html.Button("Export notebook (.ipynb)", id=ids.EXPORT_NOTEBOOK, className="button", n_clicks=0,
                    title="this run as a Jupyter notebook in the lecture's pandas, scikit-learn and Keras code"),
        dcc.Download(id=ids.NOTEBOOK_DOWNLOAD),
        html.Span(id=ids.NOTEBOOK_MESSAGE),
    ], className="export-notebook")


def notebook_download(config: TrainConfig) -> dict[str, Any]:
    """What dcc.Download sends: the notebook of ``config`` on the file its dataset names."""
    return dict(content=notebook_json(config, data_path_for(config.dataset)), filename=notebook_filename(config),
                type=IPYNB_TYPE)


def config_to_export(selected_rows: Any, current_run: Any, form: list[Any]) -> TrainConfig:
    """The configuration the open page means; raises ConfigError, DataError or RunNotFound with the reason.

    Compare (its grid's selectedRows is a list): the first selected run. Train: the run it shows, or
    the form's settings when it shows none."""
    if isinstance(selected_rows, list):
        chosen = [r["id"] for r in selected_rows if isinstance(r, dict) and isinstance(r.get("id"), str)]
        found = run_service.find(chosen[:1])
        if not found:
            raise RunNotFound("Select a run to export first.")
        return found[0].config
    if current_run:
        try:
            return run_service.get(current_run).run.config
        except RunNotFound:
            pass  # the run shown was deleted since: export the form instead
    config, _ = check_form(list(form))
    return config


@callback(Output(ids.NOTEBOOK_DOWNLOAD, "data"), Output(ids.NOTEBOOK_MESSAGE, "children"),
          Input(ids.EXPORT_NOTEBOOK, "n_clicks"),
          State(ids.RUNS_TABLE, "selectedRows", allow_optional=True),
          State(ids.CURRENT_RUN, "data", allow_optional=True),
          *[State(cid, "value", allow_optional=True) for cid, _ in FORM_FIELDS],
          State(ids.EARLY_STOPPING, "value", allow_optional=True),
          prevent_initial_call=True)
def export_notebook(n_clicks: Any, selected_rows: Any, current_run: Any, *form: Any):
    if not n_clicks:
        return no_update, no_update
    try:
        config = config_to_export(selected_rows, current_run, list(form))
        return notebook_download(config), None
    except RunNotFound as exc:
        return no_update, message(str(exc.args[0]), "info")
    except (ConfigError, DataError) as exc:
        return no_update, message(f"Not exported: {exc}")
