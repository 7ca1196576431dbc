from __future__ import annotations

import pytest

from web.sessions import is_valid, new_session_id


def assert_safety(body: dict) -> None:
    text = body["messages"][0]["text"]
    assert "999" in text
    assert "01926 414144" in text


def test_rasa_down_gives_503_with_emergency_and_front_door(client):
    response = client.post("/api/chat", json={"message": "what is cuckooing"})
    assert response.status_code == 503
    body = response.get_json()
    assert_safety(body)
    assert is_valid(client.application.config["SECRET_KEY"], body["session_id"])


@pytest.mark.parametrize(
    ("kwargs", "status", "fragment"),
    [
        ({"data": "hello", "content_type": "text/plain"}, 415, "JSON"),
        ({"data": "{not json", "content_type": "application/json"}, 400, "not valid JSON"),
        ({"json": ["a", "list"]}, 400, "JSON object"),
        ({"json": {}}, 400, "'message' is required"),
        ({"json": {"message": 42}}, 400, "must be a string"),
        ({"json": {"message": "   "}}, 400, "empty"),
        ({"json": {"message": "x" * 2001}}, 413, "too long"),
        ({"json": {"message": "hi\x00there"}}, 400, "control characters"),
        ({"json": {"message": "hi", "session_id": 7}}, 400, "session_id"),
        ({"json": {"message": "hi", "session_id": "made-up"}}, 400, "Unknown conversation"),
        ({"data": b'{"message": "\xff\xfe"}', "content_type": "application/json"}, 400, "UTF-8"),
        # Wrong or missing content type, whatever the body.
        ({"data": {"message": "hi"}}, 415, "JSON"),  # a form post
        ({"data": '{"message": "hi"}'}, 415, "JSON"),  # no Content-Type at all
        ({"data": '{"message": "hi"}', "content_type": "multipart/form-data"}, 415, "JSON"),
        ({"data": b"\x89PNG\r\n\x1a\n\x00\x00", "content_type": "image/png"}, 415, "JSON"),
        # Binary sent as JSON; malformed and non-object JSON.
        ({"data": b"\x89PNG\r\n\x1a\n\x00\x00", "content_type": "application/json"}, 400, "UTF-8"),
        ({"data": b"", "content_type": "application/json"}, 400, "not valid JSON"),
        ({"data": '{"message": "hi",}', "content_type": "application/json"}, 400, "not valid JSON"),
        ({"data": "[" * 5000 + "]" * 5000, "content_type": "application/json"}, 400, "valid JSON"),
        ({"data": "null", "content_type": "application/json"}, 400, "JSON object"),
        ({"json": 42}, 400, "JSON object"),
        ({"json": "what is cuckooing"}, 400, "JSON object"),
        ({"json": True}, 400, "JSON object"),
        # Missing or non-string message.
        ({"json": {"message": None}}, 400, "'message' is required"),
        ({"json": {"message": ["hi"]}}, 400, "must be a string"),
        ({"json": {"message": {"text": "hi"}}}, 400, "must be a string"),
        ({"json": {"text": "hi"}}, 400, "'message' is required"),
        # Empty or whitespace of any kind.
        ({"json": {"message": ""}}, 400, "empty"),
        ({"json": {"message": "\n\t \u00a0\u3000"}}, 400, "empty"),
        # Control characters: escape sequences, DEL, C1, bidi overrides; lone surrogates.
        ({"json": {"message": "hi \x1b[31mred"}}, 400, "control characters"),
        ({"json": {"message": "hi\x7f"}}, 400, "control characters"),
        ({"json": {"message": "hi\x85"}}, 400, "control characters"),
        ({"json": {"message": "abc\u202edcba"}}, 400, "control characters"),
        ({"data": '{"message": "hi \\ud800"}', "content_type": "application/json"}, 400, "Unicode"),
        # Forged session ids: wrong type, right shape with a made-up or foreign signature.
        ({"json": {"message": "hi", "session_id": ["x"]}}, 400, "session_id"),
        ({"json": {"message": "hi", "session_id": "A" * 22 + "." + "B" * 22}}, 400, "Unknown"),
        (
            {"json": {"message": "hi", "session_id": new_session_id("another key")}},
            400,
            "Unknown conversation",
        ),
        ({"json": {"message": "hi", "page": 5}}, 400, "'page'"),
        # Far over the message limit: refused before it is parsed.
        ({"json": {"message": "x" * 30000}}, 413, "too large"),
        ({"data": "x" * 70000, "content_type": "application/json"}, 413, "too large"),
    ],
)
def test_bad_input_gets_a_clear_4xx_with_the_numbers(client, kwargs, status, fragment):
    response = client.post("/api/chat", **kwargs)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert fragment in body["error"]
    assert_safety(body)


