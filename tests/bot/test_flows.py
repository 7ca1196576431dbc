from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.cli import domain_slots
from bot.flows.model import FlowError, load_flow, validate_flows
from bot.flows.render import render_referral, render_stage, stage_count

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_flows_are_valid_against_contacts_and_domain(flows, contacts):
    assert validate_flows(flows, contacts, domain_slots(ROOT / "domain.yml")) == []


def test_danger_yes_ends_the_referral_immediately(flows):
    flow = flows["referral"]
    assert flow.required_slots({"referral_danger": "yes"}) == ["referral_danger"]
    assert flow.required_slots({"referral_danger": "no"})[0] == "referral_danger"


def test_office_hours_are_only_asked_about_children(flows):
    flow = flows["referral"]
    assert "referral_hours" in flow.required_slots({"referral_audience": "children"})
    assert "referral_hours" not in flow.required_slots({"referral_audience": "adults"})


@pytest.mark.parametrize(
    ("slot", "text", "expected"),
    [
        ("referral_danger", "nope", "no"),
        ("referral_danger", "Yes", "yes"),
        ("referral_audience", "it's about a 15 year old pupil", "children"),
        ("referral_audience", "elderly man in a care home", "adults"),
        ("referral_hours", "it's the weekend", "out_of_hours"),
        ("referral_consent", "it's not safe to ask them", "not_safe"),
        ("referral_category", "I think it's county lines", "exploitation"),
        ("referral_audience", "children", "children"),
        ("referral_audience", "what's the weather", None),
        # one slip in a word of four letters or more (seen by hand: "chlid" was asked again)
        ("referral_audience", "chlid", "children"),
        ("referral_audience", "an adlut", "adults"),
        ("referral_hours", "out of hurs", "out_of_hours"),
        ("referral_consent", "they refsued", "refused"),
        ("referral_category", "county lnies", "exploitation"),
        ("referral_category", "he is being abused", "abuse_neglect"),
        # the longer synonym, typed with a slip, beats the shorter one typed exactly
        ("referral_category", "domestc abuse", "domestic_abuse"),
        ("referral_danger", "no dangr", "no"),
        # short words are never stretched: "ni" is not "no"
        ("referral_danger", "ni", None),
    ],
)
def test_free_text_answers_map_to_options(flows, slot, text, expected):
    assert flows["referral"].match(slot, text) == expected


def test_a_slip_that_fits_two_options_equally_is_not_guessed():
    from types import SimpleNamespace

    from bot.flows.model import _typo_match

    options = [
        SimpleNamespace(id="a", title="Alpha", synonyms=["cart"]),
        SimpleNamespace(id="b", title="Beta", synonyms=["card"]),
    ]
    assert _typo_match(options, "carp") is None  # one edit from both
    assert _typo_match(options, "crat") == (4, "a")


def test_referral_outcome_uses_contacts_data_and_ends_with_a_summary(flows, contacts):
    answers = {
        "referral_danger": "no",
        "referral_audience": "children",
        "referral_hours": "out_of_hours",
        "referral_consent": "not_safe",
        "referral_category": "allegation",
    }
    messages = render_referral(flows["referral"], answers, contacts)
    numbers = {c["number"] for m in messages for c in m["contacts"]}
    assert contacts["edt"].number in numbers
    assert contacts["lado"].number in numbers
    assert messages[-1]["copy"] is True
    assert "Emergency Duty Team" in messages[-1]["text"]


def test_adult_route_flags_the_unconfirmed_detail(flows, contacts):
    answers = {
        "referral_danger": "no",
        "referral_audience": "adults",
        "referral_consent": "sought",
        "referral_category": "abuse_neglect",
    }
    messages = render_referral(flows["referral"], answers, contacts)
    text = "\n".join(m["text"] for m in messages)
    assert "not confirmed" in text
    assert "01926 412080" in text
    # The adult route cites the adult procedures, not the flow's children's page.
    urls = [s["url"] for s in messages[0]["sources"]]
    assert urls and all("safeguarding-adults" in u for u in urls)
    children = dict(answers, referral_audience="children", referral_hours="in_hours")
    first = render_referral(flows["referral"], children, contacts)[0]
    assert first["sources"][0]["url"] == flows["referral"].data["source"]["url"]


def test_escalation_gives_no_warwickshire_timescales_and_ends_with_the_protocol(flows):
    flow = flows["escalation"]
    last = stage_count(flow)
    texts = [m["text"] for s in range(1, last + 1) for m in render_stage(flow, "threshold", s)]
    assert not any("Timescale" in t for t in texts)
    assert "Escalation Process" in texts[-2]
    assert "check the current protocol" in texts[0]


def test_broken_flow_is_reported_in_plain_words(tmp_path, contacts):
    bad = {
        "id": "x",
        "form": "x_form",
        "title": "X",
        "intro": "i",
        "questions": [
            {
                "slot": "a",
                "text": "?",
                "options": [{"id": "p", "title": "P"}, {"id": "q", "title": "Q", "end": "nowhere"}],
            }
        ],
        "outcomes": [{"when": {"a": "p"}, "route": "r", "contacts": ["no_such_contact"]}],
    }
    path = tmp_path / "x.yml"
    path.write_text(yaml.safe_dump(bad))
    problems = validate_flows({"x": load_flow(path)}, contacts, {"a"})
    assert any("unknown ending" in p for p in problems)
    assert any("no_such_contact" in p for p in problems)


