"""Scale-out on Rasa's own machinery, with real servers on loopback: one Redis shared by two
Rasa servers (tracker and lock stores), stateless web replicas, and PostgreSQL for the gap log."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.services import ROOT, PostgresServer, Service, stack_env, wait_until

REDIS, RASA_A, RASA_B, ACTIONS = 17379, 17005, 17006, 17055
WEB_A, WEB_B, WEB_BOTH = 17000, 17001, 17002


class Cluster:
    def __init__(self) -> None:
        self.var_dir = Path(tempfile.mkdtemp(prefix="sgbot-scaleout-"))
        self.log = ROOT / "var" / "scaleout.log"
        self.log.unlink(missing_ok=True)
        self.services: dict[str, Service] = {}
        self.base = dict(web=WEB_A, rasa=RASA_A, action=ACTIONS, redis=REDIS)

    def add(self, key: str, entry: str, **ports: int | str) -> Service:
        env = stack_env(self.var_dir, **{**self.base, **ports})
        both = f"http://127.0.0.1:{RASA_A},http://127.0.0.1:{RASA_B}"
        if key == "web_both":
            env["RASA_URL"] = both
        service = Service(key, env, self.log, entry=entry).start()
        self.services[key] = service
        return service

    def url(self, port: int) -> str:
        return f"http://127.0.0.1:{port}"

    def close(self) -> None:
        for service in reversed(list(self.services.values())):
            service.stop()
        shutil.rmtree(self.var_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    c = Cluster()
    try:
        c.add("redis", "redis")
        wait_until(lambda: _redis_up(), 30, "Redis")
        c.add("rasa_a", "rasa", rasa=RASA_A)
        c.add("rasa_b", "rasa", rasa=RASA_B)
        c.add("actions", "actions")
        c.add("web_a", "web", web=WEB_A, rasa=RASA_A)
        c.add("web_b", "web", web=WEB_B, rasa=RASA_B)
        c.add("web_both", "web", web=WEB_BOTH)
        for port in (WEB_A, WEB_B, WEB_BOTH):
            wait_until(
                lambda p=port: requests.get(f"{c.url(p)}/healthz", timeout=3).json()["ok"],
                300,
                f"web app on {port} healthy",
            )
        yield c
    finally:
        c.close()


def _redis_up() -> bool:
    import redis

    return bool(redis.Redis(port=REDIS).ping())


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer(17432).init()
    try:
        yield server
    finally:
        server.remove()
