"""The run store: every run's configuration, status, history, results and model, in a database.

SQLite in the data dir by default (``runs.sqlite``, WAL mode and a busy timeout, so that the
server and its trainers on this machine write at once without losing a row; nothing to install),
PostgreSQL when DATABASE_URL is set (``postgresql+psycopg://...``), for several machines: SQLite's
WAL does not work over a network filesystem. The model (a .keras file of some tens of KB) is
kept in the database too, so a worker on another machine needs no shared disk. Opening a store
brings its schema up to date with Alembic (service/migrations), so an upgrade keeps every run.

Liveness: a process that trains renews the heartbeat of its runs every few seconds
(:meth:`RunStore.beat`); a running run whose heartbeat is older than a limit is failed with that
reason by whichever process looks (:meth:`RunStore.fail_stale`), wherever it ran.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import socket
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import sqlalchemy as sa

from modeling.config import TrainConfig

INTERACTIVE, BATCH = 0, 1  # run priorities: a student's own click, a run of a sweep, scan or backtest
COLLECTION_KINDS = ("sweep", "scan", "backtest")
STATUSES = ("queued", "running", "finished", "cancelled", "failed", "interrupted")
ACTIVE = ("queued", "running")
RUN_ID = re.compile(r"^[0-9a-f]{12}$")
DATABASE_URL_ENV = "DATABASE_URL"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
HEARTBEAT_SECONDS = 2.0
EMPTY_HISTORY = '{"loss": [], "val_loss": []}'

metadata = sa.MetaData()
runs = sa.Table(
    "runs", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("started", sa.Float),
    sa.Column("ended", sa.Float),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("session", sa.Text),
    sa.Column("config", sa.Text, nullable=False),
    sa.Column("history", sa.Text, nullable=False, server_default=EMPTY_HISTORY),
    sa.Column("elapsed", sa.Float),
    sa.Column("result", sa.Text),
    sa.Column("model", sa.LargeBinary),
    sa.Column("model_sha256", sa.Text),
    sa.Column("cancel_requested", sa.Integer, nullable=False, server_default="0"),
    sa.Column("worker_pid", sa.Integer),
    sa.Column("worker_host", sa.Text),
    sa.Column("group_id", sa.Text),
    sa.Column("heartbeat", sa.Float),
    sa.Column("priority", sa.Integer, nullable=False, server_default="0"),
)
collections = sa.Table(
    "collections", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("session", sa.Text),
    sa.Column("title", sa.Text),
    sa.Column("spec", sa.Text, nullable=False),
    sa.Column("details", sa.Text, nullable=False, server_default="{}"),
)
nicknames = sa.Table(
    "nicknames", metadata,
    sa.Column("session", sa.Text, primary_key=True),
    sa.Column("nickname", sa.Text, nullable=False),
    sa.Column("updated", sa.Float, nullable=False),
)
app_settings = sa.Table(
    "app_settings", metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
# What a page needs of a run; the model is read only to download or load it.
RUN_COLUMNS = [c for c in runs.columns if c.name != "model"]


@dataclass(frozen=True)
class RunSummary:
    """A run as a table of the whole class lists it: no history, no predictions, no model, so that
    reading every run every few seconds stays cheap."""
    id: str
    created: float
    status: str
    session: str | None
    config: TrainConfig
    epochs_done: int
    metrics: dict[str, float]

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


class RunNotFound(KeyError):
    """No run with that id (or the id is not a run id at all)."""


class CollectionNotFound(KeyError):
    """No sweep, scan or backtest with that id (or the id is not an id at all)."""


@dataclass
class Collection:
    """A sweep, scan or backtest: what was asked (``spec``) and what was found before training
    (``details``, such as skipped tickers). Its runs carry its id as their ``group_id``."""
    id: str
    kind: str
    created: float
    spec: dict[str, Any]
    details: dict[str, Any] = field(default_factory=dict)
    session: str | None = None
    title: str | None = None


@dataclass
class Run:
    id: str
    created: float
    status: str
    config: TrainConfig
    history: dict[str, list[float]]
    started: float | None = None
    ended: float | None = None
    reason: str | None = None
    session: str | None = None
    elapsed: float | None = None
    result: dict[str, Any] = field(default_factory=dict)
    model_sha256: str | None = None
    cancel_requested: bool = False
    worker_pid: int | None = None
    worker_host: str | None = None
    group_id: str | None = None
    heartbeat: float | None = None
    priority: int = INTERACTIVE

    @property
    def has_model(self) -> bool:
        return self.model_sha256 is not None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def metrics(self) -> dict[str, float]:
        return self.result.get("metrics", {})

    @property
    def epochs_done(self) -> int:
        return len(self.history.get("loss", []))


def validate_run_id(run_id: Any) -> str:
    """A run id is 12 lowercase hex digits; anything else (a path, a script) is refused."""
    if not isinstance(run_id, str) or not RUN_ID.match(run_id):
        raise RunNotFound(f"not a run id: {str(run_id)[:40]!r}")
    return run_id


class RunStore:
    """Runs in the database at ``url`` (default: DATABASE_URL, else ``<data_dir>/runs.sqlite``)."""

    def __init__(self, data_dir: str | os.PathLike, url: str | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.url = url or os.environ.get(DATABASE_URL_ENV) or f"sqlite:///{self.data_dir / 'runs.sqlite'}"
        if self.url.startswith("sqlite"):
            self.data_dir.mkdir(parents=True, exist_ok=True)
        self.engine = _engine(self.url, os.getpid())
        _upgrade(self.url, os.getpid(), str(self.data_dir / "models"))

    def reachable(self) -> bool:
        """True when the database answers (for the banner: a restarted PostgreSQL, say)."""
        try:
            with self.engine.connect() as db:
                db.execute(sa.text("SELECT 1"))
        except sa.exc.DBAPIError:
            return False
        return True

    def create(self, config: TrainConfig, session: str | None = None, status: str = "queued",
               group_id: str | None = None, priority: int = INTERACTIVE) -> Run:
        run_id = uuid.uuid4().hex[:12]
        with self.engine.begin() as db:
            db.execute(runs.insert().values(id=run_id, created=time.time(), status=status, session=session,
                                            config=json.dumps(config.to_dict()), group_id=group_id,
                                            priority=priority))
        return self.get(run_id)

    def create_group(self, configs: list[TrainConfig], session: str | None = None,
                     group_id: str | None = None, priority: int = INTERACTIVE) -> list[Run]:
        """Several queued runs that belong together (all three networks, seed repeats, or the runs
        of a collection when ``group_id`` is its id), inserted in one transaction."""
        group_id = validate_run_id(group_id) if group_id else uuid.uuid4().hex[:12]
        now = time.time()
        rows = [dict(id=uuid.uuid4().hex[:12], created=now + i * 1e-6, status="queued", session=session,
                     config=json.dumps(c.to_dict()), group_id=group_id, priority=priority)
                for i, c in enumerate(configs)]
        if rows:
            with self.engine.begin() as db:
                db.execute(runs.insert(), rows)
        return [self.get(r["id"]) for r in rows]

    def create_collection(self, kind: str, spec: dict[str, Any], session: str | None = None,
                          title: str | None = None, details: dict[str, Any] | None = None) -> Collection:
        """Record a sweep, scan or backtest; queue its runs with ``create_group(group_id=its id)``."""
        if kind not in COLLECTION_KINDS:
            raise ValueError(f"unknown collection kind {kind!r}; valid kinds: {', '.join(COLLECTION_KINDS)}")
        collection_id = uuid.uuid4().hex[:12]
        with self.engine.begin() as db:
            db.execute(collections.insert().values(id=collection_id, kind=kind, created=time.time(), session=session,
                                                   title=title, spec=json.dumps(spec),
                                                   details=json.dumps(details or {})))
        return self.get_collection(collection_id)

    def get_collection(self, collection_id: Any) -> Collection:
        if not isinstance(collection_id, str) or not RUN_ID.match(collection_id):
            raise CollectionNotFound(f"not a collection id: {str(collection_id)[:40]!r}")
        with self.engine.connect() as db:
            row = db.execute(sa.select(collections).where(collections.c.id == collection_id)).first()
        if row is None:
            raise CollectionNotFound(f"no sweep, scan or backtest {collection_id}")
        return _row_to_collection(row)

    def list_collections(self, kind: str | None = None, limit: int = 200) -> list[Collection]:
        """Sweeps, scans and backtests, newest first."""
        query = sa.select(collections).order_by(collections.c.created.desc()).limit(limit)
        if kind is not None:
            query = query.where(collections.c.kind == kind)
        with self.engine.connect() as db:
            return [_row_to_collection(r) for r in db.execute(query)]

    def update_collection_details(self, collection_id: str, details: dict[str, Any]) -> None:
        with self.engine.begin() as db:
            db.execute(collections.update().where(collections.c.id == self.get_collection(collection_id).id)
                       .values(details=json.dumps(details)))

    def delete_collection(self, collection_id: str) -> None:
        """Forget a collection and its runs (active ones should be cancelled first)."""
        collection = self.get_collection(collection_id)
        with self.engine.begin() as db:
            db.execute(runs.delete().where(runs.c.group_id == collection.id))
            db.execute(collections.delete().where(collections.c.id == collection.id))

    def set_nickname(self, session: str, nickname: str) -> None:
        """The nickname a browser session shows in the class view (stored as plain text)."""
        with self.engine.begin() as db:
            db.execute(nicknames.delete().where(nicknames.c.session == session))
            db.execute(nicknames.insert().values(session=session, nickname=nickname, updated=time.time()))

    def nicknames(self) -> dict[str, str]:
        """Every browser session's nickname, by session."""
        with self.engine.connect() as db:
            return {r.session: r.nickname for r in db.execute(sa.select(nicknames))}

    def set_setting(self, key: str, value: Any) -> None:
        """An app-wide value set at run time (JSON), such as the run pinned to the projector."""
        with self.engine.begin() as db:
            db.execute(app_settings.delete().where(app_settings.c.key == key))
            if value is not None:
                db.execute(app_settings.insert().values(key=key, value=json.dumps(value)))

    def setting(self, key: str, default: Any = None) -> Any:
        with self.engine.connect() as db:
            value = db.execute(sa.select(app_settings.c.value).where(app_settings.c.key == key)).scalar()
        return default if value is None else json.loads(value)

    def group(self, group_id: str) -> list[Run]:
        """The runs of a group in the order they were created."""
        query = sa.select(*RUN_COLUMNS).where(runs.c.group_id == validate_run_id(group_id)).order_by(runs.c.created)
        with self.engine.connect() as db:
            return [_row_to_run(r) for r in db.execute(query)]

    def group_brief(self, group_id: str) -> list[Run]:
        """The runs of a group without their histories and predictions: status, settings, times and
        metrics only (``result`` holds just ``metrics``; ``history`` is empty). A sweep's or scan's
        page polls hundreds of runs: this reads a few hundred bytes a run instead of some 15 kB."""
        if self.engine.dialect.name == "sqlite":
            metrics = sa.func.json_extract(runs.c.result, "$.metrics")
        else:
            metrics = sa.func.json_extract_path_text(sa.cast(runs.c.result, sa.JSON), "metrics")
        columns = [c for c in RUN_COLUMNS if c.name not in ("history", "result")]
        query = (sa.select(*columns, metrics.label("metrics"))
                 .where(runs.c.group_id == validate_run_id(group_id)).order_by(runs.c.created))
        with self.engine.connect() as db:
            return [_row_to_run(r, brief=True) for r in db.execute(query)]

    def group_status_counts(self, group_ids: Iterable[str]) -> dict[str, dict[str, int]]:
        """How many runs of each group are in each status, in one query: {group: {status: n}}."""
        ids = [validate_run_id(g) for g in group_ids]
        if not ids:
            return {}
        query = (sa.select(runs.c.group_id, runs.c.status, sa.func.count())
                 .where(runs.c.group_id.in_(ids)).group_by(runs.c.group_id, runs.c.status))
        counts: dict[str, dict[str, int]] = {g: {} for g in ids}
        with self.engine.connect() as db:
            for group_id, status, n in db.execute(query):
                counts[group_id][status] = int(n)
        return counts

    def get(self, run_id: str) -> Run:
        validate_run_id(run_id)
        with self.engine.connect() as db:
            row = db.execute(sa.select(*RUN_COLUMNS).where(runs.c.id == run_id)).first()
        if row is None:
            raise RunNotFound(f"no run {run_id}")
        return _row_to_run(row)

    def list(self, limit: int = 1000) -> list[Run]:
        query = sa.select(*RUN_COLUMNS).order_by(runs.c.created.desc()).limit(limit)
        with self.engine.connect() as db:
            return [_row_to_run(r) for r in db.execute(query)]

    def summaries(self, limit: int = 1000) -> list[RunSummary]:
        """Every run, newest first, as :class:`RunSummary`: the database picks the metrics and counts
        the epochs, so the history and the predictions are neither sent nor parsed."""
        if self.engine.dialect.name == "sqlite":
            metrics = sa.func.json_extract(runs.c.result, "$.metrics")
            epochs = sa.func.json_array_length(runs.c.history, "$.loss")
        else:
            metrics = sa.func.json_extract_path_text(sa.cast(runs.c.result, sa.JSON), "metrics")
            epochs = sa.func.json_array_length(sa.func.json_extract_path(sa.cast(runs.c.history, sa.JSON), "loss"))
        query = (sa.select(runs.c.id, runs.c.created, runs.c.status, runs.c.session, runs.c.config,
                           metrics.label("metrics"), epochs.label("epochs"))
                 .order_by(runs.c.created.desc()).limit(limit))
        with self.engine.connect() as db:
            return [RunSummary(id=r.id, created=r.created, status=r.status, session=r.session,
                               config=TrainConfig(**json.loads(r.config)), epochs_done=int(r.epochs or 0),
                               metrics=json.loads(r.metrics) if r.metrics else {})
                    for r in db.execute(query)]

    def _update(self, run_id: str, where: Any = None, **values: Any) -> bool:
        """UPDATE one run (only if ``where`` holds); True when it changed."""
        query = runs.update().where(runs.c.id == validate_run_id(run_id))
        if where is not None:
            query = query.where(where)
        with self.engine.begin() as db:
            return db.execute(query.values(**values)).rowcount == 1

    def mark_running(self, run_id: str, pid: int | None = None) -> bool:
        """queued -> running; False when the run was cancelled (or ended) before it started."""
        now = time.time()
        return self._update(run_id, (runs.c.status == "queued") & (runs.c.cancel_requested == 0),
                            status="running", started=now, heartbeat=now, worker_pid=pid,
                            worker_host=socket.gethostname())

    def claim_next(self, pid: int, min_age: float = 0.0, max_priority: int | None = None) -> str | None:
        """Atomically take the next queued run for a training process; None when none waits.

        The next run is the oldest of the lowest priority: a student's own click (INTERACTIVE)
        before the runs of a sweep, scan or backtest (BATCH). ``min_age``: only a run queued at
        least that many seconds ago (a busy trainer lets an idle one take a new run first).
        ``max_priority``: only runs of that priority or a more urgent one (a trainer that holds
        its share of BATCH runs takes only clicks). Two processes that pick the same run: one
        wins, the other gets None and asks again.
        """
        now = time.time()
        wanted = (runs.c.status == "queued") & (runs.c.cancel_requested == 0) & (runs.c.created <= now - min_age)
        if max_priority is not None:
            wanted = wanted & (runs.c.priority <= max_priority)
        oldest = (sa.select(runs.c.id)
                  .where(wanted)
                  .order_by(runs.c.priority, runs.c.created).limit(1).scalar_subquery())
        query = (runs.update().where((runs.c.id == oldest) & (runs.c.status == "queued"))
                 .values(status="running", started=now, heartbeat=now, worker_pid=pid, worker_host=socket.gethostname())
                 .returning(runs.c.id))
        with self.engine.begin() as db:
            row = db.execute(query).first()
        return row[0] if row else None

    def queue_position(self, run_id: str) -> int:
        """1 for the next queued run to start, 2 for the one after it, ...; 0 when not queued."""
        run = self.get(run_id)
        if run.status != "queued":
            return 0
        ahead = (runs.c.priority < run.priority) | ((runs.c.priority == run.priority) & (runs.c.created <= run.created))
        query = sa.select(sa.func.count()).select_from(runs).where((runs.c.status == "queued") & ahead)
        with self.engine.connect() as db:
            return int(db.execute(query).scalar_one())

    def fresh_clicks_elsewhere(self, host: str, pid: int, seconds: float) -> bool:
        """Whether a click (an INTERACTIVE run) started in the last ``seconds`` is training in another
        process of ``host`` with a live heartbeat: a trainer pauses its batch work for it."""
        now = time.time()
        query = (sa.select(sa.func.count()).select_from(runs)
                 .where((runs.c.status == "running") & (runs.c.priority <= INTERACTIVE)
                        & (runs.c.worker_host == host) & (runs.c.worker_pid != pid) & (runs.c.started >= now - seconds)
                        & (runs.c.heartbeat >= now - 3 * HEARTBEAT_SECONDS)))
        with self.engine.connect() as db:
            return int(db.execute(query).scalar_one()) > 0

    def active_count(self, session: str | None = None, priority: int | None = None) -> int:
        """Runs queued or running, in all or in one browser session (of one priority, or any)."""
        query = sa.select(sa.func.count()).select_from(runs).where(runs.c.status.in_(ACTIVE))
        if session is not None:
            query = query.where(runs.c.session == session)
        if priority is not None:
            query = query.where(runs.c.priority == priority)
        with self.engine.connect() as db:
            return int(db.execute(query).scalar_one())

    def record_epoch(self, run_id: str, history: dict[str, list[float]], elapsed: float) -> None:
        self._update(run_id, history=json.dumps(history), elapsed=elapsed, heartbeat=time.time())

    def beat(self, run_ids: Iterable[str]) -> None:
        """Renew the heartbeat of runs this process trains."""
        ids = [validate_run_id(r) for r in run_ids]
        if ids:
            with self.engine.begin() as db:
                db.execute(runs.update().where(runs.c.id.in_(ids) & (runs.c.status == "running"))
                           .values(heartbeat=time.time()))

    def request_cancel(self, run_id: str, reason: str = "cancelled by the user") -> bool:
        """Ask a run to stop; a queued one is cancelled at once, a running one ends after its epoch.

        The status turns 'cancelled' here too, so the page says so even if the job was killed.
        """
        return self._update(run_id, runs.c.status.in_(ACTIVE), cancel_requested=1, status="cancelled",
                            ended=time.time(), reason=reason)

    def cancel_requested(self, run_id: str) -> bool:
        with self.engine.connect() as db:
            value = db.execute(sa.select(runs.c.cancel_requested).where(runs.c.id == validate_run_id(run_id))).scalar()
        return bool(value)

    def finish(self, run_id: str, result: dict[str, Any], model: Any = None, status: str = "finished") -> None:
        """Store the results and the model (.keras bytes); a cancelled run keeps what it learned."""
        data = sha = None
        if model is not None:
            data = _model_bytes(model)
            sha = hashlib.sha256(data).hexdigest()
        history = result.get("history", {"loss": [], "val_loss": []})
        now = time.time()
        self._update(run_id, result=json.dumps(result), history=json.dumps(history),
                     elapsed=result.get("train_seconds"), model=data, model_sha256=sha,
                     status=sa.case((runs.c.status.in_(ACTIVE), status), else_=runs.c.status),
                     ended=sa.func.coalesce(runs.c.ended, now))

    def fail(self, run_id: str, reason: str, status: str = "failed") -> bool:
        return self._update(run_id, runs.c.status.in_(ACTIVE), status=status, reason=reason[:500], ended=time.time())

    def interrupt_running(self, reason: str = "the app was restarted while the run was training") -> int:
        """At start-up of the embedded app (or when a web worker takes over its trainer pool): runs
        this machine was training can no longer be, since its trainers end with the server; they
        become interrupted. Queued runs stay queued: the new trainers train them."""
        with self.engine.begin() as db:
            return db.execute(runs.update().where((runs.c.status == "running")
                                                  & (runs.c.worker_host == socket.gethostname()))
                              .values(status="interrupted", reason=reason, ended=time.time())).rowcount

    def fail_dead_workers(self) -> list[str]:
        """Runs whose training process is gone become failed: on this host, a process that no longer
        exists (killed, crashed); on any host, one whose heartbeat stopped (:meth:`fail_stale`).

        Cheap enough to call on every page refresh: two queries and a pid check per running run.
        """
        host = socket.gethostname()
        with self.engine.connect() as db:
            rows = db.execute(sa.select(runs.c.id, runs.c.worker_pid)
                              .where((runs.c.status == "running") & (runs.c.worker_host == host))).all()
        dead = [r.id for r in rows if r.worker_pid and not _process_alive(r.worker_pid)]
        dead = [run_id for run_id in dead
                if self.fail(run_id, "the training process ended unexpectedly (it was killed or crashed)")]
        return dead + self.fail_stale()

    def fail_stale(self, limit: float | None = None) -> list[str]:
        """Running runs whose heartbeat is older than ``limit`` seconds (default: the configured
        heartbeat limit) become failed, on any host."""
        if limit is None:
            from service.settings import heartbeat_limit

            limit = heartbeat_limit()
        cutoff = time.time() - limit
        stale = (runs.c.status == "running") & (sa.func.coalesce(runs.c.heartbeat, runs.c.started, 0) < cutoff)
        with self.engine.connect() as db:
            ids = [r[0] for r in db.execute(sa.select(runs.c.id).where(stale))]
        reason = f"no heartbeat from its training process for over {limit:g} s (the process or its machine stopped)"
        return [run_id for run_id in ids if self._update(run_id, stale, status="failed", reason=reason,
                                                         ended=time.time())]

    def model_bytes(self, run_id: str) -> bytes:
        """The run's .keras file, after checking it is the one the run saved (SHA-256)."""
        with self.engine.connect() as db:
            row = db.execute(sa.select(runs.c.model, runs.c.model_sha256)
                             .where(runs.c.id == validate_run_id(run_id))).first()
        if row is None:
            raise RunNotFound(f"no run {run_id}")
        if row.model is None or row.model_sha256 is None:
            raise RunNotFound(f"run {run_id} has no model")
        if hashlib.sha256(row.model).hexdigest() != row.model_sha256:
            raise RunNotFound(f"the model of run {run_id} was changed after it was saved")
        return bytes(row.model)

    def load_model(self, run_id: str) -> Any:
        """Load a run's model for inference: only from the store, checksum-verified, in Keras safe mode."""
        data = self.model_bytes(run_id)
        import keras

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"{run_id}.keras"
            path.write_bytes(data)
            return keras.saving.load_model(path, compile=False, safe_mode=True)

    def delete(self, run_id: str) -> None:
        run = self.get(run_id)
        with self.engine.begin() as db:
            db.execute(runs.delete().where(runs.c.id == run.id))


