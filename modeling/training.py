"""Train one configuration and report after every epoch through an injected hook.

The engine knows nothing of Dash: a caller passes ``on_epoch_end`` (progress) and ``should_stop``
(cancellation, checked between epochs). TensorFlow is imported when training starts, never before.

Speed: the lecture's ``model.fit`` spends most of each short epoch on per-step overhead. Here a
whole epoch (shuffle, every batch, the validation loss) is one call of a traced function of the
network's weights (:mod:`modeling.kernels`), traced once per process and network for every shape;
the maths (MAE loss, Adam, dropout) is Keras'. A :class:`Training` advances one epoch at a time, so
a long-lived process can interleave the epochs of several runs (:mod:`service.trainer`).
"""
from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import numpy as np

from modeling.architectures import model_summary
from modeling.config import TrainConfig
from modeling.metrics import evaluate
from modeling.series import PreparedSeries

@dataclass(frozen=True)
class EpochReport:
    """What the hook receives after each epoch; ``history`` holds every epoch so far."""

    epoch: int
    epochs: int
    loss: float
    val_loss: float
    elapsed: float
    history: dict[str, list[float]]


@dataclass
class TrainResult:
    config: TrainConfig
    history: dict[str, list[float]]
    epoch_seconds: list[float]
    train_seconds: float
    stopped: bool
    best_epoch: int
    params: int
    summary: list[dict[str, Any]]
    metrics: dict[str, float]
    predictions: dict[str, list]
    model: Any = field(repr=False, default=None)

    @property
    def first_epoch_seconds(self) -> float:
        return self.epoch_seconds[0] if self.epoch_seconds else 0.0

    @property
    def seconds_per_epoch(self) -> float:
        """Median over epochs 2..N: the steady pace, without the first epoch's tracing."""
        steady = self.epoch_seconds[1:] or self.epoch_seconds
        return float(np.median(steady)) if steady else 0.0


def quiet_tensorflow() -> None:
    """No TensorFlow log chatter unless the user asked for it (TF_CPP_MIN_LOG_LEVEL), and oneDNN's
    kernels (TF_ENABLE_ONEDNN_OPTS=1) unless the user chose otherwise.

    oneDNN makes the recurrent steps' small batched products a fifth faster than Eigen's. It keeps
    a compiled primitive per tensor shape, so the kernels pad their shapes to a few buckets
    (modeling/kernels.py): without that a trainer grew by some 200 MiB over a few hundred varied
    runs, with it as little as with Eigen (benchmarks/README.md)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")


@contextmanager
def _stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null while TensorFlow is imported: its start-up notices (oneDNN's,
    if a user turned it on) are written there before any log level applies. Errors still surface,
    as exceptions."""
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(null)
        os.close(saved)


def configure_tensorflow() -> Any:
    """Import TensorFlow quietly with one inter-op and one intra-op thread, and return it.

    The ops of these networks are tiny: handing them to a thread pool costs more than it saves
    (benchmarks/README.md), each training process is meant to keep one core busy, and a fixed
    thread count keeps every sum in the same order, so a run gives the same numbers in any process.
    """
    quiet_tensorflow()
    if "tensorflow" not in sys.modules:
        with _stderr_silenced():
            import tensorflow  # noqa: F401
    import tensorflow as tf

    for setting in (tf.config.threading.set_inter_op_parallelism_threads,
                    tf.config.threading.set_intra_op_parallelism_threads):
        try:
            setting(1)
        except RuntimeError:
            pass  # TensorFlow already ran something in this process: keep its setting
    return tf


class TraceCache:
    """The traced training functions of a long-lived process, one per network.

    Each serves every window length, foresight, layer size and batch size, so a process that has
    warmed up (:meth:`warm_up`) starts any run at once. Results do not depend on what the process
    trained before: a function holds no state, the weights go in and come out.
    """

    def __init__(self) -> None:
        self._kernels: dict[str, Any] = {}

    def kernel(self, arch: str) -> Any:
        from modeling.kernels import build_kernel

        if arch not in self._kernels:
            self._kernels[arch] = build_kernel(arch)
        return self._kernels[arch]

    def warm_up(self, archs: Any = None) -> None:
        """Trace every network's functions on a tiny problem (about a second each)."""
        from modeling.architectures import ARCHITECTURES, ArchParams, build_model

        tf = configure_tensorflow()
        rng = np.random.default_rng(0)
        x, y = rng.random((4, 8), dtype=np.float32), rng.random(4, dtype=np.float32)
        for arch in archs or ARCHITECTURES:
            kernel = self.kernel(arch)
            weights = [tf.constant(w) for w in build_model(arch, 8, ArchParams(kernel_size=3)).get_weights()]
            zeros = [tf.zeros_like(w) for w in weights]
            kernel.epoch(weights, zeros, zeros, tf.constant(0.0), tf.constant(0.001), x, y, x, y,
                         tf.constant(2), tf.constant(0.1), tf.constant(0.1), tf.constant([0, 1], tf.int64))
            kernel.predict(weights, x)


