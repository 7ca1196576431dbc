from __future__ import annotations

import pytest
from rasa_sdk.executor import ActionExecutor

from actions.walkthroughs import (
    ASK_ACTIONS,
    FORMS,
    ActionEscalationStep,
    ActionReferralOutcome,
    ActionStartEscalation,
    ActionStartReferral,
    ActionWalkthroughBack,
    ActionWalkthroughContinue,
    ActionWalkthroughStop,
    ValidateReferralForm,
)
from bot.flows.render import PARAGRAPH_BREAK
from tests.actions.conftest import make_tracker


def asked_by(form: str, after: str) -> list[dict]:
    """The events an ask action sees: Rasa appends the form's own run to the conversation."""
    return [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "..."},
        {"event": "action", "name": after},
        {"event": "action", "name": form},
    ]


def slot_events(events):
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def test_button_choice_fills_the_requested_slot(run_action):
    tracker = make_tracker(
        '/inform{"choice": "no"}',
        intent="inform",
        entities=[{"entity": "choice", "value": "no"}],
        slots={"requested_slot": "referral_danger"},
        active_loop="referral_form",
    )
    events, _ = run_action(ValidateReferralForm(), tracker)
    slots = slot_events(events)
    assert slots["referral_danger"] == "no"
    assert slots["requested_slot"] == "referral_audience"


def test_free_text_answer_fills_the_slot_and_skips_hours_for_adults(run_action):
    tracker = make_tracker(
        "an elderly resident in a care home",
        intent="inform",
        slots={"requested_slot": "referral_audience", "referral_danger": "no"},
        active_loop="referral_form",
    )
    events, _ = run_action(ValidateReferralForm(), tracker)
    slots = slot_events(events)
    assert slots["referral_audience"] == "adults"
    assert slots["requested_slot"] == "referral_consent"


def test_danger_ends_the_form(run_action):
    tracker = make_tracker(
        "yes",
        intent="affirm",
        slots={"requested_slot": "referral_danger"},
        active_loop="referral_form",
    )
    slots = slot_events(run_action(ValidateReferralForm(), tracker)[0])
    assert slots["referral_danger"] == "yes"
    assert slots["requested_slot"] is None


def test_unrelated_text_fills_nothing_so_rules_can_handle_the_interruption(run_action):
    tracker = make_tracker(
        "what is the spectrum of support",
        slots={
            "requested_slot": "referral_hours",
            "referral_danger": "no",
            "referral_audience": "children",
        },
        active_loop="referral_form",
    )
    events, _ = run_action(ValidateReferralForm(), tracker)
    assert "referral_hours" not in slot_events(events)


def test_ask_actions_exist_for_every_flow_question(flows):
    executor = ActionExecutor()
    executor.register_package("actions")
    names = set(executor.actions)
    for flow in flows.values():
        for slot in flow.slots:
            assert f"action_ask_{slot}" in names


@pytest.mark.parametrize(
    "form, slot, started_by",
    [
        ("referral_form", "referral_danger", "action_start_referral"),
        ("escalation_form", "escalation_topic", "action_start_escalation"),
        ("escalation_form", "escalation_topic", "action_walkthrough_stop"),  # from a referral
    ],
)
def test_first_question_has_the_intro_and_buttons(run_action, flows, form, slot, started_by):
    tracker = make_tracker("start", active_loop=form, events=asked_by(form, after=started_by))
    _, messages = run_action(ASK_ACTIONS[slot](), tracker)
    flow = flows[FORMS[form]]
    assert messages[0]["text"] == f"{flow.intro}{PARAGRAPH_BREAK}{flow.question(slot).text}"
    assert messages[0]["buttons"] == flow.buttons(slot)


def test_the_intro_is_shown_when_the_start_filled_in_what_was_already_said(run_action, flows):
    # "I'm worried about an elderly neighbour" starts the referral with the adult route chosen.
    events = asked_by("referral_form", after="action_start_referral")
    events.insert(3, {"event": "slot", "name": "referral_audience", "value": "adults"})
    tracker = make_tracker(
        "im worried about an elderly neighbour",
        intent="raise_adult_concern",
        active_loop="referral_form",
        slots={"referral_audience": "adults"},
        events=events,
    )
    _, messages = run_action(ASK_ACTIONS["referral_danger"](), tracker)
    flow = flows["referral"]
    assert messages[0]["text"].startswith(flow.intro)


