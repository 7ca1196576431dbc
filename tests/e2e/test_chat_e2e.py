"""Through the real web app, Rasa server and action server."""

from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.e2e


def texts(reply: dict) -> str:
    return "\n".join(m["text"] for m in reply["messages"])


def sources(reply: dict) -> list[str]:
    return [s["title"] for m in reply["messages"] for s in m["sources"]]


def stored_events(stack, session_id: str) -> list[dict]:
    """The conversation as Rasa stored it, through its token-guarded HTTP API."""
    return requests.get(
        f"{stack.rasa}/conversations/{session_id}/tracker",
        params={"token": stack.env["RASA_TOKEN"]},
        timeout=10,
    ).json()["events"]


def test_escalate_starts_the_escalation_walkthrough(stack):
    reply = stack.chat("how do I escalate")
    assert "escalat" in texts(reply).lower()
    titles = [b["title"] for m in reply["messages"] for b in m["buttons"]]
    assert "The threshold decision at referral" in titles


def test_cuckooing_is_answered_from_the_knowledge_base_with_its_source(stack):
    reply = stack.chat("what is cuckooing")
    assert "cuckooing" in texts(reply).lower()
    assert any("Cuckooing" in t for t in sources(reply))
    assert all(s["url"].startswith("http") for m in reply["messages"] for s in m["sources"])


@pytest.mark.parametrize(
    ("question", "expected_title"),
    [
        ("what does was not brought mean", "Was Not Brought"),
        ("can i share info without parental consent", "sharing"),
        ("signs a teenager is being used to carry drugs county lines", "county lines"),
        ("how do I make an NRM referral for trafficking", "NRM"),
        ("what is professional curiosity", "curiosity"),
    ],
)
def test_knowledge_questions_cite_the_right_document(stack, question, expected_title):
    reply = stack.chat(question)
    cited = " ".join(sources(reply)).lower()
    assert expected_title.lower() in cited, (question, sources(reply), texts(reply)[:300])


def test_urgent_danger_says_999_first(stack):
    reply = stack.chat("a child has just told me her stepdad is going to hurt her tonight")
    assert reply["messages"][0]["text"].startswith("Call 999")


def test_session_is_kept_and_forged_ids_are_refused(stack):
    first = stack.chat("hello")
    sid = first["session_id"]
    assert len(sid) > 40
    again = stack.chat("thanks", sid)
    assert again["session_id"] == sid
    forged = sid[:-2] + ("AA" if not sid.endswith("AA") else "BB")
    response = requests.post(
        f"{stack.web}/api/chat", json={"message": "hi", "session_id": forged}, timeout=10
    )
    assert response.status_code == 400
    assert "999" in response.json()["messages"][0]["text"]


def test_gibberish_is_not_answered_confidently(stack):
    reply = stack.chat("asdkjh qwpoeiru zzxmn")
    text = texts(reply)
    assert "don't have guidance" in text or "didn't catch" in text
    assert "01926 414144" in " ".join(c["number"] for m in reply["messages"] for c in m["contacts"])


def test_healthz_reports_every_dependency(stack):
    data = requests.get(f"{stack.web}/healthz", timeout=10).json()
    assert data["ok"] is True
    assert set(data["checks"]) >= {"rasa", "action_server", "knowledge_index", "contacts"}


def test_conversation_state_lives_in_redis_and_expires(stack):
    """Rasa's tracker holds what was typed, so it must be in the expiring store, not kept
    for ever in a process."""
    import redis

    reply = stack.chat("what is cuckooing")
    client = redis.Redis.from_url(stack.env["REDIS_URL"])
    keys = [k.decode() for k in client.keys("sgbot*")]
    assert any(reply["session_id"] in k for k in keys), keys
    key = next(k for k in keys if reply["session_id"] in k)
    ttl = client.ttl(key)
    assert 0 < ttl <= 1800
    assert client.config_get("save")["save"] == ""  # never written to disk


def test_greeting_buttons_carry_rasa_entity_payloads(stack):
    """Domain responses are interpolated, so entity payloads are written with doubled braces
    in domain.yml; the practitioner's button must still send single-braced JSON."""
    reply = stack.chat("hello")
    payloads = [b["payload"] for m in reply["messages"] for b in m["buttons"]]
    assert '/ask_contact{"urgency": "out_of_hours"}' in payloads
    answer = stack.chat('/ask_contact{"urgency": "out_of_hours"}', reply["session_id"])
    assert "Emergency Duty Team" in " ".join(m["text"] for m in answer["messages"])


def test_rasa_passes_a_knowledge_questions_vector_on_and_no_other(stack):
    """The knowledge search reuses the sentence vector Rasa's NLU computed (bot/knowledge/
    shared.py): the running pipeline must send one, from the same model file, with a knowledge
    question, and keep the stored conversation free of them for other turns."""
    from bot.knowledge import shared

    reply = stack.chat("what is cuckooing")
    stack.chat("hello", reply["session_id"])
    stack.chat("what is a LADO", reply["session_id"])
    events = stored_events(stack, reply["session_id"])
    users = {e["text"]: e["parse_data"] for e in events if e["event"] == "user"}
    assert shared.decode(users["what is cuckooing"].get(shared.PARSE_KEY)) is not None
    assert shared.PARSE_KEY not in users["hello"]
    # An acronym is searched spelt out: the vector sent is for that text.
    lado = users["what is a LADO"][shared.PARSE_KEY]
    assert shared.decode(lado) is not None
    assert lado["text"].startswith("what is a LADO local authority designated officer"), lado


def test_web_turns_leave_no_metadata_slot_before_the_session_start(stack):
    """Rasa 3.6 stores a turn's metadata as a slot event ahead of `action_session_start`,
    outside the session it reads back, and from then on compares every stored event with every
    other on each save (web/rasa_client.py). The web app must not send any."""
    reply = stack.chat("hello")
    stack.chat("what is cuckooing", reply["session_id"])
    events = stored_events(stack, reply["session_id"])
    assert events[0]["event"] == "action", events[:3]
    assert not any(e.get("name") == "session_started_metadata" for e in events)
