"""Turn search hits into what the practitioner reads: one passage, where it came from, and
where to go next. Below the confidence threshold the bot says it does not know."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bot.knowledge.documents import Document
from bot.knowledge.reviews import (
    asks_for_review_list,
    held_reviews,
    named_reviews,
    named_subject,
    review_list_text,
    unknown_review_text,
    unknown_subject,
)
from bot.knowledge.search import Hit, Retriever

MAX_ANSWER_CHARS = 700
# Answers this close above the cut-off are shown, but said to be tentative, and listed for
# trainers. On the train and dev questions and the out-of-scope lines, the top passage was the
# labelled one for 69% of answers within 0.05 of the 0.30 cut-off, against 95% from 0.40 up.
LOW_MARGIN = 0.05
# How deep in the search's ranking a document that answers the question's intent is looked for.
INTENT_DEPTH = 10
TENTATIVE = (
    "I'm not sure this is what you need: it is the closest guidance I have. If it does not "
    "fit, talk it through with your safeguarding lead."
)


@dataclass
class KnowledgeAnswer:
    confident: bool
    text: str
    tentative: bool = False
    sources: list[dict[str, str]] = field(default_factory=list)
    related: list[dict[str, str]] = field(default_factory=list)
    top: dict[str, Any] | None = None
    # Set when the question names a case review the corpus does not hold (bot/knowledge/
    # reviews.py): `text` then says so and lists the reviews it does hold.
    unknown_review: str = ""


def trim(text: str, limit: int = MAX_ANSWER_CHARS) -> str:
    """Cut at a sentence or bullet boundary so the reader never gets half a sentence."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    boundary = max(cut.rfind(". "), cut.rfind(".\n"), cut.rfind("\n• "), cut.rfind("\n"))
    if boundary > limit // 2:
        cut = cut[: boundary + 1]
    return cut.rstrip() + " …"


def answer_question(
    retriever: Retriever,
    encode: Callable[[list[str]], np.ndarray],
    question: str,
    min_score: float,
    audience: str | None = None,
    doc_id: str | None = None,
    intent: str | None = None,
) -> KnowledgeAnswer:
    hits: list[Hit]
    if doc_id and doc_id in retriever.documents:
        # A "related" button names the document: show its best passage for the question.
        doc = retriever.documents[doc_id]
        hits = [
            h
            for h in retriever.search(doc.title, encode, k=50, one_per_document=False)
            if h.document.doc_id == doc_id
        ][:1]
        if hits:
            hits[0].score = 1.0
    else:
        documents = retriever.documents.values()
        if asks_for_review_list(question):
            return KnowledgeAnswer(
                True, review_list_text(documents), sources=_published_reviews(documents)
            )
        hits = retriever.search(question, encode, k=INTENT_DEPTH, audience=audience)
        named = named_subject(question)
        unknown = unknown_subject(named, hits[0].document if hits else None, documents)
        if unknown:
            return KnowledgeAnswer(
                confident=False,
                text=unknown_review_text(unknown, documents),
                sources=_published_reviews(documents),
                top=hits[0].as_dict() if hits else None,
                unknown_review=unknown,
            )
        hits = _named_first(retriever, encode, question, named, hits, min_score)
        hits = _intent_first(hits, intent, min_score)[:3]
    if not hits or hits[0].score < min_score:
        return KnowledgeAnswer(confident=False, text="", top=hits[0].as_dict() if hits else None)
    best = hits[0]
    heading = best.document.title
    if best.passage.section and best.passage.section.lower() != heading.lower():
        heading = f"{heading}: {best.passage.section}"
    text = f"{heading}\n\n{trim(best.passage.text)}"
    # A document chosen by button scores 1.0 and is never tentative.
    tentative = best.score < min_score + LOW_MARGIN
    if tentative:
        text = f"{TENTATIVE}\n\n{text}"
    source = {"title": best.document.display_title, "url": best.document.source_url}
    related = [
        {
            "title": h.document.title,
            "payload": f'/ask_knowledge{{"doc_id": "{h.document.doc_id}"}}',
        }
        for h in hits[1:3]
        if h.score >= min_score * 0.9
    ]
    return KnowledgeAnswer(True, text, tentative, [source], related, best.as_dict())


def _published_reviews(documents: Iterable[Document]) -> list[dict[str, str]]:
    """Where the partnership publishes its reviews (the held reviews' source page)."""
    held = held_reviews(documents)
    return [{"title": "Published case reviews", "url": held[0].source_url}] if held else []


def _named_first(
    retriever: Retriever,
    encode: Callable[[list[str]], np.ndarray],
    question: str,
    subject: str | None,
    hits: list[Hit],
    min_score: float,
) -> list[Hit]:
    """A question naming a review the corpus holds (`subject`) is answered from that review:
    "what did the Jack review say about part-time timetables" had found James's review, which
    shares the theme. Its best passage goes first if it clears the cut-off."""
    named = named_reviews(subject, retriever.documents.values())
    if not named or not hits or hits[0].document in named:
        return hits
    ids = {d.doc_id for d in named}
    found = [h for h in hits if h.document.doc_id in ids]
    if not found:
        found = [
            h
            for h in retriever.search(question, encode, k=50, one_per_document=False)
            if h.document.doc_id in ids
        ][:1]
    if not found or found[0].score < min_score:
        return hits
    return [found[0], *(h for h in hits if h.document.doc_id != found[0].document.doc_id)]


def _intent_first(hits: list[Hit], intent: str | None, min_score: float) -> list[Hit]:
    """The NLU knows what kind of question this is; the search knows the words. When a document
    says it answers the intent (front matter `intents`) and one of its passages clears the
    cut-off among the top hits, it goes first: "i think a colleague is hurting kids" is a
    lado_allegation, and the LADO procedure, not the animal-abuse briefing whose words it shares,
    is the answer. Below the cut-off the search's own order stands, so the prior never turns a
    "don't know" into an answer."""
    if not intent:
        return hits
    for i, hit in enumerate(hits):
        if intent in hit.document.intents and hit.score >= min_score:
            return [hit, *hits[:i], *hits[i + 1 :]]
    return hits
