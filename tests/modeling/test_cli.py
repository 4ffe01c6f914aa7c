"""The command line, run as a user runs it: ``python -m modeling ...`` in a fresh process."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from modeling.__main__ import build_parser, main
from modeling.config import TrainConfig

REPO_ROOT = Path(__file__).resolve().parents[2]
METRIC_KEYS = {"test_mae", "test_rmse", "test_mape", "test_direction_acc", "val_mae_norm", "naive_test_mae",
               "skill"}


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    # the engine must silence TensorFlow by itself, so do not inherit the test process's settings
    for name in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS", "PYTHONWARNINGS"):
        env.pop(name, None)
    return subprocess.run([sys.executable, "-m", "modeling", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_train_json():
    done = run_cli("train", "--dataset", "sp500-2012-2017", "--ticker", "AAL", "--epochs", "2", "--json")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # TensorFlow's start-up chatter is silenced
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1  # ONE JSON object, nothing else
    summary = json.loads(lines[0])
    assert isinstance(summary, dict)
    assert summary["ticker"] == "AAL"
    assert summary["split"] == {"train": 648, "val": 139, "test": 139}
    assert summary["sequences"] == {"train": 635, "val": 126, "test": 126}
    assert summary["params"] == 4_385
    assert set(summary["history"]) == {"loss", "val_loss"}
    assert len(summary["history"]["loss"]) == len(summary["history"]["val_loss"]) == 2
    assert summary["epochs_run"] == 2
    assert METRIC_KEYS <= set(summary["metrics"])
    assert all(isinstance(summary["metrics"][k], float) for k in METRIC_KEYS)
    assert summary["metrics"]["naive_test_mae"] == pytest.approx(1.78, abs=0.01)
    for key in ("seconds_per_epoch", "first_epoch_seconds", "train_seconds"):
        assert isinstance(summary[key], float) and summary[key] > 0
    assert summary["config"]["dataset"] == "sp500-2012-2017"
    assert summary["config"]["epochs"] == 2
    assert summary["config"]["arch"] == "lstm"
    assert "predictions" not in summary  # dropped from the printed JSON


def test_train_readable_summary():
    done = run_cli("train", "--dataset", "sp500-2012-2017", "--ticker", "aal", "--arch", "conv1d",
                   "--epochs", "2")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 5
    assert lines[0] == "AAL high | conv1d | look_back 7, foresight 6 | 449 parameters"
    assert lines[1] == ("split (points): train 648, val 139, test 139; sequences: train 635, val 126, "
                        "test 126")
    assert lines[2].startswith("epochs 2: final loss ")
    assert lines[3].startswith("test MAE $")
    assert lines[4].startswith("naive forecast MAE $1.776: the model ")
    assert "naive forecast" in lines[4].split(": the model ", 1)[1]


def test_tickers_json_default_dataset():
    done = run_cli("tickers", "--json")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    catalog = json.loads(done.stdout)
    assert isinstance(catalog, list) and len(catalog) == 505
    assert all(isinstance(row, dict) and "ticker" in row for row in catalog)
    aal = next(row for row in catalog if row["ticker"] == "AAL")
    assert aal == {"ticker": "AAL", "company": "American Airlines Group", "sector": "Industrials",
                   "rows": 1259, "first": "2013-02-08", "last": "2018-02-07"}


def test_tickers_readable_with_data_path(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("date,open,high,low,close,volume,Name\n2020-01-02,10,11,9.5,10.5,1000,AAL\n"
                    "2020-01-03,10,11,9.5,10.5,1000,ZZZ\n")
    done = run_cli("tickers", "--data", str(path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "AAL        1 2020-01-02 .. 2020-01-02  American Airlines Group (Industrials)",
        "ZZZ        1 2020-01-03 .. 2020-01-03",
    ]


@pytest.fixture(scope="module")
def broken_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "broken.csv"
    path.write_text("date,open,high\n2020-01-02,10,11\n")
    return path


@pytest.mark.parametrize(("args", "message"), [
    (["train", "--dataset", "sp500-2012-2017", "--ticker", "ZZZZ"], "error: unknown ticker 'ZZZZ'"),
    (["train", "--ticker", "APTV"],
     "error: APTV validation split has 7 points; look_back 7 + foresight 6 needs at least 14"),
    (["train", "--ticker", "APTV", "--look-back", "30"],
     "error: APTV training split has 31 points; look_back 30 + foresight 6 needs at least 37"),
    (["train", "--arch", "rnn"], "error: unknown architecture 'rnn'; valid kinds: lstm, gru, conv1d"),
    (["train", "--data", "{broken}"],
     "error: broken.csv: missing column(s) low, close, volume, name; expected date, open, high, low, close, "
     "volume, name (any letter case)"),
    (["tickers", "--data", "{broken}"],
     "error: broken.csv: missing column(s) low, close, volume, name; expected date, open, high, low, close, "
     "volume, name (any letter case)"),
    (["train", "--data", "{missing}"], "error: nowhere.csv: file not found"),
    (["train", "--epochs", "1000"], "error: epochs must be between 1 and 500; got 1000"),
    (["tickers", "--dataset", "sp500-1999"],
     "error: unknown dataset 'sp500-1999'; valid datasets: sp500-2013-2018, sp500-2012-2017 or an uploaded one"),
    (["train", "--dataset", "sp500-1999"],
     "error: unknown dataset 'sp500-1999'; valid datasets: sp500-2013-2018, sp500-2012-2017"),
])
def test_errors_are_one_line(broken_csv, args, message):
    args = [a.format(broken=broken_csv, missing=broken_csv.parent / "nowhere.csv") for a in args]
    done = run_cli(*args)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [message]
    assert done.stderr.endswith("\n")


def test_usage_errors_are_one_line_too():
    done = run_cli("predict")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: argument command: invalid choice: 'predict' (choose from 'train', 'scan', 'notebook', 'tickers')"]


# --- in process: the parser and main() without a subprocess ------------------------------------------

def test_main_in_process_reports_errors(capsys):
    assert main(["train", "--arch", "transformer"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "error: unknown architecture 'transformer'; valid kinds: lstm, gru, conv1d\n"
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    assert capsys.readouterr().err == "error: the following arguments are required: command\n"


def test_parser_defaults_are_the_config_defaults():
    args = build_parser().parse_args(["train"])
    assert (args.ticker, args.arch, args.column, args.dataset, args.data, args.json) == \
        ("AAL", "lstm", "high", "sp500-2013-2018", None, False)
    assert args.patience is None


# --- notebook: a run as a Jupyter notebook -----------------------------------------------------------

def test_notebook_writes_the_run_with_every_setting(tmp_path):
    import nbformat

    from modeling.notebook import notebook_for
    from modeling.pipeline import data_path_for

    out = tmp_path / "aal.ipynb"
    done = run_cli("notebook", "--dataset", "sp500-2012-2017", "--ticker", "aal", "--arch", "gru", "--look-back", "9",
                   "--foresight", "2", "--epochs", "4", "--units", "16", "--dropout", "0.2", "--recurrent-dropout",
                   "0", "--batch-size", "64", "--learning-rate", "0.005", "--patience", "3", "--seed", "7",
                   "--column", "close", "--train-ratio", "0.6", "--val-ratio", "0.2", "--filters", "8",
                   "--kernel-size", "3", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and done.stdout == f"wrote {out}\n"
    written = json.loads(out.read_text())
    nbformat.validate(nbformat.from_dict(written))
    config = TrainConfig(dataset="sp500-2012-2017", ticker="AAL", arch="gru", look_back=9, foresight=2, epochs=4,
                         units=16, dropout=0.2, recurrent_dropout=0.0, batch_size=64, learning_rate=0.005,
                         patience=3, seed=7, column="close", train_ratio=0.6, val_ratio=0.2, filters=8,
                         kernel_size=3)
    assert written == notebook_for(config, data_path_for(config.dataset))


def test_notebook_with_a_data_path_points_data_at_it(tmp_path):
    source = tmp_path / "mine.csv"
    rows = [f"2020-01-{d:02d},10,{10 + d},9,10,1000,ZZZ" for d in range(1, 31)]
    source.write_text("date,open,high,low,close,volume,Name\n" + "\n".join(rows) + "\n")
    out = tmp_path / "mine.ipynb"
    done = run_cli("notebook", "--data", str(source), "--ticker", "ZZZ", "--look-back", "2", "--foresight", "0",
                   "--out", str(out))
    assert done.returncode == 0, done.stderr
    cells = json.loads(out.read_text())["cells"]
    first_code = next(c for c in cells if c["cell_type"] == "code")
    assert "".join(first_code["source"]).splitlines()[-1] == f"DATA = {str(source.resolve())!r}"


@pytest.mark.parametrize(("args", "message"), [
    (["--ticker", "APTV"], "error: APTV validation split has 7 points; look_back 7 + foresight 6 needs at least 14"),
    (["--arch", "rnn"], "error: unknown architecture 'rnn'; valid kinds: lstm, gru, conv1d"),
    (["--epochs", "0"], "error: epochs must be between 1 and 500; got 0"),
    (["--out-is-txt"], "error: --out must name an .ipynb file; got '{out}.txt'"),
    (["--out-in-nowhere"], "error: cannot write {nowhere}: No such file or directory"),
])
def test_notebook_errors_are_one_line_and_write_nothing(tmp_path, args, message):
    out, nowhere = tmp_path / "run.ipynb", tmp_path / "no" / "run.ipynb"
    target = {"--out-is-txt": f"{out}.txt", "--out-in-nowhere": str(nowhere)}.get(args[0], str(out))
    args = [a for a in args if not a.startswith("--out")]
    done = run_cli("notebook", *args, "--out", target)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [message.format(out=out, nowhere=nowhere)]
    assert list(tmp_path.iterdir()) == []


def test_notebook_needs_out():
    done = run_cli("notebook", "--ticker", "AAL")
    assert done.returncode == 2
    assert done.stderr.splitlines() == ["error: the following arguments are required: --out"]


def test_notebook_takes_the_same_settings_as_train():
    parser = build_parser()
    train = vars(parser.parse_args(["train"]))
    notebook = vars(parser.parse_args(["notebook", "--out", "x.ipynb"]))
    assert set(train) - {"json", "command"} == set(notebook) - {"out", "command"}
    assert {k: v for k, v in train.items() if k not in ("json", "command")} == \
        {k: v for k, v in notebook.items() if k not in ("out", "command")}
