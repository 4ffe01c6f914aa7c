"""Shared fixtures: a live app in its own process (and data dir) and headless Chromium options.

The app runs as `python app.py` in a subprocess, as a user starts it, with its real trainer pool.
Runs a test left active are cancelled after it (the warm trainers stay warm for the next test).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

from conftest_helpers import LiveApp, PostgresServer

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


@pytest.fixture(scope="module")
def live_app(tmp_path_factory) -> Iterator[LiveApp]:
    app = LiveApp(tmp_path_factory.mktemp("data"))
    yield app
    app.stop()


@pytest.fixture
def app_url(live_app: LiveApp) -> Iterator[str]:
    yield live_app.url
    live_app.cancel_runs()


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


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the whole session (skipped where none is installed, never in CI)."""
    try:
        server = PostgresServer()
    except FileNotFoundError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str | None:
    """Each run-store test once on SQLite in the data dir (None: the default) and once on PostgreSQL."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("postgres").create_database()
