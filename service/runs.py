"""What the pages call: submit a run, cancel it, read it. The one path from a click to a trained run.

A submitted run is queued in the run store and trained whether or not any browser follows it:
in the embedded set-up the warm trainer pool claims it from the store; in the classroom set-up
(REDIS_URL) a Celery task is sent at once and a worker trains it. The pages cannot tell the two
apart: they submit, then poll :func:`get` until the run has ended.
"""
from __future__ import annotations

from dataclasses import dataclass

import unicodedata

from modeling.config import TrainConfig
from service.settings import (JOB_SERVICE_UNAVAILABLE, instructor_key_matches, job_service_problem, redis_url,
                              run_store)
from service.store import INTERACTIVE, Run, RunNotFound, RunSummary


class ServiceUnavailable(RuntimeError):
    """Runs cannot be queued now (the classroom's Redis is down); the message says so in words."""


@dataclass(frozen=True)
class RunState:
    """A run as the page shows it, with its place in the queue (1 = next to start; 0 = not queued)."""
    run: Run
    position: int


def submit(config: TrainConfig, session: str | None) -> Run:
    """Queue one run for this browser session and have it trained; raises ServiceUnavailable."""
    return submit_group([config], session, grouped=False)[0]


def submit_group(configs: list[TrainConfig], session: str | None, grouped: bool = True,
                 group_id: str | None = None, priority: int = INTERACTIVE) -> list[Run]:
    """Queue runs that belong together (all three networks, seed repeats, or the runs of a sweep,
    scan or backtest: ``group_id`` is then its id and ``priority`` BATCH) and have them trained."""
    if problem := job_service_problem():
        raise ServiceUnavailable(problem)
    store = run_store()
    if grouped:
        runs = store.create_group(configs, session=session, group_id=group_id, priority=priority)
    else:
        runs = [store.create(configs[0], session=session, priority=priority)]
    if redis_url() is not None:
        _dispatch([run.id for run in runs])
    return runs


def _dispatch(run_ids: list[str]) -> None:
    """Send each run to the Celery workers; a run that cannot be sent fails with the reason."""
    from service.tasks import send_run

    store = run_store()
    for index, run_id in enumerate(run_ids):
        try:
            send_run(run_id)
        except Exception as exc:  # noqa: BLE001 - the broker went away between the check and the send
            for unsent in run_ids[index:]:
                store.fail(unsent, JOB_SERVICE_UNAVAILABLE)
            raise ServiceUnavailable(JOB_SERVICE_UNAVAILABLE) from exc


def get(run_id: object) -> RunState:
    """The run and its queue position; raises RunNotFound for a bad or unknown id.

    Runs whose training process died or stopped beating are failed first, so that a page never
    shows a dead run as running."""
    store = run_store()
    store.fail_dead_workers()
    run = store.get(run_id)  # validates the id
    return RunState(run, store.queue_position(run.id) if run.status == "queued" else 0)


def group(group_id: object) -> list[Run]:
    """The runs of a group, in the order they were submitted (dead ones failed first)."""
    store = run_store()
    store.fail_dead_workers()
    return store.group(group_id)


def cancel(run_id: object, session: str | None, instructor_key: object = None) -> bool:
    """Cancel an active run of this browser session: a queued one at once, a running one after its
    epoch. False for another browser's run, an ended run or a bad id.

    The instructor (whoever holds RNNLAB_INSTRUCTOR_KEY) may cancel any browser's run: the key is
    checked here, on every call, whatever a page believes about it."""
    store = run_store()
    try:
        run = store.get(run_id)
    except RunNotFound:
        return False
    if run.session in (None, session):
        return store.request_cancel(run.id)
    if not instructor_key_matches(instructor_key):
        return False
    return store.request_cancel(run.id, reason="cancelled by the instructor")


PINNED_RUN = "pinned_run"
NICKNAME_MAX = 32


class NicknameError(ValueError):
    """A nickname that cannot be shown: empty, too long, or with invisible or control characters."""


def clean_nickname(nickname: object) -> str:
    """A nickname checked for the class view: 1 to 32 visible characters (letters of any script,
    digits, spaces, punctuation, symbols). It is always shown as text, so markup-like characters
    are allowed and show as typed; control, format (bidi overrides, zero-width) and unassigned
    characters are refused, as they could hide or reorder what others read."""
    if not isinstance(nickname, str):
        raise NicknameError("type a nickname")
    text = " ".join(nickname.split())
    if not text:
        raise NicknameError("type a nickname")
    if len(text) > NICKNAME_MAX:
        raise NicknameError(f"a nickname has at most {NICKNAME_MAX} characters; this one has {len(text)}")
    bad = next((c for c in text if unicodedata.category(c).startswith(("C", "Z")) and c != " "), None)
    if bad is not None:
        raise NicknameError(f"a nickname cannot contain the invisible or control character U+{ord(bad):04X}")
    return text


def set_nickname(session: str | None, nickname: object) -> str:
    """Save this browser session's nickname (checked by :func:`clean_nickname`); returns it."""
    if not isinstance(session, str) or not session:
        raise NicknameError("this browser has no session yet: reload the page")
    text = clean_nickname(nickname)
    run_store().set_nickname(session, text)
    return text


def nicknames() -> dict[str, str]:
    """Every browser session's nickname, by session."""
    return run_store().nicknames()


def pin(run_id: object, instructor_key: object) -> bool:
    """Pin a run to the projector view; only the instructor may (the key is checked here). False for
    a wrong or missing key, or a bad or unknown run id."""
    if not instructor_key_matches(instructor_key):
        return False
    store = run_store()
    try:
        run = store.get(run_id)
    except RunNotFound:
        return False
    store.set_setting(PINNED_RUN, run.id)
    return True


def pinned() -> Run | None:
    """The run pinned to the projector view, if any and if it still exists."""
    store = run_store()
    run_id = store.setting(PINNED_RUN)
    try:
        return store.get(run_id) if run_id else None
    except RunNotFound:
        return None


def active_count(session: str) -> int:
    """This browser session's own queued and running runs (its clicks on Train); the runs of its
    sweep or scan are not counted: they have a limit of their own (one active sweep or scan)."""
    return run_store().active_count(session, priority=INTERACTIVE)


def list_runs() -> list[Run]:
    """Every run, newest first (dead ones failed first)."""
    store = run_store()
    store.fail_dead_workers()
    return store.list()


def summaries() -> list[RunSummary]:
    """Every run, newest first, without history or predictions (dead ones failed first): what the
    class view re-reads every few seconds for everyone's runs."""
    store = run_store()
    store.fail_dead_workers()
    return store.summaries()


def delete(run_id: object, session: str | None) -> bool:
    """Delete an ended run of this browser session (or one no browser started); False otherwise."""
    store = run_store()
    try:
        run = store.get(run_id)
    except RunNotFound:
        return False
    if run.active or run.session not in (None, session):
        return False
    store.delete(run.id)
    return True


def model_bytes(run_id: object) -> bytes:
    """A run's trained model (.keras), checked against its SHA-256; raises RunNotFound with the reason."""
    return run_store().model_bytes(run_id)


def find(run_ids: list[object]) -> list[Run]:
    """The runs with these ids that exist, in that order (bad and unknown ids skipped)."""
    store = run_store()
    found = []
    for run_id in run_ids:
        try:
            found.append(store.get(run_id))
        except RunNotFound:
            continue
    return found
