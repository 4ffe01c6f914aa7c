"""Web app latency and memory: start-up, click to first loss point, click to finished, trainer memory, Explore.

Run from the repository root::

    .venv/bin/python -m benchmarks.app_latency [--clicks 5] [--runs 50] [--json] [--strict]

It starts ``python app.py --port P --data-dir D`` (a free loopback port, a fresh temporary data
dir) in its own process group, as a user starts it, and measures:

1. **start**: from launching the process until ``GET /`` answers 200 (target <= 3 s); the web
   server process's RSS after Chromium has loaded ``/`` (the Explore page, which loads the default
   dataset) and again at the end (target < 400 MB both times);
2. **warm trainers**: waits until every warm training process (``python -m service.trainer``, a
   child of the server) has trained a throwaway 2-epoch run queued through ``RunStore``; only then
   is a trainer known to have imported TensorFlow, loaded the data and traced its networks;
3. **click to first loss point** on ``/train`` with the default settings, in headless Chromium:
   ``performance.now()`` in the page, from a JS ``click()`` on ``#train-button`` until the status
   line names the new run and ``#loss-graph`` plots at least one point of it; ``--clicks`` times,
   each run waited for to the end (target: median <= 1.0 s);
4. **click to finished** at the lecture configuration with 50 epochs
   (``/train?dataset=sp500-2012-2017&ticker=AAL&epochs=50``): until the status says "finished" for
   the new run and the Train button is enabled again (target: median <= 3 s);
5. **trainer memory**: ``--runs`` runs queued one after the other through ``RunStore.create``
   (lecture configuration, 5 epochs, lstm/gru/conv1d in turn, seed = run number), each waited for;
   every trainer's RSS after runs 1, 10, 25, 50 (and the last); target: flat after run 10 (growth
   <= max(50 MB, 10 %)) and every trainer < 1 GB;
6. **Explore ticker switch**, in this process (no server): ``pages.explore.show_ticker`` for every
   ticker of ``sp500-2013-2018`` after one warm-up call; target p95 <= 150 ms. When it misses,
   a cProfile of the calls tells what dominates.
7. **on screen** (``--on-screen`` runs only this, on a fresh app): the lecture preset as the first
   click after start, until the lecture's numbers show (target <= 1.5 s); 16 Explore ticker
   switches, from the option click until both charts are titled with the new ticker (target p95 <=
   300 ms) and the bytes of the callback answers on the wire (gzip; target <= 80 kB a switch);
   dataset and ticker changes on /train until the check names them (target <= 300 ms each). The
   preset is measured right after start (trainers still warming up); the rest once they are warm.

Every wait has a timeout; at the end the browser is closed and the app's process group and every
child of it are killed. Progress goes to stderr; stdout gets the report (or one JSON object with
``--json``).
"""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse  # noqa: E402
import cProfile  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import pstats  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import textwrap  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable, Sequence  # noqa: E402

import psutil  # noqa: E402

from modeling.config import TrainConfig  # noqa: E402
from modeling.data import DEFAULT_DATASET, LECTURE_DATASET  # noqa: E402
from service.store import RunStore  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
MB = 1024 * 1024  # every "MB" in this file is a MiB, as psutil's RSS / 2**20
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--no-first-run", "--window-size=1400,1000")

# Targets (issue requirements)
START_TARGET_S = 3.0
SERVER_RSS_TARGET_MB = 400
FIRST_POINT_TARGET_S = 1.0
FINISHED_TARGET_S = 3.0
TRAINER_RSS_TARGET_MB = 1024
GROWTH_ABS_MB = 50
GROWTH_REL = 0.10
EXPLORE_P95_TARGET_MS = 150
GROWTH_RULE = (f"per trainer: RSS at the last sample - RSS after run 10 <= max({GROWTH_ABS_MB} MiB, "
               f"{GROWTH_REL:.0%} of RSS after run 10)")

# Timeouts (seconds)
START_TIMEOUT = 60
WARM_TIMEOUT = 300
PAGE_TIMEOUT = 60
FIRST_POINT_TIMEOUT = 60
FINISH_TIMEOUT = 180
RUN_TIMEOUT = 120
IDLE_EXTRA_S = 1.0

