"""Uploaded datasets: every refusal names its problem; a good file becomes a listed dataset."""
import gzip

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modeling.config import TrainConfig
from modeling.data import DataError, parse_prices_csv
from modeling.pipeline import prepare
from modeling.uploads import MAX_UPLOAD_BYTES, list_uploads, save_upload, upload_path

HEADER = "date,open,high,low,close,volume,Name\n"


def rows(n: int, ticker: str = "MYCO") -> str:
    return "".join(f"2020-{1 + d // 28:02d}-{1 + d % 28:02d},{10 + d},{11 + d},{9 + d},{10 + d},{100 * d},{ticker}\n"
                   for d in range(n))


def test_good_upload_is_kept_listed_and_trainable(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_DATA_DIR", str(tmp_path))
    entry = save_upload(tmp_path, "../../evil/name.csv", (HEADER + rows(200)).encode())
    assert entry["filename"] == "name.csv" and entry["rows"] == 200 and entry["tickers"] == 1
    assert list_uploads(tmp_path)[0]["key"] == entry["key"]
    assert upload_path(tmp_path, entry["key"]).parent == tmp_path / "uploads"
    prepared = prepare(TrainConfig.from_mapping({"dataset": entry["key"], "ticker": "MYCO"}))
    assert prepared.split_counts == {"train": 140, "val": 30, "test": 30}


@pytest.mark.parametrize("content, problem", [
    (b"", "u.csv: the file is empty"),
    (b"\xff\xfe\x00garbage\x00", "u.csv: not a UTF-8 text file"),
    ((HEADER + rows(3)).replace(",", ";").encode(), "u.csv: columns must be separated by commas, not ';'"),
    (b"date,open,high\n2020-01-01,1,2\n", "u.csv: missing column(s) low, close, volume, name; expected date, open, high, low, close, "
     "volume, name (any letter case)"),
    ((HEADER + "2020-01-01,1,abc,1,1,5,X\n").encode(), "u.csv: row 2 has a non-numeric high 'abc'"),
    ((HEADER + "2020-01-01,1,0,1,1,5,X\n").encode(), "u.csv: row 2 has a non-positive high 0"),
    ((HEADER + "2020-01-01,1,inf,1,1,5,X\n").encode(), "u.csv: row 2 has an infinite high"),
    ((HEADER + "2020-01-01,1,,1,1,5,X\n2020-01-02,1,,1,1,5,X\n2020-01-03,1,2,1,1,5,X\n").encode(),
     "u.csv: ticker X has 67% of its high prices missing; at most half may be missing"),
    ((HEADER + "2020-01-01,1,2,1,1,5,X\n2020-01-01,1,2,1,1,5,X\n").encode(),
     "u.csv: ticker X has the date 2020-01-01 twice (row 3)"),
    ((HEADER + "yesterday,1,2,1,1,5,X\n").encode(), "u.csv: row 2 has an unparseable date 'yesterday'"),
    ((HEADER + "2020-01-01,1,2,1,1,5,=HYPERLINK(\"x\")\n").encode(),
     "u.csv: row 2 has a formula-looking cell in column name: '=HYPERLINK(\"x\")'"),
    ((",".join(f"c{i}" for i in range(3000)) + "\n").encode(),
     "u.csv: the file has 3,000 columns; at most 100 are accepted"),
])
def test_refusals_name_the_problem(tmp_path, content, problem):
    with pytest.raises(DataError) as error:
        save_upload(tmp_path, "u.csv", content)
    assert str(error.value) == problem
    assert list_uploads(tmp_path) == []


def test_size_and_row_caps(tmp_path, monkeypatch):
    with pytest.raises(DataError, match=r"^u.csv: the file is 50.0 MB; at most 50 MB are accepted$"):
        save_upload(tmp_path, "u.csv", b"x" * (MAX_UPLOAD_BYTES + 1))
    monkeypatch.setattr("modeling.uploads.MAX_UPLOAD_ROWS", 10)
    with pytest.raises(DataError, match=r"^u.csv: the file has 11 rows; at most 10 are accepted$"):
        save_upload(tmp_path, "u.csv", (HEADER + rows(11)).encode())


def test_gzip_upload_is_read(tmp_path):
    entry = save_upload(tmp_path, "g.csv.gz", gzip.compress((HEADER + rows(40)).encode()))
    assert entry["rows"] == 40


def test_scattered_gaps_are_filled_and_counted(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_DATA_DIR", str(tmp_path))
    lines = rows(100).splitlines()
    for i in (10, 50, 51):
        parts = lines[i].split(",")
        parts[2] = ""
        lines[i] = ",".join(parts)
    entry = save_upload(tmp_path, "gaps.csv", (HEADER + "\n".join(lines) + "\n").encode())
    prepared = prepare(TrainConfig.from_mapping({"dataset": entry["key"], "ticker": "MYCO"}))
    assert prepared.filled == 3


cell = st.one_of(st.text(max_size=12), st.floats(allow_nan=True, allow_infinity=True).map(repr),
                 st.integers(-5, 10**6).map(str), st.sampled_from(["", "=1+1", "@SUM", "2020-01-01", "1e309"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header=st.lists(st.sampled_from(["date", "Date", "open", "HIGH", "low", "close", "volume", "Name", "x"]),
                       min_size=0, max_size=9),
       body=st.lists(st.lists(cell, min_size=0, max_size=9), max_size=8),
       raw=st.binary(max_size=64))
def test_validator_either_accepts_clean_data_or_says_why(header, body, raw):
    """Any bytes: a DataError with one line, or a frame of positive finite prices and unique dates."""
    text = ",".join(header) + "\n" + "\n".join(",".join(r) for r in body)
    for content in (text.encode(), raw):
        try:
            frame = parse_prices_csv(content, "f.csv")
        except DataError as exc:
            assert "\n" not in str(exc) and str(exc).startswith("f.csv: ")
            continue
        prices = frame[["open", "high", "low", "close"]]
        assert ((prices > 0) | prices.isna()).all().all()
        assert not frame.duplicated(["ticker", "date"]).any()
