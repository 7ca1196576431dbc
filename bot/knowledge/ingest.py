"""Build the knowledge index from `knowledge/`, re-embedding only documents that changed."""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from bot.knowledge import embed
from bot.knowledge.documents import SUPPORTED_SUFFIXES, Document, DocumentError, load_document
from bot.knowledge.expand import load_synonyms
from bot.knowledge.search import IndexError_, Retriever

SKIP_DIRS = {"flows"}
SKIP_NAMES = {"README.md"}


@dataclass
class IngestReport:
    documents: int = 0
    passages: int = 0
    embedded: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    past_review: list[str] = field(default_factory=list)
    broken_links: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"Indexed {self.documents} documents, {self.passages} passages "
            f"({self.embedded} passages embedded, {self.passages - self.embedded} reused)."
        ]
        for name, reason in self.skipped:
            lines.append(f"SKIPPED {name}: {reason}")
        for doc_id, linked in self.broken_links:
            lines.append(f"WARNING {doc_id}: 'linked' names {linked!r}, which is not a document")
        if self.past_review:
            lines.append(f"Past their review_by date (still used): {', '.join(self.past_review)}")
        return "\n".join(lines)


def find_files(root: Path) -> list[Path]:
    files = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.name in SKIP_NAMES or path.name.startswith("."):
            continue
        if any(part in SKIP_DIRS for part in path.relative_to(root).parts[:-1]):
            continue
        if path.suffix.lower() in SUPPORTED_SUFFIXES:
            files.append(path)
    return files


def load_documents(
    root: Path, progress: bool = False
) -> tuple[list[Document], list[tuple[str, str]]]:
    """Every readable document, and every unreadable file with the reason: none is dropped
    silently, and one bad file never stops the rest."""
    documents: list[Document] = []
    skipped: list[tuple[str, str]] = []
    files = find_files(root)
    for path in tqdm(files, desc="Reading", unit="file", disable=not progress, file=sys.stderr):
        name = path.relative_to(root).as_posix()
        try:
            documents.append(load_document(path, root))
        except DocumentError as exc:
            skipped.append((name, str(exc)))
        except Exception as exc:  # a parser bug on a hostile file must not stop the ingest
            skipped.append((name, f"could not be read ({type(exc).__name__}: {exc})"))
    return documents, skipped


def ingest(
    knowledge_dir: Path, index_dir: Path, progress: bool = False, full: bool = False
) -> IngestReport:
    documents, skipped = load_documents(knowledge_dir, progress)
    model_hash = embed.model_fingerprint()
    previous = None
    if not full:
        try:
            previous = Retriever.load(index_dir, expected_model_hash=model_hash)
        except (IndexError_, ValueError, KeyError, TypeError, RuntimeError):
            previous = None  # first build, or an index from another model: embed everything

    def encode(texts: list[str]) -> object:
        return embed.encode(texts, progress=progress and len(texts) > 64)

    manifest = {
        "model": embed.MODEL_NAME,
        "model_hash": model_hash,
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "documents": {d.doc_id: d.content_hash for d in documents},
        "skipped": [{"file": name, "reason": reason} for name, reason in skipped],
        "counts": {
            "documents": len(documents),
            "passages": sum(len(d.passages) for d in documents),
        },
        "index_type": "IndexFlatIP",
    }
    synonyms = load_synonyms(knowledge_dir / "synonyms.yml")
    retriever, embedded = Retriever.build(
        documents, encode, synonyms=synonyms, previous=previous, manifest=manifest
    )
    manifest["counts"]["embedded"] = embedded
    retriever.save(index_dir)
    return IngestReport(
        documents=len(documents),
        passages=len(retriever.passages),
        embedded=embedded,
        skipped=skipped,
        past_review=[d.doc_id for d in documents if d.is_past_review()],
        broken_links=[
            (d.doc_id, linked)
            for d in documents
            for linked in d.linked
            if linked not in retriever.documents
        ],
    )
