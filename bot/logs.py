"""JSON-line logs for all three services (web app, action server, Rasa), with user text kept out.

One object per line on standard output, so a log shipper (journald, Docker, Kubernetes) can
index the fields without parsing prose:

    {"time": "2026-11-24T15:30:01.123Z", "level": "info", "service": "web",
     "logger": "web.requests", "message": "request", "method": "POST", "path": "/api/chat",
     "status": 200, "duration_ms": 24.1}

What practitioners type must never be stored unredacted, and logs are stored. Three layers:

1. Our own code logs ids, intents, reasons and counts, never a message's text.
2. Rasa logs through structlog, which renders each event as JSON with the user's words under
   keys it lists itself (`text`, `user_message`, `parse_data_text`, ...; Rasa's own
   `_anonymizer` in rasa/utils/log_utils.py names them, and Rasa Pro fills them in). Those
   keys are replaced here before the line is written.
3. Every free-text message and traceback goes through the pattern layer of the gap log's
   redaction (bot/gaps/redact.py: emails, phone, NHS and NI numbers, postcodes, dates of
   birth, addresses), which needs no spaCy and so runs in Rasa's process too.

Names are not patterns: at DEBUG level Rasa logs each message as received, so with
APP_ENV=production every handler drops records below INFO (`ProductionLevel`).

Standard library only (plus bot/gaps/redact.py): Rasa's Python 3.10 process imports this
module too (nlu_components/serve.py).
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any

from bot.gaps.redact import redact_shapes

# Keys under which Rasa's structlog events carry what the user typed, or state derived from it
# (rasa/utils/log_utils.py, `_anonymizer`, Rasa 3.6.21).
USER_TEXT_KEYS = frozenset(
    {
        "text",
        "response_text",
        "user_text",
        "slot_values",
        "parse_data_text",
        "parse_data_entities",
        "prediction_events",
        "tracker_latest_message",
        "prefilled_slots",
        "message",
        "response",
        "slot_candidates",
        "rasa_event",
        "rasa_events",
        "tracker_states",
        "current_states",
        "old_states",
        "successes",
        "current_entity",
        "next_entity",
        "states",
        "entity",
        "token_text",
        "user_message",
        "json_message",
    }
)
WITHHELD = "[withheld]"
# Structured fields our own code passes with `extra=` (web/metrics.py's request line) and the
# formatter copies as they are.
FIELDS = ("method", "path", "status", "duration_ms")


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str = "") -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
        }
        message = record.getMessage()
        event = _structlog_event(message)
        if event is not None:
            entry.update(_scrub_event(event))
        else:
            entry["message"] = redact_shapes(message)
        for key in FIELDS:
            value = record.__dict__.get(key)
            if value is not None and key not in entry:
                entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            entry["exc_type"] = record.exc_info[0].__name__
            entry["exc"] = redact_shapes(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exc"] = redact_shapes(record.exc_text)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _structlog_event(message: str) -> dict[str, Any] | None:
    """Rasa's structlog events arrive already rendered as a JSON object."""
    if not (message.startswith("{") and message.endswith("}")):
        return None
    try:
        value = json.loads(message)
    except ValueError:
        return None
    return value if isinstance(value, dict) and "event" in value else None


def _scrub_event(event: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in event.items():
        if key in USER_TEXT_KEYS:
            out[key] = WITHHELD
        elif key != "level":  # ours says the same
            out[key] = _scrub(value)
    return out


def _scrub(value: Any) -> Any:
    """Every string inside a (JSON) value, keys included, through the redaction patterns; a
    string at a time, so a replacement can never break the structure around it."""
    if isinstance(value, str):
        return redact_shapes(value)
    if isinstance(value, dict):
        return {redact_shapes(str(k)): _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


class ProductionLevel(logging.Filter):
    """With APP_ENV=production nothing below INFO is written: Rasa's DEBUG lines quote each
    message as it arrives, and no pattern can find a name in them."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.INFO or os.environ.get("APP_ENV") != "production"


def dict_config(service: str, level: str | None = None) -> dict[str, Any]:
    """A `logging.config.dictConfig` that sends every logger, the root and the servers' own
    (gunicorn's, Sanic's), to one JSON handler on standard output."""
    level = (level or os.environ.get("LOG_LEVEL") or "INFO").upper()
    handler = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stdout",
        "formatter": "json",
        "filters": ["production"],
        # Also for loggers that set their own, lower level (bm25s logs at DEBUG).
        "level": level,
    }
    own = {"handlers": ["json"], "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter", "service": service}},
        "filters": {"production": {"()": f"{__name__}.ProductionLevel"}},
        "handlers": {"json": handler},
        "root": {"handlers": ["json"], "level": level},
        "loggers": {
            name: dict(own)
            for name in (
                "gunicorn.error",
                "gunicorn.access",
                "sanic.root",
                "sanic.error",
                "sanic.access",
                "sanic.server",
                "sanic.websockets",
            )
        },
    }


def configure(service: str) -> None:
    """JSON logging for one of our own processes (the action server; gunicorn's workers get
    the same from web/gunicorn_conf.py)."""
    import logging.config

    logging.config.dictConfig(dict_config(service))
    logging.captureWarnings(True)


def use_for_sanic(service: str) -> None:
    """Sanic configures its own loggers when an app is created (from `LOGGING_CONFIG_DEFAULTS`:
    plain text on stdout and stderr), as Rasa's server does; this makes that default ours, so
    its lines are JSON too. (rasa_sdk's app is created with `configure_logging=False`: Sanic's
    loggers there have no handlers and reach the root's JSON one.) The root logger is left
    out: configuring it again would drop the handler `configure` gave it."""
    import sanic.log

    config = dict_config(service)
    del config["root"]
    sanic.log.LOGGING_CONFIG_DEFAULTS.clear()
    sanic.log.LOGGING_CONFIG_DEFAULTS.update(config)
