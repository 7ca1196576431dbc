"""Shared fixtures. The e2e stack is the real thing: Rasa, the action server and the web app
started with the same Procfile as `make run`, on test ports, on loopback."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("HF_HUB_OFFLINE", "1")
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE = ROOT / "var" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def retriever():
    from bot import resources

    return resources.get_retriever()


@pytest.fixture(scope="session")
def encode():
    from bot import resources

    return resources.encode


@pytest.fixture(scope="session")
def contacts():
    from bot import resources

    return resources.get_contacts()


@pytest.fixture(scope="session")
def flows():
    from bot import resources

    return resources.get_flows()


EMBEDDING_SITE_PORT = 18081
OTHER_SITE_PORT = 18082


class Stack:
    def __init__(
        self, web_port: int, rasa_port: int, action_port: int, redis_port: int | None = None
    ) -> None:
        self.web = f"http://127.0.0.1:{web_port}"
        self.rasa = f"http://127.0.0.1:{rasa_port}"
        self.action = f"http://127.0.0.1:{action_port}"
        self.env = {
            **os.environ,
            "WEB_PORT": str(web_port),
            "WEB_HOST": "127.0.0.1",
            "WEB_WORKERS": "1",
            "RASA_PORT": str(rasa_port),
            "ACTION_PORT": str(action_port),
            "RASA_URL": self.rasa,
            "ACTION_SERVER_URL": f"{self.action}/webhook",
            "SANIC_HOST": "127.0.0.1",
            "RASA_TOKEN": "test-token-" + str(os.getpid()),
            "RASA_TELEMETRY_ENABLED": "false",
            # Rasa's tracker and lock stores in Redis, as `make run` does.
            "REDIS_PORT": str(redis_port or rasa_port + 1374),
            "REDIS_URL": f"redis://127.0.0.1:{redis_port or rasa_port + 1374}/0",
            "RATE_LIMIT_CHAT": "1000 per minute",
            # The partnership site that embeds the widget in the cross-origin test.
            "CORS_ORIGINS": f"http://127.0.0.1:{EMBEDDING_SITE_PORT}",
        }
        self.var_dir = Path(tempfile.mkdtemp(prefix="sgbot-e2e-"))
        self.env["VAR_DIR"] = str(self.var_dir)
        self.env["INDEX_DIR"] = str(ROOT / "var" / "index")
        self.proc: subprocess.Popen | None = None
        self.log = ROOT / "var" / "e2e-stack.log"
        self.processes = ["redis", "rasa", "actions", "web"]

    def start(self, timeout: float = 240) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = self.log.open("w")
        self.proc = subprocess.Popen(
            [str(ROOT / ".venv/bin/honcho"), "start", "-f", "Procfile", *self.processes],
            cwd=ROOT,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"stack exited early; see {self.log}")
            try:
                if requests.get(f"{self.web}/healthz", timeout=2).json().get("ok"):
                    return
            except (requests.RequestException, ValueError):
                pass
            time.sleep(1)
        self.stop()
        raise RuntimeError(f"stack not healthy after {timeout}s; see {self.log}")

    def stop(self) -> None:
        from scripts.stack import stop_tree

        stop_tree(self.proc)
        # Its gap log and secret key are the run's only: nothing is left behind in /tmp.
        shutil.rmtree(self.var_dir, ignore_errors=True)

    def chat(self, message: str, session_id: str | None = None) -> dict:
        response = requests.post(
            f"{self.web}/api/chat", json={"message": message, "session_id": session_id}, timeout=30
        )
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    s = Stack(web_port=18000, rasa_port=15005, action_port=15055)
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make setup` (installs chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
