"""Domain-adapt all-MiniLM-L6-v2 to the knowledge base (issue #4), and measure whether it helps.

    python -m scripts.finetune_embedder train [--out var/lm/minilm-finetuned] [--epochs N] ...
    python -m scripts.finetune_embedder eval [--model DIR]     # stock model without --model

`train` fine-tunes the model of the PyPI package with MultipleNegativesRankingLoss (in-batch
negatives) on pairs built from `knowledge/` itself, and optionally from the TRAIN-split questions:

- each document name (title, alias, topic) -> the body of one of its passages (section and text,
  without the title and aliases, which would give the answer away);
- "title: section heading" -> that passage's body;
- one sentence of a passage -> the passage as it is indexed, without that sentence (inverse cloze);
- with --train-questions, each training question -> the passage of each labelled document that
  the stock model finds closest.

A batch never holds two pairs of the same document, so no pair's positive is another's false
negative. Seeds are fixed and training runs on the CPU; nothing is fetched from a model hub.

`eval` builds a retriever in memory with the given sentence-transformers model (torch, no ONNX,
no index on disk) and prints the figures of scripts/eval_retrieval.py on the train and dev splits
only: held-out questions are dropped as they are read, and are never embedded or printed here.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from bot.knowledge import embed
from bot.knowledge.documents import Document
from bot.knowledge.expand import load_synonyms
from bot.knowledge.ingest import load_documents
from bot.knowledge.search import Retriever, document_names
from bot.settings import ROOT, get_settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

DEFAULT_OUT = "var/lm/minilm-finetuned"
SEED = 13
BATCH_SIZE = 32
MIN_BATCH = 8
USED_SPLITS = ("train", "dev")

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")

# (anchor, positive, documents the pair speaks for)
Pair = tuple[str, str, frozenset[str]]


def questions() -> dict[str, list[dict]]:
    """Train and dev questions; held-out ones are dropped as they are read."""
    import yaml

    by_split: dict[str, list[dict]] = {split: [] for split in USED_SPLITS}
    for path in sorted((ROOT / "tests/eval/questions").glob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            if item.get("split") in by_split:
                by_split[item["split"]].append(item)
    return by_split


def body(passage_section: str, text: str) -> str:
    return f"{passage_section}. {text}"


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def build_pairs(
    documents: Sequence[Document],
    rng: random.Random,
    train_questions: Sequence[dict] = (),
    encode: Callable[[list[str]], np.ndarray] | None = None,
    ict_per_passage: int = 2,
) -> list[Pair]:
    pairs: list[Pair] = []
    for doc in documents:
        if not doc.passages:
            continue
        group = frozenset({doc.doc_id})
        for i, name in enumerate(document_names(doc)):
            p = doc.passages[i % len(doc.passages)]
            pairs.append((name, body(p.section, p.text), group))
        for p in doc.passages:
            if p.section and p.section.strip().lower() != doc.title.strip().lower():
                pairs.append((f"{doc.title}: {p.section}", body(p.section, p.text), group))
            parts = sentences(p.text)
            if len(parts) < 3:
                continue
            for j in rng.sample(range(len(parts)), min(ict_per_passage, len(parts))):
                rest = " ".join(parts[:j] + parts[j + 1 :])
                pairs.append((parts[j], p.search_text(doc).replace(p.text, rest), group))
    if train_questions:
        assert encode is not None
        docs = {d.doc_id: d for d in documents}
        for q in train_questions:
            group = frozenset(q["docs"])
            q_vec = encode([q["q"]])[0]
            for doc_id in q["docs"]:
                doc = docs[doc_id]
                texts = [p.search_text(doc) for p in doc.passages]
                best = int(np.argmax(encode(texts) @ q_vec))
                pairs.append((q["q"], texts[best], group))
    return pairs


def batches(pairs: list[Pair], rng: random.Random, size: int = BATCH_SIZE) -> list[list[Pair]]:
    """Shuffled batches in which no two pairs share a document."""
    rest = pairs[:]
    rng.shuffle(rest)
    out: list[list[Pair]] = []
    while rest:
        batch: list[Pair] = []
        used: set[str] = set()
        left: list[Pair] = []
        for pair in rest:
            if len(batch) < size and not (pair[2] & used):
                batch.append(pair)
                used |= pair[2]
            else:
                left.append(pair)
        rest = left
        if len(batch) >= MIN_BATCH:
            out.append(batch)
    rng.shuffle(out)
    return out


def load_model(path: Path) -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(path), device="cpu")


def cached_encoder(model: SentenceTransformer) -> Callable[[list[str]], np.ndarray]:
    cache: dict[str, np.ndarray] = {}

    def encode(texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in cache))
        if missing:
            vectors = model.encode(
                missing, batch_size=32, normalize_embeddings=True, convert_to_numpy=True
            )
            cache.update(zip(missing, np.asarray(vectors, dtype="float32"), strict=True))
        if not texts:
            return np.zeros((0, 384), dtype="float32")
        return np.stack([cache[t] for t in texts])

    return encode


def train(args: argparse.Namespace) -> int:
    import torch
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    started = time.perf_counter()

    documents, _ = load_documents(get_settings().knowledge_dir)
    documents.sort(key=lambda d: d.doc_id)
    model = load_model(embed.model_dir())
    extra: list[dict] = questions()["train"] if args.train_questions else []
    pairs = build_pairs(documents, rng, extra, cached_encoder(model) if extra else None, args.ict)
    plan = [batches(pairs, rng) for _ in range(args.epochs)]
    steps = sum(len(b) for b in plan)
    print(
        f"{len(pairs)} pairs from {len(documents)} documents"
        f"{f' and {len(extra)} training questions' if extra else ''}; "
        f"{args.epochs} epoch(s), {steps} steps of up to {BATCH_SIZE}, lr {args.lr}"
    )

    loss_fn = MultipleNegativesRankingLoss(model, scale=args.scale)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    warmup = max(1, int(0.1 * steps))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda s: (s + 1) / warmup if s < warmup else max(0.0, (steps - s) / (steps - warmup)),
    )
    model.train()
    step = 0
    for epoch, epoch_batches in enumerate(plan, 1):
        total = 0.0
        for batch in epoch_batches:
            features = [
                model.preprocess([a for a, _, _ in batch]),
                model.preprocess([p for _, p, _ in batch]),
            ]
            loss = loss_fn(features, None)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            total += float(loss.detach())
            step += 1
            if step % 20 == 0:
                print(f"  step {step}/{steps} ({time.perf_counter() - started:.0f} s)", flush=True)
        print(f"epoch {epoch}: mean loss {total / len(epoch_batches):.4f}")
    model.eval()
    out = Path(args.out)
    out = out if out.is_absolute() else ROOT / out
    out.mkdir(parents=True, exist_ok=True)
    model.save(str(out))
    (out / "finetune.json").write_text(
        json.dumps(
            {
                "base": embed.model_fingerprint(),
                "pairs": len(pairs),
                "train_questions": bool(extra),
                "epochs": args.epochs,
                "lr": args.lr,
                "scale": args.scale,
                "seed": args.seed,
                "ict_per_passage": args.ict,
            },
            indent=1,
        )
    )
    print(f"saved {out} in {time.perf_counter() - started:.0f} s")
    return 0


def evaluate(args: argparse.Namespace) -> int:
    from scripts.eval_retrieval import METHODS, negatives
    from scripts.eval_retrieval import evaluate as rank_metrics

    path = Path(args.model) if args.model else embed.model_dir()
    started = time.perf_counter()
    encode = cached_encoder(load_model(path))
    settings = get_settings()
    documents, _ = load_documents(settings.knowledge_dir)
    synonyms = load_synonyms(settings.knowledge_dir / "synonyms.yml")
    retriever, _ = Retriever.build(documents, encode, synonyms=synonyms, manifest={})
    print(f"model {path}")
    print(f"{'split':8} {'method':7} {'R@1':>6} {'R@3':>6} {'MRR':>6}  hits@1")
    results: dict[str, dict[str, list[float]]] = {}
    for split, qs in questions().items():
        for method in METHODS:
            r1, r3, mrr, ranks = rank_metrics(retriever, encode, qs, method)
            results.setdefault(split, {})[method] = [r1, r3, mrr]
            hits = sum(1 for r in ranks if r == 1)
            print(f"{split:8} {method:7} {r1:6.3f} {r3:6.3f} {mrr:6.3f}  {hits}/{len(qs)}")
    threshold = settings.retrieval_min_score
    pos = np.array([retriever.search(q["q"], encode, k=1)[0].score for q in questions()["train"]])
    neg = np.array(
        [(retriever.search(t, encode, k=1) or [None])[0].score for t in negatives()],  # type: ignore[union-attr]
    )
    print(f"cut-off {threshold:.3f}: answered {np.mean(pos >= threshold):.3f}, ", end="")
    print(f"refused {np.mean(neg < threshold):.3f} (n={len(neg)})")
    for t in np.arange(0.20, 0.61, 0.05):
        print(f"  {t:.2f}: {np.mean(pos >= t):.3f} / {np.mean(neg < t):.3f}")
    print(f"({time.perf_counter() - started:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train")
    t.add_argument("--out", default=DEFAULT_OUT)
    t.add_argument("--epochs", type=int, default=1)
    t.add_argument("--lr", type=float, default=2e-5)
    t.add_argument("--scale", type=float, default=20.0)
    t.add_argument("--seed", type=int, default=SEED)
    t.add_argument("--ict", type=int, default=2, help="inverse-cloze sentences per passage")
    t.add_argument("--train-questions", action="store_true")
    t.add_argument("--threads", type=int, default=2)
    e = sub.add_parser("eval")
    e.add_argument("--model", default="")
    e.add_argument("--json", default="")
    args = parser.parse_args(argv)
    return train(args) if args.command == "train" else evaluate(args)


if __name__ == "__main__":
    sys.exit(main())
