"""Helpers for tests that run the app as a user starts it: `python app.py` in a subprocess."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Callable

import psutil

ROOT = Path(__file__).resolve().parent.parent


def wait_for(condition: Callable[[], bool], timeout: float, what: str, every: float = 0.2) -> None:
    """Poll until condition() is true; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise AssertionError(what)


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

    def kill_jobs(self) -> None:
        """End what a test left running: cancel active runs (the warm trainers stop after their
        epoch and stay warm) and kill the job processes the server forked."""
        from modeling.runs import RunStore

        store = RunStore(self.data_dir)
        for run in store.list():
            if run.active:
                store.request_cancel(run.id)
        try:
            children = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return
        children = [c for c in children if "modeling.worker" not in " ".join(_cmdline(c))]
        for child in children:
            try:
                child.kill()
            except psutil.NoSuchProcess:
                pass
        _wait_dead(children, timeout=5)

    def stop(self) -> None:
        self.kill_jobs()
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


def _wait_dead(processes: list[psutil.Process], timeout: float) -> None:
    """Wait until the killed processes are gone or zombies: the server, not we, reaps its children,
    so psutil.wait_procs would sit out its whole timeout on a zombie grandchild."""
    deadline = time.monotonic() + timeout
    for process in processes:
        while time.monotonic() < deadline:
            try:
                if process.status() == psutil.STATUS_ZOMBIE:
                    break
            except psutil.NoSuchProcess:
                break
            time.sleep(0.05)


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
    return [c.pid for c in children if "modeling.worker" in " ".join(_cmdline(c))]


