from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.gaps.redact import PLACEHOLDERS, redact


@pytest.mark.parametrize(
    ("text", "gone", "kept"),
    [
        ("kayleigh's stepdad hit her", ["kayleigh"], ["stepdad"]),
        (
            "Mr Kowalski rang about Flat 3, 27 Corporation Street CV11 4XX",
            ["Kowalski", "Corporation", "CV11"],
            ["rang"],
        ),
        (
            "dob 12/03/2015 NHS 943 476 5919 NI QQ 12 34 56 C",
            ["12/03/2015", "943 476 5919", "QQ 12"],
            [],
        ),
        ("email mum at jo.bloggs@example.com or +44 7700 900123", ["jo.bloggs", "7700"], ["mum"]),
        ("What did the Simon review say about the Front Door?", [], ["Simon review", "Front Door"]),
        (
            "Ring the Front Door on 01926 414144 or NSPCC on 0808 800 5000",
            [],
            ["01926 414144", "0808 800 5000"],
        ),
    ],
)
def test_redaction_examples(text, gone, kept):
    out = redact(text)
    for value in gone:
        assert value not in out, out
    for value in kept:
        assert value in out, out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_redaction_never_crashes_and_only_adds_placeholders(text):
    out = redact(text)
    assert isinstance(out, str)
    for token in out.split("[")[1:]:
        name = token.split("]")[0]
        if name in PLACEHOLDERS:
            continue
        assert f"[{name}]" in text or "[" in text  # a bracket the user typed themselves
