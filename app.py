"""RNN Stock Lab: wires the Dash app (pages, background jobs, nav, app-wide stores) and serves it.

    python app.py [--host 127.0.0.1] [--port 8050] [--data-dir var] [--debug]

Each page in pages/ owns its layout and callbacks; nothing here imports TensorFlow.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence

import dash
from dash import Dash, DiskcacheManager, Input, Output, State, dcc, html

from components import ids
from modeling.pool import TrainerPool
from modeling.settings import DATA_DIR_ENV, TRAINERS_ENV, data_dir, run_store, trainer_count, trains_in_job_process

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8050
MAX_REQUEST_BYTES = 72 * 1024 * 1024


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="RNN Stock Lab web app")
    parser.add_argument("--host", default=os.environ.get("RNNLAB_HOST", DEFAULT_HOST),
                        help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("RNNLAB_PORT", DEFAULT_PORT)))
    parser.add_argument("--data-dir", default=os.environ.get(DATA_DIR_ENV),
                        help="where runs, models and the job cache are kept (default ./var)")
    parser.add_argument("--trainers", type=int, default=None,
                        help="trainings at once: warm training processes (default: one per core)")
    parser.add_argument("--debug", action="store_true", help="Dash dev tools and reloading (never in class)")
    return parser.parse_args(argv)


def background_manager(directory: Path) -> DiskcacheManager:
    """The embedded job runner: a process per job, results in a disk cache in the data dir."""
    import diskcache

    return DiskcacheManager(diskcache.Cache(str(directory / "jobs")), expire=3600)


def build_nav() -> html.Nav:
    """Links to every registered page, in the pages' order, and the presentation-mode switch."""
    links = [dcc.Link(page["name"], href=page["relative_path"], className="nav-link")
             for page in sorted(dash.page_registry.values(), key=lambda p: p.get("order") or 0)]
    toggle = html.Button("Presentation mode", id=ids.PRESENTATION_TOGGLE, className="presentation-toggle",
                         n_clicks=0, title="large fonts, thick lines, high contrast: for a projector")
    return html.Nav([html.Span("RNN Stock Lab", className="brand"), *links, toggle], id=ids.NAV, className="nav")


# Presentation mode lives in the browser (local storage), so it holds across pages and visits.
dash.clientside_callback(
    "function(n, on) { return n ? !on : dash_clientside.no_update; }",
    Output(ids.PRESENTATION, "data"), Input(ids.PRESENTATION_TOGGLE, "n_clicks"), State(ids.PRESENTATION, "data"),
    prevent_initial_call=True)
dash.clientside_callback(
    """function(on) {
        document.body.classList.toggle('presentation', !!on);
        return on ? 'Presentation mode: on' : 'Presentation mode';
    }""",
    Output(ids.PRESENTATION_TOGGLE, "children"), Input(ids.PRESENTATION, "data"))


def create_app() -> Dash:
    """Build the app for the data dir named in the environment (see modeling.settings)."""
    directory = data_dir()
    run_store().interrupt_active()
    app = Dash(__name__, use_pages=True, title="RNN Stock Lab", suppress_callback_exceptions=True,
               background_callback_manager=background_manager(directory))
    # Uploads arrive base64-encoded (4/3 of the file) inside JSON: this lets a 50 MB file reach the
    # upload check, which names the limit; anything far larger is refused by Flask before parsing.
    app.server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.layout = html.Div([
        dcc.Store(id=ids.CURRENT_RUN, storage_type="session"),
        dcc.Store(id=ids.PRESENTATION, storage_type="local"),
        build_nav(),
        html.Main(dash.page_container, className="page"),
    ])
    return app


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.data_dir:
        os.environ[DATA_DIR_ENV] = str(Path(args.data_dir).expanduser().resolve())
    if args.trainers is not None:
        os.environ[TRAINERS_ENV] = str(args.trainers)
    app = create_app()
    if not trains_in_job_process():
        TrainerPool(data_dir(), trainer_count()).start()
    print(f"RNN Stock Lab on http://{args.host}:{args.port} (data dir {data_dir()}, "
          f"{trainer_count()} trainings at once)", flush=True)
    app.run(host=args.host, port=args.port, debug=args.debug, dev_tools_ui=args.debug,
            dev_tools_hot_reload=args.debug, use_reloader=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
