"""Train one configuration and report after every epoch through an injected hook.

The engine knows nothing of Dash: a caller passes ``on_epoch_end`` (progress) and ``should_stop``
(cancellation, checked between epochs). TensorFlow is imported inside :func:`train` only.

Speed: the lecture's ``model.fit`` spends most of each short epoch on per-step overhead. Here a
whole epoch (shuffle, every batch, the validation loss) is one traced ``tf.function``, and the
recurrent layers are unrolled for short windows; the maths (MAE loss, Adam, dropout) is the same.
"""
from __future__ import annotations

import os
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from modeling.config import TrainConfig
from modeling.metrics import evaluate
from modeling.series import PreparedSeries

UNROLL_MAX_LOOK_BACK = 32


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
    """Silence TensorFlow's start-up chatter (oneDNN notices) unless the user set these already."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


@dataclass
class _Traced:
    """A model with its optimizer and its traced epoch function, reusable for the same shapes."""

    model: Any
    optimizer: Any
    run_epoch: Any


class TraceCache:
    """Traced epoch functions kept by a long-lived training process, keyed by network and shapes.

    Tracing a new epoch function costs about two seconds; a cached one starts at once. Each job
    resets the cached model to its own seeded initial state, so results do not depend on what the
    process trained before. Bounded, so memory stays flat however many jobs a process serves.
    """

    def __init__(self, capacity: int = 6) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[tuple, _Traced] = OrderedDict()

    def get(self, key: tuple, make: Callable[[], _Traced]) -> _Traced:
        if key in self._entries:
            self._entries.move_to_end(key)
            return self._entries[key]
        traced = self._entries[key] = make()
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)
        return traced

    def __len__(self) -> int:
        return len(self._entries)


def _trace(model: Any, batch_size: int) -> _Traced:
    """One tf.function for a whole epoch: shuffle, every batch, then the validation loss."""
    import keras
    import tensorflow as tf

    optimizer = keras.optimizers.Adam(learning_rate=0.001)
    optimizer.build(model.trainable_variables)
    variables = model.trainable_variables
    look_back = int(model.inputs[0].shape[1])
    windows = tf.TensorSpec([None, look_back, 1], tf.float32)
    targets = tf.TensorSpec([None, 1], tf.float32)

    @tf.function(input_signature=[windows, targets, windows, targets, tf.TensorSpec([2], tf.int64)])
    def run_epoch(x_train, y_train, x_val, y_val, seed):
        n_train = tf.shape(x_train)[0]
        order = tf.random.experimental.stateless_shuffle(tf.range(n_train), seed=seed)
        n_batches = (n_train + batch_size - 1) // batch_size
        total = tf.constant(0.0)
        for b in tf.range(n_batches):
            index = order[b * batch_size:tf.minimum((b + 1) * batch_size, n_train)]
            xb = tf.gather(x_train, index)
            yb = tf.gather(y_train, index)
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.abs(model(xb, training=True) - yb))
            optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
            total += loss * tf.cast(tf.shape(index)[0], tf.float32)
        val_loss = tf.reduce_mean(tf.abs(model(x_val, training=False) - y_val))
        return total / tf.cast(n_train, tf.float32), val_loss

    return _Traced(model, optimizer, run_epoch)


def _seed_states(model: Any) -> list:
    """The state variables of the dropout seed generators inside a model (cells included)."""
    states = []
    for layer in model._flatten_layers(include_self=False, recursive=True):
        states.extend(g.state for g in getattr(layer, "_seed_generators", []))
    return states


def _reset(traced: _Traced, initial: Any, learning_rate: float) -> None:
    """Put a traced model back to the seeded initial state of a fresh one, and zero its optimizer."""
    if traced.model is not initial:
        traced.model.set_weights(initial.get_weights())
        for target, source in zip(_seed_states(traced.model), _seed_states(initial)):
            target.assign(source.value)
    for variable in traced.optimizer.variables:
        variable.assign(variable.numpy() * 0)
    traced.optimizer.learning_rate.assign(learning_rate)


def train(prepared: PreparedSeries, config: TrainConfig,
          on_epoch_end: Callable[[EpochReport], None] | None = None,
          should_stop: Callable[[], bool] | None = None,
          cache: TraceCache | None = None) -> TrainResult:
    """Train ``config`` on ``prepared`` with MAE loss and Adam; the same seed gives the same run.

    With a ``cache`` (a long-lived process), an epoch function traced for the same network and
    shapes is reused; the numbers are the same as without one.
    """
    quiet_tensorflow()
    import tensorflow as tf

    from modeling.architectures import build_model, model_summary

    try:  # one inter-op thread: steadier and no slower for these small graphs (benchmarks/README.md)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass  # TensorFlow already ran something in this process: keep its setting

    unroll = config.arch in ("lstm", "gru") and config.look_back <= UNROLL_MAX_LOOK_BACK
    initial = build_model(config.arch, config.look_back, config.arch_params, seed=config.seed, unroll=unroll)
    batch_size = int(min(config.batch_size, len(prepared.y["train"])))
    key = (config.arch, config.look_back, config.arch_params, batch_size, unroll)
    traced = cache.get(key, lambda: _trace(initial, batch_size)) if cache is not None else _trace(initial, batch_size)
    _reset(traced, initial, config.learning_rate)
    model = traced.model

    x_train = tf.constant(prepared.X["train"][..., None])
    y_train = tf.constant(prepared.y["train"][:, None])
    x_val = tf.constant(prepared.X["val"][..., None])
    y_val = tf.constant(prepared.y["val"][:, None])

    history: dict[str, list[float]] = {"loss": [], "val_loss": []}
    epoch_seconds: list[float] = []
    best = (float("inf"), 0, None)
    stopped = False
    start = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        tick = time.perf_counter()
        loss, val_loss = traced.run_epoch(x_train, y_train, x_val, y_val,
                                          tf.constant([config.seed, epoch], dtype=tf.int64))
        loss, val_loss = float(loss), float(val_loss)
        epoch_seconds.append(time.perf_counter() - tick)
        history["loss"].append(loss)
        history["val_loss"].append(val_loss)
        if val_loss < best[0]:
            best = (val_loss, epoch, [v.numpy() for v in model.weights] if config.patience is not None else None)
        if on_epoch_end is not None:
            on_epoch_end(EpochReport(epoch, config.epochs, loss, val_loss, time.perf_counter() - start,
                                     {k: list(v) for k, v in history.items()}))
        # Keras' EarlyStopping rule: stop at the patience-th epoch in a row without improvement.
        if config.patience is not None and epoch > best[1] and epoch - best[1] >= config.patience:
            break
        if should_stop is not None and should_stop():
            stopped = True
            break
    train_seconds = time.perf_counter() - start
    if config.patience is not None and best[2] is not None:
        model.set_weights(best[2])

    pred_val = model(prepared.X["val"][..., None], training=False).numpy().reshape(-1)
    pred_test = model(prepared.X["test"][..., None], training=False).numpy().reshape(-1)
    metrics, predictions = evaluate(prepared, pred_val, pred_test)
    return TrainResult(config=config, history=history, epoch_seconds=epoch_seconds,
                       train_seconds=train_seconds, stopped=stopped,
                       best_epoch=best[1] if config.patience is not None else len(history["loss"]),
                       params=int(model.count_params()), summary=model_summary(model),
                       metrics=metrics, predictions=predictions, model=model)