def test_a_message_at_the_limit_is_accepted_and_the_limit_is_configurable(
    client, monkeypatch, tmp_path
):
    assert client.post("/api/chat", json={"message": "x" * 2000}).status_code == 503
    # Surrounding whitespace does not count towards the limit.
    assert client.post("/api/chat", json={"message": " " + "x" * 2000 + "\n"}).status_code == 503

    from tests.web.conftest import closed_port
    from web import create_app

    monkeypatch.setenv("RASA_URL", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("MAX_MESSAGE_CHARS", "50")
    small = create_app({"TESTING": True, "GAP_LOG": False}).test_client()
    assert small.post("/api/chat", json={"message": "x" * 50}).status_code == 503
    response = small.post("/api/chat", json={"message": "x" * 51})
    assert response.status_code == 413
    assert "over 50 characters" in response.get_json()["error"]


def test_bad_requests_never_reach_rasa_nor_lose_the_conversation(stub_app, rasa_stub):
    client = stub_app.test_client()
    first = client.post("/api/chat", json={"message": "what is cuckooing", "session_id": None})
    assert first.status_code == 200
    sid = first.get_json()["session_id"]
    assert first.get_json()["messages"][0]["text"] == "echo: what is cuckooing"
    for bad in (
        {"message": "", "session_id": sid},
        {"message": "x" * 2001, "session_id": sid},
        {"message": "hi\x00", "session_id": sid},
        {"message": 3, "session_id": sid},
        {"message": "hi", "session_id": sid[:-1] + ("A" if sid[-1] != "A" else "B")},
    ):
        assert 400 <= client.post("/api/chat", json=bad).status_code < 500
    assert (
        client.post("/api/chat", data="{oops", content_type="application/json").status_code == 400
    )
    # The same conversation carries on, and Rasa saw only the two good turns, with its id.
    second = client.post("/api/chat", json={"message": "  and county lines?  ", "session_id": sid})
    assert second.status_code == 200
    assert second.get_json()["session_id"] == sid
    turns = rasa_stub.messages()
    assert [(t["sender"], t["message"]) for t in turns] == [
        (sid, "what is cuckooing"),
        (sid, "and county lines?"),
    ]


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ("[" * 5000 + "]" * 5000, 400, "valid JSON"),
        ("null", 400, "JSON object"),
        ('{"rating": "sideways"}', 400, "'rating'"),
        ('{"rating": "down", "session_id": "forged"}', 400, "Unknown conversation"),
    ],
)
def test_feedback_refuses_bad_input_with_a_4xx(client, body, status, fragment):
    response = client.post("/api/feedback", data=body, content_type="application/json")
    assert response.status_code == status
    assert fragment in response.get_json()["error"]


def test_unknown_route_and_method_answer_json(client):
    assert client.get("/api/nothing").status_code == 404
    response = client.get("/api/chat")
    assert response.status_code == 405
    assert_safety(response.get_json())


def test_session_ids_are_unguessable_and_verifiable():
    ids = {new_session_id("k") for _ in range(100)}
    assert len(ids) == 100
    sid = next(iter(ids))
    assert is_valid("k", sid)
    assert not is_valid("other-key", sid)
    assert not is_valid("k", sid[:-1] + ("A" if sid[-1] != "A" else "B"))


def test_security_headers_on_pages_and_api(client):
    for path in ("/", "/api/config"):
        response = client.get(path)
        assert response.status_code == 200
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_healthz_reports_rasa_down(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["rasa"]["ok"] is False
    assert checks["action_server"]["ok"] is False


def test_widget_config_comes_from_branding_and_contacts(client):
    data = client.get("/api/config").get_json()
    assert data["name"] == "Warwickshire Safeguarding"
    assert {c["number"] for c in data["safety_contacts"]} == {"999", "01926 414144"}
    assert client.get("/widget.js").status_code == 200


def test_rate_limit_answers_429_with_the_emergency_number(monkeypatch, tmp_path):
    from tests.web.conftest import closed_port
    from web import create_app

    monkeypatch.setenv("RASA_URL", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("RATE_LIMIT_CHAT", "2 per minute")
    client = create_app({"TESTING": True, "GAP_LOG": False}).test_client()
    statuses = [client.post("/api/chat", json={"message": "hi"}).status_code for _ in range(3)]
    assert statuses[:2] == [503, 503]
    assert statuses[2] == 429
    body = client.post("/api/chat", json={"message": "hi"}).get_json()
    assert "999" in body["messages"][0]["text"]
    assert "01926 414144" in body["messages"][0]["text"]


@pytest.mark.parametrize("hops", [0, 1])
def test_rate_limit_key_trusts_forwarded_for_only_behind_a_proxy(monkeypatch, tmp_path, hops):
    from tests.web.conftest import closed_port
    from web import create_app

    monkeypatch.setenv("RASA_URL", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("RATE_LIMIT_CHAT", "2 per minute")
    monkeypatch.setenv("PROXY_HOPS", str(hops))
    client = create_app({"TESTING": True, "GAP_LOG": False}).test_client()
    statuses = [
        client.post(
            "/api/chat", json={"message": "hi"}, headers={"X-Forwarded-For": f"203.0.113.{i}"}
        ).status_code
        for i in range(4)
    ]
    # Behind one proxy each practitioner has an allowance; with no proxy configured a forged
    # header changes nothing.
    assert statuses == ([503] * 4 if hops else [503, 503, 429, 429])


def test_rate_limits_keep_working_when_redis_is_down(monkeypatch, tmp_path):
    from tests.web.conftest import closed_port
    from web import create_app

    monkeypatch.setenv("RASA_URL", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("RATE_LIMIT_CHAT", "2 per minute")
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{closed_port()}/0")
    client = create_app({"TESTING": True, "GAP_LOG": False}).test_client()
    statuses = [client.post("/api/chat", json={"message": "hi"}).status_code for _ in range(3)]
    assert statuses == [503, 503, 429]  # answered (Rasa is down too), and still limited
