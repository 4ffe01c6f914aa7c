"""Training speed and quality: the lecture's plain Keras ``model.fit`` against the engine, at
several window lengths.

Run from the repository root::

    .venv/bin/python -m benchmarks.train_speed [--epochs 30] [--seeds 0 1 2] [--archs lstm gru conv1d]
        [--look-backs 7 20 60 120] [--conv-look-backs 7 60] [--dataset sp500-2013-2018] [--json]

For every cell (network, look_back) and seed, on one ticker's High price (AAL of the 2013-2018
edition by default; foresight 6, batch 32, 30 epochs), the network is trained in two ways, back to
back, so that the noise of a shared machine hits both:

(a) **fit**: the lecture's code: ``keras.utils.set_random_seed(seed)``, ``build_model(arch,
    look_back, seed=seed)`` (the run's seed for the network's own seeded initializers and dropout,
    as the engine does), ``compile(loss='mae', optimizer='adam')``, ``fit(X, y, validation_data=...,
    epochs=30, batch_size=32, verbose=0)``; a Keras callback times every epoch (``on_epoch_begin``
    to ``on_epoch_end``, which includes the validation pass, as the engine's epoch does);
(b) **engine**: ``modeling.training.train(prepared, config, cache=TraceCache())`` with the cache
    warmed up first, as in the app's trainers; with ``--cold``, a fresh trace per run instead (as
    the CLI does; the trace then falls in the first epoch).

Which side runs first alternates from pair to pair, and an untimed 2-epoch warm-up of each side and
cell comes first, so that neither side pays the process's one-off TensorFlow start-up.

Targets. Every ratio is engine / fit of the two runs of one seed (measured back to back in this
process), then the median over the seeds; the table also shows the range over the seeds.

* steady pace: median epoch time over epochs 2..N; LSTM and GRU at most 0.2 up to look_back 20 and
  0.35 beyond, Conv1D at most 0.1;
* whole training: the ``fit()`` call against ``TrainResult.train_seconds`` (the engine's epochs,
  the first one included), ratio at most 0.4. The end-to-end time (fit: seed + build + compile +
  fit; engine: the whole ``train()`` call, which also builds and scores the model) and its CPU time
  are reported next to it, without a target;
* quality, at look_back 7, 20 and 60: the final validation MAE (normalized, last epoch) of the
  engine is not worse than fit's beyond the seed noise:
  mean_engine - mean_fit <= 2 * sqrt(sd_engine**2 / n + sd_fit**2 / n), i.e. within twice the
  standard error of the difference of the means (sample standard deviations over the n seeds;
  one-sided, an engine that is better passes). It needs at least 2 seeds.

``--equivalence`` adds an exact check of the maths at each network's first look_back: dropout off,
and ``fit`` fed, one epoch at a time with ``shuffle=False``, the very batch order the engine draws;
both must then give the same loss curves to float rounding.
"""
from __future__ import annotations

import os

# Before anything imports TensorFlow: no start-up chatter. Both sides run in this process, with the
# engine's settings (Eigen's kernels, not oneDNN's; one thread per pool): model.fit measured the
# same with TensorFlow's default pools, and no faster with oneDNN.
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"

import argparse  # noqa: E402
import inspect  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from typing import Any, Callable, Sequence  # noqa: E402

from modeling.architectures import ARCHITECTURES, ArchParams  # noqa: E402
from modeling.config import TrainConfig  # noqa: E402
from modeling.data import DEFAULT_DATASET  # noqa: E402
from modeling.pipeline import prepare  # noqa: E402

WHOLE_RATIO_TARGET = 0.4
QUALITY_LOOK_BACKS = (7, 20, 60)
NOISE_SIGMAS = 2.0
EQUIVALENCE_TOLERANCE = 1e-5
BASE = dict(ticker="AAL", column="high", foresight=6, batch_size=32)
RECURRENT_LOOK_BACKS = (7, 20, 60, 120)
CONV_LOOK_BACKS = (7, 60)


def steady_ratio_target(arch: str, look_back: int) -> float:
    """The issue's limits: recurrent nets 0.2 up to look_back 20 and 0.35 beyond; Conv1D 0.1."""
    if arch == "conv1d":
        return 0.1
    return 0.2 if look_back <= 20 else 0.35
QUALITY_RULE = (f"engine mean - fit mean <= {NOISE_SIGMAS:g} * sqrt(sd_engine^2/n + sd_fit^2/n) "
                "(final val MAE, sample sd over the n seeds; one-sided: better always passes)")


