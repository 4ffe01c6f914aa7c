"""Price data: the bundled editions, loading any CSV of the same shape, and a ticker catalog.

Everything here is plain pandas: the web server imports it to draw charts, so it must stay light.
A malformed file raises :class:`DataError` with one line a person can act on, never a traceback.
"""
from __future__ import annotations

import csv
import ctypes
import gzip
import io
import os
import threading
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_DATA_DIR = PROJECT_ROOT / "data"

PRICE_COLUMNS = ("open", "high", "low", "close")
REQUIRED_COLUMNS = ("date", *PRICE_COLUMNS, "volume", "name")
DEFAULT_COLUMN = "high"
MAX_COLUMNS = 100
MAX_UNCOMPRESSED_BYTES = 256 * 1024 * 1024
FORMULA_PREFIXES = ("=", "+", "-", "@")


@dataclass(frozen=True)
class Dataset:
    """A bundled edition of the data set: a stable key, a label for people, and its file."""

    key: str
    label: str
    filename: str

    @property
    def path(self) -> Path:
        return BUNDLED_DATA_DIR / self.filename


DATASETS: dict[str, Dataset] = {
    d.key: d
    for d in (
        Dataset("sp500-2013-2018", "S&P 500, 2013-02 to 2018-02 (505 tickers)", "all_stocks_5yr.csv.gz"),
        Dataset("sp500-2012-2017", "S&P 500, 2012-08 to 2017-08 (lecture edition)",
                "all_stocks_5yr_2012-2017.csv.gz"),
    )
}
DEFAULT_DATASET = "sp500-2013-2018"
LECTURE_DATASET = "sp500-2012-2017"
COMPANIES_FILE = BUNDLED_DATA_DIR / "sp500_companies_2018.csv"


# One lock per file version, so that many requests at once parse a file once, while reads of an
# already loaded file never wait (locks, not data: the caches below hold the data).
_LOCKS_GUARD = threading.Lock()
_FILE_LOCKS: dict[tuple, threading.Lock] = {}


def _file_lock(version: tuple) -> threading.Lock:
    with _LOCKS_GUARD:
        return _FILE_LOCKS.setdefault(version, threading.Lock())


class DataError(ValueError):
    """A problem with the input data, stated in one line for the person who supplied it."""


def dataset_path(key: str) -> Path:
    """The file of a bundled edition; an unknown key names the valid ones."""
    try:
        return DATASETS[key].path
    except KeyError:
        valid = ", ".join(DATASETS)
        raise DataError(f"unknown dataset {key!r}; valid datasets: {valid}") from None


def load_prices(path: str | os.PathLike) -> pd.DataFrame:
    """Load and validate a price CSV (plain or .gz); the result is cached per file version.

    Returns columns ticker, date, open, high, low, close, volume, sorted by ticker then date.
    Missing prices stay NaN here; :func:`ticker_frame` fills them.
    The returned frame is shared by every caller: treat it as read-only.
    """
    version = _file_version(path)
    with _file_lock(version):
        return _load_prices_cached(*version)


