"""The training kernels against Keras itself: outputs, gradients and an Adam epoch, for every network."""
from __future__ import annotations

import numpy as np
import pytest

from modeling.architectures import ArchParams, build_model
from modeling.training import TraceCache, configure_tensorflow

tf = configure_tensorflow()

SHAPES = [  # (arch, look_back, params): default sizes, odd sizes, the shortest windows
    ("lstm", 7, ArchParams()), ("lstm", 20, ArchParams(units=5)), ("lstm", 1, ArchParams(units=3)),
    ("lstm", 9, ArchParams(units=4)),  # 9 = two unrolled blocks of 4 and one step left over
    ("gru", 7, ArchParams()), ("gru", 13, ArchParams(units=6)), ("gru", 1, ArchParams(units=2)),
    ("conv1d", 7, ArchParams()), ("conv1d", 60, ArchParams(filters=8, kernel_size=3)),
    ("conv1d", 6, ArchParams(filters=4, kernel_size=5)),  # 2 convolution outputs, 1 pooled
    ("conv1d", 12, ArchParams(filters=3, kernel_size=4)),  # 9 outputs: pooling drops the last
]


@pytest.fixture(scope="module")
def cache() -> TraceCache:
    return TraceCache()


def _problem(look_back: int, n: int = 37, seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.random((n, look_back), dtype=np.float32), rng.random(n, dtype=np.float32)


def _no_dropout(params: ArchParams) -> ArchParams:
    return ArchParams(params.units, 0.0, 0.0, params.filters, params.kernel_size)


@pytest.mark.parametrize("arch,look_back,params", SHAPES)
def test_outputs_and_gradients_are_keras(cache, arch, look_back, params):
    model = build_model(arch, look_back, _no_dropout(params), seed=3)
    x, y = _problem(look_back)
    weights = [tf.constant(w) for w in model.get_weights()]
    kernel = cache.kernel(arch)

    np.testing.assert_allclose(kernel.predict(weights, x).numpy(), model(x[..., None]).numpy()[:, 0],
                               rtol=1e-5, atol=1e-6)
    loss, grads = kernel.batch_grads(weights, x, y, tf.constant(0.0), tf.constant(0.0),
                                     tf.constant([1, 2], tf.int64))
    with tf.GradientTape() as tape:
        keras_loss = tf.reduce_mean(tf.abs(model(x[..., None], training=True)[:, 0] - y))
    keras_grads = tape.gradient(keras_loss, model.trainable_variables)
    assert float(loss) == pytest.approx(float(keras_loss), abs=1e-6)
    assert len(grads) == len(keras_grads)
    for ours, theirs in zip(grads, keras_grads):
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("arch", ["lstm", "gru", "conv1d"])
def test_an_epoch_is_keras_adam_over_the_shuffled_batches(cache, arch):
    """Dropout off: one kernel epoch equals Keras' Adam stepping through the same batches."""
    look_back, batch_size, seed = 8, 5, (4, 1)
    model = build_model(arch, look_back, _no_dropout(ArchParams(units=6, filters=5, kernel_size=3)), seed=1)
    x, y = _problem(look_back, n=23)
    weights = [tf.constant(w) for w in model.get_weights()]
    zeros = [tf.zeros_like(w) for w in weights]
    new_weights, _, _, step, loss, val_loss = cache.kernel(arch).epoch(
        weights, zeros, zeros, tf.constant(0.0), tf.constant(0.01), x, y, x[:7], y[:7], tf.constant(batch_size),
        tf.constant(0.0), tf.constant(0.0), tf.constant(seed, tf.int64))

    import keras

    optimizer = keras.optimizers.Adam(learning_rate=0.01)
    order = tf.random.experimental.stateless_shuffle(tf.range(len(y)), seed=seed).numpy()
    total = 0.0
    for start in range(0, len(y), batch_size):
        index = order[start:start + batch_size]
        with tf.GradientTape() as tape:
            batch_loss = tf.reduce_mean(tf.abs(model(x[index][..., None], training=True)[:, 0] - y[index]))
        optimizer.apply_gradients(zip(tape.gradient(batch_loss, model.trainable_variables),
                                      model.trainable_variables))
        total += float(batch_loss) * len(index)
    assert float(step) == 5.0  # ceil(23 / 5) batches
    assert float(loss) == pytest.approx(total / len(y), rel=1e-5)
    for ours, theirs in zip(new_weights, model.get_weights()):
        np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-4, atol=1e-6)
    keras_val = float(tf.reduce_mean(tf.abs(model(x[:7][..., None])[:, 0] - y[:7])))
    assert float(val_loss) == pytest.approx(keras_val, abs=1e-5)


def _keras_lstm(weights, x, mask_in, mask_state):
    """Keras' LSTMCell, implementation 1 (what it runs with recurrent dropout), step by step."""
    kernel, recurrent, bias, dense_w, dense_b = weights
    units = recurrent.shape[0]
    h = c = tf.zeros([x.shape[0], units])
    for t in range(x.shape[1]):
        z = [(x[:, t:t + 1] * mask_in[g if mask_in.shape[0] == 4 else 0]) @ kernel[:, g * units:(g + 1) * units]
             + bias[g * units:(g + 1) * units] + (h * mask_state[g]) @ recurrent[:, g * units:(g + 1) * units]
             for g in range(4)]
        c = tf.sigmoid(z[1]) * c + tf.sigmoid(z[0]) * tf.tanh(z[2])
        h = tf.sigmoid(z[3]) * tf.tanh(c)
    return (h @ dense_w)[:, 0] + dense_b[0]