# ----------------------------------------------------------------------------------------------
# Statistics
# ----------------------------------------------------------------------------------------------

def steady(epoch_seconds: Sequence[float]) -> float:
    """Median epoch time over epochs 2..N (the first epoch carries the tracing)."""
    rest = list(epoch_seconds[1:]) or list(epoch_seconds)
    return float(statistics.median(rest)) if rest else 0.0


def mean_sd(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    values = list(values)
    return float(statistics.fmean(values)), float(statistics.stdev(values)) if len(values) > 1 else 0.0


def quality_verdict(fit_vals: Sequence[float], eng_vals: Sequence[float]) -> dict[str, Any]:
    """Is the engine's mean final val MAE within the seed noise of fit's? (QUALITY_RULE)"""
    n_f, n_e = len(fit_vals), len(eng_vals)
    fit_mean, fit_sd = mean_sd(fit_vals)
    eng_mean, eng_sd = mean_sd(eng_vals)
    out = {"fit_mean": fit_mean, "fit_sd": fit_sd, "engine_mean": eng_mean, "engine_sd": eng_sd,
           "diff": eng_mean - fit_mean, "allowance": None, "z": None, "pass": None,
           "verdict": "n/a (needs at least 2 seeds)"}
    if min(n_f, n_e) < 2:
        return out
    se = math.sqrt(fit_sd ** 2 / n_f + eng_sd ** 2 / n_e)
    allowance = NOISE_SIGMAS * se
    diff = out["diff"]
    if not diff <= allowance:
        verdict = "engine worse beyond noise"
    elif diff < -allowance:
        verdict = "engine better beyond noise"
    else:
        verdict = "within noise"
    z = diff / se if se > 0 else None  # no spread at all: the allowance is 0 and z undefined
    out.update(allowance=allowance, z=z, verdict=verdict, **{"pass": diff <= allowance})
    return out


# ----------------------------------------------------------------------------------------------
# The two ways to train
# ----------------------------------------------------------------------------------------------

def lecture_model(arch: str, look_back: int, seed: int, params: ArchParams | None = None):
    """``keras.utils.set_random_seed(seed)`` then ``build_model(arch, look_back)``, as in the lecture.

    ``build_model`` takes its own ``seed`` (initial weights and dropout masks no longer come from
    the global generator); it gets the run's seed, so that fit and the engine start every seed from
    the same network. Without it every seed would start fit from seed 0's network.
    """
    import keras

    from modeling.architectures import build_model

    keras.utils.set_random_seed(seed)  # still drives fit's shuffling
    if "seed" in inspect.signature(build_model).parameters:
        return build_model(arch, look_back, params, seed=seed)
    return build_model(arch, look_back, params)


def _epoch_timer():
    import keras

    class EpochTimer(keras.callbacks.Callback):
        """perf_counter from on_epoch_begin to on_epoch_end (the validation pass lies in between)."""

        def __init__(self) -> None:
            super().__init__()
            self.seconds: list[float] = []
            self._tick = 0.0

        def on_epoch_begin(self, epoch, logs=None):
            self._tick = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self._tick)

    return EpochTimer()


def run_fit(prepared, arch: str, seed: int, epochs: int, batch_size: int) -> dict[str, Any]:
    """The lecture's plain Keras: seed, Sequential model, compile(mae, adam), fit."""
    x_train, y_train = prepared.X["train"][..., None], prepared.y["train"]
    x_val, y_val = prepared.X["val"][..., None], prepared.y["val"]
    timer = _epoch_timer()
    start, cpu_start = time.perf_counter(), time.process_time()
    model = lecture_model(arch, prepared.spec.look_back, seed)
    model.compile(loss="mae", optimizer="adam")
    fit_start = time.perf_counter()
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=epochs,
                        batch_size=batch_size, verbose=0, callbacks=[timer])
    end, cpu_end = time.perf_counter(), time.process_time()
    hist = {k: [float(v) for v in history.history[k]] for k in ("loss", "val_loss")}
    return {"epoch_seconds": timer.seconds, "steady_seconds": steady(timer.seconds),
            "first_epoch_seconds": timer.seconds[0], "train_seconds": end - fit_start,
            "end_to_end_seconds": end - start, "end_to_end_cpu_seconds": cpu_end - cpu_start,
            "history": hist, "final_val_mae": hist["val_loss"][-1], "final_loss": hist["loss"][-1]}


