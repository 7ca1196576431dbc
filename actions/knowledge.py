"""Answer informational questions from the knowledge index; admit it honestly when weak."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    ESCALATE,
    MAKE_REFERRAL,
    TALK_TO_PERSON,
    answer_from_the_stage,
    danger_first,
    intent_info,
    latest_intent,
    latest_text,
    never_fails,
    search,
    send,
)
from actions.contacts import answer_with_contacts, names_a_contact
from bot import metrics, resources
from bot.flows.render import message
from bot.gaps.hook import Gap, record_answer, record_gap

SUGGESTED_TOPICS = [
    MAKE_REFERRAL,
    ESCALATE,
    {"title": "Who to call out of hours", "payload": '/ask_contact{"urgency": "out_of_hours"}'},
    {"title": "What is cuckooing?", "payload": "what is cuckooing"},
]

# After an answer the bot is not sure of: the ways forward that do not depend on the guess.
OTHER_ROUTES = [
    MAKE_REFERRAL,
    ESCALATE,
    TALK_TO_PERSON,
]


def dont_know(dispatcher: CollectingDispatcher) -> None:
    """Never a bare "sorry": say so, offer topics, and give the Front Door number."""
    contacts = resources.get_contacts()
    send(
        dispatcher,
        message(
            "I don't have guidance on that in my knowledge base, and I'd rather not guess. "
            "You could try one of these, or talk it through with your safeguarding lead or "
            "the Front Door.",
            buttons=SUGGESTED_TOPICS,
            contacts=[contacts["front_door"]],
        ),
    )


def answer_from_knowledge(
    dispatcher: CollectingDispatcher, tracker: Tracker, fallback_reason: str
) -> bool:
    """Search and answer; on a weak result say "I don't know" and log the gap."""
    danger_first(dispatcher, tracker)
    if answer_from_the_stage(dispatcher, tracker):
        return True
    question = latest_text(tracker)
    answer = search(tracker, fallback_reason)
    if answer.confident:
        # A tentative answer may be the wrong guidance: it also offers the routes that are right
        # whatever the guidance says, so the practitioner is never left with only the guess.
        buttons = answer.related + (OTHER_ROUTES if answer.tentative else [])
        send(dispatcher, message(answer.text, buttons=buttons, sources=answer.sources))
        top = answer.top or {}
        record_answer(str(top.get("doc_id", "")), float(top.get("score", 0.0)))
        if answer.tentative:
            record_gap(knowledge_gap("low_confidence", tracker, question, top, answer.text))
        return True
    if answer.unknown_review:  # "the Ellie review": not answered from someone else's review
        send(dispatcher, message(answer.text, sources=answer.sources))
    else:
        dont_know(dispatcher)
    metrics.FALLBACKS.labels("dont_know").inc()
    record_gap(knowledge_gap(fallback_reason, tracker, question, answer.top or {}))
    return False


def knowledge_gap(
    reason: str, tracker: Tracker, question: str, top: dict[str, Any], answer_given: str = ""
) -> Gap:
    intent, confidence = intent_info(tracker)
    return Gap(
        reason=reason,
        text=question,
        conversation_id=tracker.sender_id,
        intent=intent,
        intent_confidence=confidence,
        top_document=str(top.get("doc_id", "")),
        top_score=float(top.get("score", 0.0)),
        answer_given=answer_given,
    )


class ActionSearchKnowledge(Action):
    def name(self) -> str:
        return "action_search_knowledge"

    @never_fails
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intent = latest_intent(tracker)
        if intent == "inform" and names_a_contact(tracker):
            answer_with_contacts(dispatcher, tracker)
            return []
        reason = "nlu_fallback" if intent == "nlu_fallback" else "weak_retrieval"
        if intent == "nlu_fallback":
            metrics.FALLBACKS.labels("nlu_fallback").inc()
        answer_from_knowledge(dispatcher, tracker, reason)
        return []


class ActionOutOfScope(Action):
    """Out-of-scope still tries the knowledge base: DIET can be wrong, and a real question
    answered is better than a polite refusal."""

    def name(self) -> str:
        return "action_out_of_scope"

    @never_fails
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        metrics.FALLBACKS.labels("out_of_scope").inc()
        answer_from_knowledge(dispatcher, tracker, "out_of_scope")
        return []


class ActionDefaultFallback(Action):
    """Rasa's core fallback (no rule or story fits): knowledge first, then honest help."""

    def name(self) -> str:
        return "action_default_fallback"

    @never_fails
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        metrics.FALLBACKS.labels("core_fallback").inc()
        answer_from_knowledge(dispatcher, tracker, "nlu_fallback")
        return [UserUtteranceReverted()]
