from __future__ import annotations

import base64

import pytest

from actions.common import DANGER_FIRST
from actions.contacts import ActionContact, ActionUrgentContacts
from actions.feedback import ActionFeedbackNegative
from actions.knowledge import ActionSearchKnowledge
from bot import metrics
from bot.gaps.hook import Gap
from bot.knowledge import embed, shared
from bot.knowledge.answer import TENTATIVE
from tests.actions.conftest import make_tracker


def test_knowledge_answer_has_passage_and_source(run_action):
    _, messages = run_action(ActionSearchKnowledge(), make_tracker("what is cuckooing"))
    assert "Cuckooing" in messages[0]["text"]
    assert messages[0]["custom"]["sources"][0]["url"].startswith("http")


def test_weak_retrieval_says_so_offers_topics_and_logs_a_gap(run_action, recorded_gaps):
    tracker = make_tracker("zxqw plokm vbnrt", intent="nlu_fallback", confidence=0.3)
    _, messages = run_action(ActionSearchKnowledge(), tracker)
    assert "don't have guidance" in messages[0]["text"]
    assert messages[0]["buttons"]
    assert messages[0]["custom"]["contacts"][0]["number"] == "01926 414144"
    assert recorded_gaps[0].reason == "nlu_fallback"
    assert recorded_gaps[0].text == "zxqw plokm vbnrt"


def test_a_tentative_answer_also_offers_the_routes_that_do_not_depend_on_it(
    run_action, recorded_gaps
):
    tracker = make_tracker("the plan isn't progressing", intent="inform", confidence=0.88)
    _, messages = run_action(ActionSearchKnowledge(), tracker)
    assert messages[0]["text"].startswith(TENTATIVE), "pick a question the index is unsure of"
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert {"/make_referral", "/escalate", "/talk_to_person"} <= set(payloads)
    assert messages[0]["custom"]["sources"]
    gaps = [g for g in recorded_gaps if isinstance(g, Gap)]
    assert [g.reason for g in gaps] == ["low_confidence"]


def test_a_confident_answer_offers_only_related_guidance(run_action):
    _, messages = run_action(ActionSearchKnowledge(), make_tracker("what is cuckooing"))
    assert not messages[0]["text"].startswith(TENTATIVE)
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert all(p.startswith("/ask_knowledge") for p in payloads), payloads


def test_a_question_during_the_escalation_stages_is_answered_from_that_stage(
    run_action, flows, recorded_gaps
):
    stages = flows["escalation"].data["stages"]
    slots = {"escalation_topic": "threshold", "escalation_stage": 2.0}
    _, messages = run_action(ActionSearchKnowledge(), make_tracker("what do i record", slots=slots))
    assert messages[0]["text"] == (
        f"At stage 2 of {len(stages)} ({stages[1]['title']}): What to record: {stages[1]['record']}"
    )
    assert messages[0]["buttons"][0]["payload"] == "/next_step"
    assert not [g for g in recorded_gaps if isinstance(g, Gap)]
    # No stage gives a timescale in the data: it is said to be unconfirmed, not made up.
    _, messages = run_action(ActionSearchKnowledge(), make_tracker("how long", slots=slots))
    assert "No timescale for this stage is confirmed" in messages[0]["text"]
    assert flows["escalation"].data["published"]["url"] in messages[0]["text"]


def test_who_to_involve_during_the_stages_is_the_stage_s_answer_not_a_contact_list(
    run_action, flows
):
    slots = {"escalation_topic": "case_closed", "escalation_stage": 1.0}
    tracker = make_tracker("who do i involve", intent="ask_contact", slots=slots)
    _, messages = run_action(ActionContact(), tracker)
    involve = flows["escalation"].data["stages"][0]["involve"]
    assert messages[0]["text"].endswith(f"Who to involve: {involve}")


def test_the_same_question_outside_the_stages_is_searched(run_action):
    _, messages = run_action(ActionSearchKnowledge(), make_tracker("what do i record"))
    assert not messages[0]["text"].startswith("At stage")


def test_related_document_button_shows_that_document(run_action):
    tracker = make_tracker(
        '/ask_knowledge{"doc_id": "procedures/was-not-brought"}',
        entities=[{"entity": "doc_id", "value": "procedures/was-not-brought"}],
    )
    _, messages = run_action(ActionSearchKnowledge(), tracker)
    assert "Was Not Brought" in messages[0]["custom"]["sources"][0]["title"]


