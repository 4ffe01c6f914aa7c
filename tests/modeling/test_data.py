"""Loading and validating price files: the bundled editions, the catalog, gap filling, refusals."""
from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from modeling.data import (
    DATASETS,
    DEFAULT_DATASET,
    LECTURE_DATASET,
    DataError,
    dataset_path,
    load_companies,
    load_prices,
    parse_prices_csv,
    ticker_catalog,
    ticker_frame,
)

HEADER = "date,open,high,low,close,volume,Name\n"
ROW = "2020-01-02,10,11,9.5,10.5,1000,AAA\n"
COLUMNS = ["ticker", "date", "open", "high", "low", "close", "volume"]


def write_csv(tmp_path: Path, content: str | bytes, name: str = "prices.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def refusal(tmp_path: Path, content: str | bytes, name: str = "prices.csv") -> str:
    """Load a file that must be refused; return the DataError's message (always one line)."""
    with pytest.raises(DataError) as info:
        load_prices(write_csv(tmp_path, content, name))
    message = str(info.value)
    assert "\n" not in message
    return message


# --- the bundled editions -------------------------------------------------------------------------

def test_datasets_registry():
    assert list(DATASETS) == ["sp500-2013-2018", "sp500-2012-2017"]
    assert DEFAULT_DATASET == "sp500-2013-2018"
    assert LECTURE_DATASET == "sp500-2012-2017"
    assert dataset_path("sp500-2013-2018").name == "all_stocks_5yr.csv.gz"
    assert dataset_path("sp500-2012-2017").name == "all_stocks_5yr_2012-2017.csv.gz"
    for key in DATASETS:
        assert dataset_path(key).is_file()


def test_unknown_dataset_key():
    with pytest.raises(DataError) as info:
        dataset_path("sp500-1999")
    assert str(info.value) == ("unknown dataset 'sp500-1999'; valid datasets: sp500-2013-2018, "
                               "sp500-2012-2017")


def test_default_edition_loads(prices_2013):
    assert list(prices_2013.columns) == COLUMNS
    assert len(prices_2013) == 619_040
    assert prices_2013["ticker"].nunique() == 505
    assert prices_2013["date"].min() == pd.Timestamp("2013-02-08")
    assert prices_2013["date"].max() == pd.Timestamp("2018-02-07")
    for column in ("open", "high", "low", "close", "volume"):
        assert prices_2013[column].dtype == np.float64
    # sorted by ticker, then date
    assert prices_2013["ticker"].is_monotonic_increasing
    assert not prices_2013.duplicated(["ticker", "date"]).any()
    assert prices_2013.groupby("ticker")["date"].apply(lambda d: d.is_monotonic_increasing).all()


def test_lecture_edition_loads_with_capitalized_columns(prices_2012):
    with gzip.open(dataset_path(LECTURE_DATASET), "rt") as handle:
        assert handle.readline().strip() == "Date,Open,High,Low,Close,Volume,Name"
    assert list(prices_2012.columns) == COLUMNS
    assert len(prices_2012) == 606_801
    assert prices_2012["ticker"].nunique() == 503
    assert prices_2012["date"].min() == pd.Timestamp("2012-08-13")
    assert prices_2012["date"].max() == pd.Timestamp("2017-08-11")
    assert "AMT" not in set(prices_2012["ticker"])  # its file was empty in that edition


def test_exchange_prefix_is_stripped(prices_2012):
    tickers = set(prices_2012["ticker"])
    assert not any(":" in t for t in tickers)
    for ticker in ("LMT", "NBL", "NWL"):
        assert ticker in tickers
        assert f"NYSE:{ticker}" not in tickers
        assert (prices_2012["ticker"] == ticker).sum() == 1258


def test_editions_have_different_ticker_sets(prices_2012, prices_2013):
    only_2013 = set(prices_2013["ticker"]) - set(prices_2012["ticker"])
    only_2012 = set(prices_2012["ticker"]) - set(prices_2013["ticker"])
    assert {"APTV", "CDNS"} <= only_2013
    assert {"BCR", "COH", "DD"} <= only_2012


def test_load_prices_is_cached_per_file_version(tmp_path):
    path = write_csv(tmp_path, HEADER + ROW)
    first = load_prices(path)
    assert load_prices(path) is first
    # a new version of the file (other size) is read again
    path.write_text(HEADER + ROW + "2020-01-03,10,12,9.5,11,1000,AAA\n")
    second = load_prices(path)
    assert second is not first
    assert len(second) == 2


def test_load_gzip_csv_by_path(tmp_path):
    content = HEADER + ROW + "2020-01-03,10,12,9.5,11,2000,AAA\n2020-01-02,20,21,19,20.5,10,BBB\n"
    path = tmp_path / "small.csv.gz"
    path.write_bytes(gzip.compress(content.encode()))
    frame = load_prices(path)
    assert list(frame.columns) == COLUMNS
    assert frame["ticker"].tolist() == ["AAA", "AAA", "BBB"]
    assert frame["high"].tolist() == [11.0, 12.0, 21.0]
    # the same bytes unzipped give the same frame
    plain = load_prices(write_csv(tmp_path, content, "small.csv"))
    pd.testing.assert_frame_equal(frame, plain)


def test_column_names_match_in_any_letter_case_and_spacing(tmp_path):
    content = (" DaTe ,OPEN,High, low ,ClOsE,VOLUME,name\n"
               "2020-01-03, 10 ,12,9.5,11,2000, nyse:aaa \n"
               "2020-01-02,10,11,9.5,10.5,1000,AAA\n")
    frame = load_prices(write_csv(tmp_path, content))
    assert list(frame.columns) == COLUMNS
    assert frame["ticker"].tolist() == ["AAA", "AAA"]  # stripped, upper-cased, prefix gone
    assert frame["date"].tolist() == [pd.Timestamp("2020-01-02"), pd.Timestamp("2020-01-03")]
    assert frame["open"].tolist() == [10.0, 10.0]


def test_extra_columns_are_ignored_and_bom_accepted(tmp_path):
    content = "\ufeffdate,open,high,low,close,volume,Name,adj_close\n2020-01-02,10,11,9.5,10.5,1000,AAA,10.4\n"
    frame = load_prices(write_csv(tmp_path, content))
    assert list(frame.columns) == COLUMNS
    assert len(frame) == 1


def test_parse_prices_csv_takes_bytes_plain_or_gzip():
    content = (HEADER + ROW).encode()
    plain = parse_prices_csv(content, "upload.csv")
    zipped = parse_prices_csv(gzip.compress(content), "upload.csv.gz")
    pd.testing.assert_frame_equal(plain, zipped)


# --- catalog ---------------------------------------------------------------------------------------

def test_catalog_of_lecture_edition(prices_2012):
    catalog = ticker_catalog(prices_2012)
    assert list(catalog.columns) == ["ticker", "company", "sector", "rows", "first", "last"]
    assert len(catalog) == 503
    assert catalog["ticker"].is_monotonic_increasing
    assert int(catalog["rows"].sum()) == 606_801
    aal = catalog.set_index("ticker").loc["AAL"]
    assert aal["company"] == "American Airlines Group"
    assert aal["sector"] == "Industrials"
    assert int(aal["rows"]) == 926
    assert (aal["first"], aal["last"]) == ("2013-12-09", "2017-08-11")
    assert int(catalog.set_index("ticker").loc["BHF", "rows"]) == 20
    assert int(catalog.set_index("ticker").loc["LMT", "rows"]) == 1258
    assert (catalog["company"] != "").all()  # the company list covers every ticker of both editions


def test_catalog_of_default_edition(prices_2013):
    catalog = ticker_catalog(prices_2013).set_index("ticker")
    assert len(catalog) == 505
    assert catalog.loc["AAL", ["rows", "first", "last"]].tolist() == [1259, "2013-02-08", "2018-02-07"]
    assert catalog.loc["APTV", ["rows", "first", "last"]].tolist() == [44, "2017-12-05", "2018-02-07"]
    assert (catalog["rows"] < 500).sum() == 9


def test_catalog_without_company_names(tmp_path):
    prices = load_prices(write_csv(tmp_path, HEADER + ROW + "2020-01-05,1,2,0.5,1,3,ZZZ\n"))
    catalog = ticker_catalog(prices, load_companies(tmp_path / "no-such-companies.csv"))
    assert catalog.to_dict(orient="records") == [
        {"ticker": "AAA", "company": "", "sector": "", "rows": 1, "first": "2020-01-02", "last": "2020-01-02"},
        {"ticker": "ZZZ", "company": "", "sector": "", "rows": 1, "first": "2020-01-05", "last": "2020-01-05"},
    ]


# --- one ticker, gaps filled -----------------------------------------------------------------------

def test_ticker_frame_of_complete_ticker(prices_2012):
    aal = ticker_frame(prices_2012, " aal ")
    assert aal.ticker == "AAL"
    assert list(aal.frame.columns) == ["date", "open", "high", "low", "close", "volume"]
    assert len(aal.frame) == 926
    assert aal.filled == {"open": 0, "high": 0, "low": 0, "close": 0, "volume": 0}
    assert aal.filled_total == 0


def test_missing_values_filled_by_time_interpolation(prices_2013):
    raw = prices_2013[prices_2013["ticker"] == "DHR"].reset_index(drop=True)
    assert int(raw[["open", "high", "low", "close"]].isna().sum().sum()) == 4
    dhr = ticker_frame(prices_2013, "DHR")
    assert dhr.filled == {"open": 2, "high": 1, "low": 1, "close": 0, "volume": 0}
    assert dhr.filled_total == 4
    assert not dhr.frame.isna().any().any()
    frame = dhr.frame.set_index("date")
    # Friday 2015-07-17 lies 1 day after 88.68 (Thu) and 3 days before 88.72 (Mon): time-weighted.
    assert frame.loc["2015-07-16", "open"] == 88.68
    assert frame.loc["2015-07-20", "open"] == 88.72
    assert frame.loc["2015-07-17", "open"] == pytest.approx(88.68 + (88.72 - 88.68) / 4)
    # 2016-01-12 sits midway between its neighbours
    assert frame.loc["2016-01-12", "high"] == pytest.approx((89.10 + 89.21) / 2)
    # the known values are untouched and the shared frame was not modified
    assert raw["open"].isna().sum() == 2
    assert frame.loc["2015-07-17", "high"] == 88.76


def test_missing_values_of_the_readme(prices_2013):
    """11 rows of the 2013-2018 edition have an empty open, high or low, in these nine tickers."""
    prices = prices_2013[["open", "high", "low", "close"]]
    gaps = prices_2013[prices.isna().any(axis=1)]
    assert len(gaps) == 11
    assert sorted(gaps["ticker"].unique()) == ["BHF", "DHR", "ES", "FTV", "O", "REGN", "UA", "VRTX", "WRK"]
    for ticker in gaps["ticker"].unique():
        filled = ticker_frame(prices_2013, ticker)
        assert filled.filled_total > 0
        assert not filled.frame[["open", "high", "low", "close", "volume"]].isna().any().any()


def test_gap_at_the_start_takes_the_nearest_value(prices_2013):
    """FTV's first row (2016-07-01) has no open, high or low: the next day's values are used."""
    ftv = ticker_frame(prices_2013, "FTV")
    assert ftv.filled == {"open": 1, "high": 1, "low": 1, "close": 0, "volume": 0}
    first, second = ftv.frame.iloc[0], ftv.frame.iloc[1]
    assert first["date"] == pd.Timestamp("2016-07-01")
    for column in ("open", "high", "low"):
        assert first[column] == second[column]


def test_interpolation_stays_inside_the_ticker(tmp_path):
    content = (HEADER
               + "2020-01-01,10,10,10,10,1,AAA\n"
               + "2020-01-02,12,12,12,12,1,AAA\n"
               + "2020-01-03,14,,14,14,1,AAA\n"   # gap at AAA's end: nearest AAA value, not BBB's
               + "2020-01-04,500,500,500,500,1,BBB\n"
               + "2020-01-05,600,600,600,600,1,BBB\n")
    prices = load_prices(write_csv(tmp_path, content))
    aaa = ticker_frame(prices, "AAA")
    assert aaa.filled["high"] == 1
    assert aaa.frame["high"].tolist() == [10.0, 12.0, 12.0]
    assert ticker_frame(prices, "BBB").frame["high"].tolist() == [500.0, 600.0]


def test_unknown_ticker(prices_2012):
    with pytest.raises(DataError) as info:
        ticker_frame(prices_2012, "ZZZZ")
    assert str(info.value) == "unknown ticker 'ZZZZ'"
    with pytest.raises(DataError) as info:
        ticker_frame(prices_2012, "AMT")  # in the company list, absent from this edition
    assert str(info.value) == "unknown ticker 'AMT'"


# --- refusals: one line each ------------------------------------------------------------------------

def test_refuses_empty_file(tmp_path):
    assert refusal(tmp_path, b"") == "prices.csv: the file is empty"
    assert refusal(tmp_path, b" \n\n  \n") == "prices.csv: the file is empty"


def test_refuses_header_without_rows(tmp_path):
    assert refusal(tmp_path, HEADER) == "prices.csv: the file has no data rows"


def test_refuses_binary_garbage(tmp_path):
    assert refusal(tmp_path, bytes(range(256)) * 8, "garbage.bin") == "garbage.bin: not a UTF-8 text file"
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)
    assert refusal(tmp_path, png, "chart.png") == "chart.png: not a UTF-8 text file"


