"""Talk to Rasa's REST channel over a pooled HTTP session, round-robin across servers.

One `requests.Session` per process keeps connections to Rasa open, so a turn costs one
request on a warm socket. Several RASA_URL values (comma-separated) are used in turn; Rasa's
Redis lock and tracker stores keep a conversation consistent across them.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError


class RasaUnavailable(RuntimeError):
    pass


class RasaClient:
    def __init__(self, urls: list[str], timeout_s: float, token: str = "") -> None:
        if not urls:
            raise ValueError("at least one Rasa URL is needed")
        self.urls = [u.rstrip("/") for u in urls]
        self.timeout_s = timeout_s
        self.token = token
        self._cycle = itertools.cycle(range(len(self.urls)))
        self._lock = threading.Lock()
        self._session = requests.Session()
        # Rasa is on loopback or a private network: never through an operator's HTTP_PROXY
        # (which requests would otherwise apply to 127.0.0.1 unless NO_PROXY says not to),
        # and no proxy or .netrc lookup in the environment on every turn (~0.6 ms, profiled).
        self._session.trust_env = False
        adapter = HTTPAdapter(pool_connections=len(self.urls), pool_maxsize=32, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def _next_url(self) -> str:
        with self._lock:
            return self.urls[next(self._cycle)]

    def send(self, sender: str, text: str) -> list[dict]:
        """One turn. A server that refuses the connection never saw the message, so the next
        server is tried; any other failure (it may have processed the turn) is not retried.

        No channel metadata is sent. Rasa 3.6 stores non-empty metadata as a slot event just
        before `action_session_start`, outside the session it then reads back from the tracker
        store, so every later save of the conversation missed `_merge_trackers`' fast path and
        compared every event with every other (measured: +1.5 ms a turn at the tenth turn,
        growing with the square of the length). Nothing in the bot read it."""
        body = {"sender": sender, "message": text}
        first = self._next_url()
        order = [first] + [u for u in self.urls if u != first]
        for attempt, base in enumerate(order):
            try:
                response = self._session.post(
                    f"{base}/webhooks/rest/webhook", json=body, timeout=(2.0, self.timeout_s)
                )
                break
            except requests.RequestException as exc:
                if attempt + 1 < len(order) and not_delivered(exc):
                    continue
                raise RasaUnavailable(f"Rasa did not answer: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise RasaUnavailable(f"Rasa answered HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError as exc:
            raise RasaUnavailable("Rasa sent a reply that is not JSON") from exc
        if not isinstance(data, list):
            raise RasaUnavailable("Rasa sent an unexpected reply")
        return data

    def parse(self, text: str) -> tuple[str, float]:
        """The live NLU model's intent for a text (Rasa's token-protected HTTP API)."""
        url = f"{self._next_url()}/model/parse"
        try:
            response = self._session.post(
                url,
                params={"token": self.token},
                json={"text": text},
                timeout=(2.0, self.timeout_s),
            )
            intent = response.json().get("intent") or {} if response.status_code == 200 else {}
        except (requests.RequestException, ValueError):
            return "", 0.0
        return str(intent.get("name") or ""), float(intent.get("confidence") or 0.0)

    def healthy(self) -> dict[str, bool]:
        status = {}
        for url in self.urls:
            try:
                status[url] = self._session.get(f"{url}/", timeout=2.0).status_code == 200
            except requests.RequestException:
                status[url] = False
        return status


def not_delivered(exc: requests.RequestException) -> bool:
    """True when the request cannot have reached Rasa: refused or timed out connecting."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(exc, requests.ConnectionError) and isinstance(reason, NewConnectionError)


def normalise(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rasa sends text and its custom payload (sources, contact cards) as separate entries;
    the widget wants one message each, in the API's shape."""
    messages: list[dict[str, Any]] = []
    for item in raw:
        custom = item.get("custom") if isinstance(item.get("custom"), dict) else None
        if item.get("text") is not None:
            messages.append(
                {
                    "text": str(item.get("text") or ""),
                    "buttons": [
                        {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                        for b in item.get("buttons") or []
                        if isinstance(b, dict)
                    ],
                    "sources": [],
                    "contacts": [],
                    "copy": False,
                }
            )
        if custom:
            if not messages:
                messages.append(
                    {"text": "", "buttons": [], "sources": [], "contacts": [], "copy": False}
                )
            target = messages[-1]
            target["sources"] = [
                {"title": str(s.get("title", "")), "url": str(s.get("url", ""))}
                for s in custom.get("sources") or []
                if isinstance(s, dict)
            ]
            target["contacts"] = [c for c in custom.get("contacts") or [] if isinstance(c, dict)]
            target["copy"] = bool(custom.get("copy"))
    return messages