def test_out_of_hours_contacts_come_from_the_data(run_action, contacts):
    tracker = make_tracker(
        "who do I call out of hours",
        intent="ask_contact",
        entities=[{"entity": "urgency", "value": "out_of_hours"}],
    )
    _, messages = run_action(ActionContact(), tracker)
    assert contacts["edt"].number in messages[0]["text"]
    assert messages[0]["text"].startswith("If anyone is in immediate danger, call 999")


def contact_reply(run_action, text, intent="ask_contact", **entities):
    tracker = make_tracker(
        text, intent=intent, entities=[{"entity": k, "value": v} for k, v in entities.items()]
    )
    _, messages = run_action(ActionContact(), tracker)
    return [c["id"] for c in messages[0]["custom"]["contacts"]], messages[0]["text"]


def test_out_of_hours_for_an_adult_gives_adult_services_not_childrens(run_action, contacts):
    # The extractor's span "adult at" missed the synonym; the words still say adult.
    ids, _ = contact_reply(
        run_action,
        "who do i ring about an adult at night",
        audience="adult at",
        urgency="out_of_hours",
    )
    assert ids[0] == "adult_social_care"
    assert all(contacts[i].audience in {"adults", "all"} for i in ids)
    ids, _ = contact_reply(
        run_action, "child at risk tonight who do i call", urgency="out_of_hours"
    )
    assert "edt" in ids and "adult_social_care" not in ids


def test_a_named_service_is_given_whatever_the_audience(run_action):
    ids, _ = contact_reply(
        run_action, "lado number for an adult", service="lado", audience="adults"
    )
    assert ids == ["lado"]


def test_talk_to_person_about_an_adult_is_not_sent_to_the_childrens_line(run_action):
    ids, text = contact_reply(
        run_action, "can i talk to someone about an elderly man", intent="talk_to_person"
    )
    assert ids == ["adult_social_care"]
    assert "consultation line" not in text


def test_talk_to_person_gives_the_consultation_line(run_action):
    _, messages = run_action(
        ActionContact(), make_tracker("can I speak to someone", intent="talk_to_person")
    )
    assert "option 3" in messages[0]["text"]


def test_urgent_contacts_follow_the_999_response(run_action):
    _, messages = run_action(
        ActionUrgentContacts(), make_tracker("help now", intent="urgent_danger")
    )
    assert messages[0]["custom"]["contacts"][0]["number"] == "999"


def test_a_question_read_as_danger_also_gets_its_guidance_after_999(run_action):
    text = "what should I do if a student is self harming"
    _, messages = run_action(ActionUrgentContacts(), make_tracker(text, intent="urgent_danger"))
    assert messages[0]["custom"]["contacts"][0]["number"] == "999"
    assert len(messages) == 2
    # the briefing that covers self-harm in this corpus
    assert "suicide awareness" in messages[1]["custom"]["sources"][0]["title"].lower()


def test_a_danger_statement_gets_only_999_and_the_numbers(run_action):
    text = "man on the roof of the hostel shouting that he'll end it"
    _, messages = run_action(ActionUrgentContacts(), make_tracker(text, intent="urgent_danger"))
    assert len(messages) == 1


def test_negative_feedback_logs_the_answer_given(run_action, recorded_gaps):
    events = [
        {"event": "user", "text": "what is cuckooing"},
        {"event": "bot", "text": "Cuckooing: What it is ..."},
        {"event": "user", "text": "that didn't help"},
    ]
    _, messages = run_action(
        ActionFeedbackNegative(),
        make_tracker("that didn't help", intent="feedback_negative", events=events),
    )
    assert "Sorry" in messages[0]["text"]
    assert recorded_gaps[0].answer_given.startswith("Cuckooing")
    assert recorded_gaps[0].text == "what is cuckooing"


def test_negative_feedback_with_nothing_asked_or_answered_logs_no_empty_gap(
    run_action, recorded_gaps
):
    events = [{"event": "user", "text": "you're useless"}]
    _, messages = run_action(
        ActionFeedbackNegative(),
        make_tracker("you're useless", intent="feedback_negative", events=events),
    )
    assert "Sorry" in messages[0]["text"]  # still apologised to, with other ways forward
    assert recorded_gaps == []


