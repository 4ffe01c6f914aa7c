"""The lecture's networks as traced functions of their weights: one trace serves every shape.

Why: a ``tf.function`` that closes over a Keras model is traced again for every window length,
batch size and layer size (1 to 5 s each), and Keras' recurrent cell pays TensorFlow's per-op cost
some 40 times per time step. Here each network is one function of plain tensors (weights, Adam
moments, windows) whose every dimension is dynamic, traced once per process and network, so any
look_back, foresight, ticker, units, filters, kernel size or batch size starts at once. The
recurrent layers are written for speed: one input projection for all steps, the gates of a step in
one batched matrix product, and back-propagation through time written out, with the weight
gradients summed in one product after the loop.

The maths is Keras' (tests/modeling/test_kernels.py checks outputs and gradients against the Keras
layers): LSTM and GRU (``reset_after=True``) in Keras' gate order and layout, with ``dropout`` on
the inputs and ``recurrent_dropout`` on the state, one mask per gate and sequence as Keras draws
them; Conv1D (valid, relu) + MaxPooling1D(2) + Flatten + Dense(1); MAE loss; Keras' Adam
(beta 0.9 / 0.999, epsilon 1e-7). The weights go in and come out in ``model.get_weights()`` order,
so a Keras model holds the result. TensorFlow is imported when a kernel is built.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

BETA_1 = 0.9
BETA_2 = 0.999
EPSILON = 1e-7
UNROLL = 4  # time steps per loop iteration (benchmarks/README.md)
# Shapes are padded to multiples of these, so that a process meets a few dozen tensor shapes rather
# than new ones with every window length, batch remainder and validation size: TensorFlow's oneDNN
# kernels keep a compiled primitive per shape, and a trainer would grow with each new one.
STEP_BUCKET = 16   # window lengths, in the products that run over all time steps
ROW_BUCKET = 64    # rows scored at once (validation, test), and Conv1D's patch rows


@dataclass(frozen=True)
class Kernel:
    """The traced functions of one network: ``epoch`` trains one epoch, ``predict`` scores windows.

    ``epoch(weights, m, v, step, learning_rate, x, y, x_val, y_val, batch_size, dropout,
    recurrent_dropout, seed) -> (weights, m, v, step, loss, val_loss)``; ``predict(weights, x)``.
    """

    arch: str
    epoch: Any
    predict: Any
    batch_grads: Any


def build_kernel(arch: str) -> Kernel:
    """Trace the functions of one network (about a second); reuse the result for every run."""
    import tensorflow as tf

    try:
        forward, train_grads, weight_ranks = _NETWORKS[arch](tf)
    except KeyError:
        raise ValueError(f"no training kernel for {arch!r}; valid kinds: {', '.join(_NETWORKS)}") from None
    f32 = tf.float32
    weights_spec = [tf.TensorSpec([None] * rank, f32) for rank in weight_ranks]
    matrix = tf.TensorSpec([None, None], f32)
    vector = tf.TensorSpec([None], f32)
    scalar = tf.TensorSpec([], f32)

    @tf.function(input_signature=[weights_spec, matrix, vector, scalar, scalar, tf.TensorSpec([2], tf.int64)])
    def batch_grads(weights, x, y, dropout, recurrent_dropout, seed):
        """MAE loss and its gradients for one batch (the tests compare them with Keras')."""
        row_weight = tf.fill(tf.shape(y), 1.0 / tf.cast(tf.shape(y)[0], f32))
        return train_grads(weights, x, y, row_weight, dropout, recurrent_dropout, seed)

    def scores(weights, x):
        """The network's output for every window, run on rows padded to a multiple of ROW_BUCKET."""
        return forward(weights, _pad_to(tf, x, 0, ROW_BUCKET))[:tf.shape(x)[0]]

    @tf.function(input_signature=[weights_spec, weights_spec, weights_spec, scalar, scalar, matrix, vector,
                                  matrix, vector, tf.TensorSpec([], tf.int32), scalar, scalar,
                                  tf.TensorSpec([2], tf.int64)])
    def epoch(weights, m, v, step, learning_rate, x, y, x_val, y_val, batch_size, dropout, recurrent_dropout,
              seed):
        # Adam runs on one flat vector of all weights: a dozen ops per batch instead of a dozen per weight.
        shapes = [tf.shape(w) for w in weights]
        sizes = tf.stack([tf.size(w) for w in weights])

        def flat(tensors):
            return tf.concat([tf.reshape(t, [-1]) for t in tensors], axis=0)

        def unflat(vector):
            return [tf.reshape(part, shape) for part, shape in zip(tf.split(vector, sizes), shapes)]

        n = tf.shape(x)[0]
        order = tf.random.experimental.stateless_shuffle(tf.range(n), seed=seed)
        n_batches = (n + batch_size - 1) // batch_size

        def body(b, w, m, v, step, total):
            # The last, shorter batch is padded to a whole one with rows of weight 0 (one shape for all).
            index = order[b * batch_size:tf.minimum((b + 1) * batch_size, n)]
            count = tf.shape(index)[0]
            row_weight = tf.where(tf.range(batch_size) < count, 1.0 / tf.cast(count, f32), 0.0)
            index = tf.pad(index, [[0, batch_size - count]])
            batch_seed = tf.random.experimental.stateless_fold_in(seed, tf.cast(b, tf.int64))
            loss, grads = train_grads(unflat(w), tf.gather(x, index), tf.gather(y, index), row_weight, dropout,
                                      recurrent_dropout, batch_seed)
            g = flat(grads)
            step = step + 1.0
            alpha = learning_rate * tf.sqrt(1.0 - BETA_2 ** step) / (1.0 - BETA_1 ** step)
            m = m + (g - m) * (1.0 - BETA_1)
            v = v + (tf.square(g) - v) * (1.0 - BETA_2)
            w = w - (m * alpha) / (tf.sqrt(v) + EPSILON)
            return b + 1, w, m, v, step, total + loss * tf.cast(count, f32)

        _, w, m, v, step, total = tf.while_loop(
            lambda b, *_: b < n_batches, body, (tf.constant(0), flat(weights), flat(m), flat(v), step,
                                                tf.constant(0.0)))
        weights = unflat(w)
        val_loss = tf.reduce_mean(tf.abs(scores(weights, x_val) - y_val))
        return weights, unflat(m), unflat(v), step, total / tf.cast(n, f32), val_loss

    @tf.function(input_signature=[weights_spec, matrix])
    def predict(weights, x):
        return scores(weights, x)

    return Kernel(arch, epoch, predict, batch_grads)


# ------------------------------------------------------------------------------------------------
# The networks. Each entry returns (forward(weights, x) -> [B], train_grads(...) -> (loss, grads),
# the rank of each weight). Windows come as [B, T] (one feature), targets as [B].
# ------------------------------------------------------------------------------------------------

def _masks(tf, gates: int, batch: Any, units: Any, dropout: Any, recurrent_dropout: Any, seed: Any):
    """Keras' recurrent dropout masks, constant over the time steps of a sequence.

    With recurrent dropout Keras draws one mask per gate for the inputs and one per gate for the
    state (its implementation 1); without it, one input mask shared by the gates (implementation 2).
    Kept values are scaled by 1 / (1 - rate), as Keras' dropout does.
    """
    in_gates = tf.where(recurrent_dropout > 0.0, gates, 1)
    keep_in = tf.random.stateless_uniform(tf.stack([in_gates, batch, 1]),
                                          tf.random.experimental.stateless_fold_in(seed, 0))
    keep_state = tf.random.stateless_uniform(tf.stack([gates, batch, units]),
                                             tf.random.experimental.stateless_fold_in(seed, 1))
    mask_in = tf.cast(keep_in >= dropout, tf.float32) / (1.0 - dropout)
    mask_state = tf.cast(keep_state >= recurrent_dropout, tf.float32) / (1.0 - recurrent_dropout)
    return mask_in, mask_state


def _pad_to(tf, t: Any, axis: int, multiple: int) -> Any:
    """``t`` with zeros appended along ``axis`` up to a multiple of ``multiple``."""
    extra = (-tf.shape(t)[axis]) % multiple
    return tf.pad(t, tf.scatter_nd([[axis, 1]], tf.reshape(extra, [1]), [t.shape.rank, 2]))


def _time_major(tf, x: Any) -> Any:
    """Windows [B, T] as [T, B], transposed at a padded length (a transpose is a oneDNN kernel too)."""
    return tf.transpose(_pad_to(tf, x, 1, STEP_BUCKET))[:tf.shape(x)[1]]


def _time_loop(tf, steps: Any, body: Callable, state: tuple, backwards: bool = False) -> tuple:
    """``state = body(t, state)`` for t = 0 .. steps - 1 (or back down), UNROLL steps per iteration.

    A loop iteration costs TensorFlow a handful of bookkeeping ops per loop variable, about as much
    as a step's own maths; unrolling shares that cost among UNROLL steps. The steps left over
    (steps % UNROLL) run in a second, plain loop.
    """
    def at(i):
        return steps - 1 - i if backwards else i

    def block(i, *state):
        for j in range(UNROLL):
            state = body(at(i * UNROLL + j), state)
        return (i + 1, *state)

    blocks = steps // UNROLL
    _, *state = tf.while_loop(lambda i, *_: i < blocks, block, (tf.constant(0), *state))

    def single(i, *state):
        return (i + 1, *body(at(i), tuple(state)))

    _, *state = tf.while_loop(lambda i, *_: i < steps, single, (blocks * UNROLL, *state))
    return tuple(state)


def _array(tf, size: Any, element_shape: list):
    """A TensorArray of one value per time step; a known gate axis lets the loop unstack it."""
    return tf.TensorArray(tf.float32, size=size, element_shape=tf.TensorShape(element_shape))


def _gate_products(tf, inputs: Any, d_out: Any) -> Any:
    """sum over steps and windows of inputs^T @ d_out, per gate: [T, G, B, K] x [T, G, B, U] -> [G, K, U].

    One batched product after a gate-major transpose of both (cheaper than einsum's own plan)."""
    gates, width, units = tf.shape(inputs)[1], tf.shape(inputs)[3], tf.shape(d_out)[3]
    inputs, d_out = _pad_to(tf, inputs, 0, STEP_BUCKET), _pad_to(tf, d_out, 0, STEP_BUCKET)  # zero steps add nothing
    left = tf.reshape(tf.transpose(inputs, [1, 3, 0, 2]), tf.stack([gates, width, -1]))
    right = tf.reshape(tf.transpose(d_out, [1, 0, 2, 3]), tf.stack([gates, -1, units]))
    return tf.matmul(left, right)


def _mae_head(tf, h, dense_w, dense_b, y, row_weight, products: bool = True):
    """Dense(1) on the last state, the MAE loss (rows weighted by ``row_weight``: 1 / batch, or 0
    for padding) and its gradient with respect to that state. ``products=False``: the dense layer
    as element-wise sums, for an input width that changes with the window length (Conv1D's)."""
    out = (tf.matmul(h, dense_w)[:, 0] if products else tf.reduce_sum(h * dense_w[:, 0], axis=1)) + dense_b[0]
    loss = tf.reduce_sum(tf.abs(out - y) * row_weight)
    d_out = tf.sign(out - y) * row_weight
    d_dense_w = (tf.matmul(h, d_out[:, None], transpose_a=True) if products
                 else tf.reduce_sum(h * d_out[:, None], axis=0)[:, None])
    d_dense_b = tf.reshape(tf.reduce_sum(d_out), [1])
    d_h = d_out[:, None] * tf.transpose(dense_w)
    return loss, d_h, d_dense_w, d_dense_b


def _lstm(tf):
    """LSTM in Keras' layout: kernel [1, 4U], recurrent_kernel [U, 4U], bias [4U]; gates i, f, c, o.

    The candidate's tanh is computed as 2 * sigmoid(2z) - 1, so that one sigmoid serves all four
    gates of a step: its logits are scaled by 2 through the weights, and the gradients back.
    """
    scale = tf.constant([1.0, 1.0, 2.0, 1.0])

    def unpack(weights):
        kernel, recurrent, bias, dense_w, dense_b = weights
        units = tf.shape(recurrent)[0]
        k4 = tf.reshape(kernel, [4, units]) * scale[:, None]
        b4 = tf.reshape(bias, [4, units]) * scale[:, None]
        r4 = tf.transpose(tf.reshape(recurrent, [units, 4, units]), [1, 0, 2]) * scale[:, None, None]
        return units, k4, b4, r4, dense_w, dense_b

    def step(z, c):
        a = tf.sigmoid(z)
        i, f, g, o = tf.unstack(a)
        c = f * c + i * (2.0 * g - 1.0)
        tc = tf.tanh(c)
        return a, c, tc, o * tc

    def forward(weights, x):
        units, k4, b4, r4, dense_w, dense_b = unpack(weights)
        xt = _time_major(tf, x)
        proj = xt[:, None, :, None] * k4[None, :, None, :] + b4[None, :, None, :]  # [T, 4, B, U]
        batch = tf.shape(x)[0]

        def body(t, state):
            h, c = state
            _, c, _, h = step(proj[t] + tf.matmul(h[None], r4), c)
            return h, c

        zeros = tf.zeros(tf.stack([batch, units]))
        h, _ = _time_loop(tf, tf.shape(xt)[0], body, (zeros, zeros))
        return tf.matmul(h, dense_w)[:, 0] + dense_b[0]

    def train_grads(weights, x, y, row_weight, dropout, recurrent_dropout, seed):
        units, k4, b4, r4, dense_w, dense_b = unpack(weights)
        batch, steps = tf.shape(x)[0], tf.shape(x)[1]
        mask_in, mask_state = _masks(tf, 4, batch, units, dropout, recurrent_dropout, seed)
        # A step's gate logits in one product: [h * mask_g, x * mask_in_g, 1] @ [R_g; K_g; b_g]. The
        # same inputs, kept per step, give every weight gradient in one product after the loop.
        xin = tf.broadcast_to((_time_major(tf, x)[:, None, :] * mask_in[None, :, :, 0])[..., None],
                              tf.stack([steps, 4, batch, 1]))  # [T, 4, B, 1]
        ones = tf.ones(tf.stack([4, batch, 1]))
        w4 = tf.concat([r4, k4[:, None, :], b4[:, None, :]], axis=1)  # [4, U + 2, U]
        zeros = tf.zeros(tf.stack([batch, units]))
        # per step: the product's inputs, c_prev, gate activations, tanh(c)
        store = [_array(tf, steps, shape) for shape in ([4, None, None], [None, None], [4, None, None], [None, None])]

        def forward_body(t, state):
            h, c, ins, cs, acts, tcs = state
            inputs = tf.concat([h[None] * mask_state, xin[t], ones], axis=2)
            a, c_new, tc, h = step(tf.matmul(inputs, w4), c)
            return h, c_new, ins.write(t, inputs), cs.write(t, c), acts.write(t, a), tcs.write(t, tc)

        h, _, ins, cs, acts, tcs = _time_loop(tf, steps, forward_body, (zeros, zeros, *store))
        loss, d_h, d_dense_w, d_dense_b = _mae_head(tf, h, dense_w, dense_b, y, row_weight)
        # What a backward step multiplies by does not depend on the recurrence: computed here for all
        # steps at once, a step is left with a dozen ops. With a = the sigmoids (i, f, g, o):
        #   d_c += d_h * o * (1 - tanh(c)^2);  d_z = [d_c, d_c, d_c, d_h] * [2g - 1, c_prev, i, tanh(c)] * a(1 - a) * scale
        a, tc, c_prev = acts.stack(), tcs.stack(), cs.stack()  # [T, 4, B, U], [T, B, U], [T, B, U]
        i, f, g, o = tf.unstack(a, axis=1)
        from_c = tf.stack([2.0 * g - 1.0, c_prev, i, tc], axis=1) * (a - a * a) * scale[None, :, None, None]
        c_from_h = o * (1.0 - tc * tc)
        r4_t = tf.transpose(r4, [0, 2, 1])  # once: a product with a transposed operand costs more per step

        def backward_body(t, state):
            d_h, d_c, d_zs = state
            d_c = d_c + d_h * c_from_h[t]
            d_z = tf.stack([d_c, d_c, d_c, d_h]) * from_c[t]
            d_h = tf.reduce_sum(tf.matmul(d_z, r4_t) * mask_state, axis=0)
            return d_h, d_c * f[t], d_zs.write(t, d_z)

        _, _, d_zs = _time_loop(tf, steps, backward_body, (d_h, zeros, _array(tf, steps, [4, None, None])),
                                backwards=True)
        d_w4 = _gate_products(tf, ins.stack(), d_zs.stack()) * scale[:, None, None]  # [4, U + 2, U]
        d_r4, d_k4, d_b4 = d_w4[:, :units], d_w4[:, units], d_w4[:, units + 1]
        grads = [tf.reshape(d_k4, [1, 4 * units]),
                 tf.reshape(tf.transpose(d_r4, [1, 0, 2]), [units, 4 * units]),
                 tf.reshape(d_b4, [4 * units]), d_dense_w, d_dense_b]
        return loss, grads

    return forward, train_grads, (2, 2, 1, 2, 1)


def _gru(tf):
    """GRU as Keras builds it (``reset_after=True``): kernel [1, 3U], recurrent_kernel [U, 3U],
    bias [2, 3U] (input bias, recurrent bias); gates z, r, h."""

    def unpack(weights):
        kernel, recurrent, bias, dense_w, dense_b = weights
        units = tf.shape(recurrent)[0]
        k3 = tf.reshape(kernel, [3, units])
        r3 = tf.transpose(tf.reshape(recurrent, [units, 3, units]), [1, 0, 2])
        return units, k3, tf.reshape(bias[0], [3, units]), r3, tf.reshape(bias[1], [3, units]), dense_w, dense_b

    def step(xp, rec, h):
        """One step from the input projection xp and the recurrent projection rec ([3, B, U] each)."""
        s = tf.sigmoid(xp + rec)  # the third slot is unused: one op for both gates is cheaper
        z, r, _ = tf.unstack(s)
        _, _, x_h = tf.unstack(xp)
        _, _, rec_h = tf.unstack(rec)
        hh = tf.tanh(x_h + r * rec_h)
        return z, r, hh, rec_h, hh + z * (h - hh)

    def forward(weights, x):
        units, k3, ib3, r3, rb3, dense_w, dense_b = unpack(weights)
        xt = _time_major(tf, x)
        proj = xt[:, None, :, None] * k3[None, :, None, :] + ib3[None, :, None, :]

        def body(t, state):
            (h,) = state
            *_, h = step(proj[t], tf.matmul(h[None], r3) + rb3[:, None, :], h)
            return (h,)

        (h,) = _time_loop(tf, tf.shape(xt)[0], body, (tf.zeros(tf.stack([tf.shape(x)[0], units])),))
        return tf.matmul(h, dense_w)[:, 0] + dense_b[0]

    def train_grads(weights, x, y, row_weight, dropout, recurrent_dropout, seed):
        units, k3, ib3, r3, rb3, dense_w, dense_b = unpack(weights)
        batch, steps = tf.shape(x)[0], tf.shape(x)[1]
        mask_in, mask_state = _masks(tf, 3, batch, units, dropout, recurrent_dropout, seed)
        # A step's recurrent and input projections in one product:
        # [h * mask_g, x * mask_in_g, 1] @ [[R_g, 0], [0, K_g], [rb_g, ib_g]] = [rec_g | x_g].
        # The same inputs, kept per step, give every weight gradient in one product after the loop.
        xin = tf.broadcast_to((_time_major(tf, x)[:, None, :] * mask_in[None, :, :, 0])[..., None],
                              tf.stack([steps, 3, batch, 1]))  # [T, 3, B, 1]
        ones = tf.ones(tf.stack([3, batch, 1]))
        zero_row = tf.zeros_like(rb3[:, None, :])
        w3 = tf.concat([tf.concat([r3, tf.zeros_like(r3)], axis=2),
                        tf.concat([zero_row, k3[:, None, :]], axis=2),
                        tf.concat([rb3[:, None, :], ib3[:, None, :]], axis=2)], axis=1)  # [3, U + 2, 2U]
        h0 = tf.zeros(tf.stack([batch, units]))
        # per step: the product's inputs, h_prev, z, r, hh, rec_h
        store = [_array(tf, steps, [3, None, None])] + [_array(tf, steps, [None, None]) for _ in range(5)]

        def forward_body(t, state):
            h, ins, hs, zs, rs, hhs, recs = state
            inputs = tf.concat([h[None] * mask_state, xin[t], ones], axis=2)
            both = tf.matmul(inputs, w3)
            z, r, hh, rec_h, h_new = step(both[:, :, units:], both[:, :, :units], h)
            return (h_new, ins.write(t, inputs), hs.write(t, h), zs.write(t, z), rs.write(t, r), hhs.write(t, hh),
                    recs.write(t, rec_h))

        h, ins, hs, zs, rs, hhs, recs = _time_loop(tf, steps, forward_body, (h0, *store))
        loss, d_h, d_dense_w, d_dense_b = _mae_head(tf, h, dense_w, dense_b, y, row_weight)
        r3_t = tf.transpose(r3, [0, 2, 1])  # once: a product with a transposed operand costs more per step

        def backward_body(t, state):
            d_h, d_both = state
            h_prev, z, r, hh, rec_h = hs.read(t), zs.read(t), rs.read(t), hhs.read(t), recs.read(t)
            d_ah = d_h * (1.0 - z) * (1.0 - hh * hh)
            d_az = d_h * (h_prev - hh) * (z - z * z)
            d_ar = d_ah * rec_h * (r - r * r)
            d_rec = tf.stack([d_az, d_ar, d_ah * r])
            d_h = d_h * z + tf.reduce_sum(tf.matmul(d_rec, r3_t) * mask_state, axis=0)
            return d_h, d_both.write(t, tf.concat([d_rec, tf.stack([d_az, d_ar, d_ah])], axis=2))

        _, d_both = _time_loop(tf, steps, backward_body, (d_h, _array(tf, steps, [3, None, None])), backwards=True)
        d_w3 = _gate_products(tf, ins.stack(), d_both.stack())  # [3, U + 2, 2U]
        d_r3, d_k3 = d_w3[:, :units, :units], d_w3[:, units, units:]
        d_bias = tf.stack([tf.reshape(d_w3[:, units + 1, units:], [3 * units]),
                           tf.reshape(d_w3[:, units + 1, :units], [3 * units])])
        grads = [tf.reshape(d_k3, [1, 3 * units]),
                 tf.reshape(tf.transpose(d_r3, [1, 0, 2]), [units, 3 * units]), d_bias, d_dense_w, d_dense_b]
        return loss, grads

    return forward, train_grads, (2, 2, 2, 2, 1)


def _conv1d(tf):
    """Conv1D(filters, kernel_size, relu, valid) + MaxPooling1D(2) + Flatten + Dense(1), Keras'
    layout: kernel [k, 1, F], bias [F], dense [P * F, 1], [1].

    With one input channel a convolution is a matrix product of the window's k-step patches with
    the kernel. Pooling comes first, on the products at the even and odd position of each pair
    (relu and the shared bias keep the order, so max(relu(a + b), relu(c + b)) = relu(max(a, c) + b)),
    and the gradients are written out: half the values, a few passes over them.
    """

    def layer(weights, x):
        kernel, bias, dense_w, _ = weights
        k, filters = tf.shape(kernel)[0], tf.shape(kernel)[2]
        batch, pooled = tf.shape(x)[0], (tf.shape(x)[1] - k + 1) // 2
        starts = 2 * tf.range(pooled)[:, None] + tf.range(k)[None, :]  # [P, k]: the even patches
        # [B * P, k], the rows padded to a multiple of ROW_BUCKET (zero rows add nothing)
        even = _pad_to(tf, tf.reshape(tf.gather(x, starts, axis=1), [-1, k]), 0, ROW_BUCKET)
        odd = _pad_to(tf, tf.reshape(tf.gather(x, starts + 1, axis=1), [-1, k]), 0, ROW_BUCKET)
        kernel2 = tf.reshape(kernel, [k, filters])
        rows = batch * pooled
        z_even, z_odd = tf.matmul(even, kernel2)[:rows], tf.matmul(odd, kernel2)[:rows]
        first = z_even >= z_odd  # MaxPooling1D passes a tie's gradient to the first position
        pre = tf.where(first, z_even, z_odd) + bias  # [B * P, F]
        flat = tf.reshape(tf.nn.relu(pre), [batch, pooled * filters])
        return flat, pre, first, even, odd, k, filters

    def forward(weights, x):
        flat, *_ = layer(weights, x)
        return tf.reduce_sum(flat * weights[2][:, 0], axis=1) + weights[3][0]

    def train_grads(weights, x, y, row_weight, dropout, recurrent_dropout, seed):
        flat, pre, first, even, odd, k, filters = layer(weights, x)
        loss, d_flat, d_dense_w, d_dense_b = _mae_head(tf, flat, weights[2], weights[3], y, row_weight,
                                                       products=False)
        d_pre = tf.reshape(d_flat, [-1, filters]) * tf.cast(pre > 0.0, tf.float32)
        d_first = _pad_to(tf, tf.where(first, d_pre, 0.0), 0, ROW_BUCKET)
        d_second = _pad_to(tf, d_pre, 0, ROW_BUCKET) - d_first
        d_kernel = tf.matmul(even, d_first, transpose_a=True) + tf.matmul(odd, d_second, transpose_a=True)
        grads = [tf.reshape(d_kernel, [k, 1, filters]), tf.reduce_sum(d_pre, axis=0), d_dense_w, d_dense_b]
        return loss, grads

    return forward, train_grads, (3, 1, 2, 1)


_NETWORKS: dict[str, Callable[[Any], tuple]] = {"lstm": _lstm, "gru": _gru, "conv1d": _conv1d}
KERNEL_ARCHITECTURES = tuple(_NETWORKS)