def test_refuses_broken_gzip(tmp_path):
    assert refusal(tmp_path, b"\x1f\x8b\x08\x00not really gzip", "prices.csv.gz") == \
        "prices.csv.gz: not a readable gzip file"


def test_refuses_text_that_is_not_a_price_csv(tmp_path):
    assert refusal(tmp_path, "Dear diary,\ntoday the market went up.\n", "notes.txt") == (
        "notes.txt: missing column(s) date, open, high, low, close, volume, name; "
        "expected date, open, high, low, close, volume, name (any letter case)")


def test_refuses_unterminated_quote(tmp_path):
    assert refusal(tmp_path, HEADER + '2020-01-02,1,2,0.5,1.5,100,"AAA\n') == (
        "prices.csv: not a readable CSV file (Error tokenizing data. C error: EOF inside string "
        "starting at row 1)")


def test_refuses_missing_column(tmp_path):
    content = "date,open,high,low,close,Name\n2020-01-02,10,11,9.5,10.5,AAA\n"
    assert refusal(tmp_path, content) == (
        "prices.csv: missing column(s) volume; expected date, open, high, low, close, volume, name "
        "(any letter case)")
    content = "Date,Open,High,Close,Name\n2020-01-02,10,11,10.5,AAA\n"
    assert refusal(tmp_path, content) == (
        "prices.csv: missing column(s) low, volume; expected date, open, high, low, close, volume, name "
        "(any letter case)")


