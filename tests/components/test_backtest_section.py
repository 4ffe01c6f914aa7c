"""The backtest section's callbacks as plain functions: what a client may post, and what a poll shows."""
from __future__ import annotations

import pytest
from dash import no_update

from modeling.config import ConfigError, TrainConfig


@pytest.fixture
def section(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    from components import backtest

    return backtest


def text(component) -> str:
    if component is None:
        return ""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return " ".join(text(c) for c in component)
    return text(getattr(component, "children", None))


def test_folds_input_is_checked(section):
    assert [section.parse_folds(k) for k in (2, 4.0, 8)] == [2, 4, 8]
    for bad in (1, 9, 2.5, True, "4", None, [3], float("inf"), float("nan")):
        with pytest.raises(ConfigError) as info:
            section.parse_folds(bad)
        assert str(info.value) == f"folds must be a whole number from 2 to 8; got {bad!r}"


def test_a_poll_with_a_bad_id_shows_nothing_and_stops(section):
    from service.settings import run_store

    sweep = run_store().create_collection("sweep", {})
    for bad in (None, "", "../x", 12, {"id": 1}, "0" * 12, sweep.id):
        status, progress, _figure, poll_off, start_off, cancel_off, shown = section.show_backtest(bad, 1, None)
        assert (status, progress, poll_off, start_off, cancel_off, shown) == (None, None, True, False, True, None)


def test_a_queued_backtest_is_followed_and_an_unchanged_poll_sends_nothing(section):
    from service.backtest import submit_backtest

    collection, _ = submit_backtest(TrainConfig(dataset="sp500-2012-2017", epochs=3), 2, "browser-a")
    status, progress, figure, poll_off, start_off, cancel_off, shown = section.show_backtest(collection.id, None, None)
    assert "AAL lstm walk-forward backtest, 2 folds" in text(status)
    assert "fold 1 of 2 (train 255, validation 55, test 308 points): queued" in text(status)
    assert "fold 2 of 2 (train 509, validation 109, test 308 points): queued" in text(status)
    assert "queued, position 1: waiting for a training slot (0 of 6 epochs over 2 folds)" in text(progress)
    assert figure.layout.annotations[0].text == section.WAITING
    assert (poll_off, start_off, cancel_off) == (False, True, False)
    assert section.show_backtest(collection.id, 1, shown) == (no_update,) * 7
    # a forged "shown" is only a reason to draw again
    assert section.show_backtest(collection.id, 2, [collection.id, [1, "x"]])[0] is not no_update
