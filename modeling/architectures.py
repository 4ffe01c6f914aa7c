"""The lecture's three networks behind one registry.

Checking a configuration needs no TensorFlow (the web server does it on every change); only
:func:`build_model` imports Keras, and it does so when it is called.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Callable

from modeling.limits import out_of_range

if TYPE_CHECKING:  # pragma: no cover
    import keras


class ArchitectureError(ValueError):
    """An architecture that does not exist or cannot be built for the given window."""


@dataclass(frozen=True)
class ArchParams:
    """Knobs of the networks; each architecture reads the ones it has."""

    units: int = 32
    dropout: float = 0.1
    recurrent_dropout: float = 0.1
    filters: int = 64
    kernel_size: int = 5


@dataclass(frozen=True)
class Architecture:
    kind: str
    label: str
    description: str
    uses: tuple[str, ...]
    build: Callable[..., "keras.Model"] = field(repr=False)
    check: Callable[[int, ArchParams], None] = field(repr=False)


def _check_limits(params: ArchParams, names: tuple[str, ...]) -> None:
    for name in names:
        problem = out_of_range(name, getattr(params, name))
        if problem:
            raise ArchitectureError(problem)


def _check_recurrent(look_back: int, params: ArchParams) -> None:
    _check_limits(params, ("units", "dropout", "recurrent_dropout"))


def _check_conv1d(look_back: int, params: ArchParams) -> None:
    _check_limits(params, ("filters", "kernel_size"))
    # Conv1D leaves look_back - kernel_size + 1 steps; MaxPooling1D(2) needs at least 2 of them.
    if look_back < params.kernel_size + 1:
        raise ArchitectureError(
            f"Conv1D kernel_size {params.kernel_size} needs look_back of at least "
            f"{params.kernel_size + 1} (MaxPooling1D(2) needs 2 convolution outputs); got look_back {look_back}")


def _recurrent(layer_name: str) -> Callable[..., "keras.Model"]:
    def build(look_back: int, params: ArchParams, seed: int = 0) -> "keras.Model":
        import keras

        layer = getattr(keras.layers, layer_name)
        init = keras.initializers
        return keras.Sequential([
            keras.Input(shape=(look_back, 1)),
            layer(params.units, dropout=params.dropout, recurrent_dropout=params.recurrent_dropout,
                  kernel_initializer=init.GlorotUniform(seed=seed),
                  recurrent_initializer=init.Orthogonal(seed=seed + 1), seed=seed + 2,
                  name=layer_name.lower()),
            keras.layers.Dense(1, activation="linear", kernel_initializer=init.GlorotUniform(seed=seed + 3),
                               name="dense"),
        ], name=layer_name.lower())
    return build


def _build_conv1d(look_back: int, params: ArchParams, seed: int = 0) -> "keras.Model":
    import keras

    init = keras.initializers
    return keras.Sequential([
        keras.Input(shape=(look_back, 1)),
        keras.layers.Conv1D(params.filters, kernel_size=params.kernel_size, activation="relu",
                            kernel_initializer=init.GlorotUniform(seed=seed), name="conv1d"),
        keras.layers.MaxPooling1D(pool_size=2, name="max_pooling1d"),
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(1, activation="linear", kernel_initializer=init.GlorotUniform(seed=seed + 3),
                           name="dense"),
    ], name="conv1d")


REGISTRY: dict[str, Architecture] = {
    a.kind: a
    for a in (
        Architecture("lstm", "LSTM", "LSTM(units, dropout, recurrent_dropout) + Dense(1)",
                     ("units", "dropout", "recurrent_dropout"), _recurrent("LSTM"), _check_recurrent),
        Architecture("gru", "GRU", "GRU(units, dropout, recurrent_dropout) + Dense(1)",
                     ("units", "dropout", "recurrent_dropout"), _recurrent("GRU"), _check_recurrent),
        Architecture("conv1d", "Conv1D", "Conv1D(filters, kernel_size, relu) + MaxPooling1D(2) + Flatten + Dense(1)",
                     ("filters", "kernel_size"), _build_conv1d, _check_conv1d),
    )
}
ARCHITECTURES = tuple(REGISTRY)


def get_architecture(kind: str) -> Architecture:
    """The registry entry for a kind; an unknown kind names the valid ones."""
    try:
        return REGISTRY[kind]
    except (KeyError, TypeError):
        raise ArchitectureError(f"unknown architecture {kind!r}; valid kinds: {', '.join(ARCHITECTURES)}") from None


def check_architecture(kind: str, look_back: int, params: ArchParams | None = None) -> Architecture:
    """Validate a kind and its parameters for a window length without importing TensorFlow."""
    arch = get_architecture(kind)
    arch.check(look_back, params or ArchParams())
    return arch


def build_model(kind: str, look_back: int, params: ArchParams | None = None, seed: int = 0) -> "keras.Model":
    """Build (uncompiled) the network of a kind for windows of look_back values.

    Every random part (initial weights, dropout masks) takes its seed from ``seed``, not from a
    global generator: the same seed gives the same network in any process, cold or long-lived.
    The engine trains its weights with :mod:`modeling.kernels` (the same maths) and keeps the
    model to save, summarise and serve them.
    """
    params = params or ArchParams()
    arch = check_architecture(kind, look_back, params)
    return arch.build(look_back, params, seed)


def arch_params_from(values: dict[str, Any]) -> ArchParams:
    """ArchParams from a mapping, ignoring keys that are not architecture knobs."""
    names = {f.name for f in fields(ArchParams)}
    return ArchParams(**{k: v for k, v in values.items() if k in names and v is not None})


def model_summary(model: "keras.Model") -> list[dict[str, Any]]:
    """Layers as plain rows (name, type, output shape, parameters) for tables and JSON."""
    rows = []
    for layer in model.layers:
        shape = getattr(layer, "output", None)
        shape = tuple(shape.shape) if shape is not None else ()
        rows.append({"name": layer.name, "type": type(layer).__name__,
                     "output_shape": str(tuple(None if d is None else int(d) for d in shape)),
                     "params": int(layer.count_params())})
    return rows
