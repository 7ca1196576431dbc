"""`make bench`: how the cost of retrieval and of trainer clustering grows with size.

Retrieval is timed on the real index (var/index, built by `make index`) and on synthetic corpora
10x and 100x its size; trainer clustering on 1,000, 10,000 and 100,000 synthetic gap records.
Everything synthetic is generated here, from a fixed seed, and never committed; the only thing
cached (under var/bench/, which git ignores) is the embedding of the real corpus's sentences.

Synthetic passages recombine real sentences under real documents' titles and sections, with new
document ids. Embedding them for real would take ~25 passages/s on 2 cores (over 20 minutes at
100x), so their vectors are *derived*: the normalised mean of the real embeddings of their
sentences and heading. The run embeds a sample of them for real and prints how close the derived
vectors are. Search cost does not depend on where the vectors came from; the recall of an
approximate index does depend a little on their distribution, so it is also measured on the real
corpus. Gap questions are embedded for real at 1k and 10k; at 100k, 90% of the vectors are
derived from the 10k real ones (a question's vector mixed with another's, plus noise).

    .venv/bin/python -m scripts.bench_scale           # full run (1x/10x/100x, 1k/10k/100k)
    .venv/bin/python -m scripts.bench_scale --quick   # 1x/10x and 1k/10k only
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import faiss
import numpy as np
import psutil
import yaml

from bot import resources
from bot.gaps.cluster import cluster_vectors
from bot.knowledge import embed
from bot.knowledge.documents import Document, Passage
from bot.knowledge.search import CANDIDATES, Retriever, expand_query
from bot.settings import get_settings

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench"
SEED = 8
RETRIEVAL_TARGET_MS = 50.0
CLUSTER_TARGET_S = 60.0
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128
IVF_NPROBE = 16
QUERIES = 200  # evaluation questions timed per corpus size (of 249)
AUDIENCE_QUERIES = 100  # of those, also timed with an audience filter
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_PROCESS = psutil.Process()


def rss_mb() -> float:
    return _PROCESS.memory_info().rss / 2**20


class PeakRss:
    """Peak resident memory above the starting level while the block runs (sampled every 5 ms:
    counts numpy and FAISS allocations alike, which tracemalloc would not)."""

    def __enter__(self) -> PeakRss:
        gc.collect()
        self.start = rss_mb()
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_mb())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())

    @property
    def growth(self) -> float:
        return self.peak - self.start


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype="float32")
    return vectors / (np.linalg.norm(vectors, axis=-1, keepdims=True) + 1e-12)


def cached_encode(name: str, texts: list[str]) -> tuple[np.ndarray, float | None]:
    """Embed texts, or read them back from var/bench/ if these exact texts were embedded with
    these weights before. Returns the vectors and the encoding time (None when cached)."""
    key = hashlib.sha256(
        (embed.model_fingerprint() + "\0" + "\0".join(texts)).encode("utf-8")
    ).hexdigest()[:16]
    path = CACHE / f"{name}-{key}.npy"
    if path.exists():
        return np.load(path), None
    started = time.perf_counter()
    vectors = embed.encode(texts, batch_size=64)
    took = time.perf_counter() - started
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors, took


# -- synthetic corpora ----------------------------------------------------------------------------
@dataclass
class SentencePool:
    """The real corpus cut into sentences, with one embedding per sentence and per heading."""

    sentences: list[str]
    sentence_vectors: np.ndarray
    by_passage: list[list[int]]  # real passage row -> its sentence ids
    by_document: dict[str, list[int]]  # real doc id -> its sentence ids
    head_vectors: np.ndarray  # real passage row -> embedding of "title (aliases). section."

    @classmethod
    def build(cls, real: Retriever) -> SentencePool:
        sentences: list[str] = []
        by_passage: list[list[int]] = []
        by_document: dict[str, list[int]] = {}
        heads = []
        for p in real.passages:
            ids = []
            for s in _SENTENCE.split(p.text):
                if s.strip():
                    ids.append(len(sentences))
                    sentences.append(s.strip())
            by_passage.append(ids)
            by_document.setdefault(p.doc_id, []).extend(ids)
            heads.append(
                Passage(p.doc_id, p.section, "", p.position).search_text(real.documents[p.doc_id])
            )
        vectors, _ = cached_encode("sentences", sentences + heads)
        return cls(
            sentences, vectors[: len(sentences)], by_passage, by_document, vectors[len(sentences) :]
        )


@dataclass
class Corpus:
    documents: list[Document]
    passages: list[Passage]
    vectors: np.ndarray
    samples: list[tuple[str, np.ndarray]] = field(default_factory=list)  # (search text, derived)


def synthetic_corpus(real: Retriever, pool: SentencePool, factor: int, seed: int) -> Corpus:
    """The real corpus plus (factor - 1) recombined copies of each real document."""
    rng = np.random.default_rng(seed + factor)
    real_docs = list(real.documents.values())
    rows_of: dict[str, list[int]] = {}
    for row, p in enumerate(real.passages):
        rows_of.setdefault(p.doc_id, []).append(row)
    all_sentences = len(pool.sentences)
    audiences = ["children", "adults", "all"]
    documents = [Document(**{**d.metadata(), "passages": []}) for d in real_docs]
    passages = list(real.passages)
    vectors = [real.index.reconstruct_n(0, real.index.ntotal)]
    samples: list[tuple[str, np.ndarray]] = []
    for copy in range(1, factor):
        for d in real_docs:
            other = real_docs[int(rng.integers(len(real_docs)))]
            doc = Document(
                doc_id=f"synthetic/{copy:03d}/{d.doc_id}",
                path=f"synthetic/{copy:03d}/{d.path}",
                title=f"{d.title}: {other.title.lower()}",
                type=d.type,
                audience=audiences[int(rng.integers(3))],
                source_url=d.source_url,
                review_by=d.review_by,
                series=d.series,
                topics=list(d.topics),
                aliases=list(d.aliases),
                content_hash=f"synthetic-{copy}-{d.content_hash}",
            )
            documents.append(doc)
            own = pool.by_document[d.doc_id]
            block = np.zeros((len(rows_of[d.doc_id]), pool.sentence_vectors.shape[1]), "float32")
            for j, row in enumerate(rows_of[d.doc_id]):
                template = real.passages[row]
                count = max(2, len(pool.by_passage[row]) + int(rng.integers(-1, 2)))
                # Mostly the document's own sentences, some from anywhere: topical, not copies.
                ids = [
                    own[int(rng.integers(len(own)))]
                    if rng.random() < 0.7
                    else int(rng.integers(all_sentences))
                    for _ in range(count)
                ]
                passage = Passage(
                    doc.doc_id,
                    template.section,
                    " ".join(pool.sentences[i] for i in ids),
                    template.position,
                )
                passages.append(passage)
                block[j] = pool.sentence_vectors[ids].mean(axis=0) + pool.head_vectors[row]
            block = normalise(block)
            vectors.append(block)
            if len(samples) < 64 and rng.random() < 0.25:
                j = int(rng.integers(len(block)))
                samples.append((passages[-len(block) + j].search_text(doc), block[j]))
    return Corpus(documents, passages, np.concatenate(vectors).astype("float32"), samples)


# -- retrieval ---------------------------------------------------------------------------------
@dataclass
class RetrievalRow:
    passages: int
    vectors: str
    build_s: float = 0.0  # BM25 + vocabulary + FAISS flat add (embedding excluded)
    embed_est_s: float = 0.0
    retriever_mb: float = 0.0
    flat_mb: float = 0.0
    full_p50: float = 0.0
    full_p95: float = 0.0
    cpu_p50: float = 0.0
    cpu_p95: float = 0.0
    audience_p95: float = 0.0
    flat_p95: float = 0.0
    hnsw_build_s: float = 0.0
    hnsw_mb: float = 0.0
    hnsw_p95: float = 0.0
    hnsw_recall: float = 0.0
    ivf_build_s: float = 0.0
    ivf_mb: float = 0.0
    ivf_p95: float = 0.0
    ivf_recall: float = 0.0


def index_mb(index: faiss.Index) -> float:
    """Size of the index as FAISS serialises it: vectors plus graph or lists, as held in memory."""
    return len(faiss.serialize_index(index)) / 2**20


def time_queries(
    search: Callable[[int], Any], n: int, cpu: list[float] | None = None
) -> list[float]:
    """Wall-clock ms per call; with `cpu`, also this process's CPU ms per call (what the call
    would take on an idle core: the machine is shared with other CPU-heavy work)."""
    timings = []
    for i in range(n):
        started, started_cpu = time.perf_counter(), time.process_time()
        search(i)
        timings.append((time.perf_counter() - started) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - started_cpu) * 1000)
    return timings


def faiss_alone(
    row: RetrievalRow, vectors: np.ndarray, queries: np.ndarray, log: Callable[[str], None]
) -> None:
    """FAISS search alone, k = CANDIDATES as in Retriever.search: exact flat vs HNSW and IVF."""
    n, dim = vectors.shape
    k = min(CANDIDATES, n)
    flat = faiss.IndexFlatIP(dim)
    flat.add(vectors)
    row.flat_mb = index_mb(flat)
    _, truth = flat.search(queries, 10)
    row.flat_p95 = percentile(
        time_queries(lambda i: flat.search(queries[i : i + 1], k), len(queries)), 95
    )

    started = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    hnsw.add(vectors)
    row.hnsw_build_s = time.perf_counter() - started
    hnsw.hnsw.efSearch = HNSW_EF_SEARCH
    row.hnsw_mb = index_mb(hnsw)
    row.hnsw_p95 = percentile(
        time_queries(lambda i: hnsw.search(queries[i : i + 1], k), len(queries)), 95
    )
    row.hnsw_recall = recall_at_10(hnsw, queries, truth)
    log(f"    HNSW built in {row.hnsw_build_s:.1f} s")

    nlist = max(1, min(int(4 * np.sqrt(n)), n // 39))  # FAISS wants >= 39 training points a list
    started = time.perf_counter()
    quantizer = faiss.IndexFlatIP(dim)
    ivf = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    ivf.cp.seed = SEED
    ivf.train(vectors)
    ivf.add(vectors)
    row.ivf_build_s = time.perf_counter() - started
    ivf.nprobe = min(IVF_NPROBE, nlist)
    row.ivf_mb = index_mb(ivf)
    row.ivf_p95 = percentile(
        time_queries(lambda i: ivf.search(queries[i : i + 1], k), len(queries)), 95
    )
    row.ivf_recall = recall_at_10(ivf, queries, truth)
    log(f"    IVF{nlist} built in {row.ivf_build_s:.1f} s")


def recall_at_10(index: faiss.Index, queries: np.ndarray, truth: np.ndarray) -> float:
    _, found = index.search(queries, 10)
    return float(np.mean([len(set(found[i]) & set(truth[i])) / 10 for i in range(len(queries))]))


def bench_retrieval(
    factors: list[int], seed: int, log: Callable[[str], None]
) -> tuple[list[RetrievalRow], dict[str, float]]:
    questions: list[str] = []
    for path in sorted((ROOT / "tests/eval/questions").glob("*.yml")):
        questions += [q["q"] for q in yaml.safe_load(path.read_text(encoding="utf-8"))]
    order = np.random.default_rng(seed).permutation(len(questions))[:QUERIES]
    questions = [questions[i] for i in order]
    real = resources.get_retriever()
    encode = resources.encode
    pool = SentencePool.build(real)
    notes: dict[str, float] = {"sentences": len(pool.sentences), "queries": len(questions)}
    rows = []
    for factor in factors:
        gc.collect()
        before = rss_mb()
        if factor == 1:
            corpus = Corpus(
                [Document(**{**d.metadata(), "passages": []}) for d in real.documents.values()],
                list(real.passages),
                real.index.reconstruct_n(0, real.index.ntotal),
            )
        else:
            started = time.perf_counter()
            corpus = synthetic_corpus(real, pool, factor, seed)
            log(
                f"  {factor}x: generated {len(corpus.passages)} passages in {time.perf_counter() - started:.1f} s"
            )
        started = time.perf_counter()
        index = faiss.IndexFlatIP(corpus.vectors.shape[1])
        index.add(corpus.vectors)
        retriever = Retriever(
            index,
            {d.doc_id: d for d in corpus.documents},
            corpus.passages,
            real.synonyms,
            real.manifest,
        )
        row = RetrievalRow(len(corpus.passages), "real" if factor == 1 else "derived")
        row.build_s = time.perf_counter() - started
        gc.collect()
        row.retriever_mb = rss_mb() - before
        if corpus.samples:
            # How far the derived vectors are from what the model would give: embed a sample.
            texts = [t for t, _ in corpus.samples]
            started = time.perf_counter()
            actual = encode(texts)
            rate = len(texts) / (time.perf_counter() - started)
            derived = np.stack([v for _, v in corpus.samples])
            notes[f"cos{factor}"] = float(np.mean(np.sum(actual * derived, axis=1)))
            notes["passages_per_s"] = rate
        for q in questions[:20]:  # warm up: model, caches
            retriever.search(q, encode, k=3)
        cpu: list[float] = []
        full = time_queries(
            lambda i, r=retriever: r.search(questions[i], encode, k=3), len(questions), cpu
        )
        aud = time_queries(
            lambda i, r=retriever: r.search(
                questions[i], encode, k=3, audience=("children", "adults")[i % 2]
            ),
            AUDIENCE_QUERIES,
        )
        row.full_p50, row.full_p95 = percentile(full, 50), percentile(full, 95)
        row.cpu_p50, row.cpu_p95 = percentile(cpu, 50), percentile(cpu, 95)
        row.audience_p95 = percentile(aud, 95)
        log(
            f"  {row.passages} passages: full retrieval p50 {row.full_p50:.1f} ms, p95 {row.full_p95:.1f} ms"
        )
        query_vectors = encode(
            [expand_query(q, real.synonyms, retriever.vocabulary) for q in questions]
        )
        faiss_alone(row, corpus.vectors, query_vectors, log)
        rows.append(row)
        del retriever, index, corpus
    rate = notes.get("passages_per_s")
    for row in rows:
        row.embed_est_s = row.passages / rate if rate else float("nan")
    return rows, notes


# -- synthetic gap questions ---------------------------------------------------------------------
OPENERS = [
    "what do i do if",
    "who do i call if",
    "who do i tell if",
    "is it a safeguarding concern if",
    "do i need to refer if",
    "should i ring the front door if",
    "how do i escalate if",
    "worried because",
    "not sure what to do,",
    "help!",
    "quick question -",
    "can i share information if",
    "do i need consent to refer if",
    "what's the threshold if",
    "",
]
CONCERNS = [
    "[NAME]'s stepdad hits her",
    "a year 9 girl says her mum's boyfriend touched her",
    "a 14 year old keeps going missing from the children's home",
    "[NAME] has new trainers and two phones and won't say where from",
    "there are older men picking up girls outside school at [PLACE]",
    "a parent turned up drunk to collect their toddler",
    "a baby has a bruise on his cheek and he isn't crawling yet",
    "my neighbour says drug dealers have moved into [NAME]'s flat",
    "an elderly man with dementia is being pressured by his son for money",
    "a care home resident has unexplained bruises on her arms",
    "a carer is taking money from a woman with learning disabilities",
    "a woman discloses her husband controls all her money and her phone",
    "a pupil has self-harm cuts on his arms",
    "a 16 year old says she is being forced to marry this summer",
    "a girl says she is going abroad to be cut",
    "a colleague is messaging a pupil on snapchat",
    "a youth worker gives lifts to one boy on his own",
    "the house is filthy and there is no food in the fridge",
    "a child says there is shouting and fighting at home every night",
    "a boy is sleeping on his mate's sofa and won't go home",
    "a mum with post-natal depression says she can't cope",
    "a young carer is missing school to look after his dad",
    "a student is watching extremist videos and talking about [PLACE] mosque",
    "a man is living in a shed at the farm where he works and isn't paid",
    "an adult with autism is being befriended by people who take his benefits",
    "a teenager is sending nudes to someone she met online",
    "a child's dad says he will kill himself if social care get involved",
    "the school nurse thinks a child is being starved",
    "parents keep missing hospital appointments for their disabled son",
    "a 12 year old is smoking cannabis with older lads",
    "an older woman is hoarding and the flat is a fire risk",
    "a man with a brain injury is being exploited by his lodger",
    "a mum is using the food bank and the kids have head lice",
    "a dad says he smacks his kids and that's his right",
    "a nursery child has a burn that looks like a cigarette",
    "a care worker left a resident in a wet bed all night",
    "a pregnant 15 year old won't say who the father is",
    "someone rang [PHONE] saying they were a social worker",
    "an allegation is made against a foster carer",
    "a child is home educated and nobody has seen him for months",
]
TOPICS = [
    "cuckooing",
    "county lines",
    "CSE",
    "CCE",
    "private fostering",
    "FGM",
    "forced marriage",
    "prevent",
    "the LADO",
    "the MASH",
    "an EHA",
    "a section 47",
    "a s42 enquiry",
    "the NRM",
    "a strategy meeting",
    "professional curiosity",
    "neglect",
    "self neglect",
    "the graded care profile",
    "modern slavery",
    "domestic abuse",
    "MARAC",
    "DBS",
    "escalation",
    "the threshold document",
    "honour based abuse",
    "a CSPR",
    "a SAR",
    "the front door",
    "out of hours",
]
TOPIC_QUESTIONS = [
    "what is {t}",
    "whats {t}",
    "how do i refer for {t}",
    "who deals with {t} in [PLACE]",
    "is there training on {t}",
    "where's the form for {t}",
    "{t} phone number",
    "does {t} apply to adults",
    "what happens after {t}",
    "timescales for {t}?",
    "can i do {t} without the parents knowing",
    "{t}??",
]
TAILS = [
    "",
    "",
    "",
    "?",
    " ?",
    " thanks",
    " asap",
    " out of hours",
    " at the weekend",
    " - i'm a new dsl",
    " help",
    " (school)",
]


def typo(text: str, rng: np.random.Generator) -> str:
    words = text.split()
    i = int(rng.integers(len(words)))
    w = words[i]
    if len(w) > 4 and w.isalpha():
        j = int(rng.integers(1, len(w) - 1))
        words[i] = (
            w[:j] + w[j + 1 :] if rng.random() < 0.5 else w[:j] + w[j + 1] + w[j] + w[j + 2 :]
        )
    return " ".join(words)


def gap_questions(n: int, seed: int) -> list[str]:
    """Redacted practitioner questions as the gap log holds them: situations and topic questions
    in several phrasings, tails and typos (many repeat, as real unanswered questions do)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        if rng.random() < 0.65:
            opener = OPENERS[int(rng.integers(len(OPENERS)))]
            text = f"{opener} {CONCERNS[int(rng.integers(len(CONCERNS)))]}".strip()
        else:
            template = TOPIC_QUESTIONS[int(rng.integers(len(TOPIC_QUESTIONS)))]
            text = template.format(t=TOPICS[int(rng.integers(len(TOPICS)))])
        text += TAILS[int(rng.integers(len(TAILS)))]
        if rng.random() < 0.3:
            text = typo(text, rng)
        if rng.random() < 0.3:
            text = text[0].upper() + text[1:]
        out.append(text)
    return out


