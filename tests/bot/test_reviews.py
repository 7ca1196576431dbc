"""Named case reviews the corpus does not hold (bot/knowledge/reviews.py)."""

from __future__ import annotations

import pytest

from bot.knowledge.answer import answer_question
from bot.knowledge.documents import Document
from bot.knowledge.reviews import is_known, named_subject, unknown_subject


@pytest.mark.parametrize(
    "question, subject",
    [
        ("lessons from the child Q review", "Child Q"),
        ("what did the review of Child Z say", "Child Z"),
        ("what did the Daniel Pelka review say", "Daniel Pelka"),
        ("lessons from the ellie review", "Ellie"),
        ("tell me about the Tom SAR", "Tom"),
        ("summary of the Sarah serious case review", "Sarah"),
        ("review into Ellie's death", "Ellie"),
        ("Alice and Beth review", "Alice and Beth"),
        ("prada & jordan review", "Prada and Jordan"),
        ("recurring themes in child deaths reviews", None),
        ("SAR for mr smith", "Smith"),
        ("the JB review", "JB"),  # as typed
        # Care-planning meetings called reviews name no case review's subject.
        ("what is a LAC review", None),
        ("when is the next CLA review", None),
        ("looked after child review", None),
        ("child in need review", None),
        ("what happens at a CP review", None),
        ("placement review", None),
        ("EHCP review", None),
        ("six monthly review", None),
        ("what did the latest review say", None),  # describes, names nobody
        ("what is a rapid review", None),
        ("is a child a victim of grooming", None),  # not Child A
        ("what does a review involve", None),
        ("2019 review", None),
    ],
)
def test_the_subject_a_question_names(question, subject):
    assert named_subject(question) == subject


def doc(doc_id: str, title: str, type_: str, aliases: list[str] | None = None) -> Document:
    return Document(
        doc_id=doc_id,
        path=f"{doc_id}.md",
        title=title,
        type=type_,
        audience="all",
        source_url="https://example.org/reviews",
        review_by="2030-01-01",
        aliases=aliases or [],
    )


DOCS = [
    doc("jack", "Jack – Child Safeguarding Practice Review", "case-review"),
    doc("k", "Child K – Serious Case Review", "case-review"),
    doc("partners", "New partners joining households", "briefing", ["Sarah's Law"]),
    doc("neglect", "Child neglect", "briefing"),
]


def test_a_name_is_known_from_a_review_or_a_theme_not_from_another_document_s_alias():
    assert is_known("Jack", DOCS) and is_known("Child K", DOCS)
    assert is_known("neglect", DOCS)  # "the neglect review": a theme
    assert not is_known("Sarah", DOCS)  # "Sarah's Law" is no review of Sarah


def test_a_child_letter_counts_wherever_the_search_lands_other_names_only_on_a_review():
    briefing, review = DOCS[3], DOCS[0]

    def unknown(question: str, top: Document) -> str | None:
        return unknown_subject(named_subject(question), top, DOCS)

    assert unknown("what did the review of Child Z say", briefing) == "Child Z"
    assert unknown("lessons from the Ellie review", review) == "Ellie"
    assert unknown("what did the LAC review decide", briefing) is None
    assert unknown("what did the Ofsted review decide", briefing) is None  # a name, not a review's
    assert unknown("what did the Ofsted review decide", review) == "Ofsted"
    assert unknown("lessons from the Jack review", review) is None


@pytest.mark.parametrize(
    "question, expected",
    [
        ("lessons from the child Q review", "Child Q"),  # found Child K's review before
        ("tell me about the Tom SAR", "Tom"),  # found Peter's
        ("tell me about the Jack review", ""),  # held: answered
    ],
)
def test_the_real_corpus_does_not_answer_from_another_person_s_review(
    retriever, encode, question, expected
):
    answer = answer_question(retriever, encode, question, 0.30)
    assert answer.unknown_review == expected
    assert answer.confident is (not expected)
    if expected:
        assert f"I don't have a review about {expected}" in answer.text
        assert "Jack" in answer.text and "Child K" in answer.text  # the reviews it does hold


def test_a_question_naming_a_held_review_is_answered_from_that_review(retriever, encode):
    # James's review shares the theme; the practitioner asked about Jack's.
    question = "what did the Jack review say about part-time timetables"
    answer = answer_question(retriever, encode, question, 0.30)
    assert answer.confident and answer.top["doc_id"] == "case-reviews/jack"


@pytest.mark.parametrize(
    "question, listed",
    [
        ("which case reviews do you have", True),
        ("case reviews", True),
        ("what reviews are there", True),
        ("what case reviews mention neglect", False),  # a search: the reviews about neglect
        ("what is a case review", False),
    ],
)
def test_asking_which_reviews_there_are_gets_the_list(retriever, encode, question, listed):
    answer = answer_question(retriever, encode, question, 0.30)
    assert answer.text.startswith("The reviews I can tell you about are:") is listed
    if listed:
        assert answer.confident and "Alice and Beth" in answer.text and "Jack" in answer.text