def _file_version(path: str | os.PathLike) -> tuple[str, int, int]:
    """Path, modification time and size: the cache key that changes when the file does."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        raise DataError(f"{path.name}: file not found") from None
    return str(path), stat.st_mtime_ns, stat.st_size


@lru_cache(maxsize=4)
def _load_prices_cached(path: str, _mtime_ns: int, _size: int) -> pd.DataFrame:
    try:
        content = Path(path).read_bytes()
    except OSError as exc:  # a directory, no permission, ...
        raise DataError(f"{Path(path).name}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    prices = parse_prices_csv(content, Path(path).name)
    _return_freed_memory()
    return prices


def _return_freed_memory() -> None:
    """Give the parser's freed heap back to the system (glibc keeps it otherwise): a long-lived
    server then stays at the size of the data it holds."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def parse_prices_csv(content: bytes, name: str, max_rows: int | None = None) -> pd.DataFrame:
    """Parse and validate the bytes of a price CSV (plain or gzip) as data only."""
    if content[:2] == b"\x1f\x8b":
        try:
            content = _gunzip(content, name)
        except (OSError, EOFError, zlib.error):
            raise DataError(f"{name}: not a readable gzip file") from None
    if not content.strip():
        raise DataError(f"{name}: the file is empty")
    try:
        # pandas decodes the bytes itself, in chunks: no second full copy of the file as text
        header = pd.read_csv(io.BytesIO(content), nrows=0, skipinitialspace=True, encoding="utf-8-sig").columns
        if len(header) > MAX_COLUMNS:
            raise DataError(f"{name}: the file has {len(header):,} columns; at most {MAX_COLUMNS} are accepted")
        # Text columns stay text; pandas parses the price columns as numbers itself (a column with a
        # bad cell comes back as text, and validate_prices names the cell). Far less memory than
        # reading every cell as a Python string.
        text_columns = {c: str for c in header if str(c).strip().lower() in ("date", "name")}
        frame = pd.read_csv(io.BytesIO(content), dtype=text_columns, keep_default_na=False, na_values=[""],
                            skipinitialspace=True, encoding="utf-8-sig")
    except DataError:
        raise
    except UnicodeDecodeError:
        raise DataError(f"{name}: not a UTF-8 text file") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{name}: the file is empty") from None
    except (pd.errors.ParserError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{name}: not a readable CSV file ({reason})") from None
    if len(frame.columns) > MAX_COLUMNS:
        raise DataError(f"{name}: the file has {len(frame.columns):,} columns; at most {MAX_COLUMNS} are accepted")
    if max_rows is not None and len(frame) > max_rows:
        raise DataError(f"{name}: the file has {len(frame):,} rows; at most {max_rows:,} are accepted")
    return validate_prices(frame, name)


def validate_prices(frame: pd.DataFrame, name: str = "data") -> pd.DataFrame:
    """Check a frame as read from a CSV (text, or numbers where pandas could parse a whole column)
    and convert it to typed prices, or raise DataError."""
    if frame.empty:
        raise DataError(f"{name}: the file has no data rows")
    columns = {str(c).strip().lower(): c for c in frame.columns}
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        if len(frame.columns) == 1 and any(sep in str(frame.columns[0]) for sep in ";\t|"):
            raise DataError(f"{name}: columns must be separated by commas, not "
                            f"{_guess_delimiter(str(frame.columns[0]))!r}")
        raise DataError(f"{name}: missing column(s) {', '.join(missing)}; expected "
                        f"{', '.join(REQUIRED_COLUMNS)} (any letter case)")
    frame = frame[[columns[c] for c in REQUIRED_COLUMNS]]
    frame.columns = list(REQUIRED_COLUMNS)
    _refuse_formulas(frame, name)

    out = pd.DataFrame()
    # Text work on the distinct values only (about 500 tickers and 1,300 dates in 600k rows), then
    # spread back by code: a fraction of the time of string operations on every row.
    names = pd.Categorical(frame["name"].to_numpy(dtype=object))
    stripped = names.categories.astype(str).str.strip()
    missing = np.append(np.asarray(stripped == ""), True)[names.codes]  # code -1: an empty cell
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise DataError(f"{name}: row {row + 2} has no ticker in column Name")
    # The 2012-2017 edition writes a few tickers as "NYSE:LMT": the exchange is not part of the name.
    cleaned = stripped.str.split(":").str[-1].str.upper()
    out["ticker"] = np.asarray(cleaned, dtype=object)[names.codes]

    raw_dates = pd.Categorical(frame["date"].to_numpy(dtype=object))
    try:
        parsed = _parse_dates(pd.Series(raw_dates.categories.astype(str)).str.strip())
    except (ValueError, TypeError):  # pandas refuses a column that mixes time zones
        raise DataError(f"{name}: the dates mix time zones; write every date in the same time zone "
                        "(or with none)") from None
    if parsed.dt.tz is not None:
        parsed = parsed.dt.tz_localize(None)
    dates = pd.Series(np.append(parsed.to_numpy(), np.datetime64("NaT"))[raw_dates.codes], index=frame.index)
    if dates.isna().any():
        row = int(np.flatnonzero(dates.isna().to_numpy())[0])
        raise DataError(f"{name}: row {row + 2} has an unparseable date {frame['date'].iloc[row]!r}")
    out["date"] = dates

    for column in (*PRICE_COLUMNS, "volume"):
        raw = frame[column]
        values = pd.to_numeric(raw, errors="coerce")
        bad = values.isna() & raw.notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(f"{name}: row {row + 2} has a non-numeric {column} {raw.iloc[row]!r}")
        infinite = np.isinf(values.to_numpy(dtype=float))
        if infinite.any():
            row = int(np.flatnonzero(infinite)[0])
            raise DataError(f"{name}: row {row + 2} has an infinite {column}")
        if column in PRICE_COLUMNS:
            non_positive = (values <= 0).to_numpy()
            if non_positive.any():
                row = int(np.flatnonzero(non_positive)[0])
                raise DataError(f"{name}: row {row + 2} has a non-positive {column} {values.iloc[row]:g}")
        elif (values < 0).any():
            row = int(np.flatnonzero((values < 0).to_numpy())[0])
            raise DataError(f"{name}: row {row + 2} has a negative volume")
        out[column] = values.astype(float)

    duplicated = out.duplicated(["ticker", "date"])
    if duplicated.any():
        row = int(np.flatnonzero(duplicated.to_numpy())[0])
        raise DataError(f"{name}: ticker {out['ticker'].iloc[row]} has the date "
                        f"{out['date'].iloc[row]:%Y-%m-%d} twice (row {row + 2})")
    for column in PRICE_COLUMNS:
        empty_share = out[column].isna().groupby(out["ticker"], sort=False).mean()
        if (empty_share > 0.5).any():
            ticker = empty_share.idxmax()
            raise DataError(f"{name}: ticker {ticker} has {empty_share.max():.0%} of its {column} "
                            "prices missing; at most half may be missing")
    # A category column: 505 names instead of 600k strings, and selecting a ticker compares integers.
    out["ticker"] = out["ticker"].astype("category")
    return out.sort_values(["ticker", "date"], kind="stable").reset_index(drop=True)


def _gunzip(content: bytes, name: str) -> bytes:
    """Decompress with a ceiling, so a small upload cannot expand into gigabytes (a zip bomb)."""
    with gzip.GzipFile(fileobj=io.BytesIO(content)) as stream:
        data = stream.read(MAX_UNCOMPRESSED_BYTES + 1)
    if len(data) > MAX_UNCOMPRESSED_BYTES:
        raise DataError(f"{name}: expands to more than {MAX_UNCOMPRESSED_BYTES // 1024 // 1024} MB once unzipped")
    return data


def _refuse_formulas(frame: pd.DataFrame, name: str) -> None:
    """Cells that a spreadsheet would run as a formula are refused, not passed on to a CSV export."""
    for column in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[column]):
            continue  # parsed as numbers: no cell of it can be a formula
        # the distinct values first (few in a price file); rows only when one looks like a formula
        distinct = pd.Series(pd.unique(frame[column].dropna().astype(str)))
        candidates = distinct[distinct.str.startswith(FORMULA_PREFIXES)]
        looks = candidates[pd.to_numeric(candidates, errors="coerce").isna()]
        if len(looks):
            text = frame[column].astype(str)
            first = np.flatnonzero((frame[column].notna() & text.isin(set(looks))).to_numpy())[0]
            raise DataError(f"{name}: row {int(first) + 2} has a formula-looking cell in column {column}: "
                            f"{text.iloc[first][:20]!r}")


