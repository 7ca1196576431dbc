"""Start and stop single services of the real stack, for the fault and scale-out tests.

Each service is one Procfile entry run by its own honcho in its own process group, so a test
can kill or restart one part (Rasa, the action server, the web app, Redis) while the rest run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests

from scripts.stack import stop_tree

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
        stop_tree(self.proc, sig, timeout)


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


def all_text(reply: dict) -> str:
    return "\n".join(m["text"] for m in reply["messages"])


def button_payload(reply: dict, title_part: str) -> str:
    for m in reply["messages"]:
        for b in m["buttons"]:
            if title_part.lower() in b["title"].lower():
                return b["payload"]
    raise AssertionError(f"no button like {title_part!r} in {reply}")


def front_door_number() -> str:
    from bot.contacts import load_contacts

    contacts = load_contacts(ROOT / "knowledge" / "contacts.yml")
    return contacts["front_door"].number


class PostgresServer:
    """A throwaway PostgreSQL cluster from Debian's packages, on loopback, in a temp dir.
    PostgreSQL refuses to run as root, so as root it runs as the `postgres` user."""

    def __init__(self, port: int) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not bins:
            raise RuntimeError("PostgreSQL not found: run `make setup` (installs postgresql)")
        self.bin = bins[-1].parent
        self.port = port
        # Its own directory: the `postgres` user must be able to reach it.
        self.dir = Path(tempfile.mkdtemp(prefix="sgbot-pg-"))
        self.dir.chmod(0o755)
        self.data = self.dir / "data"
        self.url = f"postgresql+psycopg2://postgres@127.0.0.1:{port}/gaps"

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        result = subprocess.run(
            [*prefix, *args], capture_output=True, text=True, timeout=120, check=False
        )
        if result.returncode:
            raise RuntimeError(f"{args[0]} failed: {result.stderr or result.stdout}")

    def init(self) -> PostgresServer:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self.start()
        self._run(
            str(self.bin / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "gaps",
        )
        return self

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir}"
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-w",
            "-l",
            str(self.dir / "log"),
            "start",
        )

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def run_in_rasa_venv(code: str) -> str:
    """Run Python code where Rasa lives (.venv-rasa, from the repository root) and return its
    output; fails the test with the end of stderr if it exits non-zero."""
    result = subprocess.run(
        [str(ROOT / ".venv-rasa/bin/python"), "-c", code],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout
