"""Schema for `POST /api/chat`: every bad input becomes a clear 4xx, never a 500."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


@dataclass
class ChatRequest:
    message: str
    session_id: str | None
    page: str = ""


class BadRequest(ValueError):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def parse_chat_request(body: Any, max_chars: int) -> ChatRequest:
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    message = body.get("message")
    if not isinstance(message, str):
        raise BadRequest("'message' is required and must be a string.")
    if _CONTROL.search(message):
        raise BadRequest("The message contains control characters.")
    if _SURROGATE.search(message):
        # A lone "\\ud800" escape is valid JSON but not text: it cannot be encoded, redacted
        # or stored.
        raise BadRequest("The message is not valid Unicode text.")
    message = unicodedata.normalize("NFC", message).strip()
    if not message:
        raise BadRequest("The message is empty.")
    if len(message) > max_chars:
        raise BadRequest(f"The message is too long (over {max_chars} characters).", 413)
    session_id = body.get("session_id")
    if session_id is not None and not isinstance(session_id, str):
        raise BadRequest("'session_id' must be a string or null.")
    page = body.get("page") or ""
    if not isinstance(page, str):
        raise BadRequest("'page' must be a string.")
    # The widget sends the page it sits on. It is checked (a wrong type is the client's bug)
    # but not forwarded to Rasa (web/rasa_client.py says why); unprintable bits are dropped.
    page = _SURROGATE.sub("", _CONTROL.sub("", page))[:300]
    return ChatRequest(message=message, session_id=session_id, page=page)
