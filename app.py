"""RNN Stock Lab: wires the Dash app (pages, background jobs, nav, app-wide stores) and serves it.

    python app.py [--host 127.0.0.1] [--port 8050] [--data-dir var] [--trainers N] [--debug]

Embedded (default): background jobs run in processes of this server (DiskcacheManager) and
trainings in a pool of warm training processes. With REDIS_URL set, background jobs run on Celery
workers (`celery -A app.celery_app worker --concurrency N`), which train in place.
Each page in pages/ owns its layout and callbacks; nothing here imports TensorFlow.
"""
from __future__ import annotations

import argparse
import itertools
import os
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Sequence

import dash
from dash import ALL, CeleryManager, Dash, DiskcacheManager, Input, Output, State, dcc, html

from components import ids
from components.service import service_banner
from modeling.data import DATASETS, catalog_for_file, dataset_path
from modeling.pool import TrainerPool
from modeling.settings import DATA_DIR_ENV, TRAINERS_ENV, data_dir, redis_url, run_store, trainer_count

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


def make_celery(url: str):
    """The Celery app for a classroom: Redis as broker and result backend.

    Worker children import TensorFlow on their first training, never before the fork; the
    process-alive timeout leaves room for that import.
    """
    from celery import Celery
    from celery.signals import worker_process_init

    celery = Celery("rnnlab", broker=url, backend=url)
    celery.conf.update(worker_prefetch_multiplier=1, worker_proc_alive_timeout=60,
                       broker_connection_retry_on_startup=True, result_expires=3600,
                       broker_transport_options={"socket_timeout": 5, "socket_connect_timeout": 5},
                       redis_socket_timeout=5, redis_socket_connect_timeout=5,
                       # a job whose progress cannot reach Redis fails within seconds, with that reason
                       result_backend_transport_options={"retry_policy": {"max_retries": 3, "interval_start": 0.5,
                                                                          "interval_step": 0.5, "interval_max": 1}})

    @worker_process_init.connect
    def warm_worker(**_: object) -> None:
        """In each worker child, after the fork: import TensorFlow and trace the default networks."""
        from modeling.jobs import process_trace_cache
        from modeling.worker import warm_up

        warm_up(process_trace_cache())

    return celery


class FollowerManager(DiskcacheManager):
    """The embedded job runner: Dash's DiskcacheManager, with each job in a thread of the server.

    Embedded jobs only follow runs that the trainer pool trains, so they need no process of their
    own; and forking this multi-threaded server is unsafe (a child forked while another thread is
    inside SQLite can wait forever on a lock it inherited: seen under load). A thread cannot be
    killed: Cancel ends a run in the run store, which ends the job that follows it.
    """

    def __init__(self, cache, expire: int | None = None) -> None:
        super().__init__(cache, expire=expire)
        self._jobs: dict[int, threading.Thread] = {}
        self._jobs_lock = threading.Lock()
        self._job_ids = itertools.count(1)

    def call_job_fn(self, key, job_fn, args, context):
        job = next(self._job_ids)
        thread = threading.Thread(target=job_fn, args=(key, self._make_progress_key(key), args, context),
                                  name=f"dash-job-{job}", daemon=True)
        with self._jobs_lock:
            self._jobs[job] = thread
        thread.start()
        return job

    def job_running(self, job) -> bool:
        with self._jobs_lock:
            thread = self._jobs.get(int(job))
        return thread is not None and thread.is_alive()

    def terminate_job(self, job) -> None:
        if job is not None:
            with self._jobs_lock:
                self._jobs.pop(int(job), None)

    def terminate_unhealthy_job(self, job) -> bool:
        return False


def background_manager(directory: Path, celery=None):
    """Celery when configured; otherwise the embedded runner (threads that follow the trainer pool)."""
    if celery is not None:
        return CeleryManager(celery, expire=3600)
    import diskcache

    return FollowerManager(diskcache.Cache(str(directory / "jobs")), expire=3600)


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


def create_app(celery=None, mark_interrupted: bool = True) -> Dash:
    """Build the app for the data dir named in the environment (see modeling.settings).

    ``mark_interrupted``: runs left active by a previous life of the embedded server cannot be
    running any more; with Celery they may be (workers outlive the web server), so it is off there.
    """
    directory = data_dir()
    if mark_interrupted:
        run_store().interrupt_active()
    # compress: callback answers (chart data above all) go gzipped to every browser that accepts it.
    app = Dash(__name__, use_pages=True, title="RNN Stock Lab", suppress_callback_exceptions=True, compress=True,
               background_callback_manager=background_manager(directory, celery))
    app.server.secret_key = session_secret(directory)
    if celery is not None:
        import redis

        @app.server.errorhandler(redis.exceptions.RedisError)
        def job_service_unavailable(_error: Exception):
            """Redis down: polls get a clear 503 (the banner says it in words), the rest keeps serving."""
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


def preload_datasets(then: Callable[[], object] | None = None) -> None:
    """Parse the bundled editions in the background, so that no visitor waits for them (the lecture
    preset switches to the other edition); then call ``then`` (start the trainers).

    The trainers come second: N processes importing TensorFlow at once slow this parse sixfold on
    a small machine, and the first pages and the lecture preset would wait for it."""
    started = time.perf_counter()
    try:
        for dataset in DATASETS:
            catalog_for_file(dataset_path(dataset))
        print(f"bundled datasets loaded in {time.perf_counter() - started:.2f} s", flush=True)
    finally:
        if then is not None:  # the trainers start whatever happened to the data
            then()


def session_secret(directory: Path) -> bytes:
    """The key that signs the session cookie, kept in the data dir so it survives restarts."""
    path = directory / "session.key"
    if not path.exists():
        path.write_bytes(os.urandom(32))
        path.chmod(0o600)
    return path.read_bytes()


# With REDIS_URL set, the Celery worker imports this module (`celery -A app.celery_app worker`):
# the app must exist at import so that its background callbacks are registered as Celery tasks.
celery_app = make_celery(redis_url()) if redis_url() else None
dash_app = create_app(celery_app, mark_interrupted=False) if celery_app is not None else None


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.data_dir:
        os.environ[DATA_DIR_ENV] = str(Path(args.data_dir).expanduser().resolve())
    if args.trainers is not None:
        os.environ[TRAINERS_ENV] = str(args.trainers)
    start_trainers = None
    if dash_app is not None:
        app = dash_app
        mode = f"background jobs on Celery workers via {redis_url()}"
    else:
        app = create_app()
        start_trainers = TrainerPool(data_dir(), trainer_count()).start
        mode = f"{trainer_count()} trainings at once"
    threading.Thread(target=preload_datasets, args=(start_trainers,), name="preload", daemon=True).start()
    print(f"RNN Stock Lab on http://{args.host}:{args.port} (data dir {data_dir()}, {mode})", flush=True)
    app.run(host=args.host, port=args.port, debug=args.debug, dev_tools_ui=args.debug,
            dev_tools_hot_reload=args.debug, use_reloader=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
