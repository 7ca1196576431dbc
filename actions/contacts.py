"""Who to call: numbers only from knowledge/contacts.yml, each with its hours and source."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    answer_from_the_stage,
    answer_if_sure,
    latest_entity,
    latest_intent,
    latest_text,
    never_fails,
    send,
    stated_audience,
)
from bot import resources
from bot.contacts import Contact
from bot.flows.render import message
from bot.knowledge.search import audience_hint
from bot.questions import looks_like_question

OUT_OF_HOURS = ["edt", "adult_social_care", "police"]
DEFAULT = ["front_door", "consultation_line", "edt", "adult_social_care", "lado"]


def choose_contacts(
    contacts: dict[str, Contact],
    service: str | None,
    urgency: str | None,
    intent: str,
    audience: str | None = None,
) -> list[Contact]:
    if service in contacts:  # a service named by the practitioner is given as asked
        return [contacts[service]]
    chosen = _situation_contacts(contacts, service, urgency, intent)
    if audience not in {"children", "adults"}:
        return chosen
    kept = [c for c in chosen if c.audience in {audience, "all"}]
    if not any(c.audience == audience for c in kept):
        kept += [c for c in contacts.values() if c.audience == audience]
    return kept


def _situation_contacts(
    contacts: dict[str, Contact], service: str | None, urgency: str | None, intent: str
) -> list[Contact]:
    if intent == "talk_to_person":
        ids = ["consultation_line", "front_door"]
    elif service in {"police", "emergency"}:
        ids = ["emergency", "police"]
    elif urgency == "out_of_hours":
        ids = OUT_OF_HOURS
    elif urgency == "urgent":
        ids = ["emergency", "front_door", "edt"]
    else:
        ids = DEFAULT
    return [contacts[i] for i in ids if i in contacts]


def audience_of(tracker: Tracker) -> str | None:
    """Children or adults, from the entity (its raw text when the extractor's span missed a
    synonym, e.g. "adult at"), the conversation's slot, or the question's own words."""
    value = stated_audience(tracker)
    if value in {"children", "adults"}:
        return value
    return audience_hint(value or "") or audience_hint(latest_text(tracker))


def describe(contact: Contact) -> str:
    option = f", option {contact.option}" if contact.option else ""
    text = f"{contact.name}: {contact.number}{option}. {contact.hours}. {contact.when}"
    if contact.note:
        text += f" ({contact.note})"
    return text


def answer_with_contacts(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """The numbers that fit what the practitioner named (a service, out of hours, an
    audience), each with its hours and source."""
    contacts = resources.get_contacts()
    intent = latest_intent(tracker)
    chosen = choose_contacts(
        contacts,
        latest_entity(tracker, "service"),
        latest_entity(tracker, "urgency"),
        intent,
        audience_of(tracker),
    )
    if intent != "talk_to_person":
        lead = "If anyone is in immediate danger, call 999 first. Otherwise:"
    elif chosen and chosen[0].id == "consultation_line":
        lead = (
            "A person is a phone call away. For advice on a case, ring the professional "
            "consultation line:"
        )
    else:
        lead = "A person is a phone call away:"
    body = "\n".join(f"• {describe(c)}" for c in chosen)
    sources = []
    for c in chosen:
        if {"title": c.name, "url": c.source_url} not in sources:
            sources.append({"title": c.name, "url": c.source_url})
    send(dispatcher, message(f"{lead}\n{body}", contacts=chosen, sources=sources))


def names_a_contact(tracker: Tracker) -> bool:
    """A fragment such as "out of hours" or "the police", read as `inform` outside a
    walkthrough, names who to call: it is answered with the numbers, not a passage."""
    return any(latest_entity(tracker, e) for e in ("service", "urgency"))


class ActionContact(Action):
    def name(self) -> str:
        return "action_contact"

    @never_fails
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if answer_from_the_stage(dispatcher, tracker):  # "who do I involve?" mid-escalation
            return []
        answer_with_contacts(dispatcher, tracker)
        return []


class ActionUrgentContacts(Action):
    """Follows the 999 response (which Rasa sends even if this server is down) with the local
    numbers to use once the person is safe."""

    def name(self) -> str:
        return "action_urgent_contacts"

    @never_fails
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        contacts = resources.get_contacts()
        chosen = [contacts[i] for i in ("emergency", "front_door", "edt") if i in contacts]
        send(
            dispatcher,
            message(
                "When the person is safe, tell your safeguarding lead and make a referral:\n"
                + "\n".join(f"• {describe(c)}" for c in chosen[1:]),
                contacts=chosen,
            ),
        )
        # A question read as danger ("what should I do if a student is self harming") still
        # gets its guidance, after 999 and the numbers.
        if looks_like_question(latest_text(tracker)):
            answer_if_sure(dispatcher, tracker)
        return []
