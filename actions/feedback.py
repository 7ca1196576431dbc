"""'That didn't help': apologise, offer other ways forward, and log what was said."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import TALK_TO_PERSON, never_fails, send
from bot import resources
from bot.flows.render import PARAGRAPH_BREAK, message
from bot.gaps.hook import Gap, record_gap


def last_bot_text(tracker: Tracker) -> str:
    for event in reversed(tracker.events):
        if event.get("event") == "bot" and event.get("text"):
            return str(event["text"]).replace(PARAGRAPH_BREAK, "\n\n")
    return ""


def last_user_question(tracker: Tracker) -> str:
    """The question the unhelpful answer was for: the user message before the complaint."""
    users = [e for e in tracker.events if e.get("event") == "user"]
    if len(users) >= 2:
        text = str(users[-2].get("text") or "")
        return "" if text.startswith("/") else text
    return ""


class ActionFeedbackNegative(Action):
    def name(self) -> str:
        return "action_feedback_negative"

    @never_fails
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        answer, question = last_bot_text(tracker), last_user_question(tracker)
        # "That didn't help" before anything was asked or answered leaves trainers an empty row.
        if answer or question:
            record_gap(
                Gap(
                    reason="negative_feedback",
                    text=question,
                    conversation_id=tracker.sender_id,
                    intent="feedback_negative",
                    answer_given=answer[:500],
                )
            )
        contacts = resources.get_contacts()
        send(
            dispatcher,
            message(
                "Sorry that didn't help, and thank you for saying so: it's logged so the "
                "partnership's trainers can improve the answer. You could rephrase your "
                "question, pick a topic, or talk to a person.",
                buttons=[
                    {"title": "What can you do?", "payload": "/help"},
                    TALK_TO_PERSON,
                ],
                contacts=[contacts["consultation_line"]] if "consultation_line" in contacts else [],
            ),
        )
        return []