def run_engine(prepared, config: TrainConfig, cache: Any = None) -> dict[str, Any]:
    """The engine: one ``train()`` call (with ``cache`` if given), also timed from outside (end to end)."""
    from modeling.training import train

    start, cpu_start = time.perf_counter(), time.process_time()
    result = train(prepared, config) if cache is None else train(prepared, config, cache=cache)
    end, cpu_end = time.perf_counter(), time.process_time()
    hist = {k: [float(v) for v in result.history[k]] for k in ("loss", "val_loss")}
    return {"epoch_seconds": list(result.epoch_seconds), "steady_seconds": result.seconds_per_epoch,
            "first_epoch_seconds": result.first_epoch_seconds, "train_seconds": result.train_seconds,
            "end_to_end_seconds": end - start, "end_to_end_cpu_seconds": cpu_end - cpu_start,
            "history": hist, "final_val_mae": hist["val_loss"][-1], "final_loss": hist["loss"][-1]}


def warm_up(prepared, config: TrainConfig, log: Callable[[str], None], cache: Any = None) -> None:
    """One short untimed run of each side: TensorFlow's one-off start-up costs (and, with a cache,
    the tracing that a long-lived process pays once)."""
    log(f"warm-up {config.arch} look_back {config.look_back} ...")
    run_fit(prepared, config.arch, seed=0, epochs=2, batch_size=config.batch_size)
    run_engine(prepared, config.replace(epochs=2, seed=0), cache)


def equivalence(prepared, base: TrainConfig, seed: int, epochs: int) -> dict[str, Any]:
    """Dropout off and fit fed the engine's batch order: the two must agree to float rounding.

    The batch order is the engine's recipe (modeling/training.py): a stateless shuffle of the
    training windows seeded with (seed, epoch) at every epoch.
    """
    import numpy as np
    import tensorflow as tf

    from modeling.training import train

    arch = base.arch
    config = base.replace(epochs=epochs, seed=seed, dropout=0.0, recurrent_dropout=0.0)
    result = train(prepared, config)
    x, y = prepared.X["train"][..., None], prepared.y["train"]
    val = (prepared.X["val"][..., None], prepared.y["val"])
    model = lecture_model(arch, config.look_back, seed, ArchParams(dropout=0.0, recurrent_dropout=0.0))
    model.compile(loss="mae", optimizer="adam")
    hist: dict[str, list[float]] = {"loss": [], "val_loss": []}
    for epoch in range(1, epochs + 1):
        order = tf.random.experimental.stateless_shuffle(
            tf.range(len(y)), seed=tf.constant([seed, epoch], tf.int64)).numpy()
        h = model.fit(x[order], y[order], validation_data=val, epochs=1, batch_size=config.batch_size,
                      shuffle=False, verbose=0)
        for key in hist:
            hist[key].append(float(h.history[key][0]))
    diffs = {key: float(np.max(np.abs(np.array(hist[key]) - np.array(result.history[key])))) for key in hist}
    weights = float(max(np.max(np.abs(a - b)) for a, b in zip(model.get_weights(), result.model.get_weights())))
    worst = max(diffs.values())
    return {"arch": arch, "look_back": config.look_back, "max_abs_diff_loss": diffs["loss"], "max_abs_diff_val_loss": diffs["val_loss"],
            "max_abs_diff_weights": weights, "final_val_loss_fit": hist["val_loss"][-1],
            "final_val_loss_engine": result.history["val_loss"][-1],
            "pass": worst <= EQUIVALENCE_TOLERANCE}


# ----------------------------------------------------------------------------------------------
# Benchmark
# ----------------------------------------------------------------------------------------------

def cells(archs: Sequence[str], look_backs: Sequence[int], conv_look_backs: Sequence[int]) -> list[tuple[str, int]]:
    return [(arch, lb) for arch in archs for lb in (conv_look_backs if arch == "conv1d" else look_backs)]


