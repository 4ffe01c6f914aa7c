"""Fast at every setting: click to first loss point in the browser for settings no process has
trained before, and the trainers' memory over 100 varied runs.

    python -m benchmarks.any_setting [--clicks 12] [--size-clicks 6] [--runs 100] [--seed 0] [--json]

It starts ``python app.py`` (a free loopback port, a fresh data dir, one trainer per core), waits
until every trainer has said it is warm, and then measures, in headless Chromium, as a user feels it:

1. **any shape**: ``--clicks`` settings drawn with ``--seed``: look_back from 1 to 250 (1, 250 and
   a few in between always included; Conv1D from 6, the least its kernel of 5 allows), any
   foresight from 0 to 30 (a window that does not fit the 15 % validation and test parts of
   1,259 days gets a 50/25/25 split, as a user would have to set), each of the three networks in turn at its default size, a random long ticker of the
   2013-2018 edition, 3 epochs. The page is opened with the settings in its URL and Train is
   clicked; the time is ``performance.now()`` in the page from the click until the loss graph
   plots a first point of the new run (``benchmarks.app_latency.click_and_measure``). Targets:
   median <= 0.5 s, worst <= 1.0 s.
2. **other sizes**: ``--size-clicks`` clicks with units, filters, kernel size or batch size off
   their defaults. Target: each <= 1.5 s.
3. **memory**: ``--runs`` runs queued through the run store one after the other, each on other
   settings (look_back, foresight, network, units, filters, kernel size, batch size, ticker),
   5 epochs; every trainer's RSS after runs 1, 10, 50 and the last. Targets: < 1 GB, and flat from
   run 10 on (growth <= max(50 MiB, 10 %)).

The app's trainer of a run is noted (``worker_pid``), so the table shows that both trainers serve.
Every wait is bounded; the browser and every process of the app are stopped at the end.
"""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import urllib.parse  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from benchmarks.app_latency import (LiveApp, click_and_measure, log, open_idle, start_browser,  # noqa: E402
                                    stop_browser, wait_until)
from modeling.config import TrainConfig  # noqa: E402
from service.store import RunStore  # noqa: E402

DATASET = "sp500-2013-2018"
EPOCHS = 3
FIRST_MEDIAN_TARGET_S = 0.5
FIRST_WORST_TARGET_S = 1.0
SIZE_TARGET_S = 1.5
RSS_TARGET_MB = 1024
GROWTH_ABS_MB, GROWTH_REL = 50, 0.10
SIZE_CHANGES = ({"arch": "lstm", "units": 64}, {"arch": "gru", "units": 8}, {"arch": "conv1d", "filters": 128},
                {"arch": "conv1d", "kernel_size": 9}, {"arch": "lstm", "batch_size": 128},
                {"arch": "gru", "batch_size": 8}, {"arch": "lstm", "units": 128, "look_back": 60},
                {"arch": "conv1d", "filters": 16, "kernel_size": 3, "look_back": 30})
ARCHS = ("lstm", "gru", "conv1d")


def long_tickers(rng: random.Random, count: int) -> list[str]:
    from modeling.data import catalog_for_file, dataset_path

    catalog = catalog_for_file(dataset_path(DATASET))
    return rng.sample(sorted(str(t) for t in catalog.loc[catalog["rows"] >= 1250, "ticker"]), count)


def shape_settings(clicks: int, seed: int) -> list[dict[str, Any]]:
    """Varied shapes at default sizes: the extremes 1 and 250 always, the rest drawn."""
    rng = random.Random(seed)
    fixed = [1, 250, 2, 120]
    tickers = long_tickers(rng, clicks)
    out = []
    for i in range(clicks):
        arch = ARCHS[i % 3]
        look_back = fixed[i] if i < len(fixed) else rng.randint(1, 250)
        if arch == "conv1d":
            look_back = max(6, look_back)
        settings = {"dataset": DATASET, "ticker": tickers[i], "arch": arch, "look_back": look_back,
                    "foresight": rng.randint(0, 30), "epochs": EPOCHS, "seed": i}
        if look_back + settings["foresight"] + 1 > 188:
            # 15 % of 1,259 days is 189: longer windows need larger validation and test parts, as a user would set
            settings.update(train_ratio=0.5, val_ratio=0.25)
        out.append(settings)
    return out


