"""The engine stays light: no Dash or Plotly anywhere, no TensorFlow until a model is built."""
from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
MODELING = REPO_ROOT / "modeling"


def test_importing_the_engine_loads_neither_ui_nor_tensorflow():
    script = textwrap.dedent("""
        import importlib, sys
        import modeling.data, modeling.series, modeling.config, modeling.architectures
        import modeling.pipeline, modeling.metrics
        cli = importlib.import_module("modeling.__main__")  # __name__ is not "__main__": nothing runs
        from modeling.__main__ import build_parser, main
        from modeling.architectures import check_architecture, ArchParams
        from modeling.config import TrainConfig
        from modeling.data import dataset_path, ticker_catalog
        from modeling.metrics import skill_in_words
        from modeling.pipeline import data_path_for, prepare, result_summary
        # helpers that need no model run without TensorFlow, too
        TrainConfig.from_mapping({"arch": "conv1d", "epochs": "3"})
        check_architecture("gru", 7, ArchParams())
        build_parser().parse_args(["train", "--json"])
        loaded = sorted(m for m in ("dash", "plotly", "tensorflow", "keras") if m in sys.modules)
        print(",".join(loaded) or "none")
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "none"


IMPORT_UI = re.compile(r"^\s*(import|from)\s+(dash|plotly)\b", re.MULTILINE)


def test_no_engine_file_imports_dash_or_plotly():
    files = sorted(MODELING.rglob("*.py"))
    assert MODELING / "data.py" in files
    offenders = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        if "import dash" in text or "import plotly" in text or IMPORT_UI.search(text):
            offenders.append(str(path.relative_to(REPO_ROOT)))
    assert offenders == []