def test_first_question_asked_again_after_an_interruption_comes_without_the_intro(
    run_action, flows
):
    tracker = make_tracker(
        "escalate a case",
        intent="escalate",
        active_loop="escalation_form",
        events=asked_by("escalation_form", after="action_walkthrough_continue"),
    )
    _, messages = run_action(ASK_ACTIONS["escalation_topic"](), tracker)
    assert messages[0]["text"] == flows["escalation"].question("escalation_topic").text
    assert len(messages[0]["buttons"]) == 4


def test_referral_outcome_sends_route_checklist_feedback_and_summary_then_resets(run_action):
    answers = {
        "referral_danger": "no",
        "referral_audience": "children",
        "referral_hours": "in_hours",
        "referral_consent": "sought",
        "referral_category": "exploitation",
    }
    events, messages = run_action(ActionReferralOutcome(), make_tracker(slots=answers))
    assert all(v is None for v in slot_events(events).values())
    assert "Front Door" in messages[0]["text"]
    numbers = [c["number"] for c in messages[0]["custom"]["contacts"]]
    assert "01926 414144" in numbers and "101" in numbers
    assert messages[-1]["custom"]["copy"] is True


def test_adult_concern_prefills_the_audience(run_action):
    events, _ = run_action(
        ActionStartReferral(),
        make_tracker("raise a concern about an adult", intent="raise_adult_concern"),
    )
    assert slot_events(events)["referral_audience"] == "adults"


@pytest.mark.parametrize(
    "text, intent, source",
    [
        ("where do i find the MAC form", "make_referral", "Children and Families Front Door"),
        ("what goes in a good referral", "make_referral", "Children and Families Front Door"),
        ("adult safeguarding concern form", "raise_adult_concern", "adult safeguarding concern"),
        (
            "do i need parental consent to refer",
            "make_referral",
            "Children and Families Front Door",
        ),
        # The referral procedure answers make_referral first (front matter `intents`), not the
        # after-referral "telling the family" passage the words also fit.
        ("can I refer without telling the parents", "make_referral", "Children and Families"),
    ],
)
def test_a_referral_started_with_a_question_about_the_form_answers_it_first(
    run_action, text, intent, source
):
    events, messages = run_action(ActionStartReferral(), make_tracker(text, intent=intent))
    assert len(messages) == 1
    assert source.lower() in messages[0]["custom"]["sources"][0]["title"].lower()
    assert not messages[0]["buttons"]  # the walkthrough's first question brings its own
    assert slot_events(events)["referral_danger"] is None  # the walkthrough still starts


def test_a_referral_started_without_such_a_question_starts_straight_away(run_action):
    _, messages = run_action(
        ActionStartReferral(), make_tracker("i need to make a referral", intent="make_referral")
    )
    assert messages == []


def test_after_answering_the_start_the_walkthrough_offers_itself(run_action, flows):
    events = asked_by("referral_form", after="action_start_referral")
    answer = {"custom": {"sources": [{"title": "Making a referral", "url": "https://x"}]}}
    events.insert(3, {"event": "bot", "text": "The MAC form ...", "data": answer})
    tracker = make_tracker("where is the mac form", active_loop="referral_form", events=events)
    _, messages = run_action(ASK_ACTIONS["referral_danger"](), tracker)
    flow = flows["referral"]
    assert flow.intro_after_answer != flow.intro
    assert messages[0]["text"].startswith(flow.intro_after_answer)


def test_back_forgets_the_last_answer(run_action):
    tracker = make_tracker(
        "go back",
        intent="go_back",
        active_loop="referral_form",
        slots={
            "referral_danger": "no",
            "referral_audience": "children",
            "requested_slot": "referral_hours",
        },
    )
    slots = slot_events(run_action(ActionWalkthroughBack(), tracker)[0])
    assert slots == {"referral_audience": None, "requested_slot": "referral_audience"}


def test_stop_leaves_the_form_and_logs_it_as_abandoned(run_action, recorded_gaps):
    tracker = make_tracker(
        "stop",
        intent="stop",
        active_loop="referral_form",
        slots={"referral_danger": "no", "requested_slot": "referral_audience"},
    )
    events, messages = run_action(ActionWalkthroughStop(), tracker)
    assert any(e["event"] == "active_loop" and e["name"] is None for e in events)
    assert "stopped" in messages[0]["text"]
    assert recorded_gaps[0].reason == "abandoned"


