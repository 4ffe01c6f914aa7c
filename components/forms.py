"""Options for the dataset and ticker pickers, shared by the Explore and Train pages."""
from __future__ import annotations

from typing import Any

from modeling.data import DATASETS, DataError, catalog_for_file
from modeling.pipeline import data_path_for
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