def test_flow_without_questions_is_refused(tmp_path):
    path = tmp_path / "y.yml"
    path.write_text("id: y\nform: f\ntitle: t\nintro: i\n")
    with pytest.raises(FlowError, match="questions"):
        load_flow(path)


@pytest.mark.parametrize(
    "patch, what",
    [
        ({"source": {"title": "no url"}}, "source needs a title and a url"),
        ({"source": "https://example.org"}, "source must be a mapping"),
        (
            {"outcomes": [{"when": {"a": "p"}, "route": "r", "source": {"url": "u"}}]},
            "'source' of outcome #1 needs a title and a url",
        ),
        ({"feedback": {"children": {"source": []}}}, "'source' of feedback children must be"),
        (
            {"consent_notes": {"refused": {"children": ["a list"]}}},
            "consent_notes refused must be a text or texts by audience",
        ),
        ({"stage_questions": {"when": ["by when"]}}, "stage_questions 'when' is not one of"),
        ({"stage_questions": {"record": "write down"}}, "stage_questions record must be a list"),
        ({"answer_first": "form"}, "answer_first must be a list of phrases"),
        ({"intro_after_answer": ["i"]}, "intro_after_answer must be a text"),
    ],
)
def test_a_malformed_source_or_note_is_refused_at_load(tmp_path, patch, what):
    flow = {
        "id": "z",
        "form": "z_form",
        "title": "Z",
        "intro": "i",
        "questions": [{"slot": "a", "text": "?", "options": [{"id": "p", "title": "P"}]}],
    }
    path = tmp_path / "z.yml"
    path.write_text(yaml.safe_dump({**flow, **patch}))
    with pytest.raises(FlowError, match=re.escape(what)):
        load_flow(path)


def test_notes_that_differ_in_law_are_given_for_the_referral_audience_only(flows, contacts):
    answers = {
        "referral_danger": "no",
        "referral_consent": "refused",
        "referral_category": "exploitation",
    }
    child = {**answers, "referral_audience": "children", "referral_hours": "in_hours"}
    adult = {**answers, "referral_audience": "adults"}
    child_text = render_referral(flows["referral"], child, contacts)[0]["text"]
    adult_text = render_referral(flows["referral"], adult, contacts)[0]["text"]
    notes = flows["referral"].data
    cases = (("children", child_text, adult_text), ("adults", adult_text, child_text))
    for audience, text, other in cases:
        for key, value in (("consent_notes", "refused"), ("category_notes", "exploitation")):
            note = notes[key][value][audience]
            assert note in text and note not in other


def test_not_seeking_agreement_is_explained_for_the_referral_audience(flows, contacts):
    # An adult's route had said "the child (or adult)": the law differs (consent, capacity).
    answers = {"referral_danger": "no", "referral_consent": "not_safe"}
    answers["referral_category"] = "abuse_neglect"
    child = {**answers, "referral_audience": "children", "referral_hours": "in_hours"}
    adult = {**answers, "referral_audience": "adults"}
    child_text = render_referral(flows["referral"], child, contacts)[0]["text"]
    adult_text = render_referral(flows["referral"], adult, contacts)[0]["text"]
    assert "capacity" in adult_text and "capacity" not in child_text
    assert "significant harm" in child_text and "the child" not in adult_text


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("what do i need to record?", "record"),
        ("where is the protocol published", None),  # not a stage question: the search answers it
        ("what do i record", "record"),
        ("ok so what should I write down", "record"),
        ("who else should i tell", "involve"),
        ("how long does this stage take", "timescale"),
        ("what now", None),  # "next stage?" as much as "this stage?": left to the walkthrough
        ("what is cuckooing", None),
    ],
)
def test_a_question_during_the_stages_names_the_field_it_asks_for(flows, text, field):
    assert flows["escalation"].stage_question(text) == field


@pytest.mark.parametrize(
    "flow, text, expected",
    [
        ("referral", "where do i find the MAC form", True),
        ("referral", "Referral form?", True),
        ("referral", "what goes in a good referral", True),
        ("referral", "do I need consent?", True),
        ("referral", "can I refer without telling the parents", True),
        ("referral", "i need to make a referral", False),
        ("referral", "formal complaint about a referral", False),  # whole words only
        ("escalation", "where is the escalation protocol published?", True),
        ("escalation", "Where can I find the escalation policy", True),
        ("escalation", "i need to escalate", False),
        ("escalation", "the plan is stuck, how do i escalate", False),
        ("escalation", "unpublished draft", False),  # whole words only
    ],
)
def test_answers_first_matches_whole_phrases_from_the_flow_file(flows, flow, text, expected):
    assert flows[flow].answers_first(text) is expected
