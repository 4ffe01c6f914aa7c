"""The run store: every run's configuration, status, history, results and model file, in SQLite.

One file in the data dir, opened per operation (processes fork and Celery workers live elsewhere,
so no connection is shared). WAL mode and a busy timeout let several training processes and the
web server write at once without losing a row.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import sqlite3
import time
import uuid
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from modeling.config import TrainConfig

STATUSES = ("queued", "running", "finished", "cancelled", "failed", "interrupted")
ACTIVE = ("queued", "running")
RUN_ID = re.compile(r"^[0-9a-f]{12}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    started REAL,
    ended REAL,
    status TEXT NOT NULL,
    reason TEXT,
    session TEXT,
    config TEXT NOT NULL,
    history TEXT NOT NULL DEFAULT '{"loss": [], "val_loss": []}',
    elapsed REAL,
    result TEXT,
    model_file TEXT,
    model_sha256 TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    worker_pid INTEGER,
    worker_host TEXT,
    group_id TEXT
);
CREATE INDEX IF NOT EXISTS runs_created ON runs (created);
"""


class RunNotFound(KeyError):
    """No run with that id (or the id is not a run id at all)."""


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
    model_file: str | None = None
    model_sha256: str | None = None
    cancel_requested: bool = False
    worker_pid: int | None = None
    worker_host: str | None = None
    group_id: str | None = None

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
    """Runs in ``<data_dir>/runs.sqlite``, model files in ``<data_dir>/models/``."""

    def __init__(self, data_dir: str | os.PathLike) -> None:
        self.data_dir = Path(data_dir)
        self.models_dir = self.data_dir / "models"
        self.path = self.data_dir / "runs.sqlite"
        self.models_dir.mkdir(parents=True, exist_ok=True)
        _ensure_schema(str(self.path))

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # The busy timeout comes first: every later statement waits for a writer instead of failing.
        with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as db:
            db.execute("PRAGMA busy_timeout=30000")
            db.execute("PRAGMA synchronous=NORMAL")
            db.row_factory = sqlite3.Row
            yield db

    def create(self, config: TrainConfig, session: str | None = None, status: str = "queued",
               group_id: str | None = None) -> Run:
        run_id = uuid.uuid4().hex[:12]
        now = time.time()
        with self._connect() as db:
            db.execute("INSERT INTO runs (id, created, status, session, config, group_id) VALUES (?, ?, ?, ?, ?, ?)",
                       (run_id, now, status, session, json.dumps(config.to_dict()), group_id))
        return self.get(run_id)

    def create_group(self, configs: list[TrainConfig], session: str | None = None) -> list[Run]:
        """Several queued runs that belong together (all three networks, or seed repeats)."""
        group_id = uuid.uuid4().hex[:12]
        return [self.create(c, session=session, group_id=group_id) for c in configs]

    def group(self, group_id: str) -> list[Run]:
        """The runs of a group in the order they were created."""
        with self._connect() as db:
            rows = db.execute("SELECT * FROM runs WHERE group_id = ? ORDER BY created",
                              (validate_run_id(group_id),)).fetchall()
        return [_row_to_run(r) for r in rows]

    def get(self, run_id: str) -> Run:
        validate_run_id(run_id)
        with self._connect() as db:
            row = db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise RunNotFound(f"no run {run_id}")
        return _row_to_run(row)

    def list(self, limit: int = 1000) -> list[Run]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM runs ORDER BY created DESC LIMIT ?", (limit,)).fetchall()
        return [_row_to_run(r) for r in rows]

    def mark_running(self, run_id: str, pid: int | None = None) -> bool:
        """queued -> running; False when the run was cancelled (or ended) before it started."""
        with self._connect() as db:
            cursor = db.execute("UPDATE runs SET status = 'running', started = ?, worker_pid = ?, worker_host = ? "
                                "WHERE id = ? AND status = 'queued' AND cancel_requested = 0",
                                (time.time(), pid, socket.gethostname(), validate_run_id(run_id)))
        return cursor.rowcount == 1

    def claim_next(self, pid: int, min_age: float = 0.0) -> str | None:
        """Atomically take the oldest queued run for a training process; None when none waits.

        ``min_age``: only a run queued at least that many seconds ago (a busy trainer lets an idle
        one take a new run first).
        """
        with self._connect() as db:
            row = db.execute(
                "UPDATE runs SET status = 'running', started = ?, worker_pid = ?, worker_host = ? "
                "WHERE id = (SELECT id FROM runs WHERE status = 'queued' AND cancel_requested = 0 "
                "AND created <= ? ORDER BY created LIMIT 1) AND status = 'queued' RETURNING id",
                (time.time(), pid, socket.gethostname(), time.time() - min_age)).fetchone()
        return row["id"] if row else None

    def queue_position(self, run_id: str) -> int:
        """1 for the next queued run to start, 2 for the one after it, ...; 0 when not queued."""
        with self._connect() as db:
            row = db.execute(
                "SELECT CASE WHEN r.status = 'queued' THEN (SELECT COUNT(*) FROM runs q WHERE q.status = 'queued' "
                "AND q.created <= r.created) ELSE 0 END FROM runs r WHERE r.id = ?",
                (validate_run_id(run_id),)).fetchone()
        if row is None:
            raise RunNotFound(f"no run {run_id}")
        return int(row[0])

    def active_count(self, session: str | None = None) -> int:
        """Runs queued or running, in all or in one browser session."""
        query = "SELECT COUNT(*) FROM runs WHERE status IN ('queued', 'running')"
        args: tuple = ()
        if session is not None:
            query += " AND session = ?"
            args = (session,)
        with self._connect() as db:
            return int(db.execute(query, args).fetchone()[0])

    def record_epoch(self, run_id: str, history: dict[str, list[float]], elapsed: float) -> None:
        with self._connect() as db:
            db.execute("UPDATE runs SET history = ?, elapsed = ? WHERE id = ?",
                       (json.dumps(history), elapsed, validate_run_id(run_id)))

    def request_cancel(self, run_id: str) -> bool:
        """Ask a run to stop; a queued one is cancelled at once, a running one ends after its epoch.

        The status turns 'cancelled' here too, so the page says so even if the job was killed.
        """
        with self._connect() as db:
            cursor = db.execute("UPDATE runs SET cancel_requested = 1, status = 'cancelled', ended = ?, "
                                "reason = 'cancelled by the user' WHERE id = ? AND status IN ('queued', 'running')",
                                (time.time(), validate_run_id(run_id)))
        return cursor.rowcount == 1

    def cancel_requested(self, run_id: str) -> bool:
        with self._connect() as db:
            row = db.execute("SELECT cancel_requested FROM runs WHERE id = ?", (validate_run_id(run_id),)).fetchone()
        return bool(row and row[0])

    def finish(self, run_id: str, result: dict[str, Any], model: Any = None, status: str = "finished") -> None:
        """Store the results (and the model as .keras); a cancelled run keeps what it learned."""
        model_file = sha = None
        if model is not None:
            path = self.models_dir / f"{validate_run_id(run_id)}.keras"
            model.save(path)
            model_file, sha = path.name, _sha256(path)
        history = result.get("history", {"loss": [], "val_loss": []})
        with self._connect() as db:
            db.execute("UPDATE runs SET result = ?, history = ?, elapsed = ?, model_file = ?, model_sha256 = ?, "
                       "status = CASE WHEN status IN ('queued', 'running') THEN ? ELSE status END, "
                       "ended = COALESCE(ended, ?) WHERE id = ?",
                       (json.dumps(result), json.dumps(history), result.get("train_seconds"), model_file, sha,
                        status, time.time(), validate_run_id(run_id)))

    def fail(self, run_id: str, reason: str, status: str = "failed") -> bool:
        with self._connect() as db:
            cursor = db.execute("UPDATE runs SET status = ?, reason = ?, ended = ? "
                                "WHERE id = ? AND status IN ('queued', 'running')",
                                (status, reason[:500], time.time(), validate_run_id(run_id)))
        return cursor.rowcount == 1

    def interrupt_active(self, reason: str = "the app was restarted while the run was active") -> int:
        """At start-up: nothing can still be running from a previous server life."""
        with self._connect() as db:
            cursor = db.execute("UPDATE runs SET status = 'interrupted', reason = ?, ended = ? "
                                "WHERE status IN ('queued', 'running')", (reason, time.time()))
        return cursor.rowcount

    def fail_dead_workers(self) -> list[str]:
        """Runs whose training process on this host is gone (killed, crashed) become failed.

        Cheap enough to call on every page refresh: one query and a pid check per running run.
        """
        host = socket.gethostname()
        with self._connect() as db:
            rows = db.execute("SELECT id, worker_pid FROM runs WHERE status = 'running' AND worker_host = ?",
                              (host,)).fetchall()
        dead = [r["id"] for r in rows if r["worker_pid"] and not _process_alive(r["worker_pid"])]
        for run_id in dead:
            self.fail(run_id, "the training process ended unexpectedly (it was killed or crashed)")
        return dead

    def load_model(self, run_id: str) -> Any:
        """Load a run's model for inference: only from the store, checksum-verified, in Keras safe mode."""
        path = self.model_path(run_id)
        import keras

        return keras.saving.load_model(path, compile=False, safe_mode=True)

    def delete(self, run_id: str) -> None:
        run = self.get(run_id)
        with self._connect() as db:
            db.execute("DELETE FROM runs WHERE id = ?", (run.id,))
        if run.model_file:
            (self.models_dir / run.model_file).unlink(missing_ok=True)

    def model_path(self, run_id: str) -> Path:
        """The run's model file, after checking it is the one the run saved (SHA-256)."""
        run = self.get(run_id)
        if not run.model_file:
            raise RunNotFound(f"run {run_id} has no model file")
        path = self.models_dir / run.model_file
        if not path.is_file() or _sha256(path) != run.model_sha256:
            raise RunNotFound(f"the model file of run {run_id} is missing or was changed")
        return path


