"""Two Rasa servers sharing Redis: a conversation keeps its state whichever server takes
each turn."""

from __future__ import annotations

import pytest
import requests

from tests.scaleout.conftest import RASA_B, REDIS, WEB_A, WEB_B, WEB_BOTH
from tests.services import all_text as text
from tests.services import button_payload as payload
from tests.services import front_door_number, wait_until

pytestmark = pytest.mark.e2e


def chat(port: int, message: str, sid: str | None = None) -> dict:
    body = {"message": message, "session_id": sid}
    response = requests.post(f"http://127.0.0.1:{port}/api/chat", json=body, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_referral_alternating_between_rasa_servers_keeps_its_state(cluster):
    """web A talks only to Rasa A, web B only to Rasa B: every turn changes server, so the
    walkthrough can only progress if the state travels through Redis."""
    r = chat(WEB_A, "I need to make a referral")
    sid = r["session_id"]
    assert "immediate danger" in text(r)
    r = chat(WEB_B, payload(r, "No, not right now"), sid)
    assert "child or about an adult" in text(r)
    r = chat(WEB_A, "it's about a child", sid)
    assert "opening hours" in text(r)
    r = chat(WEB_B, payload(r, "within those hours"), sid)
    assert "agreement" in text(r)
    r = chat(WEB_A, payload(r, "sought agreement"), sid)
    assert "mainly about" in text(r)
    r = chat(WEB_B, payload(r, "Abuse or neglect"), sid)
    assert "What a good referral contains" in text(r)
    assert front_door_number() in [c["number"] for m in r["messages"] for c in m["contacts"]]


def test_round_robin_web_app_survives_losing_one_rasa_server(cluster):
    import redis

    r = chat(WEB_BOTH, "how do I escalate a disagreement")
    sid = r["session_id"]
    assert "What is the disagreement about?" in text(r)
    cluster.services["rasa_a"].stop()
    r = chat(WEB_BOTH, "the case was closed but I'm still worried", sid)
    assert "Stage 1 of 3" in text(r)
    r = chat(WEB_BOTH, payload(r, "next stage"), sid)
    assert "Stage 2 of 3" in text(r)
    r = chat(WEB_BOTH, payload(r, "next stage"), sid)
    assert "Stage 3 of 3" in text(r)
    keys = redis.Redis(port=REDIS).keys(f"*{sid}*")
    assert keys and redis.Redis(port=REDIS).ttl(keys[0]) > 0


def test_rate_limits_are_shared_by_web_replicas(cluster):
    """With Redis, a client's allowance is counted across replicas, not per process."""
    a = cluster.add("web_limit_a", "web", web=17010, rasa=RASA_B, RATE_LIMIT_CHAT="4 per minute")
    b = cluster.add("web_limit_b", "web", web=17011, rasa=RASA_B, RATE_LIMIT_CHAT="4 per minute")
    for port in (17010, 17011):
        wait_until(
            lambda p=port: requests.get(f"http://127.0.0.1:{p}/healthz", timeout=3).ok,
            60,
            f"web on {port}",
        )
    statuses = []
    for i in range(6):
        port = 17010 if i % 2 == 0 else 17011
        statuses.append(
            requests.post(
                f"http://127.0.0.1:{port}/api/chat", json={"message": "hello"}, timeout=30
            ).status_code
        )
    assert statuses[:4] == [200, 200, 200, 200]
    assert statuses[4:] == [429, 429]
    a.stop()
    b.stop()