MEMORY_CHECKPOINTS = (1, 10, 25, 50)
ARCHS = ("lstm", "gru", "conv1d")
LECTURE_URL = f"/train?dataset={LECTURE_DATASET}&ticker=AAL&epochs=50"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_until(condition: Callable[[], Any], timeout: float, interval: float = 0.05, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def rss_mb(pid: int) -> float | None:
    try:
        return psutil.Process(pid).memory_info().rss / MB
    except psutil.Error:
        return None


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float | None:
    values = [v for v in values if v is not None]
    return float(statistics.median(values)) if values else None


class LiveApp:
    """``python app.py`` on a free loopback port with its own data dir, in its own process group."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.log_path = data_dir / "server.log"
        self.log_file = open(self.log_path, "wb")
        self.launched = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--host", HOST, "--port", str(self.port),
             "--data-dir", str(data_dir)],
            cwd=ROOT, stdout=self.log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, env={**os.environ, "RNNLAB_DATA_DIR": str(data_dir)})

    def wait_ready(self, timeout: float = START_TIMEOUT) -> float:
        """Seconds from launch until GET / answers 200."""
        deadline = self.launched + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the app exited ({self.process.returncode}): {self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2) as response:
                    if response.status == 200:
                        return time.perf_counter() - self.launched
            except OSError:
                pass
            time.sleep(0.02)
        raise TimeoutError(f"GET / did not answer 200 within {timeout} s")

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def rss_mb(self) -> float | None:
        return rss_mb(self.process.pid)

    def trainers(self) -> list[psutil.Process]:
        """The warm training processes: children of the server running service.trainer."""
        try:
            children = psutil.Process(self.process.pid).children()
        except psutil.Error:
            return []
        return [c for c in children if "service.trainer" in " ".join(_cmdline(c))]

    def job_processes(self) -> list[psutil.Process]:
        """Other descendants of the server (none are expected: no callback runs in a process of its own)."""
        try:
            children = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.Error:
            return []
        return [c for c in children if "service.trainer" not in " ".join(_cmdline(c))]

    def stop(self) -> None:
        """Kill the process group and every descendant (also one that left the group)."""
        try:
            descendants = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.Error:
            descendants = []
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for child in descendants:
            try:
                child.kill()
            except psutil.Error:
                pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        deadline = time.monotonic() + 5
        for child in descendants:
            while time.monotonic() < deadline:
                try:
                    if child.status() == psutil.STATUS_ZOMBIE:
                        break
                except psutil.Error:
                    break
                time.sleep(0.05)
        self.log_file.close()


def start_browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    if os.path.exists(CHROMIUM):
        options.binary_location = CHROMIUM
    service = Service(CHROMEDRIVER) if os.path.exists(CHROMEDRIVER) else Service()
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(PAGE_TIMEOUT)
    driver.set_script_timeout(30)
    return driver


def stop_browser(driver) -> None:
    if driver is None:
        return
    service_process = getattr(getattr(driver, "service", None), "process", None)
    try:
        driver.quit()
    except Exception:  # noqa: BLE001 - the browser may already be gone
        pass
    if service_process is not None and service_process.poll() is None:
        try:
            for child in psutil.Process(service_process.pid).children(recursive=True):
                child.kill()
        except psutil.Error:
            pass
        service_process.kill()


# ----------------------------------------------------------------------------------------------
# In-page measurement
# ----------------------------------------------------------------------------------------------

GRAPH_POINTS_JS = """
var d = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
return d && d.data && d.data.length && d.data[0].x ? d.data[0].x.length : 0;
"""

IDLE_JS = """
var check = document.getElementById('config-check');
var w = document.querySelector('#window-graph .js-plotly-plot');
var loading = document.querySelectorAll('[data-dash-is-loading="true"]').length;
var button = document.getElementById('train-button');
return {check: check ? check.textContent : '', window: !!(w && w.data && w.data.length),
        loading: loading, button: !!(button && !button.disabled),
        epochs: (document.getElementById('epochs') || {}).value,
        dataset_url: window.location.search};
"""

# Installs an observer (DOM mutations + a 10 ms timer) that timestamps, with performance.now():
# the status line naming a new run, the loss graph plotting >= 1 point of it (a figure object
# other than the one shown at click time), the Train button disabled, and "finished" with the
# button enabled again; then clicks #train-button. Results accumulate in window.__bench. A run can
# end before its loss graph is drawn: the observer keeps watching until both are seen.
CLICK_JS = """
var runId = function () {
  var s = document.getElementById('run-status');
  var m = /Run ([0-9a-f]{12})/.exec(s ? s.textContent : '');
  return m ? m[1] : null;
};
var graph = function () { return document.querySelector('#loss-graph .js-plotly-plot'); };
var g0 = graph();
var b = window.__bench = {oldId: runId(), oldData: g0 ? g0.data : null, t0: null, timeOrigin: performance.timeOrigin,
                          tStatus: null, tFirst: null, tDisabled: null, tFinished: null, newId: null,
                          points: 0, status: '', error: null, done: false};
var iv = null, obs = null;
var check = function () {
  if (b.done || b.t0 === null) { return; }
  var now = performance.now();
  var id = runId();
  var button = document.getElementById('train-button');
  if (id && id !== b.oldId) {
    if (b.newId === null) { b.newId = id; b.tStatus = now; }
    var g = graph();
    var n = (g && g.data && g.data !== b.oldData && g.data.length && g.data[0].x) ? g.data[0].x.length : 0;
    b.points = n;
    if (n >= 1 && b.tFirst === null) { b.tFirst = now; }
    var text = document.getElementById('run-status').textContent;
    b.status = text;
    if (button && button.disabled && b.tDisabled === null) { b.tDisabled = now; }
    if (text.indexOf('finished') >= 0 && button && !button.disabled && b.tFinished === null) { b.tFinished = now; }
    if (/failed|cancelled|interrupted/.test(text)) { b.error = text; }
  }
  var start = document.getElementById('start-message');
  if (b.newId === null && start && /Not started/.test(start.textContent)) { b.error = start.textContent; }
  if ((b.tFinished !== null && b.tFirst !== null) || b.error) {
    b.done = true;
    if (obs) { obs.disconnect(); }
    if (iv) { clearInterval(iv); }
  }
};
obs = new MutationObserver(check);
obs.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
iv = setInterval(check, 10);
b.t0 = performance.now();
document.getElementById('train-button').click();
return b.oldId;
"""

BENCH_STATE_JS = """
var b = window.__bench || {};
return {oldId: b.oldId, t0: b.t0, timeOrigin: b.timeOrigin, tStatus: b.tStatus, tFirst: b.tFirst,
        tDisabled: b.tDisabled, tFinished: b.tFinished, newId: b.newId, points: b.points,
        status: b.status, error: b.error, done: b.done};
"""


def open_idle(driver, url: str, expect_epochs: int | None = None) -> dict[str, Any]:
    """Load a Train page and wait until its first callbacks are done, plus IDLE_EXTRA_S."""
    driver.get(url)

    def idle():
        state = driver.execute_script(IDLE_JS)
        ready = (": train" in (state["check"] or "") and state["window"] and state["loading"] == 0
                 and state["button"])
        if ready and expect_epochs is not None:
            ready = str(state["epochs"]) == str(expect_epochs)
        return state if ready else None

    state = wait_until(idle, PAGE_TIMEOUT, 0.1, f"{url} to be idle")
    time.sleep(IDLE_EXTRA_S)
    return state


def wait_page_quiet(driver, timeout: float = 30) -> None:
    """No Dash component loading and the Train button enabled (the previous job has ended)."""
    wait_until(lambda: (lambda s: s["loading"] == 0 and s["button"])(driver.execute_script(IDLE_JS)),
               timeout, 0.1, "the page to be quiet")


def click_series(driver, store: RunStore, clicks: int) -> list[dict[str, Any]]:
    """``clicks`` timed clicks on the open /train page, each after the page is quiet again."""
    results = []
    for i in range(clicks):
        if i:
            wait_page_quiet(driver)
            time.sleep(IDLE_EXTRA_S)
        result = click_and_measure(driver, store, timeout_first=FIRST_POINT_TIMEOUT, timeout_finish=FINISH_TIMEOUT)
        results.append(result)
        log(f"  click {i + 1}: first point {_fmt_s(result['click_to_first_point_s'])}, "
            f"finished {_fmt_s(result['click_to_finished_s'])}"
            + (f" ERROR {result['error']}" if result.get("error") else ""))
    return results


def click_and_measure(driver, store: RunStore, timeout_first: float, timeout_finish: float) -> dict[str, Any]:
    """One click on #train-button, timed in the page; always waits for the run to end."""
    old_id = driver.execute_script(CLICK_JS)
    deadline_first = time.monotonic() + timeout_first
    deadline_finish = time.monotonic() + timeout_finish
    state: dict[str, Any] = {}
    while True:
        state = driver.execute_script(BENCH_STATE_JS)
        if state.get("done"):
            break
        now = time.monotonic()
        if state.get("tFirst") is None and now > deadline_first:
            break
        if now > deadline_finish:
            break
        time.sleep(0.05)
    t0 = state.get("t0")

    def since_click(key: str) -> float | None:
        value = state.get(key)
        return None if value is None or t0 is None else (value - t0) / 1000.0

    out: dict[str, Any] = {
        "old_run": old_id, "run": state.get("newId"),
        "click_to_status_s": since_click("tStatus"),
        "click_to_first_point_s": since_click("tFirst"),
        "click_to_disabled_s": since_click("tDisabled"),
        "click_to_finished_s": since_click("tFinished"),
        "error": state.get("error"),
    }
    if not state.get("done"):
        out["error"] = out["error"] or ("timed out: " + ("no loss point" if state.get("tFirst") is None
                                                         else "not finished") + f" (status {state.get('status')!r})")
    run_id = state.get("newId")
    if run_id:
        # whatever the page saw, the run must be over before the next click
        try:
            wait_until(lambda: not store.get(run_id).active, RUN_TIMEOUT, 0.1, f"run {run_id} to end")
        except TimeoutError as exc:
            out["error"] = out["error"] or str(exc)
        run = store.get(run_id)
        out.update(status=run.status, config=run.config.to_dict(), worker_pid=run.worker_pid)
        click_wall = (state["timeOrigin"] + t0) / 1000.0 if t0 is not None and state.get("timeOrigin") else None
        first_wall = (state["timeOrigin"] + state["tFirst"]) / 1000.0 if state.get("tFirst") is not None else None
        # Approximate server-side breakdown (browser and server share this machine's clock).
        out["breakdown"] = {
            "click_to_created_s": run.created - click_wall if click_wall else None,
            "created_to_started_s": (run.started - run.created) if run.started else None,
            "started_to_first_point_shown_s": (first_wall - run.started) if first_wall and run.started else None,
            "first_epoch_s": run.result.get("first_epoch_seconds"),
            "seconds_per_epoch": run.result.get("seconds_per_epoch"),
            "train_s": run.result.get("train_seconds"),
            "started_to_ended_s": (run.ended - run.started) if run.ended and run.started else None,
            "created_to_ended_s": (run.ended - run.created) if run.ended else None,
        }
    return out


# ----------------------------------------------------------------------------------------------
# On screen: what a user waits for (issue 13)
# ----------------------------------------------------------------------------------------------

# Clicks a dropdown option that is already listed (the menu open, the search typed) and resolves,
# one animation frame after ``condition`` (a JS expression) first holds, with the milliseconds
# since the click: the frame in which the change was painted has gone by. Resource timings are
# cleared first, so that the bytes of this change can be read afterwards.
TIMED_CHANGE_JS = """
const [selector, condition, timeoutMs, done] = arguments;
performance.clearResourceTimings();
const holds = new Function('return (' + condition + ');');
const t0 = performance.now();
const target = document.querySelector(selector);
if (!target) { done({ms: null, error: 'nothing to click at ' + selector}); return; }
(target.closest('label') || target).click();
function answered() {  // when the last callback answer so far arrived, in ms since the click
    const ends = performance.getEntriesByType('resource').filter(e => e.name.includes('_dash-update-component'))
        .map(e => e.responseEnd - t0);
    return ends.length ? Math.max(...ends) : null;
}
function check() {
    let ok = false;
    try { ok = holds(); } catch (e) { ok = false; }
    if (ok) { requestAnimationFrame(() => done({ms: performance.now() - t0, answered_ms: answered()})); }
    else if (performance.now() - t0 > timeoutMs) { done({ms: null, error: 'timed out'}); }
    else { requestAnimationFrame(check); }
}
requestAnimationFrame(check);
"""
# Bytes of the Dash callback answers since the last clear: on the wire (headers + gzip body), the
# body as sent, and the body once decoded.
CALLBACK_BYTES_JS = """
return performance.getEntriesByType('resource').filter(e => e.name.includes('_dash-update-component'))
    .map(e => [e.transferSize, e.encodedBodySize, e.decodedBodySize]);
"""
TITLE_EXPR = "(document.querySelector('#%s .gtitle') || {}).textContent || ''"
EXPLORE_SWITCH_TICKERS = ("AAPL", "MSFT", "GOOGL", "AMZN", "JPM", "XOM", "GE", "CVX", "PFE", "KO", "NFLX",
                          "NVDA", "BA", "DIS", "IBM", "AAL")
TRAIN_SWITCH_TICKERS = ("AAPL", "MSFT", "XOM", "AAL")
LECTURE_NUMBERS = "AAL: train 648, validation 139, test 139 points; 635 / 126 / 126 windows"
PRESET_TARGET_S = 1.5
SWITCH_P95_TARGET_MS = 300
SWITCH_KB_TARGET = 80
CHECK_TARGET_MS = 300


def open_option(driver, dropdown_id: str, value: str, search: str) -> str:
    """Open a Dash 4 dropdown and type in its search box until the option is listed; its selector."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, dropdown_id).click()
    box = wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-content .dash-dropdown-search"),
                     5, 0.02, f"the search box of #{dropdown_id}")[0]
    box.send_keys(search)
    selector = f'.dash-dropdown-content input[type=radio][value="{value}"]'
    wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, selector), 5, 0.02, f"option {value}")
    return selector


def timed_change(driver, selector: str, condition: str, timeout_s: float = 20) -> dict[str, Any]:
    """Click, time until the condition is on screen, then (after the answers have settled) the bytes."""
    result = driver.execute_async_script(TIMED_CHANGE_JS, selector, condition, 1000 * timeout_s)
    time.sleep(0.4)
    sizes = driver.execute_script(CALLBACK_BYTES_JS)
    result.update(requests=len(sizes), wire_kb=sum(s[0] for s in sizes) / 1024,
                  body_kb=sum(s[1] for s in sizes) / 1024, decoded_kb=sum(s[2] for s in sizes) / 1024)
    return result


def preset_after_start(driver, url: str) -> dict[str, Any]:
    """The first click after start: /train as soon as it shows its check, then Lecture preset until
    the lecture's numbers are on screen."""
    t = time.perf_counter()
    driver.get(url + "/train")
    wait_until(lambda: ": train" in driver.execute_script(
        "return (document.getElementById('config-check') || {}).textContent || '';"), PAGE_TIMEOUT, 0.05,
        "the Train page's check")
    page_s = time.perf_counter() - t
    result = timed_change(driver, "#lecture-preset",
                          f"(document.getElementById('config-check') || {{}}).textContent.includes("
                          f"{json.dumps(LECTURE_NUMBERS)})", timeout_s=60)
    ms = result.get("ms")
    return {"train_page_s": page_s, "seconds": None if ms is None else ms / 1000, "error": result.get("error"),
            "pass": ms is not None and ms / 1000 <= PRESET_TARGET_S}


def explore_on_screen(driver, url: str, tickers: Sequence[str] = EXPLORE_SWITCH_TICKERS) -> dict[str, Any]:
    """Ticker switches on Explore: option click -> both charts titled with the new ticker; bytes."""
    driver.get(url + "/")
    wait_until(lambda: driver.execute_script("return " + TITLE_EXPR % "candle-graph").startswith("AAL "),
               PAGE_TIMEOUT, 0.05, "Explore's charts")
    time.sleep(IDLE_EXTRA_S)
    switches = []
    for ticker in tickers:
        selector = open_option(driver, "explore-ticker", ticker, ticker)
        condition = " && ".join(f"({TITLE_EXPR % cid}).startsWith({json.dumps(ticker + ' ')})"
                                for cid in ("price-graph", "candle-graph"))
        switches.append({"ticker": ticker, **timed_change(driver, selector, condition)})
        time.sleep(0.2)
    ms = [s["ms"] for s in switches if s.get("ms") is not None]
    report = {"switches": switches, "p50_ms": percentile(ms, 0.5) if ms else None,
              "p95_ms": percentile(ms, 0.95) if ms else None, "max_ms": max(ms) if ms else None,
              "wire_kb_max": max(s["wire_kb"] for s in switches), "wire_kb_p50": percentile(
                  [s["wire_kb"] for s in switches], 0.5), "decoded_kb_p50": percentile(
                  [s["decoded_kb"] for s in switches], 0.5)}
    answered = [s["answered_ms"] for s in switches if s.get("answered_ms") is not None]
    report["answered_p50_ms"] = percentile(answered, 0.5) if answered else None
    report["pass"] = (len(ms) == len(tickers) and report["p95_ms"] <= SWITCH_P95_TARGET_MS
                      and report["wire_kb_max"] <= SWITCH_KB_TARGET)
    return report


def train_check_on_screen(driver, url: str) -> dict[str, Any]:
    """Dataset and ticker changes on /train: option click -> the config check names the change."""
    driver.get(url + "/train")
    wait_until(lambda: ": train" in driver.execute_script(
        "return (document.getElementById('config-check') || {}).textContent || '';"), PAGE_TIMEOUT, 0.05,
        "the Train page's check")
    time.sleep(IDLE_EXTRA_S)
    check = "(document.getElementById('config-check') || {}).textContent || ''"
    changes = []
    for dataset, label, numbers in ((LECTURE_DATASET, "2012", "AAL: train 648"),
                                    (DEFAULT_DATASET, "2013", "AAL: train 881")):
        selector = open_option(driver, "dataset", dataset, label)
        changes.append({"change": f"dataset {dataset}",
                        **timed_change(driver, selector, f"({check}).startsWith({json.dumps(numbers)})")})
        time.sleep(0.3)
    for ticker in TRAIN_SWITCH_TICKERS:
        selector = open_option(driver, "ticker", ticker, ticker)
        changes.append({"change": f"ticker {ticker}",
                        **timed_change(driver, selector, f"({check}).startsWith({json.dumps(ticker + ': train')})")})
        time.sleep(0.3)
    ms = [c["ms"] for c in changes if c.get("ms") is not None]
    report = {"changes": changes, "max_ms": max(ms) if ms else None, "p50_ms": percentile(ms, 0.5) if ms else None}
    report["pass"] = len(ms) == len(changes) and report["max_ms"] <= CHECK_TARGET_MS
    return report


def on_screen_only() -> dict[str, Any]:
    """A fresh app, then only the on-screen measures: the preset as the first click after start, then
    (once the trainers are warm) Explore's ticker switches and Train's check."""
    report: dict[str, Any] = {"errors": []}
    workdir = Path(tempfile.mkdtemp(prefix="rnnlab-screen-"))
    (workdir / "data").mkdir()
    app = driver = None
    try:
        app = LiveApp(workdir / "data")
        report["start_s"] = app.wait_ready()
        driver = start_browser()
        report["preset"] = preset_after_start(driver, app.url)
        log(f"lecture preset after start: {_fmt_s(report['preset']['seconds'])}")
        # the rest as in use: not while the trainers import TensorFlow and trace on the same cores
        log("waiting for the trainer processes to be warm")
        wait_warm(app, RunStore(workdir / "data"))
        report["explore_screen"] = explore_on_screen(driver, app.url)
        log(f"Explore switch on screen: p95 {report['explore_screen']['p95_ms']:.0f} ms")
        report["train_check"] = train_check_on_screen(driver, app.url)
    except Exception as exc:  # noqa: BLE001 - report what was measured, then clean up
        report["errors"].append(f"{type(exc).__name__}: {exc}")
        log(f"ERROR {type(exc).__name__}: {exc}")
    finally:
        stop_browser(driver)
        if app is not None:
            app.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    checks = [report.get(k, {}).get("pass") for k in ("preset", "explore_screen", "train_check")]
    report["all_pass"] = not report["errors"] and all(c is True for c in checks)
    report["environment"] = {"python": platform.python_version(), "cpus": os.cpu_count(),
                             "load_average": os.getloadavg()}
    return report


def render_on_screen(report: dict[str, Any]) -> list[str]:
    lines = []
    p = report.get("preset")
    if p:
        lines += ["7. On screen (headless Chromium, performance.now() in the page, one frame after the change)",
                  f"   Lecture preset, the first click after start (Train page shown {p['train_page_s']:.2f} s "
                  f"after loading it): {_fmt_s(p['seconds'])}   target <= {PRESET_TARGET_S:g} s   {_pf(p['pass'])}"
                  + (f"  ERROR {p['error']}" if p.get("error") else "")]
    e = report.get("explore_screen")
    if e:
        lines += [f"   Explore ticker switch, option click -> both charts titled with the new ticker, "
                  f"{len(e['switches'])} switches:",
                  "     " + ", ".join(f"{s['ticker']} {s['ms']:.0f} ms/{s['wire_kb']:.0f} kB" if s.get("ms") is not None
                                      else f"{s['ticker']} {s.get('error')}" for s in e["switches"]),
                  f"     (the answers had arrived p50 {e['answered_p50_ms']:.0f} ms after the click: the rest is "
                  "the browser drawing)" if e.get("answered_p50_ms") is not None else "",
                  f"   p50 {e['p50_ms']:.0f} ms, p95 {e['p95_ms']:.0f} ms, max {e['max_ms']:.0f} ms   target p95 <= "
                  f"{SWITCH_P95_TARGET_MS} ms; on the wire per switch p50 {e['wire_kb_p50']:.1f} kB, max "
                  f"{e['wire_kb_max']:.1f} kB (decoded {e['decoded_kb_p50']:.0f} kB)   target <= {SWITCH_KB_TARGET} kB"
                  f"   {_pf(e['pass'])}"]
    t = report.get("train_check")
    if t:
        lines += ["   Train, option click -> the config check names the new dataset or ticker:",
                  "     " + ", ".join(f"{c['change']} {c['ms']:.0f} ms" if c.get("ms") is not None
                                      else f"{c['change']} {c.get('error')}" for c in t["changes"]),
                  f"   max {t['max_ms']:.0f} ms   target <= {CHECK_TARGET_MS} ms   {_pf(t['pass'])}"]
    return lines + ([""] if lines else [])


# ----------------------------------------------------------------------------------------------
# Sections
# ----------------------------------------------------------------------------------------------

def wait_warm(app: LiveApp, store: RunStore, timeout: float = WARM_TIMEOUT) -> dict[str, Any]:
    """Rounds of throwaway 2-epoch runs (as many at once as there are trainers) until every
    trainer process has served one: a trainer only claims runs after its warm-up."""
    started = time.perf_counter()
    deadline = time.monotonic() + timeout
    served: set[int] = set()
    rounds: list[dict[str, Any]] = []
    trainers = wait_until(lambda: app.trainers(), 30, 0.1, "the trainer processes to appear")
    while True:
        pids = {p.pid for p in app.trainers()}
        if pids and pids <= served:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"trainers not warm after {timeout} s (served by {sorted(served)}, "
                               f"trainers {sorted(pids)})")
        created = time.time()
        runs = [store.create(TrainConfig(dataset=LECTURE_DATASET, ticker="AAL", epochs=2, seed=1000 + i))
                for i in range(max(1, len(pids)))]
        for run in runs:
            wait_until(lambda: not store.get(run.id).active, max(1.0, deadline - time.monotonic()), 0.05,
                       f"warm-up run {run.id}")
        finished = [store.get(r.id) for r in runs]
        served.update(r.worker_pid for r in finished if r.status == "finished" and r.worker_pid)
        rounds.append({"runs": len(runs), "seconds": time.time() - created,
                       "statuses": [r.status for r in finished], "worker_pids": [r.worker_pid for r in finished],
                       "first_epoch_s": [r.result.get("first_epoch_seconds") for r in finished]})
    return {"seconds_waited": time.perf_counter() - started,
            "seconds_since_launch": time.perf_counter() - app.launched,
            "trainers": sorted(served), "trainer_count": len(trainers), "rounds": rounds,
            "last_round_seconds": rounds[-1]["seconds"] if rounds else None,
            "trainer_rss_mb": {p.pid: rss_mb(p.pid) for p in app.trainers()}}


