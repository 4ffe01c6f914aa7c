"""Where the engine keeps its files: the data dir (uploads; the run store's SQLite file by default).

Read from the environment so that every process that works for the app (the web server, a
trainer, a Celery worker on another machine) finds the same place without shared objects.
"""
from __future__ import annotations

import os
from pathlib import Path

from modeling.data import PROJECT_ROOT

DATA_DIR_ENV = "RNNLAB_DATA_DIR"
DEFAULT_DATA_DIR = PROJECT_ROOT / "var"


def data_dir() -> Path:
    path = Path(os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path
