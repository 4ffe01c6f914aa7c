"""Uploading a CSV on Explore: a good file becomes a dataset; a bad one is refused with its reason."""
import pytest
from selenium.webdriver.common.by import By

from components import ids
from conftest_helpers import wait_for

pytestmark = pytest.mark.browser

GOOD = ("Date,Open,High,Low,Close,Volume,Name\n" +
        "".join(f"2020-01-{d:02d},{10 + d},{11 + d},{9 + d},{10.5 + d},{1000 * d},MYCO\n" for d in range(1, 29)))


def _upload(dash_br, app_url, path):
    dash_br.driver.get(app_url + "/")
    dash_br.wait_for_element(f"#{ids.EXPLORE_UPLOAD}", timeout=20)
    dash_br.driver.find_element(By.CSS_SELECTOR, f"#{ids.EXPLORE_UPLOAD} input[type=file]").send_keys(str(path))


def test_good_upload_is_selected_and_explored(dash_br, app_url, tmp_path):
    path = tmp_path / "<img src=x onerror=alert(1)>.csv"
    path.write_text(GOOD)
    _upload(dash_br, app_url, path)
    dash_br.wait_for_contains_text(f"#{ids.UPLOAD_MESSAGE}", "Loaded <img src=x onerror=alert(1)>.csv: 1 tickers, 28 rows",
                                   timeout=20)
    dash_br.wait_for_contains_text(f"#{ids.EXPLORE_SUMMARY}", "MYCO", timeout=20)
    dash_br.wait_for_contains_text(f"#{ids.EXPLORE_SUMMARY}", "28 trading days", timeout=20)
    assert not dash_br.driver.find_elements(By.CSS_SELECTOR, f"#{ids.UPLOAD_MESSAGE} img")  # shown as text
    assert dash_br.get_logs() == []


def test_bad_upload_names_the_problem(dash_br, app_url, tmp_path):
    path = tmp_path / "semicolons.csv"
    path.write_text(GOOD.replace(",", ";"))
    _upload(dash_br, app_url, path)
    dash_br.wait_for_contains_text(
        f"#{ids.UPLOAD_MESSAGE}", "Not loaded: semicolons.csv: columns must be separated by commas, not ';'",
        timeout=20)
    assert dash_br.get_logs() == []


def test_a_network_trains_on_an_uploaded_dataset(dash_br, app_url, tmp_path):
    """Upload on Explore, one step to Train, Train: the run trains on the upload to the end."""
    import math

    rows = "".join(f"2019-{1 + d // 28:02d}-{1 + d % 28:02d},{100 + 10 * math.sin(d / 9):.2f},"
                   f"{101 + 10 * math.sin(d / 9):.2f},{99 + 10 * math.sin(d / 9):.2f},"
                   f"{100.5 + 10 * math.sin(d / 9):.2f},{1000 + d},UPCO\n" for d in range(300))
    path = tmp_path / "upco.csv"
    path.write_text("Date,Open,High,Low,Close,Volume,Name\n" + rows)
    _upload(dash_br, app_url, path)
    dash_br.wait_for_contains_text(f"#{ids.UPLOAD_MESSAGE}", "Loaded upco.csv: 1 tickers, 300 rows", timeout=20)
    dash_br.wait_for_contains_text(f"#{ids.EXPLORE_SUMMARY}", "UPCO", timeout=20)
    wait_for(lambda: dash_br.find_element(f"#{ids.EXPLORE_TRAIN_LINK}").text == "Train a network on UPCO", 20,
             "the Train link did not name the upload's ticker")
    dash_br.find_element(f"#{ids.EXPLORE_TRAIN_LINK}").click()
    dash_br.wait_for_contains_text(f"#{ids.CONFIG_CHECK}", "UPCO: train 210, validation 45, test 45 points",
                                   timeout=30)
    assert "dataset=upload-" in dash_br.driver.current_url
    wait_for(lambda: dash_br.find_element(f"#{ids.TRAIN_BUTTON}").is_enabled(), 20, "Train stayed disabled")
    dash_br.find_element(f"#{ids.TRAIN_BUTTON}").click()
    dash_br.wait_for_contains_text(f"#{ids.RUN_STATUS}", "finished", timeout=120)
    dash_br.wait_for_contains_text(f"#{ids.METRICS}", "naive forecast", timeout=30)
    assert dash_br.get_logs() == []