@lru_cache(maxsize=None)
def _ensure_schema(path: str) -> None:
    """Create the tables and switch to WAL once per file and process.

    Several processes open a new store at once (the server, its trainers, a test): the schema is
    written inside BEGIN IMMEDIATE, whose lock waits for the others (a lock taken halfway would
    fail at once instead), and WAL is switched on before, retried while another process holds it.
    """
    with closing(sqlite3.connect(path, timeout=30, isolation_level=None)) as db:
        db.execute("PRAGMA busy_timeout=30000")
        for attempt in range(100):
            try:
                if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    db.execute("PRAGMA journal_mode=WAL")
                db.execute("BEGIN IMMEDIATE")
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    db.execute(statement)
                db.execute("COMMIT")
                return
            except sqlite3.OperationalError as exc:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                if "locked" not in str(exc) or attempt == 99:
                    raise
                time.sleep(0.05)


def _process_alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _row_to_run(row: sqlite3.Row) -> Run:
    return Run(id=row["id"], created=row["created"], status=row["status"],
               config=TrainConfig(**json.loads(row["config"])), history=json.loads(row["history"]),
               started=row["started"], ended=row["ended"], reason=row["reason"], session=row["session"],
               elapsed=row["elapsed"], result=json.loads(row["result"]) if row["result"] else {},
               model_file=row["model_file"], model_sha256=row["model_sha256"],
               cancel_requested=bool(row["cancel_requested"]), worker_pid=row["worker_pid"],
               worker_host=row["worker_host"], group_id=row["group_id"])
