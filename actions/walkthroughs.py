"""Referral and escalation walkthroughs: Rasa forms whose questions, answers and outcomes are
read from `knowledge/flows/*.yml` (see bot/flows)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (
    ESCALATE,
    MAKE_REFERRAL,
    answer_from_the_stage,
    answer_if_sure,
    danger_first,
    latest_entity,
    latest_intent,
    latest_text,
    never_fails,
    send,
)
from actions.knowledge import answer_from_knowledge
from bot import resources
from bot.flows.model import Flow
from bot.flows.render import (
    NEXT_STAGE,
    message,
    render_published,
    render_referral,
    render_stage,
    stage_count,
)
from bot.gaps.hook import Gap, record_gap
from bot.questions import looks_like_question

FORMS = {"referral_form": "referral", "escalation_form": "escalation"}
# What runs just before a form's first question when the practitioner starts a walkthrough
# (data/rules/; "escalate" mid-referral stops the referral, then starts the escalation).
# tests/test_data_checks.py checks the rules against this set.
STARTING_ACTIONS = {
    "action_listen",
    "action_start_referral",
    "action_start_escalation",
    "action_walkthrough_stop",
}
# The actions that prefill a walkthrough from what the practitioner said when starting it.
PREFILLING_ACTIONS = {"action_start_referral", "action_start_escalation"}
MAIN_MENU = [
    MAKE_REFERRAL,
    ESCALATE,
    {"title": "What can you do?", "payload": "/help"},
]


def flow_for_form(form: str) -> Flow:
    return resources.get_flows()[FORMS[form]]


def slot_values(flow: Flow, tracker: Tracker) -> dict[str, Any]:
    return {slot: tracker.get_slot(slot) for slot in flow.slots if tracker.get_slot(slot)}


class FlowFormValidation(FormValidationAction):
    """Fills the requested slot from a button's `choice` or the practitioner's own words.

    If neither maps to an answer, nothing is set, so Rasa rejects the form step and the rules
    for interruptions (a question, "stop", "back") take over; the form then asks again.
    """

    form = ""

    def name(self) -> str:
        return f"validate_{self.form}"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        flow = flow_for_form(self.form)
        return flow.required_slots(slot_values(flow, tracker))

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        flow = flow_for_form(self.form)
        requested = tracker.get_slot("requested_slot")
        if requested not in flow.slots or tracker.active_loop_name != self.form:
            return []
        choice = latest_entity(tracker, "choice")
        value = flow.match(requested, choice) or flow.match(
            requested, tracker.latest_message.get("text")
        )
        return [SlotSet(requested, value)] if value else []

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Extraction already checked the answer against the flow's options."""
        required = await self.required_slots([], dispatcher, tracker, domain)
        return [SlotSet(k, v) for k, v in tracker.slots_to_validate().items() if k in required]


class ValidateReferralForm(FlowFormValidation):
    form = "referral_form"


class ValidateEscalationForm(FlowFormValidation):
    form = "escalation_form"


class AskFlowQuestion(Action):
    """`action_ask_<slot>` for every flow question: text and buttons from the flow data."""

    form = ""
    slot = ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    @never_fails
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        flow = flow_for_form(self.form)
        question = flow.question(self.slot)
        values = slot_values(flow, tracker)
        first = self.slot == flow.required_slots(values)[0]
        # The intro belongs to the turn that starts the walkthrough. Asked again after an
        # interruption ("what is the MAC form?") or "back", the question comes alone.
        starting = _action_before(tracker, self.form) in STARTING_ACTIONS
        # What the practitioner already said when starting ("an elderly neighbour": an adult)
        # is filled in for them, and is no reason to skip the intro.
        answered = set(values) - _prefilled(tracker)
        # After an answer to the question the walkthrough was started with, it offers itself.
        intro = flow.intro_after_answer if _answered_at_start(tracker) else flow.intro
        text = (
            f"{intro}\n\n{question.text}" if first and starting and not answered else question.text
        )
        send(dispatcher, message(text, buttons=flow.buttons(self.slot)))
        return []


