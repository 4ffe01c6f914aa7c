"""Shared fixtures for the engine tests: the two bundled editions, loaded once per session.

``load_prices`` keeps only four files in its cache and the refusal tests load many tiny CSVs, so the
editions are held here rather than relied on from that cache.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from modeling.data import LECTURE_DATASET, TickerFrame, dataset_path, load_prices, ticker_frame
from modeling.series import PreparedSeries, SeriesSpec, prepare_series

REPO_ROOT = Path(__file__).resolve().parents[2]

# Keep TensorFlow quiet in this process too (the engine sets the same defaults when it trains).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def prices_2013():
    """The default edition, 2013-02 .. 2018-02 (lower-case columns)."""
    return load_prices(dataset_path("sp500-2013-2018"))


@pytest.fixture(scope="session")
def prices_2012():
    """The lecture's edition, 2012-08 .. 2017-08 (capitalized columns, NYSE: prefixes)."""
    return load_prices(dataset_path(LECTURE_DATASET))


@pytest.fixture(scope="session")
def aal_frame(prices_2012) -> TickerFrame:
    return ticker_frame(prices_2012, "AAL")


@pytest.fixture(scope="session")
def aal_prepared(aal_frame) -> PreparedSeries:
    """The lecture's series: AAL High, 70/15/15, look_back 7, foresight 6."""
    return prepare_series(aal_frame, SeriesSpec())

