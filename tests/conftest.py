"""Shared fixtures: a live app in its own process (and data dir) and headless Chromium options.

The app runs as `python app.py` in a subprocess, as a user starts it, so its background jobs
fork from a real server. Job processes left behind are killed after each test.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import psutil
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--no-first-run", "--window-size=1400,1000")


def pytest_setup_options():
    """dash[testing] hook: the Chromium flags this machine needs."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    if os.path.exists("/usr/bin/chromium"):
        options.binary_location = "/usr/bin/chromium"
    return options


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
        self.wait_ready()

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


@pytest.fixture(scope="module")
def live_app(tmp_path_factory) -> Iterator[LiveApp]:
    app = LiveApp(tmp_path_factory.mktemp("data"))
    yield app
    app.stop()


@pytest.fixture
def app_url(live_app: LiveApp) -> Iterator[str]:
    yield live_app.url
    live_app.kill_jobs()


@pytest.fixture
def start_app() -> Iterator:
    """Start `python app.py` on a given data dir (for tests that prepare the data dir first)."""
    started: list[LiveApp] = []

    def start(data_dir: Path) -> LiveApp:
        started.append(LiveApp(data_dir))
        return started[-1]

    yield start
    for app in started:
        app.stop()