def memory_runs(app: LiveApp, store: RunStore, count: int) -> dict[str, Any]:
    checkpoints = sorted({c for c in MEMORY_CHECKPOINTS if c <= count} | {count})
    samples: list[dict[str, Any]] = []
    runs: list[dict[str, Any]] = []
    errors: list[str] = []
    all_pids: set[int] = set()
    for i in range(1, count + 1):
        config = TrainConfig(dataset=LECTURE_DATASET, ticker="AAL", epochs=5, arch=ARCHS[(i - 1) % len(ARCHS)], seed=i)
        run = store.create(config)
        try:
            wait_until(lambda: not store.get(run.id).active, RUN_TIMEOUT, 0.02, f"memory run {i}")
        except TimeoutError as exc:
            errors.append(str(exc))
        done = store.get(run.id)
        if done.status != "finished":
            errors.append(f"run {i} ({done.id}, {config.arch}): {done.status} {done.reason or ''}".strip())
        runs.append({"arch": config.arch, "seed": config.seed, "status": done.status, "worker_pid": done.worker_pid,
                     "seconds": (done.ended - done.created) if done.ended else None})
        if i in checkpoints:
            rss = {p.pid: rss_mb(p.pid) for p in app.trainers()}
            all_pids.update(rss)
            samples.append({"after_run": i, "rss_mb": rss})
            log(f"  after run {i}: trainer RSS " + ", ".join(f"{pid}: {v:.0f} MB" for pid, v in rss.items() if v))
    baseline_at = 10 if count > 10 else checkpoints[0]
    base = next(s for s in samples if s["after_run"] == baseline_at)
    last = samples[-1]
    per_trainer: dict[int, dict[str, Any]] = {}
    for pid in sorted(all_pids):
        series = [s["rss_mb"].get(pid) for s in samples]
        b, l = base["rss_mb"].get(pid), last["rss_mb"].get(pid)
        growth = (l - b) if b is not None and l is not None else None
        allowed = max(GROWTH_ABS_MB, GROWTH_REL * b) if b is not None else None
        per_trainer[pid] = {"rss_mb": series, "growth_mb": growth, "allowed_mb": allowed,
                            "growth_pct": 100 * growth / b if growth is not None and b else None,
                            "runs_served": sum(1 for r in runs if r["worker_pid"] == pid),
                            "pass": None if growth is None or last is base else growth <= allowed}
    verdicts = [t["pass"] for t in per_trainer.values() if t["pass"] is not None]
    max_rss = max((v for s in samples for v in s["rss_mb"].values() if v is not None), default=None)
    return {"runs": count, "checkpoints": checkpoints, "baseline_after_run": baseline_at, "samples": samples,
            "per_trainer": per_trainer, "growth_pass": (all(verdicts) if verdicts else None),
            "max_rss_mb": max_rss, "max_rss_pass": None if max_rss is None else max_rss < TRAINER_RSS_TARGET_MB,
            "run_seconds_median": median([r["seconds"] for r in runs]),
            "restarted_trainers": sorted({r["worker_pid"] for r in runs if r["worker_pid"]} - all_pids),
            "errors": errors}


