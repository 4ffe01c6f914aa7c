"""A scan's speed: one configuration over every ticker, from the command line and through Celery.

    python -m benchmarks.scan_speed [--epochs 30] [--workers N] [--json]
    python -m benchmarks.scan_speed --celery [--subset 60] [--epochs 30] [--json]

Default: runs ``python -m modeling scan --json`` as a user does (a fresh process; the 2013-2018
edition, LSTM, look_back 7, foresight 6, 30 epochs, one training process per core) and prints the
wall seconds from the command's start to its end (TensorFlow's import and the traces included)
against the target of 150 s (issue #11), with the load average before and after: the machine is
shared, so read the number next to it.

``--celery``: the same configuration on the first ``--subset`` trainable tickers, queued through the
run service as a scan collection (``store.create_collection("scan", ...)``, then
``service.runs.submit_group(configs, None, group_id=collection.id, priority=BATCH)``) and trained by
Celery workers through Redis (Debian's ``redis-server`` on a free loopback port, a fresh data dir):
first one worker process, then two (``celery -A service.tasks worker --concurrency 1`` each; on a
2-core machine "two workers" can only mean two processes). Each measurement starts once the
workers are warm (TensorFlow imported, networks traced: their CPU goes quiet) and ends when the
last run has ended; it prints runs per second for each and the scaling ratio (2 workers / 1). The
service does more per run than the CLI (history written to the run store every 0.1 s, the
results and the trained model saved), so its runs/s is lower than the CLI's.
Every process the benchmark starts is stopped.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from benchmarks.processes import free_port, kill_tree, process_tree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 150.0
DATASET = "sp500-2013-2018"


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def cli_scan(epochs: int, workers: int | None) -> dict[str, Any]:
    """The 505-ticker scan as a user types it, timed from outside."""
    command = [sys.executable, "-m", "modeling", "scan", "--dataset", DATASET, "--arch", "lstm", "--look-back", "7",
               "--foresight", "6", "--epochs", str(epochs), "--json"]
    if workers:
        command += ["--workers", str(workers)]
    before = load()
    tick = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - tick
    if done.returncode != 0:
        raise RuntimeError(f"the scan failed: {done.stderr.strip()}")
    report = json.loads(done.stdout)
    statuses = [t["status"] for t in report["tickers"]]
    return {"command": " ".join(command[2:]), "wall_s": round(wall, 1), "scan_s": report["seconds"],
            "tickers": len(statuses), "finished": statuses.count("finished"), "skipped": statuses.count("skipped"),
            "failed": statuses.count("failed"), "load_before": before, "load_after": load(),
            "target_s": TARGET_SECONDS, "pass": wall <= TARGET_SECONDS and statuses.count("failed") == 0}


class CeleryStack:
    """Redis and ``workers`` Celery worker processes (concurrency 1 each) on a fresh data dir."""

    def __init__(self, workers: int) -> None:
        self.data_dir = Path(tempfile.mkdtemp(prefix="rnnlab-scan-celery-"))
        self.redis_url = f"redis://127.0.0.1:{free_port()}/0"
        self.env = {**os.environ, "RNNLAB_DATA_DIR": str(self.data_dir), "REDIS_URL": self.redis_url}
        self.env.pop("DATABASE_URL", None)
        self.log = open(self.data_dir / "stack.log", "wb")
        port = self.redis_url.rsplit(":", 1)[1].split("/")[0]
        self.processes = [subprocess.Popen(
            ["redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.data_dir)], stdout=self.log, stderr=subprocess.STDOUT)]
        time.sleep(0.5)
        for i in range(workers):
            self.processes.append(subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "service.tasks", "worker", "--concurrency", "1",
                 "-n", f"scan{i}@%h", "--loglevel", "INFO"], cwd=ROOT, env=self.env, stdout=self.log,
                stderr=subprocess.STDOUT))
        self.workers = workers

    def tree(self) -> list[psutil.Process]:
        return process_tree(self.processes)

    def wait_warm(self, timeout: float = 300) -> None:
        """Until every worker said it is ready and its processes' CPU went quiet (traces done)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (self.data_dir / "stack.log").read_bytes().count(b" ready.") >= self.workers:
                break
            time.sleep(0.5)
        else:
            raise RuntimeError("the Celery workers did not start")
        quiet = 0
        while time.monotonic() < deadline and quiet < 3:
            procs = [p for p in self.tree()[1:]]
            for p in procs:
                p.cpu_percent(None)
            time.sleep(0.5)
            busy = sum(p.cpu_percent(None) for p in procs if p.is_running())
            quiet = quiet + 1 if busy < 10 else 0

    def stop(self) -> None:
        kill_tree(self.processes)
        self.log.close()
        shutil.rmtree(self.data_dir, ignore_errors=True)


