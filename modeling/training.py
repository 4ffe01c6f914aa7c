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


def train(prepared: PreparedSeries, config: TrainConfig,
          on_epoch_end: Callable[[EpochReport], None] | None = None,
          should_stop: Callable[[], bool] | None = None) -> TrainResult:
    """Train ``config`` on ``prepared`` with MAE loss and Adam; the same seed gives the same run."""
    quiet_tensorflow()
    import keras
    import tensorflow as tf

    from modeling.architectures import build_model, model_summary

    keras.utils.set_random_seed(config.seed)
    model = build_model(config.arch, config.look_back, config.arch_params)
    if config.arch in ("lstm", "gru") and config.look_back <= UNROLL_MAX_LOOK_BACK:
        model.layers[0].unroll = True
    optimizer = keras.optimizers.Adam(learning_rate=config.learning_rate)
    optimizer.build(model.trainable_variables)

    x_train = tf.constant(prepared.X["train"][..., None])
    y_train = tf.constant(prepared.y["train"][:, None])
    x_val = tf.constant(prepared.X["val"][..., None])
    y_val = tf.constant(prepared.y["val"][:, None])
    n_train = int(x_train.shape[0])
    batch_size = int(min(config.batch_size, n_train))
    n_batches = -(-n_train // batch_size)
    variables = model.trainable_variables

    @tf.function(jit_compile=False)
    def run_epoch(seed: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        order = tf.random.experimental.stateless_shuffle(tf.range(n_train), seed=seed)
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
        return total / n_train, val_loss

    history: dict[str, list[float]] = {"loss": [], "val_loss": []}
    epoch_seconds: list[float] = []
    best = (float("inf"), 0, None)
    stopped = False
    start = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        tick = time.perf_counter()
        loss, val_loss = run_epoch(tf.constant([config.seed, epoch], dtype=tf.int64))
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
