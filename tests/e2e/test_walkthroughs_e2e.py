"""Full referral and escalation walkthroughs through /api/chat, by buttons and free text,
each with an interruption."""

from __future__ import annotations

import pytest

from tests.services import all_text, button_payload

pytestmark = pytest.mark.e2e


def test_full_referral_with_buttons_free_text_and_an_interruption(stack):
    r = stack.chat("I need to make a referral")
    sid = r["session_id"]
    assert "immediate danger" in all_text(r)
    r = stack.chat(button_payload(r, "No, not right now"), sid)
    assert "child or about an adult" in all_text(r)
    r = stack.chat("it's about a child", sid)  # free text answer
    assert "opening hours" in all_text(r)
    # Interruption: a knowledge question mid-flow is answered, then the question comes back.
    r = stack.chat("what is the spectrum of support?", sid)
    text = all_text(r)
    assert "Spectrum of Support" in text
    assert "opening hours" in text
    r = stack.chat(button_payload(r, "within those hours"), sid)
    assert "agreement" in all_text(r)
    r = stack.chat(button_payload(r, "sought agreement"), sid)
    assert "mainly about" in all_text(r)
    r = stack.chat(button_payload(r, "Abuse or neglect"), sid)
    text = all_text(r)
    assert "Front Door" in text
    assert "01926 414144" in [c["number"] for m in r["messages"] for c in m["contacts"]]
    assert "What a good referral contains" in text
    assert "within 24 hours" in text and "2 working days" in text
    assert any(m["copy"] for m in r["messages"]), "a copyable summary ends the walkthrough"
    # The summary is one message (Rasa's REST channel splits a text at blank lines, which left
    # "Copy summary" on its last paragraph only), with its paragraphs kept.
    summary = next(m["text"] for m in r["messages"] if m["copy"])
    assert summary.startswith("Summary:")
    assert "\n\nSteps:\n1. " in summary and "\n\nContacts:\n" in summary
    assert "I disagree with the outcome" in [
        b["title"] for m in r["messages"] for b in m["buttons"]
    ]


def test_referral_danger_yes_ends_with_999(stack):
    r = stack.chat("make a referral")
    r = stack.chat(button_payload(r, "Yes, someone is in danger"), r["session_id"])
    assert r["messages"][0]["text"].startswith("Call 999")


def test_referral_go_back_and_stop(stack):
    r = stack.chat("make a referral")
    sid = r["session_id"]
    r = stack.chat("no", sid)
    assert "child or about an adult" in all_text(r)
    r = stack.chat("go back", sid)
    assert "immediate danger" in all_text(r)
    r = stack.chat("stop", sid)
    assert "stopped" in all_text(r).lower()


def test_full_escalation_with_interruption(stack):
    r = stack.chat("how do I escalate a disagreement")
    sid = r["session_id"]
    assert "What is the disagreement about?" in all_text(r)
    r = stack.chat("who do I call out of hours?", sid)  # interruption
    text = all_text(r)
    assert "01926 886922" in text
    assert "What is the disagreement about?" in text
    r = stack.chat("the case was closed but I'm still worried", sid)  # free text answer
    text = all_text(r)
    assert "Stage 1 of 3" in text
    assert "check the current protocol" in text
    r = stack.chat(button_payload(r, "next stage"), sid)
    assert "Stage 2 of 3" in all_text(r)
    r = stack.chat("next", sid)
    text = all_text(r)
    assert "Stage 3 of 3" in text
    assert "Escalation Process" in text
    assert any(m["copy"] for m in r["messages"])
    stage = next(m for m in r["messages"] if m["text"].startswith("Stage 3 of 3"))
    assert "Who to involve:" in stage["text"] and stage["sources"]


def test_asking_about_the_walkthrough_mid_way_keeps_the_answers_given(stack):
    """ "What is the MAC form?" mid-referral is classed as make_referral: it must be answered
    and the walkthrough carry on from the same question, not start again."""
    r = stack.chat("I need to make a referral")
    sid = r["session_id"]
    r = stack.chat("no", sid)
    r = stack.chat("a child", sid)
    assert "opening hours" in all_text(r)
    r = stack.chat("what is the MAC form", sid)
    text = all_text(r)
    assert "Multi-Agency Contact" in text
    assert "opening hours" in text and "First, is anyone" not in text
    r = stack.chat("make a referral", sid)
    text = all_text(r)
    assert "already in this walkthrough" in text
    assert "opening hours" in text and "First, is anyone" not in text
    r = stack.chat("in office hours", sid)
    assert "agreement" in all_text(r)


def test_back_from_the_first_escalation_stage_offers_the_topics_again(stack):
    r = stack.chat("how do I escalate")
    sid = r["session_id"]
    r = stack.chat(button_payload(r, "threshold decision"), sid)
    assert "Stage 1 of 3" in all_text(r)
    r = stack.chat("back", sid)
    assert "Stage 1 of 3" not in all_text(r)
    r = stack.chat(button_payload(r, "Choose the disagreement again"), sid)
    assert "What is the disagreement about?" in all_text(r)
    r = stack.chat(button_payload(r, "plan is not progressing"), sid)
    assert "Stage 1 of 3" in all_text(r)
