import pytest
import yaml

from bot.endpoints import redis_params, render, write
from bot.settings import Settings


def settings(monkeypatch, **env) -> Settings:
    for key in ("REDIS_URL", "CONVERSATION_TTL_S", "ACTION_SERVER_URL"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Settings()


def test_without_redis_rasa_gets_only_the_action_server(monkeypatch):
    endpoints = render(settings(monkeypatch, ACTION_SERVER_URL="http://127.0.0.1:1/webhook"))
    assert endpoints == {"action_endpoint": {"url": "http://127.0.0.1:1/webhook"}}


def test_redis_url_gives_expiring_tracker_store_and_shared_lock_store(monkeypatch, tmp_path):
    s = settings(monkeypatch, REDIS_URL="redis://:s3cret@10.0.0.5:6380/2", CONVERSATION_TTL_S="900")
    path = write(s, tmp_path / "endpoints.yml")
    data = yaml.safe_load(path.read_text())
    tracker, lock = data["tracker_store"], data["lock_store"]
    assert tracker["type"] == lock["type"] == "redis"
    assert (tracker["url"], tracker["port"], tracker["db"]) == ("10.0.0.5", 6380, 2)
    assert tracker["password"] == lock["password"] == "s3cret"
    assert tracker["record_exp"] == 900
    assert "record_exp" not in lock


@pytest.mark.parametrize("url", ["http://localhost:6379", "redis://", "redis://h:1/x"])
def test_bad_redis_url_is_a_clear_error(url):
    with pytest.raises(ValueError, match="REDIS_URL"):
        redis_params(url)


def test_tls_and_default_port(monkeypatch):
    assert redis_params("rediss://cache.example")["use_ssl"] is True
    assert redis_params("redis://cache.example")["port"] == 6379