@dataclass
class ClusterRow:
    gaps: int
    vectors: str
    embed_s: float
    embed_estimated: bool
    cluster_s: float
    peak_mb: float
    clusters: int
    largest: int


def bench_clustering(
    sizes: list[int], seed: int, log: Callable[[str], None], worst_case: int = 0
) -> list[ClusterRow]:
    real_n = min(max(sizes), 10_000)
    texts = gap_questions(real_n, seed)
    # Embed in the order the sizes need, so each size's embedding time is measured once.
    vectors = np.zeros((real_n, 384), dtype="float32")
    embed_s: dict[int, float] = {}
    done, elapsed = 0, 0.0
    for size in sorted(s for s in sizes if s <= real_n):
        started = time.perf_counter()
        vectors[done:size] = resources.encode(texts[done:size])
        elapsed += time.perf_counter() - started
        embed_s[size], done = elapsed, size
        log(f"  embedded {size} gap questions in {elapsed:.1f} s")
    rate = done / elapsed
    rows = []
    rng = np.random.default_rng(seed)
    for size in sizes:
        if size <= real_n:
            data, kind, took, est = vectors[:size], "real", embed_s[size], False
        else:
            # Derived: each extra record is a real question's vector nudged towards another's
            # and by noise (a rephrasing), so most join existing groups and some start new ones.
            extra = size - real_n
            a = vectors[rng.integers(real_n, size=extra)]
            b = vectors[rng.integers(real_n, size=extra)]
            mix = rng.uniform(0.0, 0.6, size=(extra, 1)).astype("float32")
            noise = rng.normal(0, 0.15 / np.sqrt(384), size=a.shape).astype("float32")
            data = np.concatenate([vectors, normalise(a + mix * b + noise)])
            data = data[rng.permutation(size)]
            kind, took, est = f"{real_n // 1000}k real + derived", size / rate, True
        with PeakRss() as mem:
            started = time.perf_counter()
            clusters = cluster_vectors(data)
            cluster_s = time.perf_counter() - started
        row = ClusterRow(
            size, kind, took, est, cluster_s, mem.growth, len(clusters), clusters[0].size
        )
        log(f"  clustered {size} gaps in {cluster_s:.1f} s ({len(clusters)} groups)")
        rows.append(row)
    if worst_case:
        # Questions all unlike each other (random directions): every one starts a group, the
        # O(n^2) worst case of leader clustering.
        data = normalise(rng.normal(size=(worst_case, 384)).astype("float32"))
        with PeakRss() as mem:
            started = time.perf_counter()
            clusters = cluster_vectors(data)
            cluster_s = time.perf_counter() - started
        rows.append(
            ClusterRow(
                worst_case,
                "random, all distinct",
                0.0,
                True,
                cluster_s,
                mem.growth,
                len(clusters),
                clusters[0].size,
            )
        )
        log(f"  clustered {worst_case} distinct vectors in {cluster_s:.1f} s")
    return rows