def size_settings(clicks: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed + 1)
    tickers = long_tickers(rng, clicks)
    return [{"dataset": DATASET, "ticker": tickers[i], "look_back": rng.choice((7, 14, 20)),
             "foresight": rng.choice((1, 6, 10)), "epochs": EPOCHS, "seed": 100 + i,
             **SIZE_CHANGES[i % len(SIZE_CHANGES)]} for i in range(clicks)]


def click(driver, app: LiveApp, store: RunStore, settings: dict[str, Any]) -> dict[str, Any]:
    url = f"{app.url}/train?{urllib.parse.urlencode(settings)}"
    open_idle(driver, url, expect_epochs=EPOCHS)
    result = click_and_measure(driver, store, timeout_first=30, timeout_finish=120)
    result["settings"] = settings
    log(f"  {_label(settings)}: first point {_s(result['click_to_first_point_s'])} s"
        + (f"  ERROR {result['error']}" if result.get("error") else ""))
    return result


def memory_runs(app: LiveApp, store: RunStore, runs: int, seed: int) -> dict[str, Any]:
    """``runs`` varied runs one after the other; trainers' RSS at checkpoints."""
    rng = random.Random(seed + 2)
    tickers = long_tickers(rng, 40)
    checkpoints = sorted({1, 10, 50, runs} & set(range(1, runs + 1)))
    samples: dict[int, dict[int, float]] = {}
    failed = []
    for i in range(1, runs + 1):
        arch = rng.choice(ARCHS)
        config = TrainConfig(dataset=DATASET, ticker=rng.choice(tickers), arch=arch,
                             look_back=rng.randint(6, 120), foresight=rng.randint(0, 20), epochs=5, seed=i,
                             units=rng.choice((8, 16, 32, 64)), filters=rng.choice((16, 32, 64)),
                             kernel_size=rng.choice((3, 5)), batch_size=rng.choice((16, 32, 64)))
        run = store.create(config)
        wait_until(lambda: not store.get(run.id).active, 120, 0.05, f"run {i} to end")
        if store.get(run.id).status != "finished":
            failed.append((i, store.get(run.id).reason))
        if i in checkpoints:
            samples[i] = {p.pid: round(p.memory_info().rss / 2 ** 20, 1) for p in app.trainers()}
            log(f"  after run {i}: trainers RSS {samples[i]} MiB")
    first, last = samples[min(k for k in samples if k >= min(10, runs))], samples[max(samples)]
    growth = {pid: round(last[pid] - first[pid], 1) for pid in last if pid in first}
    peak = max(v for s in samples.values() for v in s.values())
    flat = all(g <= max(GROWTH_ABS_MB, GROWTH_REL * first[pid]) for pid, g in growth.items())
    return {"runs": runs, "failed": failed, "samples": samples, "growth_mb": growth, "peak_mb": peak,
            "pass": not failed and peak < RSS_TARGET_MB and flat}


def benchmark(clicks: int, size_clicks: int, runs: int, seed: int) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="rnnlab-any-setting-"))
    app = LiveApp(data_dir)
    driver = None
    try:
        app.wait_ready()
        trainers = wait_until(lambda: app.trainers(), 30, 0.1, "the trainers to appear")
        wait_until(lambda: len(list((data_dir / "trainers").glob("*.ready"))) >= len(trainers), 300, 0.2,
                   "the trainers to warm up")
        store = RunStore(data_dir)
        driver = start_browser()
        log(f"any shape, default sizes: {clicks} clicks")
        shapes = [click(driver, app, store, s) for s in shape_settings(clicks, seed)]
        log(f"other sizes: {size_clicks} clicks")
        sizes = [click(driver, app, store, s) for s in size_settings(size_clicks, seed)]
        stop_browser(driver)
        driver = None
        log(f"memory: {runs} varied runs")
        memory = memory_runs(app, store, runs, seed) if runs else None
        firsts = [r["click_to_first_point_s"] for r in shapes]
        size_firsts = [r["click_to_first_point_s"] for r in sizes]
        ok_shapes = None not in firsts and statistics.median(firsts) <= FIRST_MEDIAN_TARGET_S \
            and max(firsts) <= FIRST_WORST_TARGET_S
        ok_sizes = None not in size_firsts and max(size_firsts, default=0) <= SIZE_TARGET_S
        report = {"config": {"clicks": clicks, "size_clicks": size_clicks, "runs": runs, "seed": seed,
                             "trainers": len(trainers), "epochs": EPOCHS, "dataset": DATASET},
                  "shapes": shapes, "sizes": sizes, "memory": memory,
                  "summary": {"first_point_median_s": _median(firsts), "first_point_worst_s": _max(firsts),
                              "size_first_point_worst_s": _max(size_firsts), "shapes_pass": ok_shapes,
                              "sizes_pass": ok_sizes, "memory_pass": memory["pass"] if memory else None}}
        report["all_pass"] = ok_shapes and ok_sizes and (memory is None or memory["pass"])
        return report
    finally:
        stop_browser(driver)
        app.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def _median(values: list) -> float | None:
    return None if None in values or not values else round(statistics.median(values), 3)