def _keras_gru(weights, x, mask_in, mask_state):
    """Keras' GRUCell (reset_after=True), implementation 1, step by step."""
    kernel, recurrent, bias, dense_w, dense_b = weights
    units = recurrent.shape[0]
    h = tf.zeros([x.shape[0], units])

    def part(matrix, g):
        return matrix[..., g * units:(g + 1) * units]

    for t in range(x.shape[1]):
        xs = [(x[:, t:t + 1] * mask_in[g if mask_in.shape[0] == 3 else 0]) @ part(kernel, g) + part(bias[0], g)
              for g in range(3)]
        rs = [(h * mask_state[g]) @ part(recurrent, g) + part(bias[1], g) for g in range(3)]
        z, r = tf.sigmoid(xs[0] + rs[0]), tf.sigmoid(xs[1] + rs[1])
        hh = tf.tanh(xs[2] + r * rs[2])
        h = z * h + (1 - z) * hh
    return (h @ dense_w)[:, 0] + dense_b[0]


@pytest.mark.parametrize("arch,reference,gates", [("lstm", _keras_lstm, 4), ("gru", _keras_gru, 3)])
@pytest.mark.parametrize("dropout,recurrent_dropout", [(0.3, 0.4), (0.3, 0.0)])
def test_gradients_with_dropout_are_those_of_keras_cell(cache, arch, reference, gates, dropout, recurrent_dropout):
    """With dropout the masks are Keras' (one per gate and sequence, kept values scaled by 1 / (1 - rate))
    and the written-out gradients are autodiff's through Keras' cell formulas."""
    from modeling.kernels import _masks

    model = build_model(arch, 9, ArchParams(units=5), seed=1)
    weights = [tf.constant(w) for w in model.get_weights()]
    x, y = _problem(9, n=6)
    seed = tf.constant([3, 4], tf.int64)
    loss, grads = cache.kernel(arch).batch_grads(weights, x, y, tf.constant(dropout), tf.constant(recurrent_dropout),
                                                 seed)
    mask_in, mask_state = _masks(tf, gates, 6, 5, tf.constant(dropout), tf.constant(recurrent_dropout), seed)
    assert mask_in.shape == ((gates if recurrent_dropout else 1), 6, 1) and mask_state.shape == (gates, 6, 5)
    assert set(np.unique(mask_in.numpy())) <= {0.0, np.float32(1 / (1 - dropout))}
    with tf.GradientTape() as tape:
        tape.watch(weights)
        expected = tf.reduce_mean(tf.abs(reference(weights, x, mask_in, mask_state) - y))
    assert float(loss) == pytest.approx(float(expected), abs=1e-6)
    for ours, theirs in zip(grads, tape.gradient(expected, weights)):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("arch,gates", [("lstm", 4), ("gru", 3)])
def test_dropout_changes_the_gradients_and_the_seed_fixes_them(cache, arch, gates):
    """With dropout the gradients change, and the same seed gives the same ones."""
    model = build_model(arch, 6, ArchParams(units=4), seed=0)
    x, y = _problem(6)
    weights = [tf.constant(w) for w in model.get_weights()]
    kernel = cache.kernel(arch)

    def grads(dropout: float, seed: int):
        return [g.numpy() for g in kernel.batch_grads(weights, x, y, tf.constant(dropout), tf.constant(dropout),
                                                      tf.constant([seed, 0], tf.int64))[1]]

    plain, dropped, again, other = grads(0.0, 0), grads(0.5, 0), grads(0.5, 0), grads(0.5, 1)
    assert any(not np.allclose(a, b) for a, b in zip(plain, dropped))
    assert all(np.array_equal(a, b) for a, b in zip(dropped, again))
    assert any(not np.array_equal(a, b) for a, b in zip(dropped, other))
    assert plain[0].shape == (1, gates * 4)


def test_one_trace_serves_every_shape(cache):
    """Different window lengths, batch sizes and layer sizes reuse the function traced first."""
    kernel = cache.kernel("lstm")
    for look_back, units, batch in [(3, 4, 2), (30, 9, 7), (1, 1, 1)]:
        model = build_model("lstm", look_back, ArchParams(units=units), seed=0)
        weights = [tf.constant(w) for w in model.get_weights()]
        zeros = [tf.zeros_like(w) for w in weights]
        x, y = _problem(look_back, n=11)
        kernel.epoch(weights, zeros, zeros, tf.constant(0.0), tf.constant(0.001), x, y, x, y, tf.constant(batch),
                     tf.constant(0.1), tf.constant(0.1), tf.constant([0, 1], tf.int64))
    assert kernel.epoch.experimental_get_tracing_count() == 1


def test_unknown_network_lists_the_valid_ones():
    from modeling.kernels import build_kernel

    with pytest.raises(ValueError, match="no training kernel for 'rnn'; valid kinds: lstm, gru, conv1d"):
        build_kernel("rnn")