# -- report --------------------------------------------------------------------------------------
def retrieval_table(rows: list[RetrievalRow]) -> str:
    head = (
        "| passages | vectors | build s | embed s (est.) | retriever MB | FAISS MB flat/HNSW/IVF "
        "| full p50 ms | full p95 ms | CPU p50/p95 ms | p95 with audience ms | FAISS p95 ms flat/HNSW/IVF "
        "| HNSW/IVF build s | recall@10 HNSW/IVF |"
    )
    lines = [head, "|" + "---|" * head.count(" | ") + "---|"]
    for r in rows:
        lines.append(
            f"| {r.passages:,} | {r.vectors} | {r.build_s:.1f} | {r.embed_est_s:,.0f} | {r.retriever_mb:.0f} "
            f"| {r.flat_mb:.1f} / {r.hnsw_mb:.1f} / {r.ivf_mb:.1f} "
            f"| {r.full_p50:.1f} | {r.full_p95:.1f} | {r.cpu_p50:.1f} / {r.cpu_p95:.1f} "
            f"| {r.audience_p95:.1f} "
            f"| {r.flat_p95:.2f} / {r.hnsw_p95:.2f} / {r.ivf_p95:.2f} "
            f"| {r.hnsw_build_s:.1f} / {r.ivf_build_s:.1f} | {r.hnsw_recall:.3f} / {r.ivf_recall:.3f} |"
        )
    return "\n".join(lines)