def benchmark(archs: Sequence[str], seeds: Sequence[int], epochs: int, dataset: str = DEFAULT_DATASET,
              look_backs: Sequence[int] = RECURRENT_LOOK_BACKS, conv_look_backs: Sequence[int] = CONV_LOOK_BACKS,
              warmup: bool = True, check_equivalence: bool = False, cold: bool = False,
              log: Callable[[str], None] = lambda message: None) -> dict[str, Any]:
    from modeling.training import TraceCache, configure_tensorflow

    tf = configure_tensorflow()
    import keras

    cache = None
    trace_seconds: dict[str, float] = {}
    if not cold:
        cache = TraceCache()
        for arch in archs:
            tick = time.perf_counter()
            cache.warm_up([arch])
            trace_seconds[arch] = time.perf_counter() - tick
    runs: dict[str, list[dict[str, Any]]] = {}
    windows: dict[str, dict[str, int]] = {}
    pair_index = 0
    for arch, look_back in cells(archs, look_backs, conv_look_backs):
        base = TrainConfig(**BASE, dataset=dataset, arch=arch, look_back=look_back, epochs=epochs)
        prepared = prepare(base)
        key = f"{arch}@{look_back}"
        windows[key] = {"train": int(len(prepared.y["train"])), "val": int(len(prepared.y["val"]))}
        if warmup:
            warm_up(prepared, base, log, cache)
        runs[key] = []
        for seed in seeds:
            config = base.replace(seed=seed)
            order = ("engine", "fit") if pair_index % 2 else ("fit", "engine")
            pair_index += 1
            pair: dict[str, Any] = {"seed": seed, "order": list(order)}
            for side in order:
                if side == "fit":
                    pair["fit"] = run_fit(prepared, arch, seed, epochs, base.batch_size)
                else:
                    pair["engine"] = run_engine(prepared, config, cache)
            runs[key].append(pair)
            f, e = pair["fit"], pair["engine"]
            log(f"{key:11s} seed {seed}: steady {1e3 * f['steady_seconds']:.1f} / "
                f"{1e3 * e['steady_seconds']:.1f} ms, train {f['train_seconds']:.2f} / "
                f"{e['train_seconds']:.2f} s, val MAE {f['final_val_mae']:.4f} / {e['final_val_mae']:.4f} "
                f"(fit / engine)")

    results = {}
    for key, pairs in runs.items():
        arch, look_back = key.split("@")
        results[key] = summarize(pairs, steady_ratio_target(arch, int(look_back)),
                                 quality=int(look_back) in QUALITY_LOOK_BACKS)
    checks = [c for r in results.values() for c in (r["steady_pass"], r["whole_pass"], r["quality"]["pass"])
              if c is not None]
    report: dict[str, Any] = {
        "config": {**BASE, "dataset": dataset, "epochs": epochs, "seeds": list(seeds), "archs": list(archs),
                   "look_backs": list(look_backs), "conv_look_backs": list(conv_look_backs),
                   "engine": "cold (a fresh trace per run)" if cold else "warm TraceCache",
                   "warmup": warmup, "windows": windows},
        "environment": {"python": platform.python_version(), "tensorflow": tf.__version__,
                        "keras": keras.__version__, "cpus": os.cpu_count(),
                        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
                        "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS"),
                        "threads (inter, intra)": [tf.config.threading.get_inter_op_parallelism_threads(),
                                                   tf.config.threading.get_intra_op_parallelism_threads()]},
        "targets": {"steady_ratio_max": {k: r["steady_target"] for k, r in results.items()},
                    "whole_ratio_max": WHOLE_RATIO_TARGET, "quality_rule": QUALITY_RULE,
                    "quality_look_backs": list(QUALITY_LOOK_BACKS)},
        "trace_seconds": trace_seconds,
        "results": results,
    }
    if check_equivalence:
        report["equivalence"] = {}
        for arch in archs:
            look_back = (conv_look_backs if arch == "conv1d" else look_backs)[0]
            base = TrainConfig(**BASE, dataset=dataset, arch=arch, look_back=look_back, epochs=epochs)
            log(f"equivalence {arch} look_back {look_back} ...")
            report["equivalence"][arch] = equivalence(prepare(base), base, seeds[0], epochs)
        checks += [r["pass"] for r in report["equivalence"].values()]
    report["all_pass"] = all(c is True for c in checks)
    report["runs"] = runs
    return report


