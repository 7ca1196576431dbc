"""Whether a practitioner's message reads as a question.

Mid-walkthrough, "what is the MAC form?" and "make a referral" can both be classed as
make_referral; the first wants an answer, the second only to carry on. Word order separates
them far more reliably than the classifier's second guess, so the walkthrough asks this.
"""

from __future__ import annotations

import re

_OPENERS = (
    "what whats where wheres who whos whose when why how hows which "
    "is are am was were do does did can could should shall would will must may "
    "have has any"
)
_QUESTION_START = re.compile(rf"^\W*(?:{'|'.join(_OPENERS.split())})\b", re.IGNORECASE)


def looks_like_question(text: str) -> bool:
    """True for "what is the MAC form", "where's the form?", "form?"; false for "make a
    referral" or "I need to refer a child". Button payloads ("/intent") are never questions."""
    text = text.strip()
    if not text or text.startswith("/"):
        return False
    return "?" in text or bool(_QUESTION_START.match(text.replace("'", "")))
