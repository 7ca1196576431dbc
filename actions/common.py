"""Helpers shared by the actions: sending bot-layer messages through Rasa's dispatcher, and the
knowledge search several answers use."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import metrics, resources
from bot.contacts import safety_message
from bot.flows.render import PARAGRAPH_BREAK, Message, message, render_stage_answer
from bot.gaps.hook import record_answer
from bot.knowledge import shared
from bot.knowledge.answer import KnowledgeAnswer, answer_question
from bot.settings import get_settings

# Before any other answer when urgent_danger is the classifier's close second reading
# (`danger_first`). Sent by the actions, not a domain response: no rule or story utters it.
DANGER_FIRST = "If anyone is in immediate danger right now, call 999 first."

# The buttons several answers offer (the main journeys and a person to talk to).
MAKE_REFERRAL = {"title": "Make a referral", "payload": "/make_referral"}
ESCALATE = {"title": "Escalate a disagreement", "payload": "/escalate"}
TALK_TO_PERSON = {"title": "Talk to a person", "payload": "/talk_to_person"}


def send(dispatcher: CollectingDispatcher, msg: Message) -> None:
    """Text and buttons go as Rasa text; sources, contact cards and the copy flag travel in
    the custom payload, which the web app merges back into the message."""
    extra: dict[str, Any] = {k: msg[k] for k in ("sources", "contacts", "copy") if msg.get(k)}
    kwargs: dict[str, Any] = {"text": msg["text"].replace("\n\n", PARAGRAPH_BREAK)}
    if msg.get("buttons"):
        kwargs["buttons"] = msg["buttons"]
    if extra:
        kwargs["json_message"] = extra
    dispatcher.utter_message(**kwargs)


def latest_text(tracker: Tracker) -> str:
    text = tracker.latest_message.get("text") or ""
    return "" if text.startswith("/") else text


def latest_intent(tracker: Tracker) -> str:
    return str((tracker.latest_message.get("intent") or {}).get("name") or "")


def latest_entity(tracker: Tracker, name: str) -> str | None:
    value = next(tracker.get_latest_entity_values(name), None)
    return str(value) if value is not None else None


def stated_audience(tracker: Tracker) -> str | None:
    """The audience this message names, else the one the conversation last named (the slot)."""
    return latest_entity(tracker, "audience") or tracker.get_slot("audience")


def intent_info(tracker: Tracker) -> tuple[str, float]:
    intent = tracker.latest_message.get("intent") or {}
    ranking = tracker.latest_message.get("intent_ranking") or []
    name = intent.get("name") or ""
    confidence = float(intent.get("confidence") or 0.0)
    if name == "nlu_fallback" and len(ranking) > 1:
        # The fallback hides the real guess; trainers want to see it.
        name, confidence = ranking[1].get("name", ""), float(ranking[1].get("confidence", 0.0))
    return name, confidence


log = logging.getLogger(__name__)
Run = Callable[..., Awaitable[list[Any]]]


def never_fails(run: Run) -> Run:
    """An action that raises would leave the practitioner with silence, and rasa_sdk would
    echo the whole tracker, user text included, into Rasa's error log. Instead: log the error
    type only, and answer with the numbers that always matter."""

    @functools.wraps(run)
    async def wrapper(
        self: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Any]:
        try:
            return await run(self, dispatcher, tracker, domain)
        except Exception as exc:
            log.error("action %s failed: %s", self.name(), type(exc).__name__)
            send(
                dispatcher,
                safety_message(resources.get_contacts(), "Sorry, something went wrong on my side."),
            )
            return []

    return wrapper


def danger_first(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Anything that could be immediate danger gets "call 999" first. The classifier can put a
    danger message just behind another reading ("missing 13 year old girl, believed to be with
    older men, it's getting dark": inform 0.34, urgent_danger 0.31); then the answer still opens
    with 999."""
    if latest_intent(tracker) == "urgent_danger":
        return False  # the danger rule answers it with 999 already
    ranking = tracker.latest_message.get("intent_ranking") or []
    danger = next((r for r in ranking if r.get("name") == "urgent_danger"), {})
    if float(danger.get("confidence") or 0.0) < get_settings().danger_second_reading:
        return False
    send(dispatcher, message(DANGER_FIRST))
    metrics.DANGER_SECOND_READINGS.inc()
    return True


def answer_from_the_stage(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """During the escalation stages, "what do I record?" means at this stage: answered from the
    stage the practitioner is on (the flow's `stage_questions`), not from the whole corpus, where
    it found the referral record-keeping passage."""
    stage = tracker.get_slot("escalation_stage")
    if not stage or not tracker.get_slot("escalation_topic"):
        return False
    flow = resources.get_flows()["escalation"]
    field_name = flow.stage_question(latest_text(tracker))
    if field_name is None:
        return False
    send(dispatcher, render_stage_answer(flow, int(stage), field_name))
    return True


def search(tracker: Tracker, fallback_reason: str) -> KnowledgeAnswer:
    """The knowledge base's answer to the latest message, with the search's metrics."""
    settings = get_settings()
    min_score = (
        settings.retrieval_min_score_out_of_scope
        if fallback_reason == "out_of_scope"
        else settings.retrieval_min_score
    )
    question = latest_text(tracker)
    doc_id = latest_entity(tracker, "doc_id")
    # Rasa's NLU already ran the embedding model on this text: reuse its vector when it can
    # be trusted (bot/knowledge/shared.py) rather than run the model again.
    encode = shared.encoder_for(
        question, tracker.latest_message.get(shared.PARSE_KEY), resources.encode
    )
    started = time.perf_counter()
    answer = answer_question(
        resources.get_retriever(),
        encode,
        question,
        min_score,
        audience=stated_audience(tracker),
        doc_id=doc_id,
        intent=latest_intent(tracker),
    )
    if not doc_id:  # a document chosen by button is fetched, not searched
        metrics.RETRIEVAL_SECONDS.observe(time.perf_counter() - started)
        metrics.RETRIEVAL_SCORE.observe(float((answer.top or {}).get("score", 0.0)))
    metrics.SEARCHES.labels("answered" if answer.confident else "dont_know").inc()
    return answer


def answer_if_sure(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """The passage for a question that another answer comes first for, when the search is
    sure of it; nothing otherwise, and no buttons. A practitioner starting a referral with
    "where's the MAC form?" gets the form now, not after five questions (the walkthrough's first
    question follows with its buttons, and still ends with the route and the form); "what should
    I do if a student is self harming", read as danger, gets the guidance after 999."""
    answer = search(tracker, "weak_retrieval")
    if not answer.confident or answer.tentative:
        return False
    send(dispatcher, message(answer.text, sources=answer.sources))
    top = answer.top or {}
    record_answer(str(top.get("doc_id", "")), float(top.get("score", 0.0)))
    return True
