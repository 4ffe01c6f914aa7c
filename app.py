"""RNN Stock Lab: wires the Dash app (pages, nav, app-wide stores) and serves it.

    python app.py [--host 127.0.0.1] [--port 8050] [--data-dir var] [--trainers N] [--debug]
    gunicorn -w N -b HOST:PORT app:server

A click on Train submits a run to the run service (service/); the run is trained whoever
watches it, and the page follows it by polling the service. Embedded (default): a pool of warm
training processes on this machine trains the runs; under gunicorn one web worker (whichever
holds the data dir's lock) keeps that pool. Classroom (REDIS_URL set): Celery workers train the
runs (`celery -A service.tasks worker`), and the web server keeps no trainers.
Each page in pages/ owns its layout and callbacks; nothing here imports TensorFlow.
"""
from __future__ import annotations

import argparse
import fcntl
import os
import sys
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import dash
import sqlalchemy
from dash import ALL, Dash, Input, Output, State, dcc, html

from components import ids
from components.service import service_banner
from modeling.data import DATASETS, catalog_for_file, dataset_path
from modeling.settings import DATA_DIR_ENV, data_dir
from service.pool import TrainerPool
from service.settings import TRAINERS_ENV, redis_url, run_store, secret_key, trainer_count

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8050
MAX_REQUEST_BYTES = 72 * 1024 * 1024
POOL_LOCK = "trainer-pool.lock"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="RNN Stock Lab web app")
    parser.add_argument("--host", default=os.environ.get("RNNLAB_HOST", DEFAULT_HOST),
                        help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("RNNLAB_PORT", DEFAULT_PORT)))
    parser.add_argument("--data-dir", default=os.environ.get(DATA_DIR_ENV),
                        help="where the run store (SQLite) and uploads are kept (default ./var)")
    parser.add_argument("--trainers", type=int, default=None,
                        help="warm training processes of the embedded set-up (default: one per core)")
    parser.add_argument("--debug", action="store_true", help="Dash dev tools and reloading (never in class)")
    return parser.parse_args(argv)