def explore_switch(profile_if_slow: bool = True) -> dict[str, Any]:
    """show_ticker for every ticker of the default dataset, in this process."""
    from modeling.settings import DATA_DIR_ENV

    directory = tempfile.mkdtemp(prefix="rnnlab-explore-")
    previous = os.environ.get(DATA_DIR_ENV)
    os.environ[DATA_DIR_ENV] = directory
    try:
        import app as app_module

        app_module.create_app()
        import pages.explore as explore
        import plotly.io as pio

        from modeling.data import catalog_for_file
        from modeling.pipeline import data_path_for

        dataset = DEFAULT_DATASET
        tickers = list(catalog_for_file(data_path_for(dataset))["ticker"])
        t = time.perf_counter()
        explore.show_ticker(dataset, tickers[0], 0.7, 0.15)
        warm_up = time.perf_counter() - t
        times, encode, sizes, problems = [], [], [], []
        for ticker in tickers:
            t = time.perf_counter()
            out = explore.show_ticker(dataset, ticker, 0.7, 0.15)
            times.append(time.perf_counter() - t)
            if out[3] is not None or not out[0].data or not out[1].data:
                problems.append(ticker)
            # what Dash does next with the two figures: JSON for the response (reported, no target)
            t = time.perf_counter()
            payload = pio.to_json(out[0], validate=False) + pio.to_json(out[1], validate=False)
            encode.append(time.perf_counter() - t)
            sizes.append(len(payload))
        ms = [1e3 * v for v in times]
        report: dict[str, Any] = {
            "dataset": dataset, "tickers": len(tickers), "warm_up_ms": 1e3 * warm_up,
            "p50_ms": percentile(ms, 0.5), "p95_ms": percentile(ms, 0.95), "max_ms": max(ms),
            "slowest": sorted(zip(ms, tickers), reverse=True)[:3],
            "encode_p50_ms": percentile([1e3 * v for v in encode], 0.5),
            "encode_p95_ms": percentile([1e3 * v for v in encode], 0.95),
            "figure_json_kb_p50": percentile([s / 1024 for s in sizes], 0.5),
            "problems": problems,
        }
        report["pass"] = report["p95_ms"] <= EXPLORE_P95_TARGET_MS
        if profile_if_slow and not report["pass"]:
            report["phases"] = explore_phases(dataset, tickers[:100])
            report["profile"] = profile_show_ticker(explore, dataset, tickers[:100])
        return report
    finally:
        if previous is None:
            os.environ.pop(DATA_DIR_ENV, None)
        else:
            os.environ[DATA_DIR_ENV] = previous
        shutil.rmtree(directory, ignore_errors=True)


