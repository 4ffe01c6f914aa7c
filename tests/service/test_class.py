"""The class view's service side: nicknames, the instructor key, cancelling any run, pinning a run."""
import pytest

from modeling.config import TrainConfig
from service import runs
from service.settings import instructor_key_configured, instructor_key_matches

CONFIG = TrainConfig(dataset="sp500-2012-2017", ticker="AAL", epochs=2)
KEY = "correct horse battery staple"


def test_no_key_configured_means_no_instructor(data_dir, monkeypatch):
    assert not instructor_key_configured()
    for candidate in ("", None, "anything", KEY):
        assert not instructor_key_matches(candidate)
    monkeypatch.setenv("RNNLAB_INSTRUCTOR_KEY", "")  # an empty key is no key
    assert not instructor_key_configured() and not instructor_key_matches("")


def test_the_key_matches_only_itself(data_dir, monkeypatch):
    monkeypatch.setenv("RNNLAB_INSTRUCTOR_KEY", KEY)
    assert instructor_key_configured()
    assert instructor_key_matches(KEY)
    for wrong in (KEY + " ", KEY[:-1], KEY.upper(), "", None, 12, [KEY], {"key": KEY}):
        assert not instructor_key_matches(wrong)


def test_without_the_key_nobody_cancels_another_browsers_run(data_dir, monkeypatch):
    monkeypatch.setenv("RNNLAB_INSTRUCTOR_KEY", KEY)
    run = runs.submit(CONFIG, "browser-a")
    for key in (None, "", "wrong key", KEY[:-1], 12):
        assert not runs.cancel(run.id, "browser-b", instructor_key=key)
    assert runs.get(run.id).run.status == "queued"
    assert runs.cancel(run.id, "browser-b", instructor_key=KEY)  # the instructor cancels anyone's run
    cancelled = runs.get(run.id).run
    assert (cancelled.status, cancelled.reason) == ("cancelled", "cancelled by the instructor")
    assert not runs.cancel(run.id, "browser-b", instructor_key=KEY)  # already ended
    assert not runs.cancel("../x", "browser-b", instructor_key=KEY)


def test_the_key_unlocks_nothing_when_none_is_configured(data_dir):
    run = runs.submit(CONFIG, "browser-a")
    assert not runs.cancel(run.id, "browser-b", instructor_key=KEY)
    assert not runs.pin(run.id, KEY)
    assert runs.get(run.id).run.status == "queued" and runs.pinned() is None


def test_only_the_instructor_pins_a_run(data_dir, monkeypatch):
    monkeypatch.setenv("RNNLAB_INSTRUCTOR_KEY", KEY)
    first, second = runs.submit(CONFIG, "browser-a"), runs.submit(CONFIG, "browser-b")
    assert runs.pinned() is None
    assert not runs.pin(first.id, "wrong key") and runs.pinned() is None
    assert runs.pin(first.id, KEY) and runs.pinned().id == first.id
    assert runs.pin(second.id, KEY) and runs.pinned().id == second.id
    assert not runs.pin("../x", KEY) and not runs.pin("0" * 12, KEY)
    assert runs.pinned().id == second.id
    runs.run_store().delete(second.id)
    assert runs.pinned() is None  # a deleted run is no longer pinned


def test_nicknames_are_checked_and_kept_per_session(data_dir):
    assert runs.set_nickname("browser-a", "  Ada   Lovelace ") == "Ada Lovelace"
    markup = "<img src=x onerror=alert(1)>"
    assert runs.set_nickname("browser-b", markup) == markup  # shown as text, so kept as typed
    assert runs.set_nickname("browser-a", "Zoë 李") == "Zoë 李"  # any script
    assert runs.nicknames() == {"browser-a": "Zoë 李", "browser-b": markup}


@pytest.mark.parametrize("bad, message", [
    ("", "type a nickname"),
    ("   ", "type a nickname"),
    (None, "type a nickname"),
    (42, "type a nickname"),
    ("x" * 33, "a nickname has at most 32 characters; this one has 33"),
    ("evil\u202eman", "a nickname cannot contain the invisible or control character U+202E"),
    ("zero\u200bwidth", "a nickname cannot contain the invisible or control character U+200B"),
    ("bell\x07", "a nickname cannot contain the invisible or control character U+0007"),
])
def test_bad_nicknames_are_refused_with_the_reason(data_dir, bad, message):
    with pytest.raises(runs.NicknameError) as refused:
        runs.set_nickname("browser-a", bad)
    assert str(refused.value) == message
    assert runs.nicknames() == {}


def test_a_nickname_needs_a_session(data_dir):
    with pytest.raises(runs.NicknameError):
        runs.set_nickname(None, "Ada")


def test_summaries_give_the_class_table_without_history_or_predictions(tmp_path, store_url):
    """On SQLite and PostgreSQL: the database picks the metrics and counts the epochs."""
    from service.store import RunStore

    store = RunStore(tmp_path, store_url)
    queued = store.create(CONFIG, session="browser-a")
    running = store.create(CONFIG.replace(arch="gru", ticker="AAPL"), session="browser-b", status="running")
    store.record_epoch(running.id, {"loss": [0.3, 0.2, 0.1], "val_loss": [0.3, 0.2, 0.1]}, 1.5)
    done = store.create(CONFIG, session=None)
    metrics = {"test_mae": 2.5, "naive_test_mae": 1.75, "skill": -0.4285714285714286}
    store.finish(done.id, {"metrics": metrics, "history": {"loss": [0.2, 0.1], "val_loss": [0.3, 0.2]},
                           "predictions": {"date": ["2017-01-02"], "actual": [1.0], "predicted": [1.1],
                                           "naive": [0.9]}})
    summaries = store.summaries()
    assert [s.id for s in summaries] == [done.id, running.id, queued.id]  # newest first
    by_id = {s.id: s for s in summaries}
    assert (by_id[done.id].status, by_id[done.id].epochs_done, by_id[done.id].metrics) == ("finished", 2, metrics)
    assert (by_id[running.id].epochs_done, by_id[running.id].metrics, by_id[running.id].active) == (3, {}, True)
    assert by_id[running.id].config == CONFIG.replace(arch="gru", ticker="AAPL")
    assert (by_id[queued.id].epochs_done, by_id[queued.id].session) == (0, "browser-a")
    full = {r.id: r for r in store.list()}
    for summary in summaries:  # the same as the full runs say
        run = full[summary.id]
        assert (summary.status, summary.session, summary.config, summary.epochs_done, summary.metrics,
                summary.created) == (run.status, run.session, run.config, run.epochs_done, run.metrics, run.created)