def build_nav() -> html.Nav:
    """Links to every registered page, in the pages' order, and the presentation-mode switch."""
    links = [dcc.Link(page["name"], href=page["relative_path"], className="nav-link",
                      id={"type": ids.NAV_LINK, "path": page["path"]})
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


# Explore and Train open on the dataset and ticker last chosen on either of them: the nav links to
# those two pages carry it (the pages read their settings from the URL).
dash.clientside_callback(
    """function(chosen, linkIds) {
        return linkIds.map(function(linkId) {
            const path = linkId.path;
            if (!chosen || !chosen.ticker || (path !== '/' && path !== '/train')) { return path; }
            const params = new URLSearchParams({dataset: chosen.dataset, ticker: chosen.ticker});
            return path + '?' + params.toString();
        });
    }""",
    Output({"type": ids.NAV_LINK, "path": ALL}, "href"), Input(ids.CHOSEN, "data"),
    State({"type": ids.NAV_LINK, "path": ALL}, "id"))


def create_app() -> Dash:
    """Build the app for the data dir and services named in the environment (see service.settings).

    No background-callback manager: no callback runs in the background; runs are trained by
    the run service, and the pages poll it."""
    # compress: callback answers (chart data above all) go gzipped to every browser that accepts it.
    app = Dash(__name__, use_pages=True, title="RNN Stock Lab", suppress_callback_exceptions=True, compress=True)
    app.server.secret_key = secret_key()

    @app.server.errorhandler(sqlalchemy.exc.OperationalError)
    def run_store_unavailable(_error: Exception):
        """The database away (PostgreSQL restarting): a clear 503; the banner says it in words."""
        return {"error": "the run store (database) is unavailable"}, 503

    if redis_url() is not None:
        import redis

        @app.server.errorhandler(redis.exceptions.RedisError)
        def job_service_unavailable(_error: Exception):
            """Redis down: a callback that needed it gets a clear 503 (the banner says it in words)."""
            return {"error": "the job service (Redis) is unavailable"}, 503
    # Uploads arrive base64-encoded (4/3 of the file) inside JSON: this lets a 50 MB file reach the
    # upload check, which names the limit; anything far larger is refused by Flask before parsing.
    app.server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.layout = html.Div([
        dcc.Store(id=ids.CURRENT_RUN, storage_type="session"),
        dcc.Store(id=ids.PRESENTATION, storage_type="local"),
        dcc.Store(id=ids.CHOSEN, storage_type="session"),
        build_nav(),
        html.Main([service_banner(), dash.page_container], className="page"),
    ])
    return app


def preload_datasets() -> None:
    """Parse the bundled editions (in a background thread), so that no visitor waits for them (the
    lecture preset switches to the other edition). Never raises: the trainers start after it
    whatever happened to the data.

    The trainers come second: N processes importing TensorFlow at once slow this parse sixfold on
    a small machine, and the first pages and the lecture preset would wait for it."""
    started = time.perf_counter()
    try:
        for dataset in DATASETS:
            catalog_for_file(dataset_path(dataset))
        print(f"bundled datasets loaded in {time.perf_counter() - started:.2f} s", flush=True)
    except Exception as exc:  # noqa: BLE001 - a page that needs the data will say what is wrong
        print(f"bundled datasets not preloaded: {type(exc).__name__}: {exc}", flush=True)


def start_services() -> str:
    """What a web process starts beside the app; returns it in words.

    Embedded: every web process loads the bundled data; the first to take the data dir's pool
    lock then cleans up after a crash (runs this machine was training are marked interrupted:
    their trainers ended with the old server; queued runs stay queued and are trained) and keeps the
    trainer pool, so that under gunicorn the pool starts once, not once per web worker. If that
    process dies, the lock is released, its trainers exit with it, and another web worker takes
    the lock over (checked every few seconds) and starts a new pool. Classroom: no trainers; runs
    are the Celery workers', and a thread fails, every few seconds, running runs whose heartbeat
    stopped (their worker or its machine died), so they end even when no page looks.
    """
    if redis_url() is not None:
        threading.Thread(target=preload_datasets, name="preload", daemon=True).start()
        threading.Thread(target=_watch_heartbeats, name="heartbeat-watch", daemon=True).start()
        return f"runs trained by Celery workers via {redis_url()}"
    threading.Thread(target=_keep_trainer_pool, args=(data_dir(),), name="trainer-pool-lock", daemon=True).start()
    return f"{trainer_count()} warm training processes"


POOL_LOCK_RETRY_SECONDS = 2.0
HEARTBEAT_WATCH_SECONDS = 5.0


def _watch_heartbeats() -> None:
    """Classroom: fail running runs whose training process stopped beating, wherever it ran."""
    while True:
        time.sleep(HEARTBEAT_WATCH_SECONDS)
        try:
            run_store().fail_dead_workers()
        except Exception:  # noqa: BLE001 - the database may be away for a moment; look again later
            pass


def _keep_trainer_pool(directory: Path) -> None:
    """Load the data, wait for the pool lock; holding it, clean up and start the trainers.

    Runs for this process's life in a daemon thread, which keeps the lock file open: the kernel
    releases the lock only when this process ends (closing the file would release it at once)."""
    preload_datasets()
    with open(directory / POOL_LOCK, "a") as lock:
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                time.sleep(POOL_LOCK_RETRY_SECONDS)
        interrupted = run_store().interrupt_running()
        if interrupted:
            print(f"{interrupted} run(s) that a previous server was training marked interrupted", flush=True)
        TrainerPool(directory, trainer_count()).start()
        threading.Event().wait()  # hold the lock (and the pool) until this process ends


@lru_cache(maxsize=1)
def _app_from_environment() -> Dash:
    """The app and its services, built once per process on first use (gunicorn's `app:server`)."""
    app = create_app()
    print(f"RNN Stock Lab (pid {os.getpid()}, data dir {data_dir()}, {start_services()})", flush=True)
    return app


def __getattr__(name: str):
    """`app:server` for gunicorn: built from the environment on first access, so that importing
    this module (tests, `python app.py` before it reads its flags) builds nothing."""
    if name == "server":
        return _app_from_environment().server
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.data_dir:
        os.environ[DATA_DIR_ENV] = str(Path(args.data_dir).expanduser().resolve())
    if args.trainers is not None:
        os.environ[TRAINERS_ENV] = str(args.trainers)
    app = _app_from_environment()
    print(f"RNN Stock Lab on http://{args.host}:{args.port}", flush=True)
    app.run(host=args.host, port=args.port, debug=args.debug, dev_tools_ui=args.debug,
            dev_tools_hot_reload=args.debug, use_reloader=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
