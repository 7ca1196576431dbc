"""The one place the bot reports a gap. The store (issue #6) registers itself as a sink; until
one is registered nothing is written, because nothing a user typed may be stored unredacted."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.metrics import GAPS_LOGGED

log = logging.getLogger(__name__)

REASONS = {
    "nlu_fallback",
    "weak_retrieval",
    "low_confidence",
    "out_of_scope",
    "negative_feedback",
    "abandoned",
}


@dataclass
class Gap:
    reason: str
    text: str
    conversation_id: str
    intent: str = ""
    intent_confidence: float = 0.0
    top_document: str = ""
    top_score: float = 0.0
    answer_given: str = ""
    channel: str = "rest"
    extra: dict[str, Any] = field(default_factory=dict)


Sink = Callable[[Any], None]
_sinks: list[Sink] = []


def register_sink(sink: Sink) -> None:
    _sinks.append(sink)


def unregister_sink(sink: Sink) -> None:
    if sink in _sinks:
        _sinks.remove(sink)


def clear_sinks() -> None:
    _sinks.clear()


def record_gap(gap: Gap) -> None:
    if gap.reason not in REASONS:
        raise ValueError(f"unknown gap reason {gap.reason!r}")
    log.info("gap recorded: reason=%s intent=%s doc=%s", gap.reason, gap.intent, gap.top_document)
    GAPS_LOGGED.labels(gap.reason).inc()
    for sink in _sinks:
        try:
            sink(gap)
        except Exception:  # a broken store must never break the chat
            log.exception("gap sink failed")


@dataclass
class Answered:
    """A document given as an answer: counted for knowledge health, no text kept."""

    doc_id: str
    score: float


def record_answer(doc_id: str, score: float) -> None:
    if not doc_id:  # an answer from no one document (the list of case reviews)
        return
    for sink in _sinks:
        try:
            sink(Answered(doc_id, score))
        except Exception:
            log.exception("gap sink failed")
