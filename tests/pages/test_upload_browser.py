"""Uploading a CSV on Explore: a good file becomes a dataset; a bad one is refused with its reason."""
import pytest
from selenium.webdriver.common.by import By

from components import ids

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
