"""Scans: the plan (who is trained, who is skipped and why) and ``python -m modeling scan``."""
from __future__ import annotations

import json
import time

import pytest

from modeling.config import TrainConfig
from modeling.data import DataError, dataset_path, ticker_frame
from modeling.scan import ScanPlan, plan_scan, run_scan, sectors
from modeling.series import prepare_series
from tests.modeling.test_cli import run_cli

TELECOM = "Telecommunication Services"
APTV_REASON = "APTV validation split has 7 points; look_back 7 + foresight 6 needs at least 14"


def test_plan_every_ticker_skips_the_short_one_with_the_engines_message(prices_2013):
    plan = plan_scan(TrainConfig())
    assert isinstance(plan, ScanPlan)
    assert plan.skipped == [("APTV", APTV_REASON)]
    assert len(plan.configs) == 504
    tickers = [c.ticker for c in plan.configs]
    assert tickers == sorted(tickers) and "APTV" not in tickers
    assert all(c == TrainConfig().replace(ticker=c.ticker) for c in plan.configs)
    # the same words the engine says when asked to prepare that ticker
    with pytest.raises(DataError) as refused:
        prepare_series(ticker_frame(prices_2013, "APTV"), TrainConfig().series_spec)
    assert str(refused.value) == APTV_REASON


def test_plan_agrees_with_the_engine_at_every_ticker_for_a_long_window(prices_2012):
    """Row counts alone decide; check them against preparing each ticker for real."""
    base = TrainConfig(dataset="sp500-2012-2017", look_back=60, foresight=6)
    plan = plan_scan(base)
    reasons = dict(plan.skipped)
    assert len(plan.configs) + len(reasons) == 503 and len(reasons) == 11
    for ticker in sorted(prices_2012["ticker"].unique()):
        try:
            prepare_series(ticker_frame(prices_2012, ticker), base.series_spec)
        except DataError as exc:
            assert reasons[ticker] == str(exc)
        else:
            assert ticker not in reasons


def test_plan_is_fast_once_prices_are_loaded(prices_2013):
    plan_scan(TrainConfig())
    tick = time.perf_counter()
    plan_scan(TrainConfig(look_back=30, arch="gru"))
    assert time.perf_counter() - tick < 0.5


def test_sector_filter_any_letter_case():
    plan = plan_scan(TrainConfig(epochs=3), sector="telecommunication services")
    assert [c.ticker for c in plan.configs] == ["CTL", "T", "VZ"]
    assert plan.skipped == []
    assert all(c.epochs == 3 for c in plan.configs)
    energy = plan_scan(TrainConfig(look_back=30), sector="Energy")
    assert energy.skipped == [("BHGE", "BHGE validation split has 23 points; look_back 30 + foresight 6 "
                                       "needs at least 37")]
    assert len(energy.configs) == 31


def test_unknown_sector_names_the_valid_ones():
    valid = sectors("sp500-2013-2018")
    assert valid[0] == "Consumer Discretionary" and TELECOM in valid and len(valid) == 11
    with pytest.raises(ValueError) as refused:
        plan_scan(TrainConfig(), sector="Crypto")
    assert str(refused.value) == f"unknown sector 'Crypto'; valid sectors: {', '.join(valid)}"


def test_run_scan_lists_skipped_and_trained_in_ticker_order():
    """In this (TensorFlow-importing) test process the workers are spawned rather than forked."""
    config = TrainConfig(ticker="T", epochs=1)
    outcomes = run_scan(ScanPlan([config], [("APTV", APTV_REASON)]), workers=2)
    assert [(o.ticker, o.status) for o in outcomes] == [("APTV", "skipped"), ("T", "finished")]
    assert outcomes[0].to_dict() == {"ticker": "APTV", "status": "skipped", "reason": APTV_REASON}
    assert set(outcomes[1].to_dict()) == {"ticker", "status", "metrics"}


def test_cli_scan_json_matches_train_json():
    done = run_cli("scan", "--sector", TELECOM, "--epochs", "2", "--workers", "2", "--json")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1
    report = json.loads(lines[0])
    assert set(report) == {"seconds", "tickers"}
    assert isinstance(report["seconds"], float) and report["seconds"] > 0
    assert [t["ticker"] for t in report["tickers"]] == ["CTL", "T", "VZ"]
    assert all(set(t) == {"ticker", "status", "metrics"} and t["status"] == "finished" for t in report["tickers"])

    single = run_cli("train", "--ticker", "T", "--epochs", "2", "--json")
    assert single.returncode == 0, single.stderr
    trained = json.loads(single.stdout)
    scanned = next(t for t in report["tickers"] if t["ticker"] == "T")
    assert set(scanned["metrics"]) == set(trained["metrics"])
    assert scanned["metrics"] == trained["metrics"]  # the same seed gives the very same numbers


def test_cli_scan_skipped_tickers_with_their_reason():
    done = run_cli("scan", "--sector", TELECOM, "--look-back", "200", "--json")
    assert done.returncode == 0, done.stderr
    tickers = json.loads(done.stdout)["tickers"]
    assert tickers == [{"ticker": t, "status": "skipped",
                        "reason": f"{t} validation split has 189 points; look_back 200 + foresight 6 needs at "
                                  "least 207"} for t in ("CTL", "T", "VZ")]
    readable = run_cli("scan", "--sector", TELECOM, "--look-back", "200")
    assert readable.returncode == 0, readable.stderr
    assert readable.stdout.splitlines() == [
        "scan of sp500-2013-2018, sector Telecommunication Services: lstm, look_back 200, foresight 6, "
        "30 epochs; 0 to train, 3 skipped; 0 training processes",
        "nothing to train: every ticker is too short for these settings",
        "skipped (3):",
        "  CTL: CTL validation split has 189 points; look_back 200 + foresight 6 needs at least 207",
        "  T: T validation split has 189 points; look_back 200 + foresight 6 needs at least 207",
        "  VZ: VZ validation split has 189 points; look_back 200 + foresight 6 needs at least 207",
    ]


def test_cli_scan_readable_progress():
    done = run_cli("scan", "--sector", TELECOM, "--epochs", "1", "--workers", "1")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0] == ("scan of sp500-2013-2018, sector Telecommunication Services: lstm, look_back 7, "
                        "foresight 6, 1 epochs; 3 to train, 0 skipped; 1 training processes")
    assert [line[:16] for line in lines[1:4]] == ["[1 of 3] CTL    ", "[2 of 3] T      ", "[3 of 3] VZ     "]
    assert all(" test MAE $" in line and ", naive $" in line and ", skill " in line for line in lines[1:4])
    assert lines[4].startswith("3 of 3 finished in ") and "beats the naive forecast on " in lines[4]


@pytest.mark.parametrize("args, message", [
    (("--sector", "Crypto"), "error: unknown sector 'Crypto'; valid sectors: Consumer Discretionary, "),
    (("--workers", "0"), "error: workers must be between 1 and 64; got 0"),
    (("--workers", "two"), "error: workers must be a number; got 'two'"),
    (("--epochs", "0"), "error: epochs must be between 1 and 500; got 0"),
    (("--dataset", "nope"), "error: unknown dataset 'nope'; valid datasets: sp500-2013-2018, sp500-2012-2017"),
    (("--ticker", "AAL"), "error: unrecognized arguments: --ticker AAL"),
])
def test_cli_scan_refusals_one_line(args, message):
    done = run_cli("scan", *args)
    assert done.returncode != 0
    assert done.stdout == ""
    assert done.stderr.startswith(message) and done.stderr.count("\n") == 1
