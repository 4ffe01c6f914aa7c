"""One training slot (one trainer, one run at a time): a second run waits with its queue position;
a third is refused."""
import pytest

from components import ids
from conftest_helpers import LiveApp, wait_for

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def one_slot_app(tmp_path_factory):
    app = LiveApp(tmp_path_factory.mktemp("one-slot"), env={"RNNLAB_TRAINERS": "1", "RNNLAB_RUNS_PER_TRAINER": "1"})
    yield app
    app.stop()


def test_queued_position_then_refused_third_run(dash_br, one_slot_app):
    url = one_slot_app.url
    dash_br.driver.get(f"{url}/train?dataset=sp500-2012-2017&ticker=AAL&epochs=500")
    dash_br.wait_for_contains_text(f"#{ids.CONFIG_CHECK}", "635 / 126 / 126 windows", timeout=60)
    dash_br.find_element(f"#{ids.TRAIN_BUTTON}").click()
    dash_br.wait_for_contains_text(f"#{ids.PROGRESS}", "epoch", timeout=120)

    # a second tab of the same browser: the only slot is taken, so the run waits in line
    dash_br.driver.execute_script("window.open(arguments[0], '_blank', 'noopener');",
                                  f"{url}/train?dataset=sp500-2012-2017&ticker=AAL&epochs=5")
    dash_br.driver.switch_to.window(dash_br.driver.window_handles[-1])
    dash_br.wait_for_contains_text(f"#{ids.CONFIG_CHECK}", "635 / 126 / 126 windows", timeout=60)
    dash_br.find_element(f"#{ids.TRAIN_BUTTON}").click()
    dash_br.wait_for_contains_text(f"#{ids.PROGRESS}", "queued, position 1", timeout=30)
    dash_br.wait_for_contains_text(f"#{ids.RUN_STATUS}", "queued", timeout=10)

    # a third tab: this browser already has two active runs
    dash_br.driver.execute_script("window.open(arguments[0], '_blank', 'noopener');", f"{url}/train?epochs=5")
    dash_br.driver.switch_to.window(dash_br.driver.window_handles[-1])
    dash_br.wait_for_contains_text(f"#{ids.CONFIG_CHECK}", "windows", timeout=60)
    wait_for(lambda: dash_br.find_element(f"#{ids.TRAIN_BUTTON}").is_enabled(), 20, "Train stayed disabled")
    dash_br.find_element(f"#{ids.TRAIN_BUTTON}").click()
    dash_br.wait_for_contains_text(f"#{ids.START_MESSAGE}",
                                   "Not started: this browser already has 2 active runs", timeout=20)
    assert dash_br.get_logs() == []