def summarize(pairs: list[dict[str, Any]], steady_target: float, quality: bool = True) -> dict[str, Any]:
    def col(side: str, key: str) -> list[float]:
        return [p[side][key] for p in pairs]

    def ratios(key: str) -> list[float]:
        return [p["engine"][key] / p["fit"][key] for p in pairs]

    steady_ratios, whole_ratios = ratios("steady_seconds"), ratios("train_seconds")
    e2e_ratios, cpu_ratios = ratios("end_to_end_seconds"), ratios("end_to_end_cpu_seconds")
    return {
        "fit_steady_ms": 1e3 * statistics.median(col("fit", "steady_seconds")),
        "engine_steady_ms": 1e3 * statistics.median(col("engine", "steady_seconds")),
        "steady_ratio": statistics.median(steady_ratios), "steady_ratios": steady_ratios,
        "steady_target": steady_target,
        "steady_pass": statistics.median(steady_ratios) <= steady_target,
        "fit_first_epoch_s": statistics.median(col("fit", "first_epoch_seconds")),
        "engine_first_epoch_s": statistics.median(col("engine", "first_epoch_seconds")),
        "fit_train_s": statistics.median(col("fit", "train_seconds")),
        "engine_train_s": statistics.median(col("engine", "train_seconds")),
        "whole_ratio": statistics.median(whole_ratios), "whole_ratios": whole_ratios,
        "whole_pass": statistics.median(whole_ratios) <= WHOLE_RATIO_TARGET,
        "fit_end_to_end_s": statistics.median(col("fit", "end_to_end_seconds")),
        "engine_end_to_end_s": statistics.median(col("engine", "end_to_end_seconds")),
        "end_to_end_ratio": statistics.median(e2e_ratios),
        "end_to_end_cpu_ratio": statistics.median(cpu_ratios),
        "fit_final_val_mae": col("fit", "final_val_mae"),
        "engine_final_val_mae": col("engine", "final_val_mae"),
        "fit_final_loss": col("fit", "final_loss"),
        "engine_final_loss": col("engine", "final_loss"),
        "quality": quality_verdict(col("fit", "final_val_mae"), col("engine", "final_val_mae")) if quality
        else {"pass": None, "verdict": "not checked at this look_back"},
    }


# ----------------------------------------------------------------------------------------------
# Output
# ----------------------------------------------------------------------------------------------

