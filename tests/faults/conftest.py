"""A stack of its own for tests that break parts of it, so they never disturb the shared
e2e stack."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.services import ROOT, Service, stack_env, wait_until


class FaultStack:
    def __init__(self) -> None:
        self.var_dir = Path(tempfile.mkdtemp(prefix="sgbot-faults-"))
        self.env = stack_env(self.var_dir, web=19000, rasa=19005, action=19055, redis=19379)
        self.web = "http://127.0.0.1:19000"
        log = ROOT / "var" / "faults-stack.log"
        log.unlink(missing_ok=True)
        self.services = {
            name: Service(name, self.env, log) for name in ("redis", "rasa", "actions", "web")
        }

    def healthy(self) -> bool:
        return requests.get(f"{self.web}/healthz", timeout=3).json().get("ok") is True

    def start(self, *names: str) -> None:
        for name in names or tuple(self.services):
            if not self.services[name].running:
                self.services[name].start()
        wait_until(self.healthy, 240, "the fault stack to be healthy")

    def stop(self, name: str, **kwargs) -> None:
        self.services[name].stop(**kwargs)

    def post(self, message: str, session_id: str | None = None, timeout: float = 30):
        return requests.post(
            f"{self.web}/api/chat",
            json={"message": message, "session_id": session_id},
            timeout=timeout,
        )

    def close(self) -> None:
        for service in reversed(list(self.services.values())):
            service.stop()
        shutil.rmtree(self.var_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def faults() -> Iterator[FaultStack]:
    stack = FaultStack()
    try:
        stack.start()
        yield stack
    finally:
        stack.close()


@pytest.fixture
def healthy(faults: FaultStack) -> FaultStack:
    """Whatever the previous test broke is running again."""
    faults.start()
    return faults