def _start_turn(tracker: Tracker) -> list[dict[str, Any]] | None:
    """The events since the start action of this turn (None if no start action ran since the
    practitioner's message): what it filled in and what it said."""
    since: list[dict[str, Any]] = []
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") in PREFILLING_ACTIONS:
            return since
        if event.get("event") == "user":
            return None
        since.append(event)
    return None


def _prefilled(tracker: Tracker) -> set[str]:
    """The slots the latest start action set from what the practitioner said."""
    return {
        str(e.get("name"))
        for e in _start_turn(tracker) or []
        if e.get("event") == "slot" and e.get("value") is not None
    }


def _answered_at_start(tracker: Tracker) -> bool:
    """Whether the start action answered the practitioner's question (ActionStartReferral,
    ActionStartEscalation): a message with its sources, not the 999 line that may come before
    it."""
    return any(
        e.get("event") == "bot" and ((e.get("data") or {}).get("custom") or {}).get("sources")
        for e in _start_turn(tracker) or []
    )


def _action_before(tracker: Tracker, form: str) -> str | None:
    """The action that ran before the form now asking: Rasa hands an ask action a tracker
    whose last action is the form itself."""
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") != form:
            return event.get("name")
    return None


def _ask_actions() -> dict[str, type[AskFlowQuestion]]:
    """One `action_ask_<slot>` class per question in the flow files (the slots must be in
    domain.yml; `python -m bot check` verifies that). The classes are kept in a module dict:
    rasa_sdk finds actions through weak subclass references, so unreferenced classes would be
    garbage-collected."""
    classes = {}
    for form, flow_id in FORMS.items():
        flow = resources.get_flows()[flow_id]
        for q in flow.questions:
            classes[q.slot] = type(
                f"Ask_{q.slot}", (AskFlowQuestion,), {"form": form, "slot": q.slot}
            )
    return classes


ASK_ACTIONS = _ask_actions()


class ActionReferralOutcome(Action):
    def name(self) -> str:
        return "action_referral_outcome"

    @never_fails
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        flow = flow_for_form("referral_form")
        for msg in render_referral(flow, slot_values(flow, tracker), resources.get_contacts()):
            send(dispatcher, msg)
        return [SlotSet(slot, None) for slot in flow.slots]


class ActionEscalationStep(Action):
    """Shows the next escalation stage; called after the form and on "next stage"."""

    def name(self) -> str:
        return "action_escalation_step"

    @never_fails
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if answer_from_the_stage(dispatcher, tracker):  # "how long does this stage take?"
            return []
        flow = flow_for_form("escalation_form")
        topic = tracker.get_slot("escalation_topic")
        if not topic:
            send(
                dispatcher,
                message(
                    "We're not in an escalation walkthrough at the moment. "
                    "Would you like to start one?",
                    buttons=[ESCALATE],
                ),
            )
            return []
        last = tracker.get_slot("escalation_stage")
        stage = int(last or 0) + 1
        for msg in render_stage(flow, topic, stage):
            send(dispatcher, msg)
        if stage >= stage_count(flow):
            return [SlotSet("escalation_topic", None), SlotSet("escalation_stage", None)]
        return [SlotSet("escalation_stage", float(stage))]


class ActionWalkthroughBack(Action):
    """ "Go back": forget the last answer so the form asks that question again."""

    def name(self) -> str:
        return "action_walkthrough_back"

    @never_fails
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        form = tracker.active_loop_name
        if form not in FORMS:
            stage = tracker.get_slot("escalation_stage")
            if stage and tracker.get_slot("escalation_topic"):
                if int(stage) > 1:
                    # Back from escalation stage N shows stage N-1 again: re-run the step as if
                    # stage N-2 had been the last one shown (it sets the stage slot itself).
                    return await ActionEscalationStep().run(
                        dispatcher, _with_stage(tracker, int(stage) - 2), domain
                    )
                # Before stage 1 came the form's one question; offer it again by button
                # rather than re-showing stage 1 as if "back" had not been heard.
                send(
                    dispatcher,
                    message(
                        "That's the first stage. To pick a different kind of disagreement, "
                        "start the escalation again; or carry on from stage 1.",
                        buttons=[
                            {"title": "Choose the disagreement again", "payload": "/escalate"},
                            NEXT_STAGE,
                        ],
                    ),
                )
                return []
            send(dispatcher, message("There's no earlier step to go back to."))
            return []
        flow = flow_for_form(form)
        values = slot_values(flow, tracker)
        answered = [s for s in flow.required_slots(values) if values.get(s)]
        if not answered:
            send(
                dispatcher, message("That's the first question, so there's nothing to go back to.")
            )
            return []
        previous = answered[-1]
        send(dispatcher, message("OK, let's go back a step."))
        return [SlotSet(previous, None), SlotSet("requested_slot", previous)]