class Training:
    """One run in progress, advanced an epoch at a time by :meth:`run_epoch`.

    It holds the run's weights, Adam moments and history; the traced functions come from a
    :class:`TraceCache`. The random parts (initial weights, dropout masks, shuffle order) derive
    from the configuration's seed only, so the same configuration gives the same run wherever and
    whenever its epochs run, interleaved with other runs or not.
    """

    def __init__(self, prepared: PreparedSeries, config: TrainConfig, cache: TraceCache | None = None) -> None:
        from modeling.architectures import build_model

        tf = self._tf = configure_tensorflow()
        self.prepared, self.config = prepared, config
        self.kernel = (cache or TraceCache()).kernel(config.arch)
        self.model = build_model(config.arch, config.look_back, config.arch_params, seed=config.seed)
        self.weights = [tf.constant(w) for w in self.model.get_weights()]
        self.m = [tf.zeros_like(w) for w in self.weights]
        self.v = [tf.zeros_like(w) for w in self.weights]
        self.step = tf.constant(0.0)
        self.data = [tf.constant(a, dtype=tf.float32)
                     for a in (prepared.X["train"], prepared.y["train"], prepared.X["val"], prepared.y["val"])]
        self.settings = [tf.constant(int(min(config.batch_size, len(prepared.y["train"])))),
                         tf.constant(float(config.dropout) if config.arch != "conv1d" else 0.0),
                         tf.constant(float(config.recurrent_dropout) if config.arch != "conv1d" else 0.0)]
        self.history: dict[str, list[float]] = {"loss": [], "val_loss": []}
        self.epoch_seconds: list[float] = []
        self.best: tuple[float, int, list | None] = (float("inf"), 0, None)
        self.stopped = False
        self.started = time.perf_counter()

    @property
    def epoch(self) -> int:
        return len(self.history["loss"])

    @property
    def done(self) -> bool:
        """All epochs run, early stopping's patience used up (Keras' rule), or stopped."""
        patience = self.config.patience
        return (self.stopped or self.epoch >= self.config.epochs
                or (patience is not None and self.epoch > self.best[1] and self.epoch - self.best[1] >= patience))

    def stop(self) -> None:
        self.stopped = True

    def run_epoch(self) -> EpochReport:
        """Train one epoch (shuffle, every batch, the validation loss) and say how it went."""
        tf = self._tf
        epoch = self.epoch + 1
        tick = time.perf_counter()
        self.weights, self.m, self.v, self.step, loss, val_loss = self.kernel.epoch(
            self.weights, self.m, self.v, self.step, tf.constant(float(self.config.learning_rate)), *self.data,
            *self.settings, tf.constant([self.config.seed, epoch], dtype=tf.int64))
        loss, val_loss = float(loss), float(val_loss)
        self.epoch_seconds.append(time.perf_counter() - tick)
        self.history["loss"].append(loss)
        self.history["val_loss"].append(val_loss)
        if val_loss < self.best[0]:
            self.best = (val_loss, epoch, self.weights)
        return EpochReport(epoch, self.config.epochs, loss, val_loss, time.perf_counter() - self.started,
                           {k: list(v) for k, v in self.history.items()})

    def result(self) -> TrainResult:
        """Score the trained network (the best epoch's weights with early stopping) on val and test."""
        weights = self.best[2] if self.config.patience is not None and self.best[2] is not None else self.weights
        self.model.set_weights([w.numpy() for w in weights])
        pred_val = self.kernel.predict(weights, self.data[2]).numpy()
        pred_test = self.kernel.predict(weights, self._tf.constant(self.prepared.X["test"], dtype=self._tf.float32)).numpy()
        metrics, predictions = evaluate(self.prepared, pred_val, pred_test)
        return TrainResult(config=self.config, history=self.history, epoch_seconds=self.epoch_seconds,
                           train_seconds=float(sum(self.epoch_seconds)), stopped=self.stopped,
                           best_epoch=self.best[1] if self.config.patience is not None else self.epoch,
                           params=int(self.model.count_params()), summary=model_summary(self.model),
                           metrics=metrics, predictions=predictions, model=self.model)


def train(prepared: PreparedSeries, config: TrainConfig,
          on_epoch_end: Callable[[EpochReport], None] | None = None,
          should_stop: Callable[[], bool] | None = None,
          cache: TraceCache | None = None) -> TrainResult:
    """Train ``config`` on ``prepared`` with MAE loss and Adam; the same seed gives the same run.

    With a ``cache`` (a long-lived process), the functions traced before are reused; the numbers
    are the same as without one.
    """
    training = Training(prepared, config, cache)
    while not training.done:
        report = training.run_epoch()
        if on_epoch_end is not None:
            on_epoch_end(report)
        if should_stop is not None and not training.done and should_stop():
            training.stop()
    return training.result()
