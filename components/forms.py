"""The forms' shared parts: dataset and ticker pickers (Explore and Train), and the Train form's
mapping to a checked TrainConfig (the core loop and the teaching aids read the same form)."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from dash import Input, State

from components import ids
from modeling.config import LIMITS, ConfigError, TrainConfig
from modeling.data import DATASETS, DataError, catalog_for_file
from modeling.pipeline import data_path_for, prepare
from modeling.series import PreparedSeries
from modeling.settings import data_dir
from modeling.uploads import list_uploads, upload_label


def dataset_options() -> list[dict[str, str]]:
    """The bundled editions, then the datasets uploaded to this app's data dir (newest first)."""
    bundled = [{"label": d.label, "value": d.key} for d in DATASETS.values()]
    return bundled + [{"label": upload_label(e), "value": e["key"]} for e in list_uploads(data_dir())]


def ticker_options(dataset: Any) -> list[dict[str, Any]]:
    """One option per ticker; the label carries company and sector so typing either finds it."""
    if not isinstance(dataset, str):
        raise DataError("pick a dataset")
    catalog = catalog_for_file(data_path_for(dataset))
    return [{"label": f"{r.ticker} · {r.company} · {r.sector}" if r.company else r.ticker,
             "value": r.ticker, "search": f"{r.ticker} {r.company} {r.sector}"}
            for r in catalog.itertuples(index=False)]


def ticker_choice(dataset: Any, current: Any, default: str = "AAL") -> tuple[list[dict[str, Any]], str | None]:
    """Options for a dataset and the ticker to select: the current one if the dataset has it."""
    try:
        options = ticker_options(dataset)
    except DataError:
        return [], None
    values = [o["value"] for o in options]
    if isinstance(current, str) and current in values:
        return options, current
    return options, default if default in values else (values[0] if values else None)


# (component id, config field): the form <-> TrainConfig mapping, in one place.
FORM_FIELDS = (
    (ids.DATASET, "dataset"), (ids.TICKER, "ticker"), (ids.PRICE_COLUMN, "column"),
    (ids.TRAIN_RATIO, "train_ratio"), (ids.VAL_RATIO, "val_ratio"),
    (ids.LOOK_BACK, "look_back"), (ids.FORESIGHT, "foresight"), (ids.ARCHITECTURE, "arch"),
    (ids.UNITS, "units"), (ids.DROPOUT, "dropout"), (ids.RECURRENT_DROPOUT, "recurrent_dropout"),
    (ids.FILTERS, "filters"), (ids.KERNEL_SIZE, "kernel_size"), (ids.EPOCHS, "epochs"),
    (ids.BATCH_SIZE, "batch_size"), (ids.LEARNING_RATE, "learning_rate"), (ids.SEED, "seed"),
    (ids.PATIENCE, "patience"),
)
# Choices that must be made (a cleared dropdown is refused by name, not replaced by a default).
CHOICE_FIELDS = {"dataset": "a dataset", "ticker": "a ticker", "column": "a price column", "arch": "a network"}
FORM_STATES = [State(cid, "value") for cid, _ in FORM_FIELDS] + [State(ids.EARLY_STOPPING, "value")]
FORM_INPUTS = [Input(cid, "value") for cid, _ in FORM_FIELDS] + [Input(ids.EARLY_STOPPING, "value")]


def config_from_form(values: list[Any], form_fields: Any = FORM_FIELDS) -> TrainConfig:
    """The form's values as a checked TrainConfig; raises ConfigError with the reason.

    ``form_fields``: (component id, config field) pairs in the order of ``values`` (the sweep
    page has a form of its own); the last value is the early-stopping checkbox."""
    *fields_, early_stopping = values
    mapping = {name: value for (_, name), value in zip(form_fields, fields_)}
    early = isinstance(early_stopping, list) and "on" in early_stopping
    if not early:
        mapping["patience"] = None
    for name, value in mapping.items():
        # A dropdown the user cleared reaches the server as None: refuse it, never train a default.
        if name in CHOICE_FIELDS and (value is None or value == ""):
            raise ConfigError(f"choose {CHOICE_FIELDS[name]}")
        # A number field that is empty or outside its min/max reaches the server as None: say so,
        # rather than quietly training with the default.
        if value is None and name in LIMITS and (name != "patience" or early):
            low, high = LIMITS[name]
            raise ConfigError(f"{name} is empty or not a number between {low:g} and {high:g}")
    return TrainConfig.from_mapping(mapping)


def prepared_form(values: list[Any]) -> tuple[TrainConfig, PreparedSeries]:
    """The form's config and its prepared series; raises ConfigError or DataError with the reason.

    One edit fires the form check and the window view at once: the config is prepared once, and
    the second callback (in the same process) reads it from here."""
    config = config_from_form(values)
    path = data_path_for(config.dataset)
    try:
        stat = path.stat()
    except OSError:
        return config, prepare(config)  # a missing upload: let the engine say so
    return config, _prepared(config, str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _prepared(config: TrainConfig, _path: str, _mtime_ns: int, _size: int) -> PreparedSeries:
    """Keyed by the data file's version too, so a changed file is prepared again (read only)."""
    return prepare(config)


def check_form(values: list[Any]) -> tuple[TrainConfig, str]:
    """Validate the form against the engine and the data; returns the config and a one-line summary."""
    config, prepared = prepared_form(values)
    splits, windows = prepared.split_counts, prepared.sequence_counts
    text = (f"{prepared.ticker}: train {splits['train']}, validation {splits['val']}, test {splits['test']} points; "
            f"{windows['train']} / {windows['val']} / {windows['test']} windows of {config.look_back} values")
    if prepared.filled:
        text += f"; {prepared.filled} missing {config.column} values filled by interpolation"
    return config, text


def config_from_link(query: dict[str, Any], names: Any) -> tuple[TrainConfig, str | None]:
    """The settings ``names`` from a shared link, checked as every form value is; a bad link falls
    back to the defaults and says why."""
    settings = {k: v for k, v in query.items() if k in names}
    if not settings:
        return TrainConfig(), None
    try:
        return TrainConfig.from_mapping(settings), None
    except ConfigError as exc:
        return TrainConfig(), f"The link's settings were not used: {exc}"
