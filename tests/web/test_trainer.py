from __future__ import annotations

import re

import pytest

from bot import resources
from bot.gaps.accounts import create_trainer
from bot.gaps.hook import Gap


@pytest.fixture
def trainer_client(app, tmp_path):
    store = resources.get_gap_store()
    create_trainer(store, "trainer1", "a long enough password")
    writer = resources.start_gap_writer()
    for text in (
        "what is a widget order for Jayden Smith",
        "what about widget orders",
        "can you explain widget orders",
        "where is the canteen",
    ):
        writer(Gap(reason="weak_retrieval", text=text, conversation_id="c1"))
    writer.flush()
    yield app.test_client()
    resources.get_gap_store.cache_clear()


def csrf(client, path="/trainer/login") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, password="a long enough password"):
    return client.post(
        "/trainer/login",
        data={"username": "trainer1", "password": password, "csrf_token": csrf(client)},
    )


@pytest.mark.parametrize("path", ["/trainer/", "/trainer/gaps", "/trainer/clusters"])
def test_nothing_under_trainer_without_login(trainer_client, path):
    response = trainer_client.get(path)
    assert response.status_code == 302
    assert "/trainer/login" in response.headers["Location"]


def test_post_without_csrf_is_refused(trainer_client):
    response = trainer_client.post(
        "/trainer/login", data={"username": "trainer1", "password": "a long enough password"}
    )
    assert response.status_code == 400


def test_lockout_after_repeated_failures(trainer_client):
    for _ in range(5):
        assert login(trainer_client, "wrong password!!").status_code == 401
    response = login(trainer_client)
    assert response.status_code == 401
    assert "Too many failed attempts" in response.get_data(as_text=True)


def test_gap_list_shows_redacted_questions_and_filters(trainer_client):
    assert login(trainer_client).status_code == 302
    html = trainer_client.get("/trainer/gaps?q=widget").get_data(as_text=True)
    assert "[NAME]" in html and "Jayden" not in html
    assert "canteen" not in html
    assert (
        "frame-ancestors 'none'"
        in trainer_client.get("/trainer/gaps").headers["Content-Security-Policy"]
    )


def test_clusters_group_similar_questions_and_export_yaml(trainer_client):
    login(trainer_client)
    html = trainer_client.get("/trainer/clusters").get_data(as_text=True)
    assert re.search(r"<h2>3 ×", html), html[:2000]
    ids = re.findall(r'name="ids" value="(\d+)"', html)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    response = trainer_client.post(
        "/trainer/gaps/action",
        data={"ids": ids[:3], "action": "nlu", "intent": "ask_knowledge", "csrf_token": token},
    )
    assert response.status_code == 200
    assert "- intent: ask_knowledge" in response.get_data(as_text=True)


def test_overview_renders_charts_and_knowledge_health(trainer_client):
    login(trainer_client)
    html = trainer_client.get("/trainer/").get_data(as_text=True)
    assert "<svg" in html and "Knowledge health" in html
    assert "Never given as an answer" in html
