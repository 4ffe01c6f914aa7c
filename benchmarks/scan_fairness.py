"""Fairness: a student's click while a scan trains, first loss point in the browser.

    python -m benchmarks.scan_fairness [--tickers 100] [--clicks 10] [--seed 0] [--json]

It starts ``python app.py`` (embedded: one warm trainer per core, a free loopback port, a fresh
data dir), waits until every trainer is warm, then queues a scan through the run service as the
app's scan does: ``store.create_collection("scan", ...)`` and ``service.runs.submit_group(configs,
None, group_id=collection.id, priority=BATCH)`` for the first ``--tickers`` trainable tickers of the
2013-2018 edition (LSTM, look_back 7, foresight 6, 30 epochs). Once the scan trains, headless
Chromium makes ``--clicks`` single clicks on /train, each on other settings (the varied shapes of
``benchmarks.any_setting``: look_back 1 to 250, foresight 0 to 30, the three networks in turn,
3 epochs), timed in the page from the click until the loss graph plots the run's first point
(``benchmarks.app_latency.click_and_measure``). The same clicks are made first with no scan
(``--no-baseline`` skips them), so that on a shared machine the cost of the scan reads as a
difference within one run; the table also shows each click's wait from queued to started and
its first epoch. For each click it notes how many scan runs were
running and queued when it was made; only clicks made while the scan still had runs queued count.
Targets (issues #8, #10, #11): median <= 0.5 s, worst <= 1.0 s.
Every wait is bounded; the browser and every process of the app are stopped at the end.
"""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from benchmarks.any_setting import click, shape_settings  # noqa: E402
from benchmarks.app_latency import LiveApp, log, start_browser, stop_browser, wait_until  # noqa: E402
from modeling.config import TrainConfig  # noqa: E402

DATASET = "sp500-2013-2018"
MEDIAN_TARGET_S = 0.5
WORST_TARGET_S = 1.0


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def scan_state(store, collection_id: str) -> dict[str, int]:
    runs = store.group(collection_id)
    return {status: sum(r.status == status for r in runs) for status in ("queued", "running", "finished")}


def benchmark(tickers: int, clicks: int, seed: int, with_baseline: bool = True) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="rnnlab-scan-fairness-"))
    os.environ["RNNLAB_DATA_DIR"] = str(data_dir)
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("DATABASE_URL", None)
    app = LiveApp(data_dir)
    driver = None
    try:
        from modeling.scan import plan_scan
        from service import runs
        from service.settings import run_store
        from service.store import BATCH

        app.wait_ready()
        trainers = wait_until(lambda: app.trainers(), 30, 0.1, "the trainers to appear")
        wait_until(lambda: len(list((data_dir / "trainers").glob("*.ready"))) >= len(trainers), 300, 0.2,
                   "the trainers to warm up")
        store = run_store()
        driver = start_browser()
        base = TrainConfig(dataset=DATASET, arch="lstm", look_back=7, foresight=6, epochs=30)
        configs = plan_scan(base).configs[:tickers]
        baseline = []
        if with_baseline:
            log(f"baseline: the same {clicks} clicks with no scan (load {load()})")
            baseline = [click(driver, app, store, settings) for settings in shape_settings(clicks, seed)]
        collection = store.create_collection("scan", {"base": base.to_dict(), "sector": None},
                                             title=f"fairness benchmark, {len(configs)} tickers")
        queued_at = time.time()
        runs.submit_group(configs, None, group_id=collection.id, priority=BATCH)
        wait_until(lambda: scan_state(store, collection.id)["running"] > 0, 60, 0.1, "the scan to start")
        log(f"scan of {len(configs)} tickers queued; {clicks} clicks while it trains (load {load()})")
        rows = []
        for settings in shape_settings(clicks, seed):
            before = scan_state(store, collection.id)
            result = click(driver, app, store, settings)
            result["scan_at_click"] = before
            result["during_scan"] = before["queued"] > 0
            rows.append(result)
        wait_until(lambda: scan_state(store, collection.id)["finished"] == len(configs), 900, 0.5,
                   "the scan to finish")
        group = store.group(collection.id)
        scan_seconds = max(r.ended for r in group) - queued_at
        counted = [r["click_to_first_point_s"] for r in rows if r["during_scan"]]
        ok = bool(counted) and None not in counted and statistics.median(counted) <= MEDIAN_TARGET_S \
            and max(counted) <= WORST_TARGET_S
        return {"config": {"tickers": len(configs), "clicks": clicks, "seed": seed, "trainers": len(trainers),
                           "dataset": DATASET},
                "clicks": rows, "baseline": baseline,
                "scan": {"runs": len(group), "finished": sum(r.status == "finished" for r in group),
                         "seconds": round(scan_seconds, 1)},
                "summary": {"counted_clicks": len(counted),
                            "first_point_median_s": round(statistics.median(counted), 3)
                            if counted and None not in counted else None,
                            "first_point_worst_s": round(max(counted), 3) if counted and None not in counted else None,
                            "baseline_median_s": _median([r["click_to_first_point_s"] for r in baseline]),
                            "baseline_worst_s": _worst([r["click_to_first_point_s"] for r in baseline]),
                            "load_at_end": load(), "pass": ok}}
    finally:
        stop_browser(driver)
        app.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def _median(values: list) -> float | None:
    return round(statistics.median(values), 3) if values and None not in values else None


