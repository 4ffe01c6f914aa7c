"""Every page loads in Chromium with its content and without console errors."""
import pytest

from components import ids

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path, element", [("/", ids.PRICE_GRAPH), ("/train", ids.TRAIN_BUTTON),
                                           ("/compare", ids.RUNS_TABLE), ("/sweep", ids.SWEEP_HEATMAP)])
def test_page_loads_without_console_errors(dash_br, app_url, path, element):
    dash_br.server_url = app_url
    dash_br.visit_and_snapshot = None
    dash_br.driver.get(app_url + path)
    dash_br.wait_for_element(f"#{element}", timeout=20)
    for page in ("Explore", "Train", "Compare", "Sweep", "Class"):
        dash_br.wait_for_contains_text("#nav", page, timeout=10)
    assert dash_br.get_logs() == []
