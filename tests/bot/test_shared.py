"""Rasa's sentence vector is used for a question only when it is the vector retrieval would
compute; anything else must fall back to the model, never be searched with."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from bot.knowledge import embed, shared


def payload(vector: np.ndarray, **overrides) -> dict:
    data = {
        "model": shared.model_tag(),
        "tokens": 6,
        "f16": base64.b64encode(vector.astype("<f2").tobytes()).decode("ascii"),
    }
    return {**data, **overrides}


@pytest.fixture(scope="module")
def vector() -> np.ndarray:
    return embed.encode(["what is cuckooing"])[0]


def test_a_trusted_vector_round_trips_within_float16(vector: np.ndarray) -> None:
    got = shared.decode(payload(vector))
    assert got is not None and got.shape == (1, embed.dimension())
    assert float(np.abs(got[0] - vector).max()) < 1e-3
    assert abs(float(np.linalg.norm(got)) - 1.0) < 1e-6


@pytest.mark.parametrize(
    "overrides",
    [
        {"model": "0123456789abcdef"},  # another model file
        {"tokens": 257},  # longer than retrieval reads: its vector would differ
        {"tokens": 0},
        {"tokens": "6"},
        {"f16": "not base64!"},
        {"f16": base64.b64encode(b"\0\0" * 10).decode()},  # wrong length
        {"f16": base64.b64encode(np.full(384, np.nan, "<f2").tobytes()).decode()},
        {"f16": base64.b64encode(np.zeros(384, "<f2").tobytes()).decode()},
    ],
)
def test_untrusted_payloads_are_refused(vector: np.ndarray, overrides: dict) -> None:
    assert shared.decode(payload(vector, **overrides)) is None


@pytest.mark.parametrize("bad", [None, "x", [], {"model": None}])
def test_missing_or_malformed_payload_is_refused(bad) -> None:
    assert shared.decode(bad) is None


def test_encoder_uses_the_vector_only_for_the_question_itself(vector: np.ndarray) -> None:
    calls: list[list[str]] = []

    def model(texts: list[str]) -> np.ndarray:
        calls.append(texts)
        return embed.encode(texts)

    encode = shared.encoder_for("tell me more", payload(vector), model)
    np.testing.assert_allclose(encode(["tell me more"])[0], vector, atol=1e-3)
    assert calls == []
    # An expanded query or a document title is something else: the model embeds it.
    other = encode(["tell me more child criminal exploitation"])
    assert calls == [["tell me more child criminal exploitation"]]
    assert float(other[0] @ vector) < 0.99
    assert shared.encoder_for("tell me more", None, model) is model


def test_an_expanded_payload_serves_only_the_text_it_names(vector: np.ndarray) -> None:
    """Rasa embeds "what is a LADO" with its long form appended when the search will: the
    vector must answer for that text and not for the question as typed."""
    calls: list[list[str]] = []

    def model(texts: list[str]) -> np.ndarray:
        calls.append(texts)
        return embed.encode(texts)

    expanded = "what is a LADO local authority designated officer"
    encode = shared.encoder_for("what is a LADO", payload(vector, text=expanded), model)
    np.testing.assert_allclose(encode([expanded])[0], vector, atol=1e-3)
    assert calls == []
    encode(["what is a LADO"])
    assert calls == [["what is a LADO"]]
    assert shared.decode(payload(vector, text=5)) is None
