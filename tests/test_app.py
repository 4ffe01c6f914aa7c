"""app.py: safe defaults, settings from the command line and environment, no TensorFlow at start."""
import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path


import app
from conftest_helpers import trainer_pids, wait_for

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_are_loopback_and_no_debug(monkeypatch):
    for name in ("RNNLAB_HOST", "RNNLAB_PORT", "RNNLAB_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    args = app.parse_args([])
    assert (args.host, args.port, args.debug, args.data_dir) == ("127.0.0.1", 8050, False, None)


def test_settings_from_environment_and_flags(monkeypatch):
    monkeypatch.setenv("RNNLAB_HOST", "0.0.0.0")
    monkeypatch.setenv("RNNLAB_PORT", "9000")
    monkeypatch.setenv("RNNLAB_DATA_DIR", "/tmp/x")
    args = app.parse_args([])
    assert (args.host, args.port, args.data_dir) == ("0.0.0.0", 9000, "/tmp/x")
    assert app.parse_args(["--port", "8123", "--debug"]).port == 8123


def test_starting_the_server_does_not_import_tensorflow(tmp_path):
    code = ("import os, sys; os.environ['RNNLAB_DATA_DIR'] = sys.argv[1]; import app; a = app.create_app(); "
            "import pages.train, pages.compare, pages.explore, pages.sweep, pages.class_; "
            "bad = [m for m in ('tensorflow', 'keras') if m in sys.modules]; "
            "assert not bad, bad; print(sorted(p['path'] for p in __import__('dash').page_registry.values()))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['/', '/class', '/compare', '/sweep', '/train']"


def test_no_debugger_or_dev_tools_are_reachable(live_app):
    """Unknown paths get the app's page shell (its 404 is client-side), never a debugger or dev tool."""
    for path in ("/console", "/?__debugger__=yes&cmd=resource&f=debugger.js"):
        with urllib.request.urlopen(live_app.url + path, timeout=10) as response:
            body = response.read()
            assert response.headers["Content-Type"].startswith("text/html")
        assert b"Werkzeug" not in body and b"DashRenderer" in body
    with urllib.request.urlopen(live_app.url + "/_reload-hash", timeout=10) as response:
        assert json.load(response)["reloadHash"] is None  # hot reload is off


def test_at_start_runs_left_training_are_interrupted_and_queued_runs_are_trained(tmp_path, start_app):
    """What a crash left behind: a run this machine was training cannot be any more (its trainers
    ended with the server); a queued run is still wanted, and the new trainers train it."""
    from modeling.config import TrainConfig
    from service.store import RunStore

    store = RunStore(tmp_path)
    running, queued = store.create(TrainConfig(epochs=3)), store.create(TrainConfig(epochs=3))
    store.mark_running(running.id, 1)
    app = start_app(tmp_path)
    after = store.get(running.id)
    assert after.status == "interrupted"
    assert after.reason == "the app was restarted while the run was training"
    wait_for(lambda: store.get(queued.id).status == "finished", 120, "the queued run was not trained")
    assert store.get(queued.id).worker_pid in trainer_pids(app)


FLOORS = {"dash": (4, 4, 1), "flask": (3, 1, 3), "werkzeug": (3, 1, 6), "keras": (3, 11, 3)}


def test_requirements_are_pinned_and_meet_the_security_floors():
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[^\]]+\])?==([0-9][0-9A-Za-z.]*)", line)
        assert match, f"not pinned to an exact version: {line}"
        pins[match.group(1).lower()] = tuple(int(p) for p in re.findall(r"\d+", match.group(3))[:3])
    for package, floor in FLOORS.items():
        assert pins[package] >= floor, f"{package} {pins[package]} is below the security floor {floor}"
    assert "tensorflow-cpu" in pins and "tensorflow" not in pins