def _pf(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def _range(values: Sequence[float]) -> str:
    return f"[{min(values):.3f}-{max(values):.3f}]"


def render(report: dict[str, Any]) -> str:
    cfg, env, results = report["config"], report["environment"], report["results"]
    load = env.get("load_average")
    lines = [
        "RNN Stock Lab training benchmark: the lecture's model.fit vs modeling.training.train",
        f"{cfg['dataset']} {cfg['ticker']} {cfg['column']}, foresight {cfg['foresight']}, batch {cfg['batch_size']}, "
        f"{cfg['epochs']} epochs, seeds {' '.join(map(str, cfg['seeds']))}; engine: {cfg['engine']}",
        f"TensorFlow {env['tensorflow']}, Keras {env['keras']}, Python {env['python']}, {env['cpus']} CPUs"
        + (f", load average at the end {load[0]:.1f}" if load else ""),
    ]
    if report.get("trace_seconds"):
        lines.append("one-off tracing per process (every shape and size after it starts at once): "
                     + ", ".join(f"{a} {t:.2f} s" for a, t in report["trace_seconds"].items()))
    lines += [
        "",
        "Speed: ratio = engine/fit of the two runs of a seed, median over seeds [min-max over seeds]",
        f"{'':12s}|{'steady ms/epoch (epochs 2..N)':^48s}|{'whole training s (first epoch incl.)':^46s}|",
        f"{'arch@lb':12s}|{'fit':>8s}{'engine':>8s}{'ratio':>7s}{'range':>15s}{'max':>5s}{'':5s} "
        f"|{'fit':>8s}{'engine':>8s}{'ratio':>7s}{'range':>15s}{'<=' + format(WHOLE_RATIO_TARGET, 'g'):>7s} |",
    ]
    for key, r in results.items():
        lines.append(
            f"{key:12s}|{r['fit_steady_ms']:8.1f}{r['engine_steady_ms']:8.1f}{r['steady_ratio']:7.3f}"
            f"{_range(r['steady_ratios']):>15s}{r['steady_target']:5.2f}{_pf(r['steady_pass']):>5s} "
            f"|{r['fit_train_s']:8.2f}{r['engine_train_s']:8.2f}{r['whole_ratio']:7.3f}"
            f"{_range(r['whole_ratios']):>15s}{_pf(r['whole_pass']):>7s} |")
    lines += [
        "  steady: median epoch time over epochs 2..N, validation pass included on both sides.",
        "  whole: the fit() call vs TrainResult.train_seconds. First epoch, fit / engine s: "
        + ", ".join(f"{k} {r['fit_first_epoch_s']:.2f} / {r['engine_first_epoch_s']:.2f}" for k, r in results.items()) + ".",
        "  end to end (seed+build+compile+fit vs the whole train() call), wall ratio / CPU-time ratio, no target: "
        + ", ".join(f"{k} {r['end_to_end_ratio']:.3f} / {r['end_to_end_cpu_ratio']:.3f}" for k, r in results.items()) + ".",
        "",
        "Quality: final validation MAE (normalized, last epoch), mean ± sd over seeds",
        f"{'arch@lb':12s} {'fit':>17s} {'engine':>17s} {'eng-fit':>8s} {'allowed':>8s} {'z':>6s}  verdict",
    ]
    for key, r in results.items():
        q = r["quality"]
        if q["pass"] is None and "fit_mean" not in q:
            continue
        allow = "n/a" if q["allowance"] is None else f"{q['allowance']:.4f}"
        z = "n/a" if q["z"] is None else f"{q['z']:+.2f}"
        lines.append(
            f"{key:12s} {q['fit_mean']:8.4f} ± {q['fit_sd']:6.4f} {q['engine_mean']:8.4f} ± {q['engine_sd']:6.4f} "
            f"{q['diff']:+8.4f} {allow:>8s} {z:>6s}  {_pf(q['pass'])} ({q['verdict']})")
    lines.append(f"  rule: {report['targets']['quality_rule']}")
    lines.append("  per seed, fit / engine:")
    for key, r in results.items():
        if "fit_mean" in r["quality"]:
            lines.append(f"    {key:12s}" + "  ".join(
                f"{f:.4f} / {e:.4f}" for f, e in zip(r["fit_final_val_mae"], r["engine_final_val_mae"])))
    if "equivalence" in report:
        lines += ["", f"Equivalence (dropout off, fit fed the engine's batch order, seed {cfg['seeds'][0]}): "
                      f"max |difference| over the epochs, tolerance {EQUIVALENCE_TOLERANCE:g}"]
        for arch, q in report["equivalence"].items():
            lines.append(f"  {arch:7s} look_back {q['look_back']:3d}: loss {q['max_abs_diff_loss']:.1e}  "
                         f"val_loss {q['max_abs_diff_val_loss']:.1e}  final weights {q['max_abs_diff_weights']:.1e}  "
                         f"{_pf(q['pass'])}")
    lines += ["", "Overall: " + ("PASS" if report["all_pass"] else "FAIL")]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.train_speed",
                                     description="The lecture's model.fit vs the engine: speed and final validation MAE.")
    parser.add_argument("--epochs", type=int, default=30, help="epochs per run (default 30; at least 2)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds (default 0 1 2)")
    parser.add_argument("--archs", nargs="+", default=list(ARCHITECTURES), choices=ARCHITECTURES,
                        help="architectures (default: all)")
    parser.add_argument("--look-backs", type=int, nargs="+", default=list(RECURRENT_LOOK_BACKS),
                        help="window lengths of LSTM and GRU (default 7 20 60 120)")
    parser.add_argument("--conv-look-backs", type=int, nargs="+", default=list(CONV_LOOK_BACKS),
                        help="window lengths of Conv1D (default 7 60)")
    parser.add_argument("--dataset", default=DEFAULT_DATASET, help=f"bundled edition (default {DEFAULT_DATASET})")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--equivalence", action="store_true",
                        help="also check that, dropout off and with the same batch order, fit and the engine agree")
    parser.add_argument("--cold", action="store_true",
                        help="engine side: a fresh trace per run (as the CLI), not a warmed-up TraceCache")
    parser.add_argument("--no-warmup", action="store_true", help="skip the untimed warm-up runs")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target fails")
    args = parser.parse_args(argv)
    if args.epochs < 2:
        parser.error("--epochs must be at least 2 (the steady pace is the median of epochs 2..N)")
    if len(set(args.seeds)) != len(args.seeds) or min(args.seeds) < 0:
        parser.error("--seeds must be distinct and not negative")
    args.archs = list(dict.fromkeys(args.archs))
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    report = benchmark(args.archs, args.seeds, args.epochs, dataset=args.dataset, look_backs=args.look_backs,
                       conv_look_backs=args.conv_look_backs, warmup=not args.no_warmup,
                       check_equivalence=args.equivalence, cold=args.cold, log=log)
    print(json.dumps(report) if args.json else render(report))
    return 1 if args.strict and not report["all_pass"] else 0


if __name__ == "__main__":
    sys.exit(main())