def _parse_dates(raw: pd.Series) -> pd.Series:
    """ISO dates fast; anything else pandas can read as a date, element by element."""
    try:
        return pd.to_datetime(raw, format="ISO8601")
    except (ValueError, TypeError):
        return pd.to_datetime(raw, errors="coerce", format="mixed")


def _guess_delimiter(header: str) -> str:
    try:
        return csv.Sniffer().sniff(header, delimiters=";\t|").delimiter
    except csv.Error:
        return ";"


@dataclass(frozen=True)
class TickerFrame:
    """One ticker's rows in date order with gaps filled, and how many values were filled."""

    ticker: str
    frame: pd.DataFrame
    filled: dict[str, int]

    @property
    def filled_total(self) -> int:
        return sum(self.filled.values())


def ticker_frame(prices: pd.DataFrame, ticker: str) -> TickerFrame:
    """Rows of one ticker with missing prices filled by time interpolation inside the ticker.

    Interpolation uses the dates as the x axis; a gap at either end takes the nearest known value.
    """
    key = str(ticker).strip().upper()
    rows = prices[prices["ticker"] == key]
    if rows.empty:
        raise DataError(f"unknown ticker {ticker!r}")
    frame = rows.drop(columns="ticker").set_index("date")
    filled = {}
    for column in (*PRICE_COLUMNS, "volume"):
        gaps = int(frame[column].isna().sum())
        filled[column] = gaps
        if gaps:
            frame[column] = frame[column].interpolate(method="time", limit_direction="both")
    return TickerFrame(key, frame.reset_index(), filled)


def load_companies(path: str | os.PathLike = COMPANIES_FILE) -> pd.DataFrame:
    """Symbol, Name, Sector from the company list; an absent file gives an empty table."""
    try:
        companies = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return pd.DataFrame(columns=["ticker", "company", "sector"])
    companies.columns = [c.strip().lower() for c in companies.columns]
    return companies.rename(columns={"symbol": "ticker", "name": "company"})[["ticker", "company", "sector"]]


def ticker_catalog(prices: pd.DataFrame, companies: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per ticker: ticker, company, sector, rows, first and last date (ISO strings)."""
    if companies is None:
        companies = load_companies()
    grouped = prices.groupby("ticker", sort=True)["date"]
    catalog = pd.DataFrame({
        "rows": grouped.size(),
        "first": grouped.min().dt.strftime("%Y-%m-%d"),
        "last": grouped.max().dt.strftime("%Y-%m-%d"),
    }).reset_index()
    catalog = catalog.merge(companies.drop_duplicates("ticker"), on="ticker", how="left")
    catalog[["company", "sector"]] = catalog[["company", "sector"]].fillna("")
    return catalog[["ticker", "company", "sector", "rows", "first", "last"]]


def catalog_for_file(path: str | os.PathLike) -> pd.DataFrame:
    """The ticker catalog of a price file, computed once per file version."""
    version = _file_version(path)
    with _file_lock(version):
        return _catalog_cached(*version)


@lru_cache(maxsize=4)
def _catalog_cached(path: str, mtime_ns: int, size: int) -> pd.DataFrame:
    return ticker_catalog(_load_prices_cached(path, mtime_ns, size))