def _worst(values: list) -> float | None:
    return round(max(values), 3) if values and None not in values else None


def render(report: dict[str, Any]) -> str:
    cfg, summary, scan = report["config"], report["summary"], report["scan"]
    lines = [f"Clicks while a scan of {cfg['tickers']} tickers trains (BATCH runs), {cfg['trainers']} trainers, "
             f"seed {cfg['seed']}",
             f"{'network':8s} {'look_back':>9s} {'foresight':>9s} {'first point s':>14s} {'no scan':>8s} "
             f"{'created->started s':>19s} {'1st epoch s':>12s}  scan runs at the click (running/queued/finished)"]
    baseline = report["baseline"] or [{} for _ in report["clicks"]]
    for r, alone in zip(report["clicks"], baseline):
        s, b, at = r["settings"], r.get("breakdown") or {}, r["scan_at_click"]
        first = r["click_to_first_point_s"]
        wait = b.get("created_to_started_s")
        lines.append(f"{s.get('arch', 'lstm'):8s} {s['look_back']:9d} {s['foresight']:9d} "
                     f"{_s(first):>14s} {_s(alone.get('click_to_first_point_s')):>8s} {_s(wait):>19s} "
                     f"{_s(b.get('first_epoch_s')):>12s}  "
                     f"{at['running']}/{at['queued']}/{at['finished']}" + ("" if r["during_scan"] else " (not counted)")
                     + (f"  ERROR {r['error']}" if r.get("error") else ""))
    lines += ["",
              f"scan: {scan['finished']} of {scan['runs']} finished, {scan['seconds']:.1f} s from queueing to the last",
              f"first loss point, {summary['counted_clicks']} clicks during the scan: median "
              f"{summary['first_point_median_s']} s (target <= {MEDIAN_TARGET_S}), worst "
              f"{summary['first_point_worst_s']} s (target <= {WORST_TARGET_S}); load average at the end "
              f"{summary['load_at_end']}",
              f"the same clicks with no scan, before it: median {summary['baseline_median_s']} s, worst "
              f"{summary['baseline_worst_s']} s",
              "Overall: " + ("PASS" if summary["pass"] else "FAIL")]
    return "\n".join(lines)


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scan_fairness")
    parser.add_argument("--tickers", type=int, default=100)
    parser.add_argument("--clicks", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-baseline", action="store_true", help="skip the clicks with no scan")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = benchmark(args.tickers, args.clicks, args.seed, not args.no_baseline)
    print(json.dumps(report, default=str) if args.json else render(report))
    return 0 if report["summary"]["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