def celery_scan(workers: int, subset: int, epochs: int, timeout: float = 900) -> dict[str, Any]:
    """Queue ``subset`` tickers as a BATCH scan collection and time them through ``workers`` workers."""
    from modeling.config import TrainConfig
    from modeling.scan import plan_scan

    stack = CeleryStack(workers)
    saved = {k: os.environ.get(k) for k in ("RNNLAB_DATA_DIR", "REDIS_URL")}
    os.environ.update(RNNLAB_DATA_DIR=str(stack.data_dir), REDIS_URL=stack.redis_url)
    try:
        from service import runs
        from service.settings import run_store
        from service.store import BATCH

        stack.wait_warm()
        base = TrainConfig(dataset=DATASET, arch="lstm", look_back=7, foresight=6, epochs=epochs)
        plan = plan_scan(base)
        configs = plan.configs[:subset]
        store = run_store()
        collection = store.create_collection("scan", {"base": base.to_dict(), "sector": None},
                                             title=f"benchmark scan of {len(configs)} tickers")
        before = load()
        submitted = time.time()
        runs.submit_group(configs, None, group_id=collection.id, priority=BATCH)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            group = store.group(collection.id)
            if all(not run.active for run in group):
                break
            time.sleep(0.5)
        ended = [run for run in group if run.ended is not None]
        span = max(run.ended for run in ended) - submitted if ended else float("nan")
        by_worker: dict[int, int] = {}
        for run in group:
            by_worker[run.worker_pid] = by_worker.get(run.worker_pid, 0) + 1
        # per worker process: the wait before its first run and the gaps between its runs
        first_start, gaps = [], []
        for pid in by_worker:
            mine = sorted((r for r in ended if r.worker_pid == pid and r.started), key=lambda r: r.started)
            if mine:
                first_start.append(round(mine[0].started - submitted, 2))
                gaps.append(round(sum(b.started - a.ended for a, b in zip(mine, mine[1:])), 2))
        import statistics

        spans = [r.ended - r.started for r in ended if r.started is not None]
        trained = [r.result.get("train_seconds") for r in ended if r.result.get("train_seconds") is not None]
        return {"workers": workers, "runs": len(group), "finished": sum(r.status == "finished" for r in group),
                "run_s_median": round(statistics.median(spans), 3) if spans else None,
                "train_s_median": round(statistics.median(trained), 3) if trained else None,
                "seconds": round(span, 2), "runs_per_s": round(len(ended) / span, 3) if ended else None,
                "runs_per_worker_process": sorted(by_worker.values()),
                "first_start_s": first_start, "gaps_s": gaps,
                "load_before": before, "load_after": load()}
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        stack.stop()


def render_cli(r: dict[str, Any]) -> str:
    return "\n".join([
        f"python -m {r['command']}",
        f"{r['tickers']} tickers: {r['finished']} finished, {r['skipped']} skipped, {r['failed']} failed",
        f"wall {r['wall_s']:.1f} s (the scan's own count: {r['scan_s']:.1f} s); target <= {r['target_s']:g} s: "
        + ("PASS" if r["pass"] else "FAIL"),
        f"load average before {r['load_before']}, after {r['load_after']}"])


def render_celery(rows: list[dict[str, Any]]) -> str:
    lines = ["Celery, one BATCH scan collection, worker processes with concurrency 1 each:",
             f"{'workers':>7s} {'runs':>5s} {'finished':>8s} {'seconds':>8s} {'runs/s':>7s} {'run s':>6s} "
             f"{'epochs s':>8s}  per process   load before -> after"]
    for r in rows:
        lines.append(f"{r['workers']:7d} {r['runs']:5d} {r['finished']:8d} {r['seconds']:8.1f} {r['runs_per_s']:7.3f} "
                     f"{r['run_s_median']:6.3f} {r['train_s_median']:8.3f}  "
                     f"{str(r['runs_per_worker_process']):12s}  {r['load_before']} -> {r['load_after']}")
    for r in rows:
        lines.append(f"{r['workers']} worker(s): first run started {r['first_start_s']} s after the submit; "
                     f"idle between runs {r['gaps_s']} s in all, per process")
    if len(rows) == 2 and rows[0]["runs_per_s"] and rows[1]["runs_per_s"]:
        lines.append(f"scaling, 2 workers / 1: {rows[1]['runs_per_s'] / rows[0]['runs_per_s']:.2f}x")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scan_speed")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--workers", type=int, default=None, help="the CLI scan's --workers (default: its own)")
    parser.add_argument("--celery", action="store_true", help="through Celery with 1, then 2 worker processes")
    parser.add_argument("--subset", type=int, default=60, help="tickers of the Celery measurement")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.celery:
        rows = [celery_scan(n, args.subset, args.epochs) for n in (1, 2)]
        print(json.dumps(rows) if args.json else render_celery(rows))
        return 0 if all(r["finished"] == r["runs"] for r in rows) else 1
    report = cli_scan(args.epochs, args.workers)
    print(json.dumps(report) if args.json else render_cli(report))
    return 0 if report["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
