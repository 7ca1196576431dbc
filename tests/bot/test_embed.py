"""The ONNX path must give sentence-transformers' vectors: the index and every question are
embedded with it, and the evaluation figures were measured on it."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from bot.knowledge import embed
from bot.settings import ROOT

EDGE_CASES = [
    "",
    "   ",
    "LADO??",
    "🙂" * 300,
    "Mrs O'Brien's flat, 12 Acacia Ave — neighbours say there's \"drug runners\" there",
    " ".join(["he comes home late with money he can't explain"] * 60),  # past 256 tokens
]


@pytest.fixture(scope="module")
def questions() -> list[str]:
    data = yaml.safe_load((ROOT / "tests/eval/questions/dev.yml").read_text(encoding="utf-8"))
    return [q["q"] for q in data] + EDGE_CASES


def test_onnx_vectors_match_sentence_transformers(questions: list[str]) -> None:
    got = embed.encode(questions, batch_size=8)
    want = embed.reference_encode(questions)
    assert got.shape == want.shape == (len(questions), embed.dimension())
    assert float(np.abs(got - want).max()) < embed.CHECK_TOLERANCE
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_batching_by_length_keeps_each_text_in_its_place(questions: list[str]) -> None:
    one_by_one = np.stack([embed.encode([q], threads=1)[0] for q in questions])
    batched = embed.encode(questions, batch_size=5)
    assert float(np.abs(one_by_one - batched).max()) < 1e-5


def test_nothing_to_encode_gives_an_empty_matrix() -> None:
    assert embed.encode([]).shape == (0, embed.dimension())


def test_export_from_scratch_is_checked_and_named_by_the_weights(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh machine (or new weights): the export happens once, into LM_DIR, under a name
    carrying the weights' hash, and only after matching the reference."""
    monkeypatch.setenv("LM_DIR", str(tmp_path))
    path = embed.ensure_onnx()
    assert path.parent == tmp_path
    assert embed.model_fingerprint()[:16] in path.name
    assert [p.name for p in tmp_path.glob("*.onnx")] == [path.name]
    assert not list(tmp_path.glob("*.tmp*"))
    mtime = path.stat().st_mtime_ns
    assert embed.ensure_onnx() == path and path.stat().st_mtime_ns == mtime
