"""Conversation ids that the server creates and can verify without storing them.

An id is a random token plus an HMAC of it under the app's secret key: web replicas share the
key, not a table, and a forged or mistyped id is refused before it reaches Rasa.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

_FORMAT = re.compile(r"^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$")


def _mac(secret: str, token: str) -> str:
    digest = hmac.new(secret.encode(), token.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def new_session_id(secret: str) -> str:
    token = secrets.token_urlsafe(16)
    return f"{token}.{_mac(secret, token)}"


def is_valid(secret: str, session_id: object) -> bool:
    if not isinstance(session_id, str) or not _FORMAT.match(session_id):
        return False
    token, mac = session_id.split(".")
    return hmac.compare_digest(mac, _mac(secret, token))
