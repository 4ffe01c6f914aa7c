"""The classroom load script at CI size, in both set-ups: 6 users within a few seconds who follow
their runs, and users who only click Train (their runs are trained all the same)."""
import pytest

from benchmarks.classroom_load import run_load


@pytest.mark.parametrize("mode", ["embedded", pytest.param("celery", marks=pytest.mark.celery)])
def test_six_users_start_trainings_at_once(mode):
    result = run_load(mode, users=6, window=3.0, epochs=5, timeout=300, trainers=2)
    assert result["errors"] == []
    assert result["finished"] == 6 and result["lost"] == []
    assert result["http_5xx"] == 0
    assert result["queue_wait_max_s"] is not None and result["peak_rss_mb"] > 0


@pytest.mark.parametrize("mode", ["embedded", pytest.param("celery", marks=pytest.mark.celery)])
def test_runs_started_over_http_finish_without_any_follow_up_request(mode):
    """One path: a submitted run is trained whether or not any browser follows it."""
    result = run_load(mode, users=4, window=1.0, epochs=3, timeout=300, trainers=2, follow=False)
    assert result["errors"] == []
    assert result["finished"] == 4 and result["lost"] == []
    assert result["http_5xx"] == 0
