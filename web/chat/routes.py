from __future__ import annotations

import json
import logging
import re
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from bot.gaps.hook import Gap, record_gap
from web.chat.validation import BadRequest, parse_chat_request
from web.metrics import CHAT_TURNS
from web.rasa_client import RasaUnavailable, normalise
from web.safety import safety_message
from web.sessions import is_valid, new_session_id

bp = Blueprint("chat", __name__, url_prefix="/api")
_SURROGATES = re.compile(r"[\ud800-\udfff]")
log = logging.getLogger(__name__)


def error(message: str, status: int) -> tuple[Response, int]:
    """Every error still carries the numbers a practitioner in a hurry needs."""
    if request.endpoint == "chat.chat":
        CHAT_TURNS.labels("rejected").inc()
    return jsonify({"error": message, "messages": [safety_message(message)]}), status


def read_json_body(max_bytes: int) -> Any:
    """The request's JSON value, or `BadRequest` with a clear reason. Parsed here rather than
    with `request.get_json`: deeply nested JSON raises RecursionError, which Flask's silent
    mode does not catch (a 500), and a body of JSON `null` is not "invalid JSON"."""
    if not request.is_json:
        raise BadRequest("Send JSON with Content-Type: application/json.", 415)
    if request.content_length and request.content_length > max_bytes:
        raise BadRequest("The request is too large.", 413)
    raw = request.get_data(cache=True)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest("The request is not valid UTF-8 text.", 400) from None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise BadRequest("The request body is not valid JSON.", 400) from None


@bp.post("/chat")
def chat() -> Any:
    settings = current_app.config["SETTINGS"]
    try:
        # Room for a message at the limit written entirely as JSON escapes ("\ud83d\ude00"
        # is 12 bytes for one character), plus the session id and page.
        body = read_json_body(settings.max_message_chars * 12 + 2048)
    except BadRequest as exc:
        return error(str(exc), exc.status)
    try:
        chat_request = parse_chat_request(body, settings.max_message_chars)
    except BadRequest as exc:
        return error(str(exc), exc.status)
    secret = current_app.config["SECRET_KEY"]
    session_id = chat_request.session_id
    if session_id is None:
        session_id = new_session_id(secret)
    elif not is_valid(secret, session_id):
        return error("Unknown conversation. Start a new one by sending session_id null.", 400)
    client = current_app.extensions["rasa_client"]
    try:
        raw_messages = client.send(session_id, chat_request.message)
    except RasaUnavailable as exc:
        log.warning("chat: Rasa unavailable: %s", exc)
        CHAT_TURNS.labels("rasa_unavailable").inc()
        return jsonify(
            {
                "session_id": session_id,
                "error": "The guidance bot is not available right now.",
                "messages": [safety_message("Sorry, the guidance bot is not available right now.")],
            }
        ), 503
    messages = normalise(raw_messages)
    if not messages:
        # Rasa answered but said nothing: typically the action server is down.
        log.warning("chat: empty reply from Rasa (action server down?)")
        CHAT_TURNS.labels("empty_reply").inc()
        messages = [safety_message("Sorry, I couldn't find an answer just now.")]
    else:
        CHAT_TURNS.labels("answered").inc()
    return jsonify({"session_id": session_id, "messages": messages})


@bp.post("/feedback")
def feedback() -> Any:
    """Thumbs up/down from the widget. A thumbs-down is a gap: the question and the answer
    that did not help go to the gap log (redacted there)."""
    limit = current_app.config["SETTINGS"].max_message_chars
    try:
        body = read_json_body(current_app.config["MAX_CONTENT_LENGTH"])
    except BadRequest as exc:
        return error(str(exc), exc.status)
    if not isinstance(body, dict):
        return error("The request body must be a JSON object.", 400)
    rating = body.get("rating")
    if rating not in {"up", "down"}:
        return error("'rating' must be 'up' or 'down'.", 400)
    secret = current_app.config["SECRET_KEY"]
    session_id = body.get("session_id")
    if not is_valid(secret, session_id):
        return error("Unknown conversation.", 400)
    question, answer = body.get("question") or "", body.get("answer") or ""
    if not isinstance(question, str) or not isinstance(answer, str):
        return error("'question' and 'answer' must be strings.", 400)
    # Lone surrogates ("\\ud800" in JSON) cannot be encoded for the gap log: drop them.
    question, answer = (_SURROGATES.sub("", question), _SURROGATES.sub("", answer))
    if rating == "down":
        record_gap(
            Gap(
                reason="negative_feedback",
                text=question[:limit],
                conversation_id=str(session_id),
                intent="thumbs_down",
                answer_given=answer[:limit],
                channel="widget",
            )
        )
    return jsonify({"ok": True})
