"""A classroom of simulated users starting trainings at once, over HTTP, on loopback only.

    python -m benchmarks.classroom_load [--users 20] [--window 10] [--mode embedded|celery|both]
                                        [--epochs 10] [--timeout 600] [--json]

Each user is an HTTP client with its own cookies (its own browser session) that does what the
Train page does: load the page, post the Train click (the `start_run` callback, which submits the
run to the run service), then poll the page's one view of the run (the `show_run` callback, as its
interval does) until the run has ended and its results came back. With ``follow=False`` (the
tests' check that a run is trained whether or not anyone watches) a user only clicks Train and
makes no further request. Users start at random moments within the window.
It prints whether every run finished, the HTTP status counts (no 5xx allowed), the queue waits
(time from a run's creation to its start, p50 and max) and the peak memory of all processes
(web server, trainers or Celery worker, Redis), sampled every 0.25 s. Bounded: every user gives
up after --timeout seconds, and the script stops every process it started.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import psutil

from benchmarks.processes import free_port, kill_tree, process_tree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.store import RunStore  # noqa: E402

TRAIN_FORM = {"dataset": "sp500-2012-2017", "ticker": "AAL", "price-column": "high", "train-ratio": 0.7,
              "val-ratio": 0.15, "look-back": 7, "foresight": 6, "architecture": "lstm", "units": 32,
              "dropout": 0.1, "recurrent-dropout": 0.1, "filters": 64, "kernel-size": 5, "epochs": 10,
              "batch-size": 32, "learning-rate": 0.001, "seed": 0, "patience": 5, "early-stopping": []}


def wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


class Stack:
    """The processes of one set-up: the app, and for Celery also Redis and a worker."""

    def __init__(self, mode: str, data_dir: Path, trainers: int) -> None:
        self.mode, self.data_dir = mode, data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.processes: list[subprocess.Popen] = []
        env = {**os.environ, "RNNLAB_DATA_DIR": str(data_dir), "RNNLAB_TRAINERS": str(trainers)}
        env.pop("REDIS_URL", None)
        log = open(data_dir / f"{mode}.log", "wb")
        if mode == "celery":
            redis_port = free_port()
            env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
            self.processes.append(subprocess.Popen(
                ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", str(data_dir)], stdout=log, stderr=subprocess.STDOUT))
            time.sleep(0.5)
            self.processes.append(subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "service.tasks", "worker", "--concurrency", str(trainers),
                 "--loglevel", "WARNING"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        self.processes.append(subprocess.Popen([sys.executable, "app.py", "--port", str(self.port)], cwd=ROOT,
                                               env=env, stdout=log, stderr=subprocess.STDOUT))
        wait_http(self.url + "/", 60)

    def tree(self) -> list[psutil.Process]:
        return process_tree(self.processes)

    def rss_mb(self) -> float:
        total = 0
        for proc in self.tree():
            try:
                total += proc.memory_info().rss
            except psutil.Error:
                pass
        return total / 1024 / 1024

    def stop(self) -> None:
        kill_tree(self.processes)


class User:
    """One browser session talking Dash's callback protocol."""

    poll_seconds = 0.25

    def __init__(self, base: str, deps: list[dict], epochs: int, seed: int, follow: bool = True) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.statuses: Counter = Counter()
        self.start_dep = next(d for d in deps if "current-run.data" in d["output"] and "start-message" in d["output"])
        self.show_dep = next(d for d in deps if "run-shown.data" in d["output"])
        self.form = {**TRAIN_FORM, "epochs": epochs, "seed": seed}
        self.follow = follow
        self.run_id: str | None = None
        self.error: str | None = None
        self.result_missing = False

    def _request(self, path: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data,
                                         headers={"Content-Type": "application/json"} if data else {})
        try:
            with self.opener.open(request, timeout=30) as response:
                self.statuses[response.status] += 1
                raw = response.read()
                return response.status, (json.loads(raw) if raw and data else raw)
        except urllib.error.HTTPError as error:
            self.statuses[error.code] += 1
            return error.code, None

    @staticmethod
    def _outputs(output: str) -> Any:
        if output.startswith(".."):
            parts = output[2:-2].split("...")
            return [dict(zip(("id", "property"), p.rsplit(".", 1))) for p in parts]
        return dict(zip(("id", "property"), output.rsplit(".", 1)))

    def _body(self, dep: dict, inputs: list[dict], changed: str, state: dict | None = None) -> dict:
        values = {**self.form, **(state or {})}
        state = [{**s, "value": values.get(s["id"])} for s in dep.get("state", [])]
        return {"output": dep["output"], "outputs": self._outputs(dep["output"]), "inputs": inputs,
                "changedPropIds": [changed], "state": state}

    def run(self, deadline: float) -> None:
        status, page = self._request("/train")
        if status != 200:
            self.error = f"page load failed ({status})"
            return
        body = self._body(self.start_dep, [{"id": "train-button", "property": "n_clicks", "value": 1}],
                          "train-button.n_clicks")
        status, answer = self._request("/_dash-update-component", body)
        try:
            self.run_id = answer["response"]["current-run"]["data"]
        except (TypeError, KeyError):
            self.error = f"Train was refused ({status}): {str(answer)[:200]}"
            return
        if not self.follow:
            return
        shown, tick = None, 0
        while time.monotonic() < deadline:
            inputs = [{"id": "current-run", "property": "data", "value": self.run_id},
                      {"id": "cancel-done", "property": "data", "value": None},
                      {"id": "run-poll", "property": "n_intervals", "value": tick}]
            status, answer = self._request("/_dash-update-component",
                                           self._body(self.show_dep, inputs, "run-poll.n_intervals",
                                                      {"run-shown": shown}))
            if status >= 400:
                self.error = f"polling failed ({status})"
                return
            if status == 200:
                response = answer.get("response", {}) if isinstance(answer, dict) else {}
                shown = response.get("run-shown", {}).get("data", shown)
                if isinstance(shown, list) and shown[1] not in ("queued", "running"):
                    # the run ended: the same answer carries its results (the metrics card)
                    self.result_missing = shown[1] == "finished" and not response.get("metrics", {}).get("children")
                    return
            tick += 1
            time.sleep(self.poll_seconds)
        self.error = "timed out"


