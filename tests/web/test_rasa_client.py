"""The web app's client for Rasa's REST channel, against a real HTTP server on loopback."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from web.rasa_client import RasaClient, RasaUnavailable


class Webhook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        reply = json.dumps([{"recipient_id": body["sender"], "text": f"echo {body['message']}"}])
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def rasa_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_an_operators_http_proxy_is_not_used_for_rasa(rasa_url, monkeypatch):
    """A deployment that sets HTTP_PROXY for outbound traffic must still reach Rasa directly
    (requests would send 127.0.0.1 through the proxy unless NO_PROXY says otherwise)."""
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # the discard port: nothing there
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = RasaClient([rasa_url], timeout_s=5)
    assert client.send("s1", "hello") == [{"recipient_id": "s1", "text": "echo hello"}]


def closed_port() -> int:
    """A loopback port with nothing listening (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_server_that_refuses_the_connection_is_skipped(rasa_url):
    """A refused connection never reached Rasa, so the turn goes to the next server, whichever
    one the round robin starts at; with no server left it is a clear RasaUnavailable."""
    down = f"http://127.0.0.1:{closed_port()}"
    client = RasaClient([down, rasa_url], timeout_s=5)
    for i in range(3):
        assert client.send(f"s{i}", "hi") == [{"recipient_id": f"s{i}", "text": "echo hi"}]
    with pytest.raises(RasaUnavailable, match="did not answer"):
        RasaClient([down], timeout_s=5).send("s", "hi")


def test_a_reply_that_is_not_json_is_rasa_unavailable():
    class Garbage(Webhook):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.write(b"<html")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Garbage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = RasaClient([f"http://127.0.0.1:{server.server_address[1]}"], timeout_s=5)
        with pytest.raises(RasaUnavailable, match="not JSON"):
            client.send("s", "hi")
        assert client.parse("hi") == ("", 0.0)
    finally:
        server.shutdown()