def _max(values: list) -> float | None:
    return None if None in values or not values else round(max(values), 3)


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _label(s: dict[str, Any]) -> str:
    sizes = ", ".join(f"{k} {s[k]}" for k in ("units", "filters", "kernel_size", "batch_size") if k in s)
    return (f"{s['ticker']:5s} {s['arch']:6s} look_back {s['look_back']:3d} foresight {s['foresight']:2d}"
            + (f" ({sizes})" if sizes else ""))


def render(report: dict[str, Any]) -> str:
    cfg, summary = report["config"], report["summary"]
    lines = [f"Fast at every setting ({cfg['dataset']}, {cfg['epochs']} epochs a click, {cfg['trainers']} trainers, "
             f"seed {cfg['seed']})", "", "1. Click to first loss point, any shape, default sizes"]
    pids = sorted({r.get("worker_pid") for r in report["shapes"] + report["sizes"] if r.get("worker_pid")})
    for r in report["shapes"]:
        lines.append(f"   {_label(r['settings'])}: {_s(r['click_to_first_point_s'])} s"
                     f" (trainer {pids.index(r['worker_pid']) + 1 if r.get('worker_pid') in pids else '-'},"
                     f" first epoch {_s((r.get('breakdown') or {}).get('first_epoch_s'))} s)"
                     + (f" ERROR {r['error']}" if r.get("error") else ""))
    lines.append(f"   median {_s(summary['first_point_median_s'])} s (<= {FIRST_MEDIAN_TARGET_S}), worst "
                 f"{_s(summary['first_point_worst_s'])} s (<= {FIRST_WORST_TARGET_S}): "
                 + ("PASS" if summary["shapes_pass"] else "FAIL"))
    lines += ["", "2. Click to first loss point after a change of units, filters, kernel size or batch size"]
    for r in report["sizes"]:
        lines.append(f"   {_label(r['settings'])}: {_s(r['click_to_first_point_s'])} s"
                     + (f" ERROR {r['error']}" if r.get("error") else ""))
    lines.append(f"   worst {_s(summary['size_first_point_worst_s'])} s (<= {SIZE_TARGET_S}): "
                 + ("PASS" if summary["sizes_pass"] else "FAIL"))
    memory = report["memory"]
    if memory:
        lines += ["", f"3. Trainer memory over {memory['runs']} varied runs (MiB per trainer)"]
        for run, sample in sorted(memory["samples"].items()):
            lines.append(f"   after run {run:3d}: " + ", ".join(f"{v:.0f}" for v in sample.values()))
        lines.append(f"   peak {memory['peak_mb']:.0f} MiB (< {RSS_TARGET_MB}), growth from run 10 "
                     f"{memory['growth_mb']} (<= max({GROWTH_ABS_MB} MiB, {GROWTH_REL:.0%})), failed runs "
                     f"{len(memory['failed'])}: " + ("PASS" if memory["pass"] else "FAIL"))
    lines += ["", "Overall: " + ("PASS" if report["all_pass"] else "FAIL")]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.any_setting")
    parser.add_argument("--clicks", type=int, default=12)
    parser.add_argument("--size-clicks", type=int, default=6)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = benchmark(args.clicks, args.size_clicks, args.runs, args.seed)
    print(json.dumps(report) if args.json else render(report))
    return 0 if report["all_pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