def _model_bytes(model: Any) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        return path.read_bytes()


@lru_cache(maxsize=None)
def _engine(url: str, pid: int) -> sa.Engine:
    """One engine (connection pool) per database and process: a forked child makes its own."""
    if not url.startswith("sqlite"):
        # connect_timeout: a database machine that is gone fails a request in seconds, not minutes
        return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10,
                                connect_args={"connect_timeout": 5})
    engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @sa.event.listens_for(engine, "connect")
    def _sqlite_settings(connection, _record) -> None:
        # The busy timeout comes first: every later statement waits for a writer instead of failing.
        cursor = connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


@lru_cache(maxsize=None)
def _upgrade(url: str, pid: int, models_dir: str) -> None:
    """Bring the schema to the newest revision once per database and process.

    Several processes open a new store at once (the server, its trainers, a test): an exclusive
    lock serialises them (a file lock beside a SQLite file, an advisory lock in PostgreSQL). A
    store made before Alembic (a runs table and no version) is stamped as revision 0001 first.
    """
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext

    engine = _engine(url, pid)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["models_dir"] = models_dir
    if engine.dialect.name == "sqlite":
        lock_path = url.split("///", 1)[1] + ".lock"
        with open(lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                _switch_to_wal(engine)
                _migrate(engine, config, command, MigrationContext)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
    else:
        _migrate(engine, config, command, MigrationContext, advisory_lock=True)


def _switch_to_wal(engine: sa.Engine) -> None:
    with engine.connect() as db:
        if db.exec_driver_sql("PRAGMA journal_mode").scalar() != "wal":
            db.exec_driver_sql("PRAGMA journal_mode=WAL")


def _migrate(engine: sa.Engine, config: Any, command: Any, migration_context: Any, advisory_lock: bool = False) -> None:
    with engine.begin() as db:
        if advisory_lock:
            db.execute(sa.text("SELECT pg_advisory_xact_lock(7253001)"))
        current = migration_context.configure(db).get_current_revision()
        config.attributes["connection"] = db
        if current is None and sa.inspect(db).has_table("runs"):
            command.stamp(config, "0001")
        command.upgrade(config, "head")


def _process_alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _row_to_run(row: Any, brief: bool = False) -> Run:
    if brief:  # group_brief: the metrics alone
        history, result = {"loss": [], "val_loss": []}, {"metrics": json.loads(row.metrics)} if row.metrics else {}
    else:
        history, result = json.loads(row.history), json.loads(row.result) if row.result else {}
    return Run(id=row.id, created=row.created, status=row.status, config=TrainConfig(**json.loads(row.config)),
               history=history, started=row.started, ended=row.ended, reason=row.reason,
               session=row.session, elapsed=row.elapsed, result=result,
               model_sha256=row.model_sha256, cancel_requested=bool(row.cancel_requested),
               worker_pid=row.worker_pid, worker_host=row.worker_host, group_id=row.group_id,
               heartbeat=row.heartbeat, priority=row.priority)


def _row_to_collection(row: Any) -> Collection:
    return Collection(id=row.id, kind=row.kind, created=row.created, spec=json.loads(row.spec),
                      details=json.loads(row.details or "{}"), session=row.session, title=row.title)
