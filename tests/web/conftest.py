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


class RecordingServer:
    """A real HTTP server on loopback that stands in for Rasa (and the action server): it
    records every request it receives and answers the REST channel like Rasa would, echoing
    the message, so a test can prove what did and did not reach it."""

    def __init__(self) -> None:
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.requests: list[dict] = []
        recorded = self.requests

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorded.append({"method": self.command, "path": self.path, "body": body})
                if self.command == "POST" and self.path == "/webhooks/rest/webhook":
                    sent = json.loads(body)
                    reply = [{"recipient_id": sent["sender"], "text": f"echo: {sent['message']}"}]
                    payload, status = json.dumps(reply).encode(), 200
                else:
                    payload, status = b'{"error": "recorded"}', 200
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def messages(self) -> list[dict]:
        """The REST-channel turns Rasa received: [{"sender", "message", "metadata"}]."""
        import json

        return [
            json.loads(r["body"]) for r in self.requests if r["path"] == "/webhooks/rest/webhook"
        ]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def rasa_stub():
    server = RecordingServer()
    yield server
    server.close()


@pytest.fixture
def stub_app(monkeypatch, tmp_path, rasa_stub):
    """The web app talking to a recording stand-in for Rasa and the action server."""
    monkeypatch.setenv("RASA_URL", rasa_stub.url)
    monkeypatch.setenv("ACTION_SERVER_URL", f"{rasa_stub.url}/webhook")
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("RASA_TIMEOUT_S", "2")
    monkeypatch.setenv("RASA_TOKEN", "the-rasa-token")
    return create_app({"TESTING": True, "GAP_LOG": False})
