"""Render walkthrough results as chat messages: text, buttons, contact cards and sources.

Messages are plain dicts ({text, buttons, sources, contacts, copy}) so the action server can
send them through Rasa and the tests can check them without Rasa.
"""

from __future__ import annotations

from typing import Any

from bot.contacts import Contact
from bot.flows.model import STAGE_FIELDS, Flow, find_outcome

Message = dict[str, Any]

# Rasa's REST channel cuts a text without buttons into one message per blank line
# (CollectingOutputChannel.send_text_message splits on "\n\n"), and the custom payload then
# joins only the last piece (web/rasa_client.py): a walkthrough summary came out in three
# bubbles with "Copy summary" on the contacts alone. A line holding one space keeps paragraphs
# apart without a split: the action server sends it (actions/common.py) and the web app turns
# it back into a blank line.
PARAGRAPH_BREAK = "\n \n"


def message(
    text: str,
    buttons: list[dict[str, str]] | None = None,
    sources: list[dict[str, str]] | None = None,
    contacts: list[Contact] | None = None,
    copy: bool = False,
) -> Message:
    return {
        "text": text,
        "buttons": buttons or [],
        "sources": sources or [],
        "contacts": [c.card() for c in contacts or []],
        "copy": copy,
    }


def _contacts(ids: list[str] | None, contacts: dict[str, Contact]) -> list[Contact]:
    return [contacts[i] for i in ids or [] if i in contacts]


def _for_audience(note: str | dict[str, str] | None, audience: str) -> str:
    """A note is one text, or one per audience ("children", "adults") where the law differs."""
    if isinstance(note, dict):
        return note.get(audience, "")
    return note or ""


def _source(data: dict[str, Any] | None) -> list[dict[str, str]]:
    return [{"title": data["title"], "url": data["url"]}] if data else []


def render_ending(flow: Flow, name: str, contacts: dict[str, Contact]) -> list[Message]:
    ending = flow.data["endings"][name]
    return [message(ending["text"], contacts=_contacts(ending.get("contacts"), contacts))]


def render_referral(
    flow: Flow, values: dict[str, Any], contacts: dict[str, Contact]
) -> list[Message]:
    ending = flow.ending(values)
    if ending:
        return render_ending(flow, ending, contacts)
    outcome = find_outcome(flow, values)
    if outcome is None:  # validate_flows guarantees this cannot happen with checked data
        return [
            message(
                "I can't work out the route from those answers. Please contact the "
                "Front Door or your safeguarding lead.",
                contacts=_contacts(["front_door"], contacts),
            )
        ]
    data = flow.data
    category = str(values.get("referral_category") or "")
    consent = str(values.get("referral_consent") or "")
    steps = list(outcome.get("steps") or [])
    audience = str(values.get("referral_audience") or "")
    for notes, key in (("consent_notes", consent), ("category_notes", category)):
        note = _for_audience((data.get(notes) or {}).get(key), audience)
        if note:
            steps.append(note)
    route_contacts = _contacts(outcome.get("contacts"), contacts) + [
        c
        for c in _contacts((data.get("category_contacts") or {}).get(category), contacts)
        if c.id not in (outcome.get("contacts") or [])
    ]
    numbered = "\n".join(f"{i}. {s}" for i, s in enumerate(steps, 1))
    messages = [
        message(
            f"{outcome['route']}\n\n{numbered}",
            # An outcome may cite its own page (adults: the adult procedures, not the
            # children's "worried about a child" page the flow as a whole cites).
            sources=_source(outcome.get("source") or data.get("source")),
            contacts=route_contacts,
        )
    ]
    checklist = (data.get("checklists") or {}).get(outcome.get("checklist") or "")
    if checklist:
        items = "\n".join(f"☐ {item}" for item in checklist["items"])
        messages.append(message(f"{checklist['title']}:\n{items}"))
    feedback = (data.get("feedback") or {}).get(outcome.get("feedback") or "")
    if feedback:
        items = "\n".join(f"• {item}" for item in feedback["items"])
        messages.append(
            message(
                f"{feedback['title']}:\n{items}",
                buttons=[{"title": "I disagree with the outcome", "payload": "/escalate"}],
                sources=_source(feedback.get("source")),
            )
        )
    answers = "\n".join(
        f"- {flow.question(slot).text} {flow.answer_title(slot, str(values[slot]))}"
        for slot in flow.slots
        if values.get(slot)
    )
    summary = f"Summary: {flow.title}\n{answers}\n\nSteps:\n{numbered}"
    if route_contacts:
        summary += "\n\nContacts:\n" + "\n".join(c.line() for c in route_contacts)
    messages.append(message(summary, copy=True))
    return messages


