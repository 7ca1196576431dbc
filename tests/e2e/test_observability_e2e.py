"""Logs and metrics of the real stack: every line the three services write is one JSON object
with nothing the practitioner typed in it, and each service's /metrics counts the turns."""

from __future__ import annotations

import json
import re
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.e2e

# Honcho prefixes each line of a Procfile entry with the time and "name.1 | ".
LINE = re.compile(r"^\d\d:\d\d:\d\d (rasa|actions|web)\.\d+\s+\| (.*)$")
TYPED = ("Kayleigh", "Brennan-Oduya", "Larch Close", "CV34 6AB", "07700 900461", "kb@example.org")


def samples(url: str) -> dict[tuple[str, tuple], float]:
    text = requests.get(url, timeout=10).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def service_lines(stack) -> list[tuple[str, str]]:
    out = []
    for raw in stack.log.read_text(encoding="utf-8", errors="replace").splitlines():
        m = LINE.match(raw)
        if m:
            out.append((m.group(1), m.group(2)))
    return out


def test_service_logs_are_json_lines_without_what_was_typed(stack):
    stack.chat(
        "Kayleigh Brennan-Oduya, 14 Larch Close, CV34 6AB, 07700 900461, kb@example.org: "
        "her mum's boyfriend has moved in and she is scared of him"
    )
    stack.chat("Kayleigh Brennan-Oduya wants the weather in Larch Close")  # out of scope: a gap
    time.sleep(1.5)  # the lines reach the log file through honcho
    lines = service_lines(stack)
    assert {service for service, _ in lines} == {"rasa", "actions", "web"}
    for service, line in lines:
        entry = json.loads(line)  # raises, and so fails, on any line that is not JSON
        assert entry["service"] == service and entry["level"] and entry["logger"], line
    requests_logged = [json.loads(line) for s, line in lines if s == "web"]
    assert any(e.get("path") == "/api/chat" and e.get("status") == 200 for e in requests_logged)
    text = stack.log.read_text(encoding="utf-8", errors="replace")
    assert not [t for t in TYPED if t in text]


def test_each_service_counts_turns_fallbacks_gaps_and_retrieval_scores(stack):
    web, actions = f"{stack.web}/metrics", f"{stack.action}/metrics"
    before_web, before_actions = samples(web), samples(actions)
    stack.chat("what is cuckooing")
    stack.chat("wibble plorb zxqv the moon")
    after_web, after_actions = samples(web), samples(actions)

    def grew(before, after, name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert grew(before_web, after_web, "sgbot_chat_turns_total", outcome="answered") == 2
    assert (
        grew(
            before_web, after_web, "sgbot_http_request_duration_seconds_count", endpoint="/api/chat"
        )
        == 2
    )
    assert grew(before_actions, after_actions, "sgbot_retrieval_top_score_count") == 2
    assert (
        grew(before_actions, after_actions, "sgbot_knowledge_searches_total", outcome="answered")
        == 1
    )
    assert grew(before_actions, after_actions, "sgbot_fallbacks_total", kind="dont_know") == 1
    gaps = sum(
        after_actions[k] - before_actions.get(k, 0.0)
        for k in after_actions
        if k[0] == "sgbot_gaps_logged_total"
    )
    assert gaps == 1
