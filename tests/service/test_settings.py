"""The service's settings from the environment: the session cookie key."""
from service.settings import secret_key


def test_the_cookie_key_comes_from_the_environment_when_servers_share_a_class(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RNNLAB_SECRET_KEY", "shared by every server of the class")
    assert secret_key() == b"shared by every server of the class"
    assert not (tmp_path / "session.key").exists()


def test_without_it_a_random_key_is_kept_in_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("RNNLAB_SECRET_KEY", raising=False)
    key = secret_key()
    assert len(key) == 32 and secret_key() == key == (tmp_path / "session.key").read_bytes()
    assert (tmp_path / "session.key").stat().st_mode & 0o777 == 0o600


def test_the_banner_names_a_run_store_that_does_not_answer(tmp_path, monkeypatch):
    import socket

    from service.settings import RUN_STORE_UNAVAILABLE, run_store_problem

    monkeypatch.setenv("RNNLAB_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert run_store_problem() is None
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        monkeypatch.setenv("DATABASE_URL", f"postgresql+psycopg://postgres@127.0.0.1:{closed.getsockname()[1]}/x")
        assert run_store_problem() == RUN_STORE_UNAVAILABLE
