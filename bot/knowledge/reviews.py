"""Questions about a named case review the corpus does not hold.

Case reviews are named after the child or adult ("Jack", "Child K", "Alice and Beth"), and
the search ranks a review by what it is about, not by whose it is: "lessons from the Ellie
review" found Anna's review, "the Tom SAR" Peter's and "the Child Q review" Child K's, each
with full confidence. Another child's review given as the answer is wrong in a way the
practitioner may not notice, so a question that names a review subject no document has is
told so, with the reviews the partnership does hold.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.knowledge.documents import Document

REVIEW_TYPES = {"case-review", "lessons-learned"}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that name a kind of review, not whose it is. A subject is looked for in the words just
# before one of these ("the Daniel Pelka review") or just after "review of/into".
REVIEW_WORDS = {"review", "reviews", "sar", "scr", "cspr", "llr", "dhr"}
CONNECTORS = {"of", "into", "about", "on", "for"}
# Words next to "review" that describe it ("serious case review", "thematic review"): skipped
# while looking for the subject. Function words end the look: "what did the latest review say"
# names nobody.
DESCRIBING = _words(
    """
    latest last recent new newest old previous current annual local national warwickshire serious
    case practice safeguarding adults adult child children learning lessons alternative thematic
    strategic rapid multi agency multi-agency independent domestic homicide full whole final
    published key main good same other another first second next mr mrs ms miss dr death deaths
    cdop themes recurring
    """
)
# Meetings that are reviews too, but of a child's or adult's care, not case reviews: "LAC
# review", "child in need review", "placement review" name no review subject.
DESCRIBING |= _words(
    """
    lac cla cin cp looked after need protection conference core group placement care plan
    planning pathway ehcp ehc iro statutory health medication strategy meeting progress six
    monthly month months weekly yearly quarterly initial interim
    """
)
STOP = _words(
    """
    the a an this that these those its his her their our your my any which what whose is was are
    were did does do has have had how why when where who tell me about from in of on for into to
    with by at
    """
)
_WORD = re.compile(r"[a-z][a-z'’-]*|[0-9]+")
_POSSESSIVE = re.compile(r"['’]s?$")
# "child Q", "baby P": a named subject anywhere in the question. A and I are left out: "is a
# child a victim" is not about Child A.
_CHILD_LETTER = re.compile(r"\b(?:child|baby)\s+([b-hj-z])\b(?!['’-])", re.IGNORECASE)


def named_subject(question: str) -> str | None:
    """The review subject the question names ("Child Q", "Daniel Pelka"), if any."""
    found = _CHILD_LETTER.search(question)
    if found:
        return f"{found.group(0).split()[0].title()} {found.group(1).upper()}"
    words = [_POSSESSIVE.sub("", w) for w in _WORD.findall(question.lower().replace("&", " and "))]
    for i, word in enumerate(words):
        if word not in REVIEW_WORDS:
            continue
        before = _subject(words[:i][::-1], most=3)[::-1]
        if not before and i + 1 < len(words) and words[i + 1] in CONNECTORS:
            before = _subject(words[i + 2 :], most=1)
        if before:
            return _as_typed(question, before)
    return None


def _as_typed(question: str, words: list[str]) -> str:
    """The subject as the practitioner typed it if they used capitals ("LAC"), else in title
    case ("ellie": "Ellie")."""
    typed = re.search(r"[\s'’-]+".join(map(re.escape, words)), question, re.IGNORECASE)
    if typed and typed.group(0) != typed.group(0).lower():
        return typed.group(0)
    return " ".join(w if w == "and" else w.title() for w in words)


def _subject(words: list[str], most: int) -> list[str]:
    """The name words in `words` (read away from the review word): describing words next to
    it are skipped, a function word or a number ends the name; "and" joins two ("Alice and
    Beth"). At most `most` words besides "and"."""
    name: list[str] = []
    for word in words:
        if word in DESCRIBING and not name:
            continue
        if word in STOP or word in DESCRIBING or word in REVIEW_WORDS or word.isdigit():
            break
        if word == "and":
            if not name:
                break
            name.append(word)
            continue
        if len([w for w in name if w != "and"]) == most and name[-1] != "and":
            break
        name.append(word)
    while name and name[-1] == "and":
        name.pop()
    return name


def _whole_words(subject: str) -> re.Pattern[str]:
    """The subject as whole words in lower-case text: "Jack" is not in "jackets"."""
    return re.compile(rf"(?<![a-z0-9]){re.escape(subject.lower())}(?![a-z0-9])")


def is_known(subject: str, documents: Iterable[Document]) -> bool:
    """Whether the subject is one the corpus knows: in a review's title, aliases or topics (its
    person, "Child K", or its theme), or in another document's title or topics (a theme: "the
    neglect review"). Other documents' aliases do not count: "Sarah's Law" is no review of
    Sarah."""
    pattern = _whole_words(subject)
    return any(
        pattern.search(name.lower())
        for doc in documents
        for name in (
            (doc.title, *doc.aliases, *doc.topics)
            if doc.type in REVIEW_TYPES
            else (doc.title, *doc.topics)
        )
    )


def unknown_subject(
    subject: str | None, top: Document | None, documents: Iterable[Document]
) -> str | None:
    """The review subject a question names (`named_subject`) if no document holds it, or None.

    "Child Q" counts wherever it comes. Any other name counts only when the search's best
    document is itself a case review: "what did the Ofsted review say", answered from a
    briefing, names an inspection, not a case review, and is left to the search."""
    if subject is None:
        return None
    if not subject.lower().startswith(("child ", "baby ")) and (
        top is None or top.type not in REVIEW_TYPES
    ):
        return None
    return None if is_known(subject, documents) else subject


def named_reviews(subject: str | None, documents: Iterable[Document]) -> list[Document]:
    """The case reviews whose person a question names (`named_subject`): "what did the Jack
    review say about part-time timetables" is Jack's review, though James's shares the theme."""
    if subject is None:
        return []
    pattern = _whole_words(subject)
    return [
        d
        for d in documents
        if d.type == "case-review" and any(pattern.search(n.lower()) for n in (d.title, *d.aliases))
    ]


_LIST_REQUEST = re.compile(
    r"^\W*(?:(?:which|what)\s+(?:case\s+|serious\s+case\s+)?reviews\s*(?:do\s+you\s+"
    r"(?:have|know|cover)|are\s+there|have\s+you\s+got|can\s+i\s+ask\s+about)?\W*$"
    r"|(?:list|show\s+me|show)\s+(?:of\s+)?(?:the\s+|all\s+|your\s+)?(?:case\s+)?reviews\b"
    r"|(?:all\s+)?(?:the\s+)?(?:local\s+|warwickshire\s+)?case\s+reviews\W*$)",
    re.IGNORECASE,
)


def asks_for_review_list(question: str) -> bool:
    """ "Which case reviews do you have?", "case reviews": the list, not one review at random."""
    return bool(_LIST_REQUEST.search(question.strip()))


def held_reviews(documents: Iterable[Document]) -> list[Document]:
    """The case reviews and thematic reviews the corpus holds, by title."""
    return sorted((d for d in documents if d.type in REVIEW_TYPES), key=lambda d: d.title)


def _listed(documents: Iterable[Document]) -> str:
    held = held_reviews(documents)
    names = [d.title.split(" – ")[0] if d.type == "case-review" else d.title for d in held]
    return ", ".join(names[:-1]) + (f" and {names[-1]}" if len(names) > 1 else "".join(names))


def review_list_text(documents: Iterable[Document]) -> str:
    return (
        f"The reviews I can tell you about are: {_listed(documents)}. Ask me about any of "
        "them, or see the partnership's published reviews."
    )


def unknown_review_text(subject: str, documents: Iterable[Document]) -> str:
    return (
        f"I don't have a review about {subject}, so I won't answer from another person's "
        f"review. {review_list_text(documents)}"
    )
