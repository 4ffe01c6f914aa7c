"""Datasets people upload: validated like the bundled ones, kept in the data dir, listed by key.

An upload is parsed as data only (pandas, all cells as text first): never executed or unpickled.
The stored copy is the validated, normalized CSV, so every later load sees clean columns.
"""
from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path

from modeling.data import DataError, parse_prices_csv

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_UPLOAD_ROWS = 2_000_000
UPLOAD_KEY = re.compile(r"^upload-[0-9a-f]{12}$")


def uploads_dir(data_dir: str | Path) -> Path:
    path = Path(data_dir) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_upload(data_dir: str | Path, filename: str, content: bytes) -> dict:
    """Validate an uploaded file and keep it; returns its listing entry. Raises DataError."""
    name = Path(str(filename or "upload.csv")).name[:80] or "upload.csv"
    if len(content) > MAX_UPLOAD_BYTES:
        raise DataError(f"{name}: the file is {len(content) / 1024 / 1024:.1f} MB; at most "
                        f"{MAX_UPLOAD_BYTES // 1024 // 1024} MB are accepted")
    prices = parse_prices_csv(content, name, max_rows=MAX_UPLOAD_ROWS)
    key = "upload-" + hashlib.sha256(content).hexdigest()[:12]
    folder = uploads_dir(data_dir)
    out = prices.rename(columns={"ticker": "Name"})
    out["date"] = out["date"].dt.strftime("%Y-%m-%d")
    out[["date", "open", "high", "low", "close", "volume", "Name"]].to_csv(folder / f"{key}.csv", index=False)
    entry = {"key": key, "filename": name, "rows": int(len(prices)), "tickers": int(prices["ticker"].nunique()),
             "uploaded": time.time()}
    (folder / f"{key}.json").write_text(json.dumps(entry))
    return entry


def list_uploads(data_dir: str | Path) -> list[dict]:
    """Uploaded datasets, newest first."""
    entries = []
    for meta in uploads_dir(data_dir).glob("upload-*.json"):
        try:
            entry = json.loads(meta.read_text())
        except (OSError, ValueError):
            continue
        if UPLOAD_KEY.match(str(entry.get("key", ""))) and (meta.with_suffix(".csv")).is_file():
            entries.append(entry)
    return sorted(entries, key=lambda e: e.get("uploaded", 0), reverse=True)


def upload_path(data_dir: str | Path, key: str) -> Path:
    """The stored CSV of an upload key; a malformed or unknown key is a DataError."""
    if not isinstance(key, str) or not UPLOAD_KEY.match(key):
        raise DataError(f"unknown dataset {str(key)[:40]!r}")
    path = uploads_dir(data_dir) / f"{key}.csv"
    if not path.is_file():
        raise DataError(f"dataset {key} is not there (deleted or never uploaded)")
    return path


def upload_label(entry: dict) -> str:
    return f"uploaded: {entry['filename']} ({entry['tickers']} tickers, {entry['rows']:,} rows)"