def _with_stage(tracker: Tracker, stage: int) -> Tracker:
    copy = tracker.copy()
    copy.slots["escalation_stage"] = float(stage) if stage else None
    return copy


class ActionWalkthroughContinue(Action):
    """The practitioner asked for the walkthrough they are already in. Starting it again would
    throw their answers away; a question ("what is the MAC form?", often classed as
    make_referral) gets its answer; anything else a note that we carry on. The form then
    asks its current question again (data/rules/)."""

    def name(self) -> str:
        return "action_walkthrough_continue"

    @never_fails
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text, form = latest_text(tracker), tracker.active_loop_name
        if looks_like_question(text) or (form in FORMS and flow_for_form(form).answers_first(text)):
            answer_from_knowledge(dispatcher, tracker, "weak_retrieval")
        else:
            send(
                dispatcher,
                message(
                    "We're already in this walkthrough, so let's carry on from where we were. "
                    'Say "start again" to begin afresh, or "stop" to leave it.'
                ),
            )
        return []


class ActionWalkthroughStop(Action):
    """ "Stop": leave the walkthrough politely, keep nothing, note an abandoned walkthrough."""

    def name(self) -> str:
        return "action_walkthrough_stop"

    @never_fails
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        form = tracker.active_loop_name
        # Always close the loop (a no-op outside a form) so every "stop" rule ends the same way.
        events: list[EventType] = [
            ActiveLoop(None),
            SlotSet("escalation_topic", None),
            SlotSet("escalation_stage", None),
        ]
        if form in FORMS:
            flow = flow_for_form(form)
            record_gap(
                Gap(
                    reason="abandoned",
                    text=f"{flow.title}: stopped at {tracker.get_slot('requested_slot')}",
                    conversation_id=tracker.sender_id,
                    intent="stop",
                )
            )
            events += [SlotSet("requested_slot", None), *[SlotSet(s, None) for s in flow.slots]]
        send(
            dispatcher,
            message(
                "OK, I've stopped the walkthrough. What would you like to do next?",
                buttons=MAIN_MENU,
            ),
        )
        return events


class ActionStartReferral(Action):
    """Prefill what the practitioner already told us: an adult concern, or an audience."""

    def name(self) -> str:
        return "action_start_referral"

    @never_fails
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        danger_first(dispatcher, tracker)
        flow = flow_for_form("referral_form")
        events: list[EventType] = [SlotSet(slot, None) for slot in flow.slots]
        intent = latest_intent(tracker)
        audience = (
            "adults" if intent == "raise_adult_concern" else latest_entity(tracker, "audience")
        )
        if audience in {"children", "adults"}:
            events.append(SlotSet("referral_audience", audience))
        if flow.answers_first(latest_text(tracker)):
            answer_if_sure(dispatcher, tracker)
        return events


class ActionStartEscalation(Action):
    """A new escalation starts from its question: stages left over from an earlier one would
    complete the form at once and skip to the stage after them."""

    def name(self) -> str:
        return "action_start_escalation"

    @never_fails
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        danger_first(dispatcher, tracker)
        flow = flow_for_form("escalation_form")
        if flow.answers_first(latest_text(tracker)):
            # "Where is the escalation protocol?" is answered now, from the flow's own data,
            # rather than after the stages; the walkthrough then offers itself.
            send(dispatcher, render_published(flow))
        return [SlotSet("escalation_topic", None), SlotSet("escalation_stage", None)]


class ActionRestart(Action):
    """ "Start again" anywhere: forget the whole conversation and offer the main journeys."""

    def name(self) -> str:
        return "action_restart"

    @never_fails
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        send(
            dispatcher,
            message(
                "OK, we've started again. What would you like to do?",
                buttons=MAIN_MENU,
            ),
        )
        return [Restarted()]