def test_refuses_non_numeric_price(tmp_path):
    content = HEADER + ROW + "2020-01-03,10,eleven,9.5,10.5,1000,AAA\n"
    assert refusal(tmp_path, content) == "prices.csv: row 3 has a non-numeric high 'eleven'"
    content = HEADER + "2020-01-02,10,11,9.5,10.5,lots,AAA\n"
    assert refusal(tmp_path, content) == "prices.csv: row 2 has a non-numeric volume 'lots'"


@pytest.mark.parametrize(("line", "message"), [
    ("2020-01-03,10,0,9.5,10.5,1000,AAA", "prices.csv: row 3 has a non-positive high 0"),
    ("2020-01-03,10,11,-9.5,10.5,1000,AAA", "prices.csv: row 3 has a non-positive low -9.5"),
    ("2020-01-03,0.0,11,9.5,10.5,1000,AAA", "prices.csv: row 3 has a non-positive open 0"),
])
def test_refuses_non_positive_price(tmp_path, line, message):
    assert refusal(tmp_path, HEADER + ROW + line + "\n") == message


def test_refuses_negative_volume(tmp_path):
    assert refusal(tmp_path, HEADER + "2020-01-02,10,11,9.5,10.5,-5,AAA\n") == \
        "prices.csv: row 2 has a negative volume"


