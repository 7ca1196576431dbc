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
    ],
)
def test_bad_input_gets_a_clear_4xx_with_the_numbers(client, kwargs, status, fragment):
    response = client.post("/api/chat", **kwargs)
    assert response.status_code == status
    body = response.get_json()
    assert fragment in body["error"]
    assert_safety(body)


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
