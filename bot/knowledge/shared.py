"""Reuse the sentence vector Rasa's NLU computed for a question instead of embedding it again.

Rasa runs the same checked ONNX export of all-MiniLM-L6-v2 on every typed message
(nlu_components/mean_pooling_featurizer.py) and, for messages the bot will search with, sends
the mean-pooled vector along in the parse data as {"model", "tokens", "f16"}
(nlu_components/sentence_vector.py). It is trusted only when it is exactly what retrieval would
compute for the same text: made by a byte-identical model file, from no more tokens than
retrieval reads (sentence-transformers truncates at 256), and for the text the search embeds.
Anything else falls back to embedding the text here.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np

from bot.knowledge import embed
from bot.knowledge.hashing import file_sha256

Encoder = Callable[[list[str]], np.ndarray]
# The parse-data key nlu_components/mean_pooling_featurizer.py (SENTENCE_VECTOR) writes.
PARSE_KEY = "sentence_vector"


@lru_cache(maxsize=1)
def model_tag() -> str:
    """First 16 hex digits of the SHA-256 of this process's ONNX export (Rasa tags its vectors
    the same way from the file it runs, nlu_components/mean_pooling_featurizer.py)."""
    return file_sha256(embed.ensure_onnx())[:16]


def decode(payload: Any) -> np.ndarray | None:
    """The vector in Rasa's parse data, or None if it is absent or cannot be trusted."""
    if not isinstance(payload, dict) or payload.get("model") != model_tag():
        return None
    if not isinstance(payload.get("text", ""), str):
        return None
    tokens = payload.get("tokens")
    if not isinstance(tokens, int) or not 0 < tokens <= embed.max_seq_length():
        return None
    try:
        raw = base64.b64decode(str(payload.get("f16", "")), validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 2 * embed.dimension():
        return None
    vector = np.frombuffer(raw, dtype="<f2").astype(np.float32)
    norm = float(np.linalg.norm(vector))
    if not np.isfinite(norm) or norm < 0.5:
        return None
    return (vector / norm)[None, :]


def encoder_for(text: str, payload: Any, encode: Encoder) -> Encoder:
    """`encode`, except that embedding exactly the text Rasa embedded returns Rasa's vector when
    it can be trusted: the question itself, or, when the payload names one, the question with
    its acronyms spelt out (nlu_components/sentence_vector.py). A search that embeds anything
    else (a different expansion, a document title) still goes to the model."""
    vector = decode(payload)
    if vector is None:
        return encode
    return with_known(payload.get("text", text), vector, encode)


def with_known(text: str, vector: np.ndarray, encode: Encoder) -> Encoder:
    """`encode`, except for exactly `text`, whose vector (1-D, or one row) is already known."""
    known = vector.reshape(1, -1)

    def encoder(texts: list[str]) -> np.ndarray:
        return known if texts == [text] else encode(texts)

    return encoder
