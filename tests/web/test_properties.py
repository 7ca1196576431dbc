"""Property-based tests of `POST /api/chat`: whatever arrives, the answer is JSON with the
emergency numbers, never a 500 and never a traceback. Rasa is down (a closed port), so a valid
request gets the 503 and an invalid one a 4xx with a reason."""

from __future__ import annotations

import json
import re
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.web.conftest import closed_port
from web import create_app
from web.sessions import is_valid, new_session_id

MAX_CHARS = 2000
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RASA_URL", f"http://127.0.0.1:{closed_port()}")
        mp.setenv("ACTION_SERVER_URL", f"http://127.0.0.1:{closed_port()}/webhook")
        mp.setenv("VAR_DIR", str(tmp_path_factory.mktemp("var")))
        mp.setenv("RASA_TIMEOUT_S", "1")
        mp.setenv("RATE_LIMIT_CHAT", "100000 per minute")
        mp.setenv("MAX_MESSAGE_CHARS", str(MAX_CHARS))
        # TESTING propagates exceptions: a bug surfaces as a failing example, not a quiet 500.
        app = create_app({"TESTING": True, "GAP_LOG": False})
        yield app.test_client()


def check_answer(response, valid: bool | None = None) -> dict:
    """What every answer must be; `valid` says which kind of answer it must be, if known."""
    assert response.mimetype == "application/json", response.get_data()[:200]
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and 'File "' not in text
    body = json.loads(text)
    assert response.status_code == 503 or 400 <= response.status_code < 500, body
    assert "999" in body["messages"][0]["text"]
    assert "01926 414144" in body["messages"][0]["text"]
    assert isinstance(body["error"], str) and len(body["error"]) > 10
    if response.status_code == 503:
        assert "not available" in body["error"]
    if valid is True:
        assert response.status_code == 503, body["error"]
    elif valid is False:
        assert 400 <= response.status_code < 500
    return body


# -- what a valid request is, written from the API's contract --------------------------------

DISALLOWED = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def is_valid_request(body: object, secret: str) -> bool:
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        return False
    message = body["message"]
    if DISALLOWED.search(message):
        return False
    cleaned = unicodedata.normalize("NFC", message).strip()
    if not cleaned or len(cleaned) > MAX_CHARS:
        return False
    session_id = body.get("session_id")
    if session_id is not None and not is_valid(secret, session_id):
        return False
    return isinstance(body.get("page") or "", str)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
# Text a practitioner could type: any letter, digit, punctuation, symbol, space or emoji.
printable = st.characters(
    blacklist_categories=("Cc", "Cs", "Cf", "Co", "Cn"), blacklist_characters="\x85"
)
messages = st.one_of(
    st.text(printable, min_size=1, max_size=300),
    st.text(printable, min_size=MAX_CHARS - 5, max_size=MAX_CHARS + 5),
    st.text(max_size=300),  # anything at all, control characters and surrogates included
    st.sampled_from(["", " ", "\n\t", "\u3000", "hi\x00", "a\u202eb", "\ud800", "\x1b[2J"]),
    json_values,
)
forged_ids = st.from_regex(r"\A[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}\Z")
content_types = st.one_of(
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "application/vnd.api+json",
            "text/plain",
            "text/html",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/octet-stream",
            "",
        ]
    ),
    st.from_regex(r"\A[a-z]{1,10}/[a-z+.-]{1,15}\Z"),
)


@SETTINGS
@given(raw=st.binary(max_size=2000), content_type=content_types)
def test_any_bytes_with_any_content_type(client, raw, content_type):
    response = client.post("/api/chat", data=raw, content_type=content_type)
    check_answer(response)
    if not content_type.split(";")[0].strip().endswith(("/json", "+json")):
        assert response.status_code == 415


@SETTINGS
@given(value=json_values, ensure_ascii=st.booleans())
def test_any_json_value(client, value, ensure_ascii):
    # Raw, a lone surrogate becomes bytes that are not UTF-8: refused as such.
    data = json.dumps(value, ensure_ascii=ensure_ascii).encode("utf-8", "surrogatepass")
    response = client.post("/api/chat", data=data, content_type="application/json")
    body = check_answer(response, valid=False)
    if not isinstance(value, dict):
        assert body["error"] == "The request body must be a JSON object."


@SETTINGS
@given(
    message=messages,
    session=st.one_of(
        st.none(),
        st.just("issued"),
        forged_ids,
        st.text(max_size=60),
        st.integers(),
        st.just("missing"),
    ),
    page=st.one_of(st.just("missing"), st.text(max_size=400), json_values),
    ensure_ascii=st.booleans(),
)
def test_generated_chat_bodies(client, message, session, page, ensure_ascii):
    secret = client.application.config["SECRET_KEY"]
    body: dict = {"message": message}
    if session == "issued":
        session = new_session_id(secret)
    if session != "missing":
        body["session_id"] = session
    if page != "missing":
        body["page"] = page
    valid = is_valid_request(body, secret)
    data = json.dumps(body, ensure_ascii=ensure_ascii).encode("utf-8", "surrogatepass")
    response = client.post("/api/chat", data=data, content_type="application/json")
    answer = check_answer(response, valid=valid)
    if valid:
        assert is_valid(secret, answer["session_id"])
        if "session_id" in body and body["session_id"] is not None:
            assert answer["session_id"] == body["session_id"]  # the conversation carries on


@settings(max_examples=30, deadline=None, database=None)
@given(
    message=st.text(printable, min_size=1, max_size=MAX_CHARS).filter(str.strip),
    ensure_ascii=st.booleans(),
)
def test_every_printable_message_up_to_the_limit_is_accepted(client, message, ensure_ascii):
    """Any language, any emoji, written raw or as JSON escapes: never refused for its text."""
    data = json.dumps({"message": message, "session_id": None}, ensure_ascii=ensure_ascii)
    response = client.post("/api/chat", data=data, content_type="application/json")
    check_answer(response, valid=True)
