"""Explore in Chromium: its URL holds the view, one step to Train on the same ticker, and the ticker
chosen on either page is the one the other opens with."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from components import ids
from conftest_helpers import wait_for
from modeling.data import LECTURE_DATASET

pytestmark = pytest.mark.browser


def pick(dash_br, cid: str, value: str, search: str) -> None:
    """Open a Dash 4 dropdown, type in its search box and click the option with that value."""
    dash_br.find_element(f"#{cid}").click()
    box = dash_br.wait_for_element(".dash-dropdown-content .dash-dropdown-search", timeout=20)
    box.send_keys(search)
    option = dash_br.wait_for_element(f'.dash-dropdown-content input[type=radio][value="{value}"]', timeout=20)
    option.find_element(By.XPATH, "./ancestor::label").click()


def chart_title(dash_br, cid: str) -> str:
    return dash_br.driver.execute_script(
        f"var t = document.querySelector('#{cid} .gtitle'); return t ? t.textContent : '';")


def nav(dash_br, name: str) -> None:
    dash_br.find_element(f"#{ids.NAV}").find_element(By.LINK_TEXT, name).click()


def test_explore_to_train_in_one_step_and_back(dash_br, app_url):
    dash_br.driver.get(app_url + "/")
    wait_for(lambda: chart_title(dash_br, ids.PRICE_GRAPH).startswith("AAL high"), 40, "AAL's prices")
    pick(dash_br, ids.EXPLORE_DATASET, LECTURE_DATASET, "2012")
    pick(dash_br, ids.EXPLORE_TICKER, "AAPL", "AAPL")
    wait_for(lambda: chart_title(dash_br, ids.PRICE_GRAPH).startswith("AAPL high")
             and chart_title(dash_br, ids.CANDLE_GRAPH).startswith("AAPL daily"), 20, "both charts on AAPL")
    wait_for(lambda: "ticker=AAPL" in dash_br.driver.current_url, 20, "the ticker in Explore's URL")
    assert f"dataset={LECTURE_DATASET}" in dash_br.driver.current_url
    shared = dash_br.driver.current_url

    link = dash_br.find_element(f"#{ids.EXPLORE_TRAIN_LINK}")
    assert link.text == "Train a network on AAPL"
    link.click()
    dash_br.wait_for_contains_text(f"#{ids.CONFIG_CHECK}", "AAPL: train",
                                   timeout=30)
    assert "/train?" in dash_br.driver.current_url and f"dataset={LECTURE_DATASET}" in dash_br.driver.current_url

    # the ticker chosen on Train is the one Explore opens with, from the nav
    pick(dash_br, ids.TICKER, "MSFT", "MSFT")
    dash_br.wait_for_contains_text(f"#{ids.CONFIG_CHECK}", "MSFT: train", timeout=20)
    nav(dash_br, "Explore")
    wait_for(lambda: chart_title(dash_br, ids.PRICE_GRAPH).startswith("MSFT high"), 20, "Explore on MSFT")
    assert "ticker=MSFT" in dash_br.driver.current_url
    nav(dash_br, "Train")
    dash_br.wait_for_contains_text(f"#{ids.CONFIG_CHECK}", "MSFT: train", timeout=20)

    # a shared link shows the same view in a fresh page
    dash_br.driver.get(shared)
    wait_for(lambda: chart_title(dash_br, ids.PRICE_GRAPH).startswith("AAPL high"), 30, "the shared view")
    dash_br.wait_for_contains_text(f"#{ids.EXPLORE_SUMMARY}", "2012-08-13", timeout=20)
    assert dash_br.get_logs() == []


def test_a_bad_explore_link_falls_back_and_says_why(dash_br, app_url):
    dash_br.driver.get(app_url + "/?ticker=../etc&dataset=sp500-2013-2018")
    dash_br.wait_for_contains_text("#_pages_content", "The link's settings were not used: ticker must be", timeout=30)
    wait_for(lambda: chart_title(dash_br, ids.PRICE_GRAPH).startswith("AAL high"), 30, "the default ticker")
    assert dash_br.get_logs() == []