@pytest.mark.parametrize("value", ["inf", "-inf", "Infinity", "1e400"])
def test_refuses_infinite_price(tmp_path, value):
    content = HEADER + ROW + f"2020-01-03,10,11,9.5,{value},1000,AAA\n"
    assert refusal(tmp_path, content) == "prices.csv: row 3 has an infinite close"


@pytest.mark.parametrize("value", ["2020-13-45", "yesterday", "0", "10000-01-01"])
def test_refuses_unparseable_date(tmp_path, value):
    content = HEADER + ROW + f"{value},10,11,9.5,10.5,1000,AAA\n"
    assert refusal(tmp_path, content) == f"prices.csv: row 3 has an unparseable date '{value}'"


def test_refuses_dates_that_mix_time_zones(tmp_path):
    content = (HEADER + "2020-01-02T00:00:00Z,10,11,9.5,10.5,1000,AAA\n"
               "2020-01-03T00:00:00+05:00,10,11,9.5,10.5,1000,AAA\n")
    assert refusal(tmp_path, content) == ("prices.csv: the dates mix time zones; write every date in the "
                                          "same time zone (or with none)")


def test_accepts_other_date_spellings(tmp_path):
    content = HEADER + "Jan 2 2020,10,11,9.5,10.5,1000,AAA\n20200103,10,11,9.5,10.5,1000,AAA\n"
    frame = load_prices(write_csv(tmp_path, content))
    assert frame["date"].tolist() == [pd.Timestamp("2020-01-02"), pd.Timestamp("2020-01-03")]
    # one time zone throughout: the local calendar dates are kept
    content = (HEADER + "2020-01-03T00:00:00+05:00,10,11,9.5,10.5,1000,BBB\n"
               "2020-01-06T00:00:00+05:00,10,11,9.5,10.5,1000,BBB\n")
    frame = load_prices(write_csv(tmp_path, content, "zoned.csv"))
    assert frame["date"].tolist() == [pd.Timestamp("2020-01-03"), pd.Timestamp("2020-01-06")]


