"""The classroom set-up: a click queued behind a scan's BATCH runs is the next run a worker takes."""
import os
import shutil

import pytest

from conftest_helpers import CeleryWorker, Redis, free_port, wait_for
from modeling.config import TrainConfig
from service.store import BATCH, INTERACTIVE

pytestmark = [pytest.mark.celery,
              pytest.mark.skipif(shutil.which("redis-server") is None and not os.environ.get("CI"),
                                 reason="redis-server is not installed (.ci/run installs it)")]

CONFIG = TrainConfig(dataset="sp500-2012-2017", ticker="AAL", epochs=40)


def test_message_priorities():
    from service.tasks import message_priority

    assert message_priority(INTERACTIVE) == 0 and message_priority(BATCH) == 9


def test_a_click_goes_ahead_of_queued_scan_runs(tmp_path, monkeypatch):
    redis = Redis(free_port(), tmp_path)
    worker = CeleryWorker("prio", tmp_path, tmp_path / "worker.log", {"REDIS_URL": redis.url})
    try:
        monkeypatch.setenv("REDIS_URL", redis.url)
        monkeypatch.setenv("RNNLAB_DATA_DIR", str(tmp_path))
        from service import runs
        from service.settings import run_store

        worker.wait_ready()
        store = run_store()
        collection = store.create_collection("scan", {"base": CONFIG.to_dict()})
        scan = runs.submit_group([CONFIG.replace(ticker=t) for t in ("AAPL", "MSFT", "XOM", "IBM")], None,
                                 group_id=collection.id, priority=BATCH)
        wait_for(lambda: store.get(scan[0].id).status == "running", 120, "the scan did not start")
        click = runs.submit(CONFIG.replace(epochs=3), "student")
        wait_for(lambda: not store.get(click.id).active, 120, "the click did not finish")
        assert store.get(click.id).status == "finished"
        # the worker took the click as soon as the scan run it was training had ended
        assert [store.get(r.id).status for r in scan[2:]] == ["queued", "queued"]
        assert store.get(click.id).started < min(store.get(r.id).started or float("inf") for r in scan[1:])
        for run in scan:
            store.request_cancel(run.id)
    finally:
        worker.kill()
        redis.stop()
