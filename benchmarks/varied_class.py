"""A class that leaves the defaults: 20 students click Train within 5 s, each on other settings.

    python -m benchmarks.varied_class [--users 20] [--window 5] [--epochs 30] [--seed 0]
                                      [--trainers N] [--timeout 300] [--json]

Each student is an HTTP client with its own cookies (its own browser session) doing what the Train
page does (``benchmarks.classroom_load.User``: load /train, post the Train click, then poll the
page's one view of the run as its interval does; here every 0.1 s). The first loss point is the
first poll answer that draws a loss curve with at least one epoch. Each
picks, from a random generator seeded with ``--seed``, a ticker of the 2013-2018 edition, a
look_back from {5, 7, 10, 14, 20, 30, 60}, a foresight from {1, 3, 6, 10} and one of the three
networks at its default size; 30 epochs. They click at random moments within ``--window`` seconds
on a warm embedded app (``python app.py``, one trainer per core).

It prints, per student and in all: the seconds from the click until the progress the page receives
holds a first loss point, from the click until the run ended, and whether every run finished with
no 5xx. Targets (issue #10): every run finishes; the first loss point within 2 s for the median
student and 5 s for the last; the last run ends within 20 s of the first click. Loopback only;
bounded by ``--timeout``; every process it started is stopped.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks.classroom_load import Stack, User

LOOK_BACKS = (5, 7, 10, 14, 20, 30, 60)
FORESIGHTS = (1, 3, 6, 10)
ARCHS = ("lstm", "gru", "conv1d")
DATASET = "sp500-2013-2018"
POLL_SECONDS = 0.1  # the Train page's progress interval
TARGETS = {"first_point_median_s": 2.0, "first_point_max_s": 5.0, "last_end_s": 20.0}


class Student(User):
    """A user whose settings differ from the defaults and who notes when the curve first moves."""

    poll_seconds = POLL_SECONDS

    def __init__(self, base: str, deps: list[dict], settings: dict[str, Any]) -> None:
        super().__init__(base, deps, settings["epochs"], settings["seed"])
        self.settings = settings
        self.form.update({"dataset": DATASET, "ticker": settings["ticker"], "look-back": settings["look_back"],
                          "foresight": settings["foresight"], "architecture": settings["arch"]})
        self.clicked: float | None = None
        self.first_point: float | None = None

    def _request(self, path: str, body: Any = None) -> tuple[int, Any]:
        if body is not None and body.get("changedPropIds") == ["train-button.n_clicks"]:
            self.clicked = time.monotonic()
        status, answer = super()._request(path, body)
        if self.first_point is None and isinstance(answer, dict):
            # the page's poll answer draws the loss curve and says what it drew: [run, status, epochs, position]
            shown = ((answer.get("response") or {}).get("run-shown") or {}).get("data")
            if isinstance(shown, list) and len(shown) > 2 and isinstance(shown[2], int) and shown[2] >= 1:
                self.first_point = time.monotonic()
        return status, answer


def pick_settings(users: int, epochs: int, seed: int) -> list[dict[str, Any]]:
    """Every student's settings, from one seeded generator, on tickers long enough for them."""
    from modeling.config import TrainConfig
    from modeling.data import DataError
    from modeling.pipeline import prepare

    rng = random.Random(seed)
    tickers = sorted(_tickers())
    out = []
    while len(out) < users:
        settings = {"ticker": rng.choice(tickers), "look_back": rng.choice(LOOK_BACKS),
                    "foresight": rng.choice(FORESIGHTS), "arch": rng.choice(ARCHS), "epochs": epochs,
                    "seed": len(out)}
        try:
            prepare(TrainConfig(dataset=DATASET, ticker=settings["ticker"], look_back=settings["look_back"],
                                foresight=settings["foresight"], arch=settings["arch"]))
        except DataError:
            continue  # a ticker too short for these settings: the page would refuse it before the click
        out.append(settings)
    return out


def _tickers() -> list[str]:
    from modeling.data import catalog_for_file, dataset_path

    return [str(t) for t in catalog_for_file(dataset_path(DATASET))["ticker"]]