def cluster_table(rows: list[ClusterRow]) -> str:
    lines = [
        "| gap records | vectors | embedding s | clustering s | peak memory MB | groups | largest |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        emb = f"{r.embed_s:.0f} (est.)" if r.embed_estimated else f"{r.embed_s:.1f}"
        emb = emb if r.embed_s else "-"
        lines.append(
            f"| {r.gaps:,} | {r.vectors} | {emb} | {r.cluster_s:.2f} | {r.peak_mb:.0f} "
            f"| {r.clusters:,} | {r.largest:,} |"
        )
    return "\n".join(lines)


def index_choice(rows: list[RetrievalRow]) -> str:
    """Flat while exact search is cheap against the whole retrieval step; an approximate index
    only where flat would threaten the target and the approximate one keeps recall."""
    largest = rows[-1]
    share = largest.flat_p95 / largest.full_p95 if largest.full_p95 else 0.0
    # Exact search cost grows linearly: extrapolate to where FAISS alone would take 10 ms p95.
    per_passage = largest.flat_p95 / largest.passages
    crossover = int(10.0 / per_passage) if per_passage > 0 else 0
    if largest.ivf_recall >= largest.hnsw_recall:
        approx = f"IndexIVFFlat (nlist 4*sqrt(n), nprobe {IVF_NPROBE})"
        recall, approx_p95 = largest.ivf_recall, largest.ivf_p95
    else:
        approx = f"IndexHNSWFlat (M {HNSW_M}, efSearch {HNSW_EF_SEARCH})"
        recall, approx_p95 = largest.hnsw_recall, largest.hnsw_p95
    verdict = "met" if largest.full_p95 < RETRIEVAL_TARGET_MS else "NOT met"
    return (
        f"Target (p95 < {RETRIEVAL_TARGET_MS:.0f} ms at the largest size, {largest.passages:,} "
        f"passages): {verdict} ({largest.full_p95:.1f} ms).\n"
        f"Exact FAISS search is {largest.flat_p95:.2f} ms p95 there ({share:.0%} of the step); "
        f"linear growth puts it at 10 ms near {crossover:,} passages.\n"
        f"Choice: IndexFlatIP (exact, no tuning, incremental rebuild keeps working) up to about "
        f"{crossover // 1000 * 1000:,} passages; beyond that, {approx} (recall@10 {recall:.3f}, "
        f"FAISS p95 {approx_p95:.2f} ms here), which needs retraining when the corpus grows."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1x/10x and 1k/10k only")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    factors = [1, 10] if args.quick else [1, 10, 100]
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s]{message}", file=sys.stderr, flush=True)

    if not (get_settings().index_dir / "index.faiss").exists():
        print("No knowledge index: run `make index` first.", file=sys.stderr)
        return 2
    load = os.getloadavg()[0]
    # Questions are embedded as the servers do (resources.encode: EMBED_THREADS, one ONNX
    # Runtime thread), so the figures are what a practitioner waits for.
    log(" retrieval")
    rows, notes = bench_retrieval(factors, args.seed, log)
    log(" clustering")
    crows = bench_clustering(sizes, args.seed, log, worst_case=0 if args.quick else 20_000)

    print(f"\nHow cost grows ({os.cpu_count()} CPU cores, load average {load:.1f} at start)\n")
    print(
        f"Retrieval: {int(notes['queries'])} evaluation questions per size, timed one by one "
        f"(ONNX Runtime, {get_settings().embed_threads} thread), {AUDIENCE_QUERIES} of them also with an audience filter; "
        "FAISS alone with k=50, the same questions' vectors."
    )
    print(retrieval_table(rows))
    cosines = ", ".join(f"{k[3:]}x {v:.3f}" for k, v in notes.items() if k.startswith("cos"))
    print(
        f"Synthetic passages recombine the {int(notes['sentences'])} real sentences; their vectors "
        "are DERIVED (normalised mean of the real embeddings of their sentences and heading), "
        f"not embedded: mean cosine to the model's own embedding on a sample: {cosines}. "
        f"'embed s (est.)' = passages / measured {notes.get('passages_per_s', float('nan')):.0f} "
        "passages/s, the cost of a full `make index` of that size."
    )
    print()
    print(index_choice(rows))
    print(
        f"\nClustering (bot/gaps/cluster.py, threshold 0.60); target 100,000 gaps < {CLUSTER_TARGET_S:.0f} s"
    )
    print(cluster_table(crows))
    print(
        "Embedding and clustering are timed separately; at 100,000 the vectors beyond the "
        "first 10,000 are DERIVED from them (mixture + noise) and the embedding time is "
        "estimated from the measured rate. Peak memory = resident memory growth during clustering."
    )
    print(
        f"\nTotal run time: {time.perf_counter() - started:.0f} s "
        f"(load average {os.getloadavg()[0]:.1f} at the end; wall-clock figures include waiting "
        "for other work on the machine, the CPU columns do not)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