def explore_phases(dataset: str, tickers: Sequence[str]) -> dict[str, float]:
    """Median ms of show_ticker's main steps, timed without a profiler (diagnostic, no target)."""
    import plotly.graph_objects as go

    from components.figures import candlestick_figure, price_figure
    from modeling.data import load_prices, ticker_frame
    from modeling.pipeline import data_path_for

    prices = load_prices(data_path_for(dataset))
    steps: dict[str, list[float]] = {"ticker_frame (rows of one ticker)": [], "price_figure": [],
                                     "candlestick_figure": [], "of which: one template='plotly_white'": []}
    for ticker in tickers:
        t0 = time.perf_counter()
        frame = ticker_frame(prices, ticker).frame
        t1 = time.perf_counter()
        price_figure(frame, ticker)
        t2 = time.perf_counter()
        candlestick_figure(frame, ticker)
        t3 = time.perf_counter()
        go.Figure().update_layout(template="plotly_white")
        t4 = time.perf_counter()
        for key, value in zip(steps, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
            steps[key].append(1e3 * value)
    return {key: float(statistics.median(values)) for key, values in steps.items()}


def profile_show_ticker(explore, dataset: str, tickers: Sequence[str], top: int = 18) -> dict[str, Any]:
    profiler = cProfile.Profile()
    profiler.enable()
    for ticker in tickers:
        explore.show_ticker(dataset, ticker, 0.7, 0.15)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    rows = []
    for (filename, line, name), (_cc, nc, tt, ct, _callers) in stats.stats.items():
        rows.append({"function": f"{_short(filename)}:{line}({name})", "calls": nc,
                     "tottime_ms_per_call_of_show_ticker": 1e3 * tt / len(tickers),
                     "cumtime_ms_per_call_of_show_ticker": 1e3 * ct / len(tickers),
                     "cum_share": ct / total if total else None})
    by_cum = sorted(rows, key=lambda r: -r["cumtime_ms_per_call_of_show_ticker"])[:top]
    by_self = sorted(rows, key=lambda r: -r["tottime_ms_per_call_of_show_ticker"])[:10]
    return {"calls": len(tickers), "total_ms_per_call": 1e3 * total / len(tickers), "by_cumulative": by_cum,
            "by_self": by_self}


def _short(filename: str) -> str:
    for marker in ("site-packages/", str(ROOT) + "/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


# ----------------------------------------------------------------------------------------------
# The whole benchmark
# ----------------------------------------------------------------------------------------------

def benchmark(clicks: int, runs: int, skip_explore: bool = False) -> dict[str, Any]:
    report: dict[str, Any] = {
        "environment": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "config": {"clicks": clicks, "runs": runs},
        "targets": {"start_s": START_TARGET_S, "server_rss_mb": SERVER_RSS_TARGET_MB,
                    "first_point_median_s": FIRST_POINT_TARGET_S, "finished_median_s": FINISHED_TARGET_S,
                    "trainer_rss_mb": TRAINER_RSS_TARGET_MB, "growth_rule": GROWTH_RULE,
                    "explore_p95_ms": EXPLORE_P95_TARGET_MS},
        "errors": [],
    }
    workdir = Path(tempfile.mkdtemp(prefix="rnnlab-bench-"))
    data_dir = workdir / "data"
    data_dir.mkdir()
    app = driver = None
    try:
        # 1. start
        log(f"starting python app.py (data dir {data_dir})")
        app = LiveApp(data_dir)
        start_s = app.wait_ready()
        start = report["start"] = {"seconds": start_s, "pass": start_s <= START_TARGET_S,
                                   "server_rss_at_200_mb": app.rss_mb()}
        log(f"GET / answered 200 after {start_s:.2f} s")
        store = RunStore(data_dir)
        driver = start_browser()
        log("the lecture preset as the first click after start")
        report["preset"] = preset_after_start(driver, app.url)
        t = time.perf_counter()
        driver.get(app.url + "/")
        wait_until(lambda: driver.execute_script(GRAPH_POINTS_JS, "price-graph") > 0, PAGE_TIMEOUT, 0.1,
                   "the Explore page's price graph")
        start["explore_page_load_s"] = time.perf_counter() - t
        start["server_rss_after_page_mb"] = app.rss_mb()
        start["server_rss_pass"] = start["server_rss_after_page_mb"] < SERVER_RSS_TARGET_MB
        log(f"Explore page loaded in {start['explore_page_load_s']:.2f} s; "
            f"server RSS {start['server_rss_after_page_mb']:.0f} MB")

        # 2. warm trainers
        log("waiting for the trainer processes to be warm")
        warm = report["warm"] = wait_warm(app, store)
        log(f"warm after {warm['seconds_since_launch']:.1f} s from launch ({len(warm['rounds'])} round(s))")
        t = time.perf_counter()
        driver.get(app.url + "/")
        wait_until(lambda: driver.execute_script(GRAPH_POINTS_JS, "price-graph") > 0, PAGE_TIMEOUT, 0.1,
                   "the Explore page's price graph (again)")
        start["explore_page_reload_s"] = time.perf_counter() - t

        # 3. click to first loss point, default settings
        log(f"click to first loss point on /train, {clicks} clicks")
        page = open_idle(driver, app.url + "/train")
        first = report["first_point"] = {"page": page["check"], "clicks": click_series(driver, store, clicks)}
        values = [c["click_to_first_point_s"] for c in first["clicks"]]
        first["median_s"] = median(values) if None not in values else None
        first["pass"] = first["median_s"] is not None and first["median_s"] <= FIRST_POINT_TARGET_S
        first["default_config"] = all(c.get("config") == TrainConfig().to_dict() for c in first["clicks"])
        if not first["default_config"]:
            report["errors"].append("section 3: a clicked run did not have the default configuration")

        # 4. click to finished, lecture config with 50 epochs
        log(f"click to finished on {LECTURE_URL}, {clicks} clicks")
        page = open_idle(driver, app.url + LECTURE_URL, expect_epochs=50)
        fin = report["finished"] = {"url": LECTURE_URL, "page": page["check"],
                                    "clicks": click_series(driver, store, clicks)}
        values = [c["click_to_finished_s"] for c in fin["clicks"]]
        fin["median_s"] = median(values) if None not in values else None
        fin["pass"] = fin["median_s"] is not None and fin["median_s"] <= FINISHED_TARGET_S
        lecture = TrainConfig(dataset=LECTURE_DATASET, ticker="AAL", epochs=50).to_dict()
        fin["lecture_config"] = all(c.get("config") == lecture for c in fin["clicks"])
        if not fin["lecture_config"]:
            report["errors"].append("section 4: a clicked run did not have the lecture configuration with 50 epochs")
        log("on screen: Explore ticker switches, Train's check")
        report["explore_screen"] = explore_on_screen(driver, app.url)
        report["train_check"] = train_check_on_screen(driver, app.url)
        stop_browser(driver)
        driver = None

        # 5. trainer memory
        log(f"trainer memory over {runs} runs queued through RunStore")
        report["memory"] = memory_runs(app, store, runs)
        report["start"]["server_rss_end_mb"] = app.rss_mb()
        report["start"]["server_rss_end_pass"] = (report["start"]["server_rss_end_mb"] or 0) < SERVER_RSS_TARGET_MB
        report["start"]["job_processes_at_end"] = len(app.job_processes())
    except Exception as exc:  # noqa: BLE001 - report what was measured, then clean up
        report["errors"].append(f"{type(exc).__name__}: {exc}")
        if app is not None:
            report["server_log_tail"] = app.log_tail()
        log(f"ERROR {type(exc).__name__}: {exc}")
    finally:
        stop_browser(driver)
        if app is not None:
            log("stopping the app")
            app.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    # 6. Explore, in this process (after the app is gone: less noise)
    if not skip_explore:
        log("Explore: show_ticker for every ticker, in process")
        try:
            report["explore"] = explore_switch()
        except Exception as exc:  # noqa: BLE001
            report["errors"].append(f"explore: {type(exc).__name__}: {exc}")
    report["environment"]["load_average"] = os.getloadavg()
    checks = [report.get("start", {}).get("pass"), report.get("start", {}).get("server_rss_pass"),
              report.get("start", {}).get("server_rss_end_pass"), report.get("first_point", {}).get("pass"),
              report.get("finished", {}).get("pass"), report.get("memory", {}).get("growth_pass"),
              report.get("memory", {}).get("max_rss_pass")]
    checks += [report.get(k, {}).get("pass") for k in ("preset", "explore_screen", "train_check")]
    if not skip_explore:
        checks.append(report.get("explore", {}).get("pass"))
    report["all_pass"] = not report["errors"] and all(c is True for c in checks)
    return report


# ----------------------------------------------------------------------------------------------
# Output
# ----------------------------------------------------------------------------------------------

def _fmt_s(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f} s"


def _fmt_mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} MiB"


def _pf(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{1e3 * value:.0f}"


def _clicks_table(clicks: list[dict[str, Any]], key: str) -> list[str]:
    lines = [f"   {'#':>2s} {'run':12s} {'measured':>9s} {'status':>8s} {'created':>8s} {'claimed':>8s} "
             f"{'epoch1':>7s} {'ms/ep':>6s} {'train':>7s} {'run':>7s} {'finished':>9s}  worker"]
    for i, c in enumerate(clicks, 1):
        b = c.get("breakdown") or {}
        lines.append(
            f"   {i:>2d} {str(c.get('run')):12s} {_fmt_s(c.get(key)):>9s} {_fmt_s(c.get('click_to_status_s')):>8s} "
            f"{_fmt_s(b.get('click_to_created_s')):>8s} {_fmt_s(b.get('created_to_started_s')):>8s} "
            f"{_fmt_s(b.get('first_epoch_s')):>7s} {_ms(b.get('seconds_per_epoch')):>6s} "
            f"{_fmt_s(b.get('train_s')):>7s} {_fmt_s(b.get('started_to_ended_s')):>7s} "
            f"{_fmt_s(c.get('click_to_finished_s')):>9s}  {c.get('worker_pid')}"
            + (f"  ERROR {c['error']}" if c.get("error") else ""))
    return lines


CLICK_COLUMNS = ("   measured: the target's measure; status: click -> the status line names the new run; "
                 "created, claimed: click -> run in the store, then -> taken by a trainer (server clock, "
                 "approximate); epoch1: the trainer's first epoch; ms/ep: its steady epoch time; train: its "
                 "epoch loop; run: claimed -> ended (adds data preparation, scoring, saving the model); "
                 "finished: click -> 'finished' shown with the Train button enabled again")


def render(report: dict[str, Any]) -> str:
    env = report["environment"]
    load = env.get("load_average")
    lines = ["RNN Stock Lab web app: latency and memory",
             f"Python {env['python']}, {env['cpus']} CPUs" + (f", load average at the end {load[0]:.1f}" if load else ""),
             ""]
    s = report.get("start")
    if s:
        lines += [
            "1. Start (python app.py, fresh data dir)",
            f"   launch -> GET / 200          {s['seconds']:6.2f} s   target <= {START_TARGET_S:g} s   {_pf(s['pass'])}",
            f"   server RSS at first 200      {_fmt_mb(s.get('server_rss_at_200_mb')):>8s}",
            f"   server RSS after / loaded    {_fmt_mb(s.get('server_rss_after_page_mb')):>8s}   target < "
            f"{SERVER_RSS_TARGET_MB} MiB   {_pf(s.get('server_rss_pass'))}",
            f"   (no target) Explore page rendered {_fmt_s(s.get('explore_page_load_s'))} after the first 200; "
            f"again, once the trainers are warm: {_fmt_s(s.get('explore_page_reload_s'))}",
            f"   server RSS at the end        {_fmt_mb(s.get('server_rss_end_mb')):>8s}   target < "
            f"{SERVER_RSS_TARGET_MB} MiB   {_pf(s.get('server_rss_end_pass'))}"
            + (f"   ({s['job_processes_at_end']} job processes alive)" if "job_processes_at_end" in s else ""),
            ""]
    w = report.get("warm")
    if w:
        rss = ", ".join(f"{pid} {_fmt_mb(v)}" for pid, v in w["trainer_rss_mb"].items())
        lines += [
            f"2. Warm trainers: {w['trainer_count']} processes warm {w['seconds_since_launch']:.1f} s after launch "
            f"({len(w['rounds'])} round(s) of throwaway 2-epoch runs; last round {w['last_round_seconds']:.2f} s); "
            f"RSS {rss}",
            ""]
    f = report.get("first_point")
    if f:
        lines += [f"3. Click to first loss point, /train default settings ({f['page']})"]
        lines += _clicks_table(f["clicks"], "click_to_first_point_s")
        lines += [f"   median {_fmt_s(f['median_s'])}   target <= {FIRST_POINT_TARGET_S:g} s   {_pf(f['pass'])}",
                  *textwrap.wrap(CLICK_COLUMNS, 110, subsequent_indent="   "), ""]
    fin = report.get("finished")
    if fin:
        lines += [f"4. Click to finished shown, {fin['url']} ({fin['page']})"]
        lines += _clicks_table(fin["clicks"], "click_to_finished_s")
        lines += [f"   median {_fmt_s(fin['median_s'])}   target <= {FINISHED_TARGET_S:g} s   {_pf(fin['pass'])}", ""]
    m = report.get("memory")
    if m:
        header = "   " + f"{'trainer':>8s} " + " ".join(f"{'run ' + str(c):>9s}" for c in m["checkpoints"]) \
            + f" {'growth':>9s} {'allowed':>9s} {'runs':>5s}  verdict"
        lines += [f"5. Trainer memory over {m['runs']} runs (lecture config, 5 epochs, lstm/gru/conv1d, seed = run; "
                  f"median run {_fmt_s(m['run_seconds_median'])} created -> ended)", header]
        for pid, t in m["per_trainer"].items():
            lines.append("   " + f"{int(pid):>8d} " + " ".join(f"{_fmt_mb(v):>9s}" for v in t["rss_mb"])
                         + f" {('n/a' if t['growth_mb'] is None else format(t['growth_mb'], '+.0f') + ' MiB'):>9s}"
                         f" {_fmt_mb(t['allowed_mb']):>9s} {t['runs_served']:>5d}  {_pf(t['pass'])}")
        lines += [f"   growth rule: {GROWTH_RULE}: {_pf(m['growth_pass'])}",
                  f"   max trainer RSS {_fmt_mb(m['max_rss_mb'])}   target < {TRAINER_RSS_TARGET_MB} MiB (1 GB read as 1 GiB)   "
                  f"{_pf(m['max_rss_pass'])}"]
        if m["errors"]:
            lines += ["   run errors: " + "; ".join(m["errors"][:5])]
        lines.append("")
    e = report.get("explore")
    if e:
        lines += [
            f"6. Explore ticker switch: show_ticker({e['dataset']!r}, ticker, 0.7, 0.15) for {e['tickers']} tickers, "
            f"in process (warm-up call {e['warm_up_ms']:.0f} ms)",
            f"   p50 {e['p50_ms']:.1f} ms   p95 {e['p95_ms']:.1f} ms   max {e['max_ms']:.1f} ms   target p95 <= "
            f"{EXPLORE_P95_TARGET_MS} ms   {_pf(e['pass'])}",
            "   slowest: " + ", ".join(f"{t} {v:.0f} ms" for v, t in e["slowest"]),
            f"   then (no target) JSON of the two figures: p50 {e['encode_p50_ms']:.1f} ms, p95 "
            f"{e['encode_p95_ms']:.1f} ms, {e['figure_json_kb_p50']:.0f} kB"
            + (f"; tickers with a notice or no data: {', '.join(e['problems'][:10])}" if e["problems"] else "")]
        if "phases" in e:
            lines.append("   timed steps, median over 100 tickers (no profiler): "
                         + ", ".join(f"{k} {v:.1f} ms" for k, v in e["phases"].items()))
        if "profile" in e:
            p = e["profile"]
            lines.append(f"   cProfile over {p['calls']} calls ({p['total_ms_per_call']:.1f} ms per call), "
                         "by cumulative time per call:")
            for r in p["by_cumulative"]:
                lines.append(f"     {r['cumtime_ms_per_call_of_show_ticker']:8.2f} ms  {r['function']}")
            lines.append("   by own time per call:")
            for r in p["by_self"]:
                lines.append(f"     {r['tottime_ms_per_call_of_show_ticker']:8.2f} ms  {r['function']}")
        lines.append("")
    lines += render_on_screen(report)
    if report["errors"]:
        lines += ["Errors:"] + [f"  {err}" for err in report["errors"]]
        if report.get("server_log_tail"):
            lines += ["  server log (tail):", report["server_log_tail"]]
        lines.append("")
    lines.append("Overall: " + ("PASS" if report["all_pass"] else "FAIL"))
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.app_latency",
                                     description="The web app's start-up, click latencies, trainer memory and "
                                                 "Explore ticker switch against their targets.")
    parser.add_argument("--clicks", type=int, default=5, help="clicks per browser measurement (default 5)")
    parser.add_argument("--runs", type=int, default=50, help="runs for the trainer memory check (default 50)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the report")
    parser.add_argument("--no-explore", action="store_true", help="skip the in-process Explore measurement")
    parser.add_argument("--on-screen", action="store_true",
                        help="only what a user sees: the lecture preset after start, Explore's ticker switch, "
                             "Train's check (a fresh app; no training measurements)")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target fails")
    args = parser.parse_args(argv)
    if args.clicks < 1 or args.runs < 1:
        parser.error("--clicks and --runs must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if os.environ.pop("REDIS_URL", None):  # the embedded set-up (trainer pool) is what is measured
        log("REDIS_URL ignored: measuring the embedded set-up with its trainer pool")
    if args.on_screen:
        report = on_screen_only()
        text = "\n".join(["RNN Stock Lab web app: on screen", *render_on_screen(report),
                          *(["Errors:", *report["errors"]] if report["errors"] else []),
                          "Overall: " + ("PASS" if report["all_pass"] else "FAIL")])
        print(json.dumps(report, default=str) if args.json else text)
        return 1 if args.strict and not report["all_pass"] else 0
    report = benchmark(args.clicks, args.runs, skip_explore=args.no_explore)
    print(json.dumps(report, default=str) if args.json else render(report))
    return 1 if args.strict and not report["all_pass"] else 0


if __name__ == "__main__":
    sys.exit(main())