def render_escalation_intro(flow: Flow, topic: str) -> str:
    note = (flow.data.get("topic_notes") or {}).get(topic, "")
    return f"{note}\n\n{flow.data.get('pattern_note', '')}".strip()


NEXT_STAGE = {"title": "Still not resolved: next stage", "payload": "/next_step"}
RESOLVED = {"title": "It's resolved", "payload": "/stop"}


def stage_count(flow: Flow) -> int:
    return len(flow.data.get("stages") or [])


def render_stage(flow: Flow, topic: str, stage: int) -> list[Message]:
    """Stage `stage` (1-based). The first stage also explains the topic; the last ends with
    where the current protocol is published and a copyable summary."""
    stages = flow.data["stages"]
    stage, info = _stage(flow, stage)
    lines = [
        f"Stage {stage} of {len(stages)}: {info['title']}",
        "",
        info["do"],
        "",
        f"{STAGE_FIELDS['involve']}: {info['involve']}",
        f"{STAGE_FIELDS['record']}: {info['record']}",
    ]
    if info.get("timescale"):
        lines.append(f"{STAGE_FIELDS['timescale']}: {info['timescale']}")
    messages: list[Message] = []
    if stage == 1:
        messages.append(message(render_escalation_intro(flow, topic)))
    published = flow.data.get("published") or {}
    if stage < len(stages):
        messages.append(
            message(
                "\n".join(lines),
                buttons=[NEXT_STAGE, RESOLVED],
            )
        )
        return messages
    messages.append(
        message(
            "\n".join(lines),
            sources=[{"title": flow.data["source"]["title"], "url": published.get("url", "")}],
        )
    )
    messages.append(render_published(flow))
    summary_lines = [
        f"Summary: {flow.title}",
        f"- {flow.question('escalation_topic').text} "
        f"{flow.answer_title('escalation_topic', topic)}",
    ]
    for i, s in enumerate(stages, 1):
        summary_lines.append(f"{i}. {s['title']}: {s['do']} Record: {s['record']}")
    summary_lines.append(f"Current protocol: {published.get('url', '')}")
    messages.append(message("\n".join(summary_lines), copy=True))
    return messages


def render_published(flow: Flow) -> Message:
    """Where the current protocol is published, with its source: the walkthrough's last word,
    and its first when that is what the practitioner asked."""
    published = flow.data.get("published") or {}
    return message(published.get("text", ""), sources=_source(flow.data.get("source")))


def render_stage_answer(flow: Flow, stage: int, field_name: str) -> Message:
    """A question asked during the stages, answered from the stage the practitioner is on. A
    timescale the data does not give is said to be unconfirmed, never made up."""
    stages = flow.data["stages"]
    stage, info = _stage(flow, stage)
    label = STAGE_FIELDS[field_name]
    answer = info.get(field_name)
    published = flow.data.get("published") or {}
    if not answer:
        answer = (
            "No timescale for this stage is confirmed in our data. Check the current protocol: "
            f"{published.get('url', '')}"
        )
    text = f"At stage {stage} of {len(stages)} ({info['title']}): {label}: {answer}"
    return message(
        text,
        buttons=[
            NEXT_STAGE
            if stage < len(stages)
            else {"title": "Start a new escalation", "payload": "/escalate"},
            RESOLVED,
        ],
        sources=[{"title": flow.data["source"]["title"], "url": published.get("url", "")}],
    )


def _stage(flow: Flow, stage: int) -> tuple[int, dict[str, Any]]:
    """Stage `stage` (1-based, kept within the flow's stages) and its data."""
    stages = flow.data["stages"]
    stage = max(1, min(stage, len(stages)))
    return stage, stages[stage - 1]
