"""Start and stop single services of the real stack, for the fault and scale-out tests.

Each service is one Procfile entry run by its own honcho in its own process group, so a test
can kill or restart one part (Rasa, the action server, the web app, Redis) while the rest run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def wait_until(check: Callable[[], bool], timeout: float, what: str, step: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (requests.RequestException, ValueError, OSError):
            pass
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def http_ok(url: str) -> Callable[[], bool]:
    return lambda: requests.get(url, timeout=2).status_code == 200


class Service:
    def __init__(self, name: str, env: dict[str, str], log: Path, entry: str = "") -> None:
        self.name = name
        self.entry = entry or name  # the Procfile entry
        self.env = env
        self.log = log
        self.proc: subprocess.Popen | None = None

    def start(self) -> Service:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = self.log.open("a")
        self.proc = subprocess.Popen(
            [str(ROOT / ".venv/bin/honcho"), "start", "-f", "Procfile", self.entry],
            cwd=ROOT,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        if not self.running:
            return
        assert self.proc is not None
        os.killpg(self.proc.pid, sig)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        if sig == signal.SIGKILL:  # honcho is gone; make sure its children are too
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)


def stack_env(
    var_dir: Path, *, web: int, rasa: int, action: int, redis: int, **extra: str
) -> dict[str, str]:
    env = {
        **os.environ,
        "WEB_PORT": str(web),
        "WEB_HOST": "127.0.0.1",
        "WEB_WORKERS": "1",
        "RASA_PORT": str(rasa),
        "ACTION_PORT": str(action),
        "RASA_URL": f"http://127.0.0.1:{rasa}",
        "ACTION_SERVER_URL": f"http://127.0.0.1:{action}/webhook",
        "SANIC_HOST": "127.0.0.1",
        "RASA_TOKEN": f"test-token-{os.getpid()}",
        "RASA_TELEMETRY_ENABLED": "false",
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": str(ROOT),
        "RATE_LIMIT_CHAT": "10000 per minute",
        "REDIS_PORT": str(redis),
        "REDIS_URL": f"redis://127.0.0.1:{redis}/0",
        "VAR_DIR": str(var_dir),
        "INDEX_DIR": str(ROOT / "var" / "index"),
    }
    env.update(extra)
    return env


def front_door_number() -> str:
    from bot.contacts import load_contacts

    contacts = load_contacts(ROOT / "knowledge" / "contacts.yml")
    return contacts["front_door"].number
