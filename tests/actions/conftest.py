"""Tracker fixtures for action tests, as in RasaHQ's financial-demo: build a Tracker, run the
action, and check the events it returns and the messages it sends."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from tests.conftest import ROOT


def make_tracker(
    text: str = "",
    intent: str = "ask_knowledge",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    active_loop: str | None = None,
    events: list[dict[str, Any]] | None = None,
    confidence: float = 0.9,
) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": intent, "confidence": confidence}],
        "entities": entities or [],
    }
    return Tracker(
        sender_id="test-sender",
        slots=dict(slots or {}),
        latest_message=latest,
        events=events or [],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text())


@pytest.fixture
def run_action(domain):
    def run(action, tracker: Tracker) -> tuple[list[dict], list[dict]]:
        dispatcher = CollectingDispatcher()
        events = asyncio.run(action.run(dispatcher, tracker, domain))
        return events, dispatcher.messages

    return run


@pytest.fixture
def recorded_gaps():
    from bot.gaps import hook

    gaps: list = []
    hook.register_sink(gaps.append)
    yield gaps
    hook.clear_sinks()