def test_escalation_goes_stage_by_stage_and_ends_with_the_protocol(run_action):
    stage = None
    texts = []
    for _ in range(3):
        events, messages = run_action(
            ActionEscalationStep(),
            make_tracker(
                "next",
                intent="next_step",
                slots={"escalation_topic": "threshold", "escalation_stage": stage},
            ),
        )
        texts.append("\n".join(m["text"] for m in messages))
        stage = slot_events(events).get("escalation_stage")
    assert "Stage 1 of 3" in texts[0] and "Stage 3 of 3" in texts[2]
    assert "Escalation Process" in texts[2]
    assert slot_events(events)["escalation_topic"] is None


def back_at_stage(run_action, stage: float):
    slots = {"escalation_topic": "threshold", "escalation_stage": stage}
    return run_action(ActionWalkthroughBack(), make_tracker("back", "go_back", slots=slots))


def test_back_during_escalation_shows_the_previous_stage(run_action):
    events, messages = back_at_stage(run_action, 2.0)
    assert "Stage 1 of 3" in "\n".join(m["text"] for m in messages)
    assert slot_events(events) == {"escalation_stage": 1.0}


def test_back_from_the_first_escalation_stage_offers_the_topic_question_again(run_action):
    events, messages = back_at_stage(run_action, 1.0)
    assert events == []  # stage 1 stays current: "next stage" still works
    assert "Stage 1" not in messages[0]["text"]
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads == ["/escalate", "/next_step"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("make a referral", "carry on"),  # said again: the walkthrough carries on
        ("what is the MAC form", "Multi-Agency Contact"),  # a question: answered
        ("mac form pls", "Multi-Agency Contact"),  # names the form: answered too
    ],
)
def test_the_walkthrough_intent_mid_walkthrough_keeps_the_answers(run_action, text, expected):
    tracker = make_tracker(
        text,
        intent="make_referral",
        slots={"referral_danger": "no", "requested_slot": "referral_audience"},
        active_loop="referral_form",
    )
    events, messages = run_action(ActionWalkthroughContinue(), tracker)
    assert events == []  # no slot is reset: the form asks its current question next
    assert expected in messages[0]["text"]


@pytest.mark.parametrize(
    "text",
    [
        "where is the escalation protocol published",
        "where can i find the escalation policy",
        "link to the escalation process please",
    ],
)
def test_an_escalation_started_with_where_the_protocol_is_answers_that_first(
    run_action, flows, text
):
    """Only 29% of agencies knew the escalation protocol: asked where it is, the bot says so
    now, not after the stages (the walkthrough still starts, and still ends with it)."""
    events, messages = run_action(ActionStartEscalation(), make_tracker(text, intent="escalate"))
    assert len(messages) == 1
    published = flows["escalation"].data["published"]
    assert messages[0]["text"] == published["text"]
    assert messages[0]["custom"]["sources"][0]["url"] == flows["escalation"].data["source"]["url"]
    assert not messages[0]["buttons"]  # the walkthrough's first question brings its own
    assert slot_events(events) == {"escalation_topic": None, "escalation_stage": None}


def test_after_answering_where_the_protocol_is_the_escalation_offers_itself(run_action, flows):
    events = asked_by("escalation_form", after="action_start_escalation")
    answer = {"custom": {"sources": [{"title": "Escalation", "url": "https://x"}]}}
    events.insert(3, {"event": "bot", "text": "The current process ...", "data": answer})
    tracker = make_tracker(
        "where is the escalation protocol", active_loop="escalation_form", events=events
    )
    _, messages = run_action(ASK_ACTIONS["escalation_topic"](), tracker)
    flow = flows["escalation"]
    assert flow.intro_after_answer != flow.intro
    assert messages[0]["text"].startswith(flow.intro_after_answer)


def test_a_new_escalation_forgets_the_stage_an_earlier_one_reached(run_action):
    tracker = make_tracker(
        "how do I escalate",
        intent="escalate",
        slots={"escalation_topic": "threshold", "escalation_stage": 2.0},
    )
    events, messages = run_action(ActionStartEscalation(), tracker)
    assert slot_events(events) == {"escalation_topic": None, "escalation_stage": None}
    assert messages == []
