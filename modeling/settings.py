"""Where the app keeps its state: the data dir (run store, job cache, uploads, model files).

Read from the environment so that every process that works for the app (the web server, a
forked job, a Celery worker on another machine) finds the same place without shared objects.
"""
from __future__ import annotations

import os
from pathlib import Path

from modeling.data import PROJECT_ROOT
from modeling.runs import RunStore

DATA_DIR_ENV = "RNNLAB_DATA_DIR"
DEFAULT_DATA_DIR = PROJECT_ROOT / "var"


def data_dir() -> Path:
    path = Path(os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def run_store() -> RunStore:
    """The run store of this app's data dir (cheap: a path and a schema check)."""
    return RunStore(data_dir())
