"""`make bench-retrieval`: latency of the retrieval step alone (query embedding, FAISS, BM25,
fusion) over the evaluation questions, and the time to build the index from scratch."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

from bot import resources
from bot.knowledge.ingest import ingest
from bot.settings import get_settings

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    questions = []
    for path in sorted((ROOT / "tests/eval/questions").glob("*.yml")):
        questions += [q["q"] for q in yaml.safe_load(path.read_text(encoding="utf-8"))]
    retriever = resources.get_retriever()
    encode = resources.encode
    for q in questions[:20]:  # warm up: model, caches
        retriever.search(q, encode, k=3)
    timings = []
    for _ in range(2):
        for q in questions:
            started = time.perf_counter()
            retriever.search(q, encode, k=3)
            timings.append((time.perf_counter() - started) * 1000)
    t = np.array(timings)
    print(
        f"retrieval over {len(t)} queries ({len(retriever.passages)} passages, "
        f"{len(retriever.documents)} documents):"
    )
    print(
        f"  p50 {np.percentile(t, 50):.1f} ms   p95 {np.percentile(t, 95):.1f} ms   "
        f"max {t.max():.1f} ms   (target p95 < 30 ms)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        report = ingest(get_settings().knowledge_dir, Path(tmp) / "index", full=True)
        full = time.perf_counter() - started
        started = time.perf_counter()
        again = ingest(get_settings().knowledge_dir, Path(tmp) / "index")
        incremental = time.perf_counter() - started
    print(f"index build from scratch: {full:.1f} s ({report.passages} passages embedded)")
    print(
        f"incremental rebuild, nothing changed: {incremental:.1f} s "
        f"({again.embedded} passages embedded)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
