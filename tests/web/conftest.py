from __future__ import annotations

import socket

import pytest

from web import create_app


def closed_port() -> int:
    """A loopback port nobody listens on: a real 'Rasa is down'."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def app(monkeypatch, tmp_path):
    monkeypatch.setenv("RASA_URL", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("ACTION_SERVER_URL", f"http://127.0.0.1:{closed_port()}/webhook")
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("RASA_TIMEOUT_S", "1")
    from bot import resources

    resources.get_gap_store.cache_clear()  # each test gets its own database in tmp_path
    return create_app({"TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()
