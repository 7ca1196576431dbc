"""Start the whole stack with `make run` on its own ports and a temporary VAR_DIR, for the
benchmarks and the load test, so they measure exactly what a partnership runs."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent


def stop_tree(
    proc: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout: float = 30
) -> None:
    """Stop a process started in a new session (make or honcho) and everything under it.

    honcho runs each service in a session of its own, so a signal to honcho's group never
    reaches them: SIGTERM is forwarded by honcho, but SIGKILL (which honcho cannot catch) must
    go to every process of the tree, and anything still alive afterwards is killed too, or a
    service lives on orphaned (a "killed" gunicorn once kept answering the next test run)."""
    if proc is None or proc.poll() is not None:
        return
    tree = psutil.Process(proc.pid).children(recursive=True)
    if sig == signal.SIGKILL:
        for process in tree:
            with contextlib.suppress(psutil.Error):
                process.kill()
    os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    _, alive = psutil.wait_procs(tree, timeout=10)
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.kill()


class LocalStack:
    def __init__(self, base_port: int = 18500, direct: bool = False, **env: str) -> None:
        # direct: start the Procfile without make's build checks (while the model or index is
        # being rebuilt elsewhere); the start-up time then excludes them.
        self.direct = direct
        self.var_dir = Path(tempfile.mkdtemp(prefix="sgbot-bench-"))
        self.ports = {
            "web": base_port,
            "rasa": base_port + 5,
            "action": base_port + 55,
            "redis": base_port + 79,
        }
        self.token = (ROOT / "var" / "rasa_token").read_text().strip()
        self.env = {
            **os.environ,
            "WEB_PORT": str(self.ports["web"]),
            "WEB_HOST": "127.0.0.1",
            "RASA_PORT": str(self.ports["rasa"]),
            "ACTION_PORT": str(self.ports["action"]),
            "REDIS_PORT": str(self.ports["redis"]),
            "RASA_URL": f"http://127.0.0.1:{self.ports['rasa']}",
            "ACTION_SERVER_URL": f"http://127.0.0.1:{self.ports['action']}/webhook",
            "REDIS_URL": f"redis://127.0.0.1:{self.ports['redis']}/0",
            "VAR_DIR": str(self.var_dir),
            "RASA_TOKEN": self.token,
            **env,
        }
        for key, value in {  # what the Makefile exports, for the direct start
            "WEB_WORKERS": "2",
            "SANIC_HOST": "127.0.0.1",
            "PYTHONPATH": str(ROOT),
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "RASA_TELEMETRY_ENABLED": "false",
            "INDEX_DIR": str(ROOT / "var" / "index"),
        }.items():
            self.env.setdefault(key, value)
        for key in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS"):  # a clean `make run`, not a sub-make
            self.env.pop(key, None)
        self.web = f"http://127.0.0.1:{self.ports['web']}"
        self.rasa = f"http://127.0.0.1:{self.ports['rasa']}"
        self.proc: subprocess.Popen | None = None
        self.startup_s = 0.0

    def start(self, timeout: float = 300) -> float:
        """Returns seconds from `make run` to every service healthy."""
        log = (ROOT / "var" / "bench-stack.log").open("w")
        started = time.monotonic()
        self.proc = subprocess.Popen(
            [str(ROOT / ".venv/bin/honcho"), "start", "-f", "Procfile"]
            if self.direct
            else ["make", "--no-print-directory", "run"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        while time.monotonic() - started < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError("make run exited; see var/bench-stack.log")
            try:
                if requests.get(f"{self.web}/healthz", timeout=2).json().get("ok"):
                    self.startup_s = time.monotonic() - started
                    return self.startup_s
            except (requests.RequestException, ValueError):
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"stack not healthy after {timeout}s; see var/bench-stack.log")

    def services(self) -> dict[str, list[psutil.Process]]:
        """Each service's processes (gunicorn has a master and workers)."""
        groups: dict[str, list[psutil.Process]] = {
            "rasa": [],
            "actions": [],
            "web": [],
            "redis": [],
        }
        if not self.proc:
            return groups
        for p in psutil.Process(self.proc.pid).children(recursive=True):
            try:
                cmd = " ".join(p.cmdline())
            except psutil.Error:
                continue
            if "nlu_components.serve run" in cmd and "/bin/sh" not in cmd:
                groups["rasa"].append(p)
            elif "-m actions" in cmd and "/bin/sh" not in cmd:
                groups["actions"].append(p)
            elif "gunicorn" in cmd and "/bin/sh" not in cmd:
                groups["web"].append(p)
            elif cmd.startswith("redis-server"):
                groups["redis"].append(p)
        return groups

    def memory_mb(self) -> dict[str, tuple[float, float]]:
        """(RSS, PSS) per service in MB. PSS shares forked pages fairly between processes,
        so it is the one to add up."""
        out = {}
        for name, procs in self.services().items():
            rss = pss = 0.0
            for p in procs:
                try:
                    info = p.memory_full_info()
                except psutil.Error:
                    continue
                rss += info.rss / 2**20
                pss += getattr(info, "pss", info.rss) / 2**20
            out[name] = (rss, pss)
        return out

    def stop(self) -> None:
        stop_tree(self.proc, timeout=60)
        shutil.rmtree(self.var_dir, ignore_errors=True)  # its gap log and secret key

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
