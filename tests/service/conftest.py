"""Service tests train real (tiny) runs: keep TensorFlow quiet in this process, as the engine does."""
import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """An empty data dir for the run service: embedded set-up (no Redis, SQLite in the data dir),
    no instructor key."""
    monkeypatch.setenv("RNNLAB_DATA_DIR", str(tmp_path))
    for name in ("REDIS_URL", "DATABASE_URL", "RNNLAB_INSTRUCTOR_KEY"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path
