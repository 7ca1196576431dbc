"""Each test breaks a real part of a running stack and checks what the practitioner sees."""

from __future__ import annotations

import signal
import sqlite3
import threading
import time

import pytest
import requests

from tests.services import front_door_number, wait_until

pytestmark = pytest.mark.e2e


def text_of(response: requests.Response) -> str:
    return " ".join(m["text"] for m in response.json()["messages"])


def test_rasa_down_gives_the_numbers_fast_then_recovers_by_itself(healthy):
    sid = healthy.post("hello").json()["session_id"]
    healthy.stop("rasa")

    started = time.monotonic()
    response = healthy.post("what is cuckooing", sid)
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert elapsed < 2.0, f"took {elapsed:.2f}s"
    assert "999" in text_of(response) and front_door_number() in text_of(response)

    # Restarting: every answer meanwhile is a quick 503 with the numbers, and the web app,
    # never restarted, serves again once Rasa is back.
    healthy.services["rasa"].start()
    statuses = []

    def answered() -> bool:
        t0 = time.monotonic()
        r = healthy.post("what is cuckooing", sid, timeout=15)
        statuses.append((r.status_code, time.monotonic() - t0, "999" in text_of(r)))
        return r.status_code == 200

    wait_until(answered, 180, "chat to recover after Rasa restarted", step=1)
    assert "cuckooing" in text_of(healthy.post("what is cuckooing", sid)).lower()
    down = [s for s in statuses if s[0] != 200]
    assert down, "Rasa came back before any request saw it down"
    assert all(code == 503 and seconds < 2.0 and numbers for code, seconds, numbers in down)


def test_action_server_down_still_shows_the_numbers(healthy):
    healthy.stop("actions")
    response = healthy.post("what is cuckooing")
    assert response.status_code in {200, 503}
    text = text_of(response)
    assert "999" in text and front_door_number() in text
    assert text.strip().startswith("Sorry")  # a plain message, not silence
    healthy.services["actions"].start()
    wait_until(healthy.healthy, 120, "the action server to come back")
    assert "cuckooing" in text_of(healthy.post("what is cuckooing")).lower()


def gap_rows(var_dir, session_id: str) -> int:
    from bot.gaps.store import hash_conversation

    secret = (var_dir / "secret_key").read_text().strip()
    with sqlite3.connect(var_dir / "gaps.sqlite", timeout=30) as db:
        return db.execute(
            "SELECT count(*) FROM gaps WHERE conversation_hash = ?",
            (hash_conversation(secret, session_id),),
        ).fetchone()[0]


UNANSWERABLE = [
    "what is the parking policy for the civic centre car park",
    "how do I book annual leave in the HR system",
    "what time does the staff canteen open on fridays",
]


def test_locked_gap_store_delays_records_but_loses_none(healthy):
    sid = healthy.post("hello").json()["session_id"]
    assert gap_rows(healthy.var_dir, sid) == 0
    lock = sqlite3.connect(healthy.var_dir / "gaps.sqlite", isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        for question in UNANSWERABLE:
            response = healthy.post(question, sid, timeout=10)
            assert response.status_code == 200
            assert "999" in text_of(response) or "Front Door" in text_of(response)
        time.sleep(2)  # the writer is now waiting on the lock
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    wait_until(lambda: gap_rows(healthy.var_dir, sid) == len(UNANSWERABLE), 60, "the queued gaps")


def test_web_app_killed_mid_write_leaves_a_readable_database(healthy):
    from web.sessions import new_session_id

    secret = (healthy.var_dir / "secret_key").read_text().strip()
    sid = new_session_id(secret)
    stop = threading.Event()
    sent = []
    body = {"rating": "down", "session_id": sid, "question": "q", "answer": "a"}
    # The first thumbs-down loads the redaction model; flood only once it is warm.
    first = requests.post(f"{healthy.web}/api/feedback", json=body, timeout=120)
    assert first.ok, first.text
    wait_until(lambda: gap_rows(healthy.var_dir, sid) == 1, 60, "the first feedback row")

    def flood() -> None:
        session = requests.Session()
        while not stop.is_set():
            try:
                r = session.post(f"{healthy.web}/api/feedback", json=body, timeout=30)
                sent.append(r.status_code)
            except requests.RequestException:
                return

    threads = [threading.Thread(target=flood) for _ in range(4)]
    for t in threads:
        t.start()
    wait_until(lambda: gap_rows(healthy.var_dir, sid) > 20, 60, "feedback rows being written")
    healthy.stop("web", sig=signal.SIGKILL)
    stop.set()
    with pytest.raises(requests.ConnectionError):  # really gone, master and worker
        requests.get(f"{healthy.web}/healthz", timeout=5)
    for t in threads:
        t.join(timeout=10)

    with sqlite3.connect(healthy.var_dir / "gaps.sqlite", timeout=30) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    before = gap_rows(healthy.var_dir, sid)
    # No phantom rows: every row is an answered request, or one of the (at most one per
    # flooding thread) requests in flight when the worker died, written but never answered.
    assert before > 20 and before <= sent.count(200) + 1 + len(threads)
    # The restarted web app writes to the same database.
    healthy.start("web")
    assert requests.post(f"{healthy.web}/api/feedback", json=body, timeout=120).status_code == 200
    wait_until(lambda: gap_rows(healthy.var_dir, sid) == before + 1, 30, "a write after restart")
