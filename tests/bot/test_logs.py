"""bot/logs.py: every line one JSON object, and what a practitioner typed kept out of it."""

from __future__ import annotations

import io
import json
import logging
import logging.config

import pytest

from bot import logs


@pytest.fixture
def capture(monkeypatch):
    """A real handler from the same dictConfig the services use, writing to a buffer."""
    stream = io.StringIO()
    config = logs.dict_config("test", level="DEBUG")
    config["handlers"]["json"]["stream"] = stream
    config["loggers"] = {}
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    logging.config.dictConfig(config)
    yield stream
    root.handlers[:] = handlers
    root.setLevel(level)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_line_is_one_json_object_with_the_fields_a_shipper_indexes(capture):
    logging.getLogger("web.requests").info(
        "request", extra={"method": "POST", "path": "/api/chat", "status": 200, "duration_ms": 3.1}
    )
    (entry,) = lines(capture)
    assert entry["service"] == "test" and entry["level"] == "info"
    assert entry["logger"] == "web.requests" and entry["message"] == "request"
    assert (entry["method"], entry["path"], entry["status"]) == ("POST", "/api/chat", 200)
    assert entry["time"].endswith("Z") and "T" in entry["time"]


def test_shapes_in_free_text_and_tracebacks_are_redacted(capture):
    log = logging.getLogger("third.party")
    log.warning("could not handle 07700 900461 from k.b@example.org at CV34 6AB")
    try:
        raise ValueError("bad input: ring 07700 900461")
    except ValueError:
        log.exception("failed")
    first, second = lines(capture)
    assert "07700" not in first["message"] and "example.org" not in first["message"]
    assert "[PHONE]" in first["message"] and "[POSTCODE]" in first["message"]
    assert second["exc_type"] == "ValueError" and "[PHONE]" in second["exc"]
    assert "900461" not in json.dumps(second)


def test_rasa_structlog_events_lose_the_user_text_keys(capture):
    """Rasa renders its structlog events as JSON; the keys Rasa itself marks as user text go."""
    event = {
        "event": "rest.message.received.failure",
        "text": "Kayleigh Brennan said her stepdad hits her",
        "parse_data_entities": [{"value": "Kayleigh"}],
        "sender_id": "abc",
        "slots": [{"name": "callback", "value": "ring 07700 900461"}],
        "level": "error",
    }
    logging.getLogger("rasa.core.channels.rest").error(json.dumps(event))
    (entry,) = lines(capture)
    assert entry["event"] == "rest.message.received.failure" and entry["sender_id"] == "abc"
    assert entry["text"] == logs.WITHHELD and entry["parse_data_entities"] == logs.WITHHELD
    assert "Kayleigh" not in capture.getvalue()
    assert entry["slots"] == [{"name": "callback", "value": "ring [PHONE]"}]  # nested, still JSON
    assert entry["level"] == "error"


def test_production_drops_debug_lines_where_rasa_quotes_messages(capture, monkeypatch):
    log = logging.getLogger("rasa.core.processor")
    log.setLevel(logging.DEBUG)
    monkeypatch.setenv("APP_ENV", "production")
    log.debug("Received user message 'Kayleigh Brennan'")
    log.info("kept")
    monkeypatch.delenv("APP_ENV")
    log.debug("development keeps debug")
    assert [e["message"] for e in lines(capture)] == ["kept", "development keeps debug"]


def test_sanic_default_config_becomes_json(monkeypatch):
    import sanic.log

    saved = dict(sanic.log.LOGGING_CONFIG_DEFAULTS)
    try:
        logs.use_for_sanic("actions")
        config = sanic.log.LOGGING_CONFIG_DEFAULTS
        assert "root" not in config  # the root's JSON handler is left alone
        assert config["formatters"]["json"]["service"] == "actions"
        assert config["loggers"]["sanic.error"]["handlers"] == ["json"]
    finally:
        sanic.log.LOGGING_CONFIG_DEFAULTS.clear()
        sanic.log.LOGGING_CONFIG_DEFAULTS.update(saved)
