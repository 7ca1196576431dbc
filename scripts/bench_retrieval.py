"""`make bench-retrieval`: latency of the retrieval step alone (query embedding, FAISS, BM25,
fusion) over the evaluation questions, and the time to build the index from scratch."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

from bot import resources
from bot.knowledge.ingest import ingest
from bot.knowledge.search import expand_query
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
    timings, encoding = [], []
    load_before = os.getloadavg()[0]
    for _ in range(2):
        for q in questions:
            started = time.perf_counter()
            retriever.search(q, encode, k=3)
            timings.append((time.perf_counter() - started) * 1000)
            # The query embedding alone, to tell the model's share from the rest (FAISS,
            # BM25, document names, fusion), which is what a change to search.py affects.
            expanded = expand_query(q, retriever.synonyms, retriever.vocabulary)
            started = time.perf_counter()
            encode([expanded])
            encoding.append((time.perf_counter() - started) * 1000)
    t = np.array(timings)
    e = np.array(encoding)
    print(
        f"retrieval over {len(t)} queries ({len(retriever.passages)} passages, "
        f"{len(retriever.documents)} documents):"
    )
    print(
        f"  p50 {np.percentile(t, 50):.1f} ms   p95 {np.percentile(t, 95):.1f} ms   "
        f"max {t.max():.1f} ms   (target p95 < 30 ms)"
    )
    print(
        f"  of which query embedding alone: p50 {np.percentile(e, 50):.1f} ms   "
        f"p95 {np.percentile(e, 95):.1f} ms; the rest (median difference) "
        f"{np.median(t) - np.median(e):.1f} ms"
    )
    print(
        f"  load average before/after: {load_before:.1f} / {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} cores (figures are only comparable at similar load)"
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
