from __future__ import annotations

import pytest

from bot.questions import looks_like_question


@pytest.mark.parametrize(
    "text",
    [
        "what is the MAC form",
        "What's a good referral?",
        "whats the front door number",
        "where do i send it",
        "how long until I hear back",
        "can I refer without consent",
        "do I need the parents' agreement",
        "MAC form?",
        "  ...who do I call",
    ],
)
def test_questions(text):
    assert looks_like_question(text)


@pytest.mark.parametrize(
    "text",
    [
        "make a referral",
        "I need to make a referral",
        "refer a child",
        "worried about an older man",
        "showing signs of neglect",  # "show" is not "how"
        "whatever",  # nor "whatever" "what"
        "",
        "   ",
        '/make_referral{"audience": "children"}',
    ],
)
def test_not_questions(text):
    assert not looks_like_question(text)
