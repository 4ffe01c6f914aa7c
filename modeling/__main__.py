"""Command line: ``python -m modeling train ...``, ``scan ...``, ``notebook ... --out FILE.ipynb`` and ``tickers ...``.

Any error ends with a non-zero exit status and one line on stderr, never a traceback.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Sequence

from modeling.architectures import ARCHITECTURES
from modeling.config import ConfigError, TrainConfig
from modeling.limits import SCAN_WORKERS, fmt
from modeling.scan import TickerOutcome, default_workers, plan_scan, run_scan
from modeling.data import DATASETS, DEFAULT_DATASET, PRICE_COLUMNS, DataError, load_prices, ticker_catalog
from modeling.metrics import skill_in_words
from modeling.pipeline import data_path_for, prepare, result_summary


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, as argparse does, without the usage block
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m modeling", description="RNN Stock Lab engine")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    defaults = TrainConfig()
    train = commands.add_parser("train", help="train one model and report its metrics")
    _add_train_settings(train)
    _add_data_arguments(train)
    train.add_argument("--json", action="store_true", help="print one JSON object")

    scan = commands.add_parser("scan", help="train one configuration on every ticker of a dataset or sector")
    scan.add_argument("--dataset", default=DEFAULT_DATASET, help=f"one of {', '.join(DATASETS)}")
    scan.add_argument("--sector", default=None, help="only the tickers of this sector (all when absent)")
    scan.add_argument("--arch", default=defaults.arch, help=f"one of {', '.join(ARCHITECTURES)}")
    scan.add_argument("--look-back", type=str, default=defaults.look_back)
    scan.add_argument("--foresight", type=str, default=defaults.foresight)
    scan.add_argument("--epochs", type=str, default=defaults.epochs)
    scan.add_argument("--workers", type=str, default=None,
                      help=f"training processes (default: one per core, here {default_workers()})")
    scan.add_argument("--json", action="store_true", help="print one JSON object")

    notebook = commands.add_parser("notebook", help="write a Jupyter notebook that reproduces a run with the "
                                   "lecture's pandas, scikit-learn and Keras code")
    _add_train_settings(notebook)
    _add_data_arguments(notebook)
    notebook.add_argument("--out", required=True, metavar="FILE.ipynb", help="where to write the notebook")

    tickers = commands.add_parser("tickers", help="list the tickers of a dataset")
    _add_data_arguments(tickers)
    tickers.add_argument("--json", action="store_true", help="print a JSON list")
    return parser


def _add_train_settings(parser: argparse.ArgumentParser) -> None:
    """Every setting of a run (the Train form's), shared by the commands that take a run's settings."""
    defaults = TrainConfig()
    parser.add_argument("--ticker", default=defaults.ticker)
    parser.add_argument("--arch", default=defaults.arch, help=f"one of {', '.join(ARCHITECTURES)}")
    parser.add_argument("--look-back", type=str, default=defaults.look_back)
    parser.add_argument("--foresight", type=str, default=defaults.foresight)
    parser.add_argument("--epochs", type=str, default=defaults.epochs)
    parser.add_argument("--batch-size", type=str, default=defaults.batch_size)
    parser.add_argument("--learning-rate", type=str, default=defaults.learning_rate)
    parser.add_argument("--units", type=str, default=defaults.units)
    parser.add_argument("--dropout", type=str, default=defaults.dropout)
    parser.add_argument("--recurrent-dropout", type=str, default=defaults.recurrent_dropout)
    parser.add_argument("--filters", type=str, default=defaults.filters)
    parser.add_argument("--kernel-size", type=str, default=defaults.kernel_size)
    parser.add_argument("--train-ratio", type=str, default=defaults.train_ratio)
    parser.add_argument("--val-ratio", type=str, default=defaults.val_ratio)
    parser.add_argument("--patience", type=str, default=None, help="early stopping patience (off if absent)")
    parser.add_argument("--seed", type=str, default=defaults.seed)
    parser.add_argument("--column", default=defaults.column, help=f"one of {', '.join(PRICE_COLUMNS)}")
    parser.add_argument("--folds", type=str, default=None, help="walk-forward backtest: how many folds (2-8)")
    parser.add_argument("--fold", type=str, default=None, help="walk-forward backtest: which fold (1..folds)")


def _add_data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", default=DEFAULT_DATASET, help=f"one of {', '.join(DATASETS)}")
    parser.add_argument("--data", default=None, metavar="PATH", help="any CSV with the same columns")


def _train(args: argparse.Namespace) -> int:
    values = {k: v for k, v in vars(args).items() if k not in ("command", "data", "json")}
    config = TrainConfig.from_mapping(values, datasets=None if args.data else DATASETS)
    prepared = prepare(config, args.data)
    from modeling.training import train  # imports TensorFlow: only once the input is known to be good

    result = train(prepared, config)
    summary = result_summary(prepared, result)
    if args.json:
        summary.pop("predictions")
        print(json.dumps(summary))
        return 0
    m = result.metrics
    print(f"{prepared.ticker} {config.column} | {config.arch} | look_back {config.look_back}, "
          f"foresight {config.foresight} | {result.params:,} parameters")
    print(f"split (points): train {summary['split']['train']}, val {summary['split']['val']}, "
          f"test {summary['split']['test']}; sequences: train {summary['sequences']['train']}, "
          f"val {summary['sequences']['val']}, test {summary['sequences']['test']}")
    print(f"epochs {summary['epochs_run']}: final loss {result.history['loss'][-1]:.4f}, "
          f"val loss {result.history['val_loss'][-1]:.4f}; {result.seconds_per_epoch * 1000:.0f} ms/epoch, "
          f"{result.train_seconds:.1f} s in all")
    print(f"test MAE ${m['test_mae']:.3f}, RMSE ${m['test_rmse']:.3f}, MAPE {m['test_mape']:.2f}%, "
          f"direction {m['test_direction_acc']:.0%}; normalized val MAE {m['val_mae_norm']:.4f}")
    print(f"naive forecast MAE ${m['naive_test_mae']:.3f}: the model {skill_in_words(m['skill'])} "
          f"(skill {m['skill']:+.2f})")
    return 0


def _notebook(args: argparse.Namespace) -> int:
    """Check the settings against the data as ``train`` does, then write the notebook (no TensorFlow)."""
    from modeling.notebook import notebook_json

    values = {k: v for k, v in vars(args).items() if k not in ("command", "data", "out")}
    out = Path(args.out)
    if out.suffix != ".ipynb":
        raise ValueError(f"--out must name an .ipynb file; got {args.out!r}")
    config = TrainConfig.from_mapping(values, datasets=None if args.data else DATASETS)
    prepare(config, args.data)  # the engine's own message for data that cannot make this run
    try:
        out.write_text(notebook_json(config, data_path_for(config.dataset, args.data)), encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot write {args.out}: {exc.strerror or type(exc).__name__}") from None
    print(f"wrote {out}")
def _workers(value: str | None) -> int:
    """The --workers value, checked as the config checks its numbers."""
    if value is None:
        return default_workers()
    low, high = SCAN_WORKERS
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"workers must be a number; got {value!r}") from None
    if not math.isfinite(number) or number != int(number):
        raise ConfigError(f"workers must be a whole number; got {value!r}")
    if not low <= number <= high:
        raise ConfigError(f"workers must be between {fmt(low)} and {fmt(high)}; got {fmt(number)}")
    return int(number)


def _scan(args: argparse.Namespace) -> int:
    values = {k: v for k, v in vars(args).items() if k not in ("command", "json", "sector", "workers")}
    base = TrainConfig.from_mapping(values)
    workers = _workers(args.workers)
    plan = plan_scan(base, args.sector)
    total = len(plan.configs)
    finished: list[TickerOutcome] = []

    def progress(outcome: TickerOutcome) -> None:
        if args.json or outcome.status == "skipped":
            return
        finished.append(outcome)
        if outcome.status == "finished":
            m = outcome.metrics
            print(f"[{len(finished):>{len(str(total))}} of {total}] {outcome.ticker:<6} test MAE "
                  f"${m['test_mae']:.3f}, naive ${m['naive_test_mae']:.3f}, skill {m['skill']:+.2f}", flush=True)
        else:
            print(f"[{len(finished):>{len(str(total))}} of {total}] {outcome.ticker:<6} {outcome.reason}",
                  flush=True)

    where = f"sector {args.sector}" if args.sector else "every ticker"
    if not args.json:
        print(f"scan of {base.dataset}, {where}: {base.arch}, look_back {base.look_back}, foresight "
              f"{base.foresight}, {base.epochs} epochs; {total} to train, {len(plan.skipped)} skipped; "
              f"{min(workers, total) if total else 0} training processes", flush=True)
    tick = time.perf_counter()
    outcomes = run_scan(plan, workers, on_outcome=progress)
    seconds = time.perf_counter() - tick
    if args.json:
        print(json.dumps({"seconds": round(seconds, 3), "tickers": [o.to_dict() for o in outcomes]}))
        return 0
    done = [o for o in outcomes if o.status == "finished"]
    beats = sum(o.metrics["skill"] > 0 for o in done)
    if total:
        print(f"{len(done)} of {total} finished in {seconds:.1f} s; the model beats the naive forecast on "
              f"{beats} of {len(done)}")
    else:
        print("nothing to train: every ticker is too short for these settings")
    for label in ("failed", "skipped"):
        listed = [o for o in outcomes if o.status == label]
        if listed:
            print(f"{label} ({len(listed)}):")
            for outcome in listed:
                print(f"  {outcome.ticker}: {outcome.reason}")
    return 0


def _tickers(args: argparse.Namespace) -> int:
    catalog = ticker_catalog(load_prices(data_path_for(args.dataset, args.data)))
    if args.json:
        print(json.dumps(catalog.to_dict(orient="records")))
        return 0
    for row in catalog.itertuples(index=False):
        print(f"{row.ticker:<6} {row.rows:>5} {row.first} .. {row.last}  {row.company} ({row.sector})"
              if row.company else f"{row.ticker:<6} {row.rows:>5} {row.first} .. {row.last}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return {"train": _train, "scan": _scan, "notebook": _notebook, "tickers": _tickers}[args.command](args)
    except (DataError, ConfigError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - the promise is one line, not a traceback
        print(f"error: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