def test_search_uses_the_sentence_vector_rasa_sent(run_action):
    """Rasa's NLU sends the question's vector (bot/knowledge/shared.py); the search must use it
    instead of embedding the text again, and must ignore a vector from another model file."""
    text = "can you tell me about it"
    vector = embed.encode(["what is cuckooing"])[0]
    sent = {
        "model": shared.model_tag(),
        "tokens": 8,
        "f16": base64.b64encode(vector.astype("<f2").tobytes()).decode("ascii"),
    }
    tracker = make_tracker(text)
    tracker.latest_message[shared.PARSE_KEY] = sent
    _, messages = run_action(ActionSearchKnowledge(), tracker)
    assert "Cuckooing" in messages[0]["text"]

    tracker = make_tracker(text)
    tracker.latest_message[shared.PARSE_KEY] = {**sent, "model": "0" * 16}
    _, messages = run_action(ActionSearchKnowledge(), tracker)
    assert "Cuckooing" not in messages[0]["text"]


@pytest.mark.parametrize(
    "text, entities, expected",
    [
        ("out of hours", {"urgency": "out_of_hours"}, "edt"),
        ("for a child out of hours", {"urgency": "out_of_hours", "audience": "children"}, "edt"),
        ("the police", {"service": "police"}, "police"),
    ],
)
def test_a_fragment_naming_who_to_call_gets_the_numbers_not_a_passage(
    run_action, text, entities, expected
):
    # "out of hours" alone is read as inform; outside a walkthrough it asks who to call.
    tracker = make_tracker(
        text, intent="inform", entities=[{"entity": k, "value": v} for k, v in entities.items()]
    )
    _, messages = run_action(ActionSearchKnowledge(), tracker)
    assert expected in [c["id"] for c in messages[0]["custom"]["contacts"]]
    assert messages[0]["text"].startswith("If anyone is in immediate danger, call 999")


def test_a_fragment_naming_nobody_to_call_is_still_searched(run_action):
    tracker = make_tracker("was not brought", intent="inform")
    _, messages = run_action(ActionSearchKnowledge(), tracker)
    assert "contacts" not in messages[0].get("custom", {})
    assert messages[0]["custom"]["sources"]


def with_ranking(tracker, ranking):
    tracker.latest_message["intent_ranking"] = [
        {"name": name, "confidence": c} for name, c in ranking
    ]
    return tracker


@pytest.mark.parametrize(
    "danger, warned",
    [(0.31, True), (0.25, True), (0.24, False), (0.0, False)],
)
def test_danger_as_a_close_second_reading_still_gets_999_first(run_action, danger, warned):
    text = "missing 13 year old girl, believed to be with older men, it's getting dark"
    tracker = with_ranking(
        make_tracker(text, intent="inform", confidence=0.34),
        [("inform", 0.34), ("urgent_danger", danger), ("ask_knowledge", 0.11)],
    )
    before = metrics.DANGER_SECOND_READINGS._value.get()
    _, messages = run_action(ActionSearchKnowledge(), tracker)
    assert (messages[0]["text"] == DANGER_FIRST) is warned
    assert metrics.DANGER_SECOND_READINGS._value.get() - before == warned  # for operators
    assert len(messages) == 1 + warned  # the answer (or "I don't know") still follows


def test_a_referral_start_that_may_be_danger_opens_with_999(run_action):
    from actions.walkthroughs import ActionStartReferral

    text = "elderly man collapsed on the floor, carer hasn't been for 3 days"
    tracker = with_ranking(
        make_tracker(text, intent="raise_adult_concern", confidence=0.43),
        [("raise_adult_concern", 0.43), ("urgent_danger", 0.40)],
    )
    _, messages = run_action(ActionStartReferral(), tracker)
    assert messages[0]["text"] == DANGER_FIRST


def test_a_review_the_corpus_does_not_hold_is_said_so_and_logged(run_action, recorded_gaps):
    tracker = make_tracker("lessons from the Ellie review", intent="ask_knowledge")
    _, messages = run_action(ActionSearchKnowledge(), tracker)
    assert messages[0]["text"].startswith("I don't have a review about Ellie")
    assert "Anna" in messages[0]["text"]  # listed among the held reviews, not answered from
    assert messages[0]["custom"]["sources"][0]["title"] == "Published case reviews"
    assert recorded_gaps[0].text == "lessons from the Ellie review"
