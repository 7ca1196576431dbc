"""web/metrics.py: the web app's /metrics page (Prometheus text format), what it counts, and
who may read it."""

from __future__ import annotations

from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_page_is_prometheus_text_with_request_counts(client):
    before = value("sgbot_http_requests_total", endpoint="/api/chat", method="POST", status="400")
    rejected = value("sgbot_chat_turns_total", outcome="rejected")
    client.post("/api/chat", json={"message": ""})
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(response.get_data(as_text=True))}
    assert {"sgbot_http_requests", "sgbot_http_request_duration_seconds"} <= families.keys()
    assert {"sgbot_chat_turns", "sgbot_gaps_logged", "sgbot_fallbacks"} <= families.keys()
    after = value("sgbot_http_requests_total", endpoint="/api/chat", method="POST", status="400")
    assert after == before + 1
    assert value("sgbot_chat_turns_total", outcome="rejected") == rejected + 1


def test_rasa_down_counts_as_unavailable_with_its_latency(client):
    down = value("sgbot_chat_turns_total", outcome="rasa_unavailable")
    timed = value("sgbot_http_request_duration_seconds_count", endpoint="/api/chat")
    assert client.post("/api/chat", json={"message": "what is cuckooing"}).status_code == 503
    assert value("sgbot_chat_turns_total", outcome="rasa_unavailable") == down + 1
    assert value("sgbot_http_request_duration_seconds_count", endpoint="/api/chat") == timed + 1


def test_unknown_paths_share_one_label_so_a_scan_cannot_add_series(client):
    client.get("/no/such/KayleighBrennan")
    text = client.get("/metrics").get_data(as_text=True)
    assert "Kayleigh" not in text
    assert value("sgbot_http_requests_total", endpoint="unmatched", method="GET", status="404") >= 1


def test_rate_limited_requests_are_counted_too(monkeypatch, tmp_path):
    monkeypatch.setenv("RATE_LIMIT_CHAT", "1 per minute")
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    from web import create_app

    client = create_app({"TESTING": True}).test_client()
    before = value("sgbot_http_requests_total", endpoint="/api/chat", method="POST", status="429")
    client.post("/api/chat", json={"message": ""})
    assert client.post("/api/chat", json={"message": ""}).status_code == 429
    after = value("sgbot_http_requests_total", endpoint="/api/chat", method="POST", status="429")
    assert after == before + 1


def test_not_served_through_a_proxy_or_from_elsewhere(client):
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 403
    assert client.get("/metrics").status_code == 200  # the test client connects from loopback


def test_with_a_token_only_the_token_opens_it(monkeypatch, tmp_path):
    monkeypatch.setenv("METRICS_TOKEN", "s3cret-metrics-token")
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    from web import create_app

    client = create_app({"TESTING": True}).test_client()
    assert client.get("/metrics").status_code == 403
    wrong = {"Authorization": "Bearer nope"}
    assert client.get("/metrics", headers=wrong).status_code == 403
    right = {"Authorization": "Bearer s3cret-metrics-token", "X-Forwarded-For": "203.0.113.9"}
    assert client.get("/metrics", headers=right).status_code == 200
