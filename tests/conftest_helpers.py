"""Helpers for tests that run the app as it is served: `python app.py` or gunicorn in a subprocess, with
Redis, Celery workers and PostgreSQL from Debian's packages where a test needs them."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable

import psutil

ROOT = Path(__file__).resolve().parent.parent


def wait_for(condition: Callable[[], bool], timeout: float, what: str, every: float = 0.2) -> None:
    """Poll until condition() is true; fail with ``what`` after ``timeout`` seconds.

    An element that the page redraws between finding it and reading it (Selenium's stale element)
    or that is not there yet counts as "not yet", not as a failure."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except (StaleElementReferenceException, NoSuchElementException):
            pass
        time.sleep(every)
    raise AssertionError(what)


def wait_until(condition: Callable[[], Any], timeout: float, message: str) -> Any:
    """Poll condition() every 0.1 s until it gives something true, and return that; fail after
    ``timeout`` seconds, naming ``message``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {message}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveApp:
    """A running `python app.py` with its own data dir."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(data_dir / "server.log", "wb")
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--port", str(self.port), "--data-dir", str(data_dir)],
            cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, **(env or {})})
        self.env = env or {}
        self.wait_ready()
        self.wait_trainers_warm()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"app exited: {(self.data_dir / 'server.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("app did not start in time")

    def wait_trainers_warm(self, timeout: float = 180) -> None:
        """Wait until the warm trainer processes have warmed up (each leaves a ready file), so a test
        starts on a machine that is not busy importing TensorFlow in the background."""
        if self.env.get("REDIS_URL"):
            return  # the classroom set-up has no trainer pool
        folder = self.data_dir / "trainers"

        def warm() -> bool:
            pids = trainer_pids(self)
            return bool(pids) and all((folder / f"{pid}.ready").exists() for pid in pids)

        wait_for(warm, timeout, "the trainer processes did not warm up")

    def cancel_runs(self) -> None:
        """End what a test left running: cancel active runs (the warm trainers stop after their
        epoch and stay warm)."""
        from service.store import RunStore

        store = RunStore(self.data_dir)
        for run in store.list():
            if run.active:
                store.request_cancel(run.id)

    def stop(self) -> None:
        self.cancel_runs()
        for pid in trainer_pids(self):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)
        self.log.close()


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []


def trainer_pids(app: "LiveApp") -> list[int]:
    """The warm training processes of a live app."""
    try:
        children = psutil.Process(app.process.pid).children()
    except psutil.NoSuchProcess:
        return []
    return [c.pid for c in children if "service.trainer" in " ".join(_cmdline(c))]




class Redis:
    """A throwaway redis-server from Debian's package on a loopback port (no persistence)."""

    def __init__(self, port: int, folder: Path) -> None:
        self.port, self.folder = port, folder
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True,
                                        text=True).stdout.strip() == "PONG", 20, "redis did not start")

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(10)


def kill_group(process: subprocess.Popen, log) -> None:
    """SIGKILL a server started in its own session, with every child, and close its log."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(10)
    log.close()


GUNICORN = Path(sys.executable).with_name("gunicorn")


class Gunicorn:
    """`gunicorn -w N app:server` on a free loopback port, as the README serves a class."""

    def __init__(self, data_dir: Path, log: Path, workers: int = 2, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log, "wb")
        self.process = subprocess.Popen(
            [str(GUNICORN), "-w", str(workers), "-b", f"127.0.0.1:{self.port}", "--no-control-socket", "app:server"],
            cwd=ROOT, env={**os.environ, "RNNLAB_DATA_DIR": str(data_dir), **(env or {})},
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(self._answers, 60, "gunicorn did not answer")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def trainers(self) -> list[psutil.Process]:
        return [p for p in psutil.Process(self.process.pid).children(recursive=True)
                if "service.trainer" in " ".join(_cmdline(p))]

    def run_to_the_end(self, epochs: int = 3, timeout: float = 180):
        """A run started and followed over HTTP, as the Train page does (benchmarks.classroom_load.User)."""
        import json

        from benchmarks.classroom_load import User

        with urllib.request.urlopen(self.url + "/_dash-dependencies", timeout=10) as response:
            deps = json.load(response)
        user = User(self.url, deps, epochs, seed=0)
        user.run(time.monotonic() + timeout)
        return user

    def stop(self) -> None:
        kill_group(self.process, self.log)


class CeleryWorker:
    """`celery -A service.tasks worker` with its own data dir: a training machine of the classroom."""

    def __init__(self, name: str, data_dir: Path, log: Path, env: dict[str, str], concurrency: int = 1) -> None:
        self.name, self.data_dir, self.log_path, self.env, self.concurrency = name, data_dir, log, env, concurrency
        self.start()

    def start(self) -> None:
        self.log_path.write_bytes(b"")
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "service.tasks", "worker", "--concurrency", str(self.concurrency),
             "-n", f"{self.name}@%h", "--loglevel", "INFO"], cwd=ROOT,
            env={**os.environ, "RNNLAB_DATA_DIR": str(self.data_dir), **self.env},
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 180) -> None:
        """Until the worker says it is ready: its children have imported TensorFlow and traced."""
        wait_for(lambda: b" ready." in self.log_path.read_bytes(), timeout, f"celery worker {self.name} not ready")

    def pids(self) -> list[int]:
        try:
            main = psutil.Process(self.process.pid)
            return [main.pid, *(c.pid for c in main.children(recursive=True))]
        except psutil.NoSuchProcess:
            return []

    def kill(self) -> None:
        """The machine is gone: the worker and its children, at once."""
        kill_group(self.process, self.log)


POSTGRES_BIN_GLOB = "/usr/lib/postgresql/*/bin"


class PostgresServer:
    """A throwaway PostgreSQL server from Debian's postgresql package, on a free loopback port.

    PostgreSQL does not run as root: initdb and the server run as the ``postgres`` user (via
    runuser when this process is root), in a temporary directory that user owns; trust auth on
    127.0.0.1 only. ``stop()`` ends it and removes the directory.
    """

    def __init__(self) -> None:
        import glob
        import pwd
        import shutil
        import tempfile

        bins = sorted(glob.glob(POSTGRES_BIN_GLOB))
        if not bins:
            raise FileNotFoundError("PostgreSQL server binaries not found (apt-get install postgresql)")
        self.bin = Path(bins[-1])
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="rnnlab-pg-"))
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self._shutil = shutil
        data = self.dir / "data"
        subprocess.run(self.as_user + [str(self.bin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                                       "-E", "UTF8", "--no-sync"], check=True, capture_output=True)
        self.data = data
        self.start()

    def start(self) -> None:
        subprocess.run(self.as_user + [str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"),
                                       "-w", "-t", "60", "-o",
                                       f"-p {self.port} -h 127.0.0.1 -k {self.dir} -F", "start"],
                       check=True, capture_output=True)

    def stop(self, remove: bool = True) -> None:
        subprocess.run(self.as_user + [str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"],
                       capture_output=True)
        if remove:
            self._shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        import uuid

        import sqlalchemy as sa

        name = f"t{uuid.uuid4().hex[:12]}"
        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as db:
            db.exec_driver_sql(f"CREATE DATABASE {name}")
        engine.dispose()
        return self.url(name)