def run_class(users: int, window: float, epochs: int, seed: int, trainers: int, timeout: float) -> dict[str, Any]:
    settings = pick_settings(users, epochs, seed)
    data_dir = Path(tempfile.mkdtemp(prefix="rnnlab-varied-class-"))
    stack = Stack("embedded", data_dir, trainers)
    try:
        _wait_warm(data_dir, trainers, timeout)
        with urllib.request.urlopen(stack.url + "/_dash-dependencies", timeout=10) as response:
            deps = json.load(response)
        students = [Student(stack.url, deps, s) for s in settings]
        rng = random.Random(seed + 1)
        offsets = [rng.uniform(0, window) for _ in students]
        began = time.monotonic()
        deadline = began + timeout
        threads = []
        for student, offset in zip(students, offsets):
            def go(s: Student = student, at: float = offset) -> None:
                time.sleep(max(0.0, began + at - time.monotonic()))
                s.run(deadline)
            threads.append(threading.Thread(target=go, daemon=True))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()) + 5)
        from service.store import RunStore

        store = RunStore(data_dir)
        rows = []
        first_click = min((s.clicked for s in students if s.clicked is not None), default=began)
        wall_offset = time.time() - time.monotonic()  # the store keeps wall-clock times
        for student in students:
            run = store.get(student.run_id) if student.run_id else None
            ended = None
            if run is not None and run.ended is not None:
                ended = run.ended - wall_offset - first_click
            rows.append({**student.settings, "run": student.run_id, "status": run.status if run else None,
                         "error": student.error,
                         "first_point_s": None if student.first_point is None or student.clicked is None
                         else round(student.first_point - student.clicked, 3),
                         "end_after_first_click_s": None if ended is None else round(ended, 2),
                         "train_s": run.result.get("train_seconds") if run else None})
        statuses: dict[int, int] = {}
        for student in students:
            for code, n in student.statuses.items():
                statuses[code] = statuses.get(code, 0) + n
        firsts = [r["first_point_s"] for r in rows if r["first_point_s"] is not None]
        ends = [r["end_after_first_click_s"] for r in rows if r["end_after_first_click_s"] is not None]
        summary = {
            "finished": sum(r["status"] == "finished" for r in rows), "users": users,
            "http_5xx": sum(n for code, n in statuses.items() if code >= 500),
            "first_point_median_s": round(statistics.median(firsts), 2) if firsts else None,
            "first_point_max_s": round(max(firsts), 2) if len(firsts) == users else None,
            "last_end_s": round(max(ends), 2) if len(ends) == users else None,
        }
        summary["pass"] = (summary["finished"] == users and summary["http_5xx"] == 0
                           and all(summary[k] is not None and summary[k] <= v for k, v in TARGETS.items()))
        return {"config": {"users": users, "window_s": window, "epochs": epochs, "seed": seed,
                           "trainers": trainers, "dataset": DATASET},
                "targets": TARGETS, "summary": summary, "students": rows}
    finally:
        stack.stop()


def _wait_warm(data_dir: Path, trainers: int, timeout: float) -> None:
    """Until every trainer has said it is warm (the class starts on a warm app)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(list((data_dir / "trainers").glob("*.ready"))) >= trainers:
            return
        time.sleep(0.2)
    raise RuntimeError("the trainers did not warm up")


def render(report: dict[str, Any]) -> str:
    cfg, summary = report["config"], report["summary"]
    lines = [f"A varied class: {cfg['users']} students within {cfg['window_s']:g} s, {cfg['epochs']} epochs, "
             f"{cfg['dataset']}, seed {cfg['seed']}, {cfg['trainers']} trainers",
             f"{'ticker':7s} {'arch':7s} {'look_back':>9s} {'foresight':>9s} {'first point s':>14s} "
             f"{'ended s':>8s} {'train s':>8s}  status"]
    for r in sorted(report["students"], key=lambda r: r["first_point_s"] or 1e9):
        lines.append(f"{r['ticker']:7s} {r['arch']:7s} {r['look_back']:9d} {r['foresight']:9d} "
                     f"{_f(r['first_point_s']):>14s} {_f(r['end_after_first_click_s']):>8s} "
                     f"{_f(r['train_s']):>8s}  {r['status']}" + (f" ({r['error']})" if r["error"] else ""))
    targets = report["targets"]
    lines += ["",
              f"finished {summary['finished']}/{summary['users']}, 5xx {summary['http_5xx']}",
              f"first loss point after the click: median {_f(summary['first_point_median_s'])} s "
              f"(target <= {targets['first_point_median_s']:g}), last {_f(summary['first_point_max_s'])} s "
              f"(target <= {targets['first_point_max_s']:g})",
              f"last run ended {_f(summary['last_end_s'])} s after the first click (target <= {targets['last_end_s']:g})",
              "Overall: " + ("PASS" if summary["pass"] else "FAIL")]
    return "\n".join(lines)


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def main(argv: list[str] | None = None) -> int:
    import os

    parser = argparse.ArgumentParser(prog="python -m benchmarks.varied_class")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--window", type=float, default=5.0, help="seconds over which the students click Train")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0, help="seed of the students' settings and click times")
    parser.add_argument("--trainers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = run_class(args.users, args.window, args.epochs, args.seed, args.trainers, args.timeout)
    print(json.dumps(report) if args.json else render(report))
    return 0 if report["summary"]["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