def test_refuses_same_date_twice_for_one_ticker(tmp_path):
    content = HEADER + ROW + "2020-01-03,10,11,9.5,10.5,1000,AAA\n" + ROW
    assert refusal(tmp_path, content) == "prices.csv: ticker AAA has the date 2020-01-02 twice (row 4)"
    # an exchange prefix does not make another ticker; the same date for two tickers is fine
    content = HEADER + ROW + "2020-01-02,10,11,9.5,10.5,1000,NYSE:AAA\n"
    assert refusal(tmp_path, content) == "prices.csv: ticker AAA has the date 2020-01-02 twice (row 3)"
    assert len(load_prices(write_csv(tmp_path, HEADER + ROW + ROW.replace("AAA", "BBB"), "ok.csv"))) == 2


def test_refuses_semicolon_delimiter(tmp_path):
    content = "date;open;high;low;close;volume;Name\n2020-01-02;10;11;9.5;10.5;1000;AAA\n"
    assert refusal(tmp_path, content) == "prices.csv: columns must be separated by commas, not ';'"


def test_refuses_tab_delimiter(tmp_path):
    content = "date\topen\thigh\tlow\tclose\tvolume\tName\n2020-01-02\t10\t11\t9.5\t10.5\t1000\tAAA\n"
    assert refusal(tmp_path, content) == "prices.csv: columns must be separated by commas, not '\\t'"


def test_refuses_file_not_in_utf8(tmp_path):
    content = (HEADER + "2020-01-02,10,11,9.5,10.5,1000,SOCI\u00c9T\u00c9\n").encode("latin-1")
    assert refusal(tmp_path, content) == "prices.csv: not a UTF-8 text file"


def test_refuses_mostly_empty_price_column(tmp_path):
    content = (HEADER + ROW + "2020-01-03,10,,9.5,10.5,1000,AAA\n2020-01-06,10,,9.5,10.5,1000,AAA\n"
               + "2020-01-02,5,6,4,5,10,BBB\n")
    assert refusal(tmp_path, content) == \
        "prices.csv: ticker AAA has 67% of its high prices missing; at most half may be missing"


def test_half_empty_price_column_is_accepted_and_filled(tmp_path):
    content = HEADER + ROW + "2020-01-03,10,,9.5,10.5,1000,AAA\n"
    prices = load_prices(write_csv(tmp_path, content))
    assert int(prices["high"].isna().sum()) == 1  # left NaN by the loader ...
    aaa = ticker_frame(prices, "AAA")            # ... filled per ticker
    assert aaa.filled["high"] == 1
    assert aaa.frame["high"].tolist() == [11.0, 11.0]


def test_refuses_row_without_ticker(tmp_path):
    assert refusal(tmp_path, HEADER + ROW + "2020-01-03,10,11,9.5,10.5,1000,\n") == \
        "prices.csv: row 3 has no ticker in column Name"


def test_refuses_file_not_found(tmp_path):
    with pytest.raises(DataError) as info:
        load_prices(tmp_path / "nowhere" / "prices.csv")
    assert str(info.value) == "prices.csv: file not found"


def test_refuses_a_directory(tmp_path):
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    with pytest.raises(DataError) as info:
        load_prices(folder)
    assert str(info.value) == "folder.csv: cannot be read (Is a directory)"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs file permissions")
def test_refuses_unreadable_file(tmp_path):
    path = write_csv(tmp_path, HEADER + ROW, "secret.csv")
    path.chmod(0)
    try:
        with pytest.raises(DataError) as info:
            load_prices(path)
        assert str(info.value) == "secret.csv: cannot be read (Permission denied)"
    finally:
        path.chmod(0o600)


def test_catalog_for_file(tmp_path):
    from modeling.data import catalog_for_file

    path = write_csv(tmp_path, HEADER + ROW + "2020-01-03,10,12,9.5,11,1000,AAA\n")
    catalog = catalog_for_file(path)
    assert catalog.to_dict(orient="records") == [
        {"ticker": "AAA", "company": "", "sector": "", "rows": 2, "first": "2020-01-02", "last": "2020-01-03"}]
    assert catalog_for_file(path) is catalog  # once per file version
    with pytest.raises(DataError) as info:
        catalog_for_file(tmp_path / "gone.csv")
    assert str(info.value) == "gone.csv: file not found"