def wait_for_runs(store: RunStore, run_ids: list[str], deadline: float) -> None:
    """Until every run has ended (or the deadline): users who do not follow their runs."""
    while time.monotonic() < deadline and any(store.get(r).active for r in run_ids):
        time.sleep(0.5)


def run_load(mode: str, users: int, window: float, epochs: int, timeout: float, trainers: int,
             follow: bool = True) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix=f"rnnlab-load-{mode}-"))
    stack = Stack(mode, data_dir, trainers)
    peak = [stack.rss_mb()]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.25):
            peak[0] = max(peak[0], stack.rss_mb())

    try:
        with urllib.request.urlopen(stack.url + "/_dash-dependencies", timeout=10) as response:
            deps = json.load(response)
        warm = User(stack.url, deps, 1, 999)  # not counted: the class starts once the server is warm
        warm.run(time.monotonic() + timeout)
        if warm.error:
            raise RuntimeError(f"warm-up run failed: {warm.error}")
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        deadline = time.monotonic() + timeout
        simulated = [User(stack.url, deps, epochs, seed, follow) for seed in range(users)]
        rng = random.Random(0)
        starts = sorted(rng.uniform(0, window) for _ in simulated)
        began = time.monotonic()
        threads = []
        for user, at in zip(simulated, starts):
            thread = threading.Thread(target=lambda u=user, a=at: (time.sleep(max(0, began + a - time.monotonic())),
                                                                   u.run(deadline)), daemon=True)
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()) + 5)
        if not follow:
            wait_for_runs(RunStore(data_dir), [u.run_id for u in simulated if u.run_id], deadline)
        wall = time.monotonic() - began
        stop.set()
        store = RunStore(data_dir)
        runs = {r.id: r for r in store.list()}
        mine = [runs.get(u.run_id) if u.run_id else None for u in simulated]
        waits = [r.started - r.created for r in mine if r is not None and r.started]
        statuses = sum((u.statuses for u in simulated), Counter())
        result = {
            "mode": mode, "users": users, "window_s": window, "epochs": epochs, "trainers": trainers,
            "follow": follow,
            "finished": sum(1 for r in mine if r is not None and r.status == "finished"),
            "lost": [u.run_id or u.error for u, r in zip(simulated, mine) if r is None or r.status != "finished"],
            "errors": [u.error for u in simulated if u.error],
            # A run that finished whose results the page's poll did not bring back.
            "results_missing": sum(u.result_missing for u in simulated),
            "http_statuses": dict(sorted(statuses.items())),
            "http_5xx": sum(n for code, n in statuses.items() if code >= 500),
            "queue_wait_p50_s": round(statistics.median(waits), 2) if waits else None,
            "queue_wait_max_s": round(max(waits), 2) if waits else None,
            "peak_rss_mb": round(peak[0]), "wall_s": round(wall, 1),
        }
        result["ok"] = result["finished"] == users and result["http_5xx"] == 0 and not result["errors"]
        if not result["ok"]:
            result["logs"] = str(data_dir)  # kept for a look
        return result
    finally:
        stop.set()
        stack.stop()
        if "result" in locals() and result["ok"]:
            shutil.rmtree(data_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.classroom_load")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--window", type=float, default=10.0, help="seconds over which users click Train")
    parser.add_argument("--mode", choices=("embedded", "celery", "both"), default="both")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--trainers", type=int, default=os.cpu_count() or 1,
                        help="trainer processes (each interleaves runs), or Celery worker concurrency")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    modes = ("embedded", "celery") if args.mode == "both" else (args.mode,)
    results = [run_load(m, args.users, args.window, args.epochs, args.timeout, args.trainers) for m in modes]
    if args.json:
        print(json.dumps(results))
    else:
        for r in results:
            print(f"{r['mode']:>8}: {r['finished']}/{r['users']} finished, lost {len(r['lost'])}, "
                  f"HTTP {r['http_statuses']} (5xx: {r['http_5xx']}), queue wait p50 {r['queue_wait_p50_s']} s "
                  f"max {r['queue_wait_max_s']} s, peak memory of all processes {r['peak_rss_mb']} MB, "
                  f"{r['wall_s']} s in all ({r['trainers']} {'trainers' if r['mode'] == 'embedded' else 'worker processes'})"
                  f" -> {'PASS' if r['ok'] else 'FAIL'}")
            for error in r["errors"]:
                print(f"          {error}")
            if r["results_missing"]:
                print(f"          warning: {r['results_missing']} finished run(s) whose results the poll did not bring")
            if "logs" in r:
                print(f"          logs and run store kept in {r['logs']}")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
