"""Hybrid retrieval: dense vectors (FAISS, inner product on normalised embeddings) plus BM25,
combined by a weighted sum of the cosine and the query-scaled BM25 score, plus a document-level
bonus for the document whose names (title, aliases, topics) come closest to the question.

Dense search finds paraphrases ("drug dealers moved into her flat" -> cuckooing); BM25 finds
exact terms and acronyms the embedding model has never seen (MAC form, LADO, s42). Neither is
enough alone; the evaluation in `make eval-retrieval` measures all three side by side.
"""

from __future__ import annotations

import difflib
import json
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import bm25s
import faiss
import numpy as np
import Stemmer

from bot.knowledge.documents import Document, Passage
from bot.knowledge.expand import synonym_expansions

Method = Literal["hybrid", "dense", "bm25"]
INDEX_FILE = "index.faiss"
PASSAGES_FILE = "passages.json"
MANIFEST_FILE = "manifest.json"
NAMES_FILE = "names.faiss"
DENSE_WEIGHT = 0.7
# Each of a document's names (title, every alias and topic) is embedded on its own; the best
# cosine of the question with any of them is added, times NAME_WEIGHT, to every passage of the
# document. Practitioners describe situations ("flat full of stuff") that a short alias names
# ("house full of clutter") better than a 150-word passage's vector does. 0.5 sits in the middle
# of the plateau (0.3-1.0) found on the training and dev splits.
NAME_WEIGHT = 0.5
# "What is X?" is best answered by the section that defines X, not by the one that happens to
# share most words with the question.
DEFINITION_QUESTION = re.compile(
    r"^\s*(?:what\s+(?:is|are|does|do)\b|what's\b|whats\b|define\b|definition\b|meaning\b|"
    r"explain\b|tell me about\b)",
    re.IGNORECASE,
)
DEFINITION_SECTIONS = ("what it is", "what is", "what they are", "what are", "definition", "about")
DEFINITION_BOOST = 0.05
# A question that asks for a review ("the review about the teenager and alcohol", "which case
# review was about a reduced timetable") is answered by a case review, but its themes are named in
# the 7-minute briefings linked to it, which match the question better than the review's own
# short text. Such a question lends each case review the match of its best linked briefing:
# LINK_WEIGHT x how far that briefing's score stands above the fifth best document's.
REVIEW_QUESTION = re.compile(
    r"\b(?:reviews?|scr|cspr|sar|lessons?\s+learn(?:ed|t)|learning\s+from)\b", re.IGNORECASE
)
LINK_WEIGHT = 0.5
LINK_REFERENCE = 5
# Passages given a cosine by FAISS (at least k*10). 100, not 50: with 50, a three-hit search
# (as the bot makes) ranked some questions differently from the ten-hit evaluation, because a
# document whose best passage had the 51st-100th cosine lost its dense score entirely.
CANDIDATES = 100
# When the conversation has not told us the audience, a question that plainly speaks of adults
# only ("elderly lady", "care home residents", "my client") or of children only ("year 10 girl",
# "toddler", "mum") is a weak hint: documents for the other audience only (not those for all)
# lose AUDIENCE_HINT_PENALTY. A soft penalty, never a filter: a hint can be wrong. "Son" and
# "daughter" name a relation, not an age ("my patient's son has taken her bank card", "her adult
# daughter"), so they are no cue either way.
ADULT_CUES = re.compile(
    r"\b(?:adults?|elderly|older\s+(?:man|woman|lady|person|people)|old\s+(?:man|lady|woman)|"
    r"care\s+home|residents?|tenants?|client'?s?|service\s+users?|dementia|supported\s+living|"
    r"care\s+act|s42|section\s+42|pension|carers?|day\s+centre|man|woman|lady)\b",
    re.IGNORECASE,
)
CHILD_CUES = re.compile(
    r"\b(?:child(?:ren)?|kids?|baby|babies|toddlers?|pupils?|students?|teens?|teenagers?|"
    r"school|nursery|year\s+\d+|yr\s+\d+|\d+\s*(?:yo|yrs?|years?)\s*olds?|\d+yo|boys?|girls?|"
    r"lads?|young\s+(?:person|people)|newborn|infant|cp\s+plan|foster(?:ed)?|"
    r"looked\s+after|mums?|mom|dads?|parents?|mother|father|step\s*-?dad)\b",
    re.IGNORECASE,
)
AUDIENCE_HINT_PENALTY = 0.15
_STEMMER = Stemmer.Stemmer("english")
_STOPWORDS = set(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "do",
        "does",
        "did",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "she",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "im",
        "ive",
        "id",
        "dont",
        "please",
        "tell",
        "about",
        "need",
        "want",
        "know",
        "get",
        "got",
        "just",
        "any",
        "some",
    ]
)
_WORD = re.compile(r"[a-z0-9]+")
# Everyday words for which the documents use another. "Kids" was in one alias only ("kids left
# on their own"), so its BM25 weight was high and any question about "the kids" was pulled to the
# home-alone briefing. The corpus and the question are both tokenised through this map. (Mapping
# "mum" and "dad" to "parent" as well was one question better on the first 259 dev questions and
# one worse on the next 30: noise, and it blurs "dad hits mum" into "parent hits parent".)
COLLOQUIAL = {"kids": "children", "kid": "child"}


class IndexError_(RuntimeError):
    """The index is missing or unusable; the message names the fix."""


def tokenize(text: str) -> list[str]:
    """Stemmed words for BM25, without stopwords and without one- and two-digit numbers: in
    questions those are ages, school years and counts ("year 10 girl", "14 yr old", "2 kids"), which
    only matched day counts and durations in the documents ("10 years", "within 15 days")."""
    words = [
        COLLOQUIAL.get(w, w)
        for w in _WORD.findall(text.lower())
        if w not in _STOPWORDS and not (w.isdigit() and len(w) <= 2)
    ]
    return _STEMMER.stemWords(words)


def audience_hint(query: str) -> str | None:
    """Which audience ("adults" or "children") the question speaks of, if only one."""
    adults, children = bool(ADULT_CUES.search(query)), bool(CHILD_CUES.search(query))
    if adults == children:
        return None
    return "adults" if adults else "children"


def expand_query(query: str, synonyms: dict[str, str], vocabulary: Vocabulary | None = None) -> str:
    """Append the long form of any acronym or field term, and the corpus spelling of any
    misspelt word ("cukooing" -> "cuckooing"), keeping the user's words first."""
    lowered = query.lower()
    extra = synonym_expansions(query, synonyms)
    if vocabulary is not None:
        extra += spelling_corrections(lowered, vocabulary)
    return f"{query} {' '.join(extra)}" if extra else query


def spelling_corrections(text: str, vocabulary: Vocabulary) -> list[str]:
    """Corpus words a typo away from a word the corpus does not contain.

    A word the corpus lacks but English has ("stuff", "lunch", "teaching") is not a typo:
    correcting it to a corpus neighbour ("staff", "cunch", "reaching") only adds noise. Whole
    words of the embedding model's WordPiece vocabulary (30,000 common English words and
    pieces) serve as that dictionary, with two gaps filled: contractions typed without their
    apostrophe ("arent" is not "parent") and simple inflections of a known word ("sores",
    "pics": the WordPiece list holds "sore" and "pic" but few plurals)."""
    if not vocabulary.words:
        return []
    known = english_words()
    fixes = []
    for word in set(_WORD.findall(text)):
        if len(word) < 4 or word in vocabulary.words or word in _STOPWORDS or word.isdigit():
            continue
        if word in known or word in CONTRACTIONS or _inflects(word, known, vocabulary.words):
            continue
        fix = vocabulary.correct(word)
        if fix:
            fixes.append(fix)
    return fixes


# Contractions as typed without the apostrophe. Most are not whole words of the WordPiece
# vocabulary (which splits "aren't" at the apostrophe), and some are one letter from a corpus
# word ("arent" -> "parent"). Words under four letters (im, ive, id, hes) are never corrected
# and need no entry.
# fmt: off
CONTRACTIONS = frozenset([
    "aint", "arent", "cant", "couldnt", "couldve", "didnt", "doesnt", "dont", "hadnt", "hasnt",
    "havent", "heres", "hows", "isnt", "itll", "lets", "mightnt", "mightve", "mustnt", "mustve",
    "neednt", "shant", "shed", "shell", "shes", "shouldnt", "shouldve", "thatll", "thats",
    "theres", "theyd", "theyll", "theyre", "theyve", "wasnt", "werent", "weve", "whats", "whatll",
    "wheres", "whos", "whove", "wont", "wouldnt", "wouldve", "youd", "youll", "youre", "youve",
])
# fmt: on
# Endings of simple inflections: "sores", "pics", "childrens", "groomed", "grooming", "quickly".
INFLECTIONS = ("s", "es", "ed", "ing", "ly")


def _inflects(word: str, *dictionaries: frozenset[str]) -> bool:
    """Whether the word, without an inflection's ending, is a word (of three letters or more) of
    one of the dictionaries. No "e" is put back ("scaring" -> "scare"): "hording" would pass as
    a form of "horde" and never become "hoarding"."""
    for ending in INFLECTIONS:
        stem = word[: -len(ending)]
        if word.endswith(ending) and len(stem) >= 3 and any(stem in d for d in dictionaries):
            return True
    return False


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Whole alphabetic words of the embedding model's vocabulary; empty if it is not installed."""
    try:
        from bot.knowledge.embed import model_dir

        lines = (model_dir() / "vocab.txt").read_text(encoding="utf-8").splitlines()
    except (ImportError, OSError):
        return frozenset()
    return frozenset(w for w in lines if w.isalpha() and w.islower())


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


# Candidates whose similarity to the typo is within NEAR_TIE of the best are equally good
# guesses; of those, the one the corpus uses most wins (SymSpell's rule), so "consern" becomes
# "concern" (126 occurrences) rather than "consent" (67), which it matches just as well.
NEAR_TIE = 0.02


@dataclass
class Vocabulary:
    """Symmetric-delete index (as in SymSpell): a typo is found by looking up the word's
    one-letter deletions, not by comparing it with every corpus word, so a query costs
    microseconds however large the corpus. `counts` (occurrences in the corpus) break ties."""

    words: frozenset[str]
    index: dict[str, list[str]]
    counts: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, words: frozenset[str] | Mapping[str, int]) -> Vocabulary:
        """From corpus words, or from corpus words and how often each occurs."""
        counts = dict(words) if isinstance(words, Mapping) else {}
        index: dict[str, list[str]] = {}
        for w in words:
            for variant in _deletes(w) | {w}:
                index.setdefault(variant, []).append(w)
        return cls(frozenset(words), index, counts)

    def correct(self, word: str) -> str | None:
        candidates = set()
        for variant in _deletes(word) | {word}:
            candidates.update(self.index.get(variant, ()))
        cutoff = 0.8 if len(word) < 7 else 0.75
        scored = [(difflib.SequenceMatcher(None, word, c).ratio(), c) for c in candidates]
        best = max((ratio for ratio, _ in scored), default=0.0)
        if best < cutoff:
            return None
        # The most frequent of the near-best; then the most similar; then alphabetical.
        return min(
            (-self.counts.get(c, 0), -ratio, c) for ratio, c in scored if ratio >= best - NEAR_TIE
        )[2]


def corpus_vocabulary(texts: list[str]) -> Counter[str]:
    """Corpus words of four letters or more, with how often each occurs: counted when the index
    is loaded (a few milliseconds), so the saved index needs no word list."""
    return Counter(w for t in texts for w in _WORD.findall(t.lower()) if len(w) >= 4)


@dataclass
class Hit:
    passage: Passage
    document: Document
    score: float  # confidence shown to the fallback logic: cosine similarity of the passage
    dense: float
    bm25: float
    rank: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "doc_id": self.document.doc_id,
            "title": self.document.display_title,
            "section": self.passage.section,
            "url": self.document.source_url,
            "score": round(self.score, 4),
        }


class Retriever:
    def __init__(
        self,
        index: faiss.Index,
        documents: dict[str, Document],
        passages: list[Passage],
        synonyms: dict[str, str] | None = None,
        manifest: dict[str, Any] | None = None,
        names: list[tuple[str, str]] | None = None,
        name_index: faiss.Index | None = None,
    ) -> None:
        self.index = index
        self.documents = documents
        self.passages = passages
        self.synonyms = synonyms or {}
        self.manifest = manifest or {}
        # (doc_id, name) pairs and their vectors, row for row.
        self.names = names or []
        self.name_index = name_index if name_index is not None else faiss.IndexFlatIP(index.d)
        self._name_vectors = (
            self.name_index.reconstruct_n(0, self.name_index.ntotal)
            if self.name_index.ntotal
            else np.zeros((0, index.d), dtype="float32")
        )
        doc_order = {doc_id: i for i, doc_id in enumerate(documents)}
        self._passage_doc = np.array([doc_order[p.doc_id] for p in passages], dtype=np.int64)
        self._name_doc = np.array([doc_order[d] for d, _ in self.names], dtype=np.int64)
        self._audience = np.array([documents[p.doc_id].audience for p in passages])
        # (document, linked document) index pairs, for review questions.
        self._links = np.array(
            [
                (doc_order[d.doc_id], doc_order[linked])
                for d in documents.values()
                for linked in d.linked
                if linked in doc_order
            ],
            dtype=np.int64,
        ).reshape(-1, 2)
        self._defines = np.array(
            [p.section.lower().startswith(DEFINITION_SECTIONS) for p in passages], dtype=bool
        )
        self._bm25 = bm25s.BM25()
        texts = [p.search_text(documents[p.doc_id]) for p in passages]
        self.vocabulary = Vocabulary.build(corpus_vocabulary(texts))
        corpus = [tokenize(t) for t in texts]
        if corpus:
            self._bm25.index(corpus, show_progress=False)

    # -- building ---------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        documents: Sequence[Document],
        encode: Callable[[list[str]], np.ndarray],
        synonyms: dict[str, str] | None = None,
        previous: Retriever | None = None,
        manifest: dict[str, Any] | None = None,
    ) -> tuple[Retriever, int]:
        """Build from documents, reusing vectors of unchanged documents from `previous`.

        Returns the retriever and how many passages had to be embedded.
        """
        reuse: dict[tuple[str, int], np.ndarray] = {}
        if previous is not None:
            stored = previous.index.reconstruct_n(0, previous.index.ntotal)
            for row, passage in enumerate(previous.passages):
                reuse[(previous.documents[passage.doc_id].content_hash, passage.position)] = stored[
                    row
                ]
        docs = {d.doc_id: d for d in documents}
        passages = [p for d in documents for p in d.passages]
        todo = [
            i
            for i, p in enumerate(passages)
            if (docs[p.doc_id].content_hash, p.position) not in reuse
        ]
        fresh = (
            encode([passages[i].search_text(docs[passages[i].doc_id]) for i in todo])
            if todo
            else None
        )
        dim = fresh.shape[1] if fresh is not None else (previous.index.d if previous else 384)
        vectors = np.zeros((len(passages), dim), dtype="float32")
        fresh_rows = dict(zip(todo, range(len(todo)), strict=True))
        for i, p in enumerate(passages):
            if i in fresh_rows:
                vectors[i] = fresh[fresh_rows[i]]  # type: ignore[index]
            else:
                vectors[i] = reuse[(docs[p.doc_id].content_hash, p.position)]
        index = faiss.IndexFlatIP(dim)
        if len(passages):
            index.add(vectors)
        names = [(d.doc_id, name) for d in documents for name in document_names(d)]
        known: dict[str, np.ndarray] = {}
        if previous is not None and previous.names:
            known = {
                name: previous._name_vectors[row] for row, (_, name) in enumerate(previous.names)
            }
        new_names = sorted({name for _, name in names} - known.keys())
        if new_names:
            known.update(zip(new_names, encode(new_names), strict=True))
        name_index = faiss.IndexFlatIP(dim)
        if names:
            name_index.add(np.stack([known[name] for _, name in names]).astype("float32"))
        if manifest is not None:
            manifest.setdefault("counts", {})["names"] = len(names)
        retriever = cls(index, docs, passages, synonyms, manifest, names, name_index)
        return retriever, len(todo)

    # -- persistence ------------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        """FAISS's own writer for vectors, JSON for everything else: never pickle."""
        directory.mkdir(parents=True, exist_ok=True)
        tmp = directory / (INDEX_FILE + ".tmp")
        faiss.write_index(self.index, str(tmp))
        tmp.replace(directory / INDEX_FILE)
        tmp = directory / (NAMES_FILE + ".tmp")
        faiss.write_index(self.name_index, str(tmp))
        tmp.replace(directory / NAMES_FILE)
        payload = {
            "documents": [d.metadata() for d in self.documents.values()],
            "passages": [
                {"doc_id": p.doc_id, "section": p.section, "text": p.text, "position": p.position}
                for p in self.passages
            ],
            "synonyms": self.synonyms,
            "names": [{"doc_id": doc_id, "name": name} for doc_id, name in self.names],
        }
        _write_json(directory / PASSAGES_FILE, payload)
        _write_json(directory / MANIFEST_FILE, self.manifest)

    @classmethod
    def load(cls, directory: Path, expected_model_hash: str | None = None) -> Retriever:
        manifest_path = directory / MANIFEST_FILE
        if not manifest_path.exists() or not (directory / INDEX_FILE).exists():
            raise IndexError_(
                f"No knowledge index at {directory}. Build it with `make index` "
                "(python -m bot ingest)."
            )
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if expected_model_hash and manifest.get("model_hash") != expected_model_hash:
            raise IndexError_(
                f"The knowledge index at {directory} was built with another embedding model "
                f"({manifest.get('model')}, weights {str(manifest.get('model_hash'))[:12]}). "
                "Rebuild it with `make index`."
            )
        payload = json.loads((directory / PASSAGES_FILE).read_text(encoding="utf-8"))
        documents = {d["doc_id"]: Document(**d) for d in payload["documents"]}
        passages = [Passage(**p) for p in payload["passages"]]
        index = faiss.read_index(str(directory / INDEX_FILE))
        if index.ntotal != len(passages):
            raise IndexError_(
                f"The knowledge index at {directory} is inconsistent "
                f"({index.ntotal} vectors, {len(passages)} passages). Rebuild it with `make index`."
            )
        if "names" not in payload or not (directory / NAMES_FILE).exists():
            raise IndexError_(
                f"The knowledge index at {directory} was built by an older version (no document "
                "names). Rebuild it with `make index`."
            )
        names = [(n["doc_id"], n["name"]) for n in payload["names"]]
        name_index = faiss.read_index(str(directory / NAMES_FILE))
        if name_index.ntotal != len(names):
            raise IndexError_(
                f"The knowledge index at {directory} is inconsistent "
                f"({name_index.ntotal} name vectors, {len(names)} names). "
                "Rebuild it with `make index`."
            )
        return cls(
            index, documents, passages, payload.get("synonyms") or {}, manifest, names, name_index
        )

    # -- searching --------------------------------------------------------------------------
    def search(
        self,
        query: str,
        encode: Callable[[list[str]], np.ndarray],
        k: int = 3,
        audience: str | None = None,
        method: Method = "hybrid",
        one_per_document: bool = True,
    ) -> list[Hit]:
        if not self.passages or not query.strip():
            return []
        expanded = expand_query(query, self.synonyms, self.vocabulary)
        allowed = np.ones(len(self.passages), dtype=bool)
        if audience in {"children", "adults"}:
            allowed = (self._audience == audience) | (self._audience == "all")
        n = len(self.passages)
        dense_scores = np.full(n, -1.0, dtype="float32")
        # Dense scores are computed for every method: the cosine is the confidence measure.
        depth = min(n, max(CANDIDATES, k * 10))
        query_vector = encode([expanded])
        if audience in {"children", "adults"}:
            # FAISS skips the other audience's passages itself, so an audience never means
            # scoring the whole corpus in Python (it did: 278 ms p95 at 100x the corpus).
            selector = faiss.IDSelectorBitmap(np.packbits(allowed, bitorder="little"))
            params = faiss.SearchParameters(sel=selector)
            scores, ids = self.index.search(query_vector, depth, params=params)
        else:
            scores, ids = self.index.search(query_vector, depth)
        for score, idx in zip(scores[0], ids[0], strict=True):
            if idx >= 0:
                dense_scores[idx] = score
        bm25_scores = np.zeros(n, dtype="float32")
        q_tokens = tokenize(expanded)
        if q_tokens and method in {"hybrid", "bm25"}:
            bm25_scores = np.asarray(self._bm25.get_scores(q_tokens), dtype="float32")
        boost = None
        link = None
        if method == "hybrid":
            boost = NAME_WEIGHT * self._name_scores(query_vector[0])[self._passage_doc]
            if DEFINITION_QUESTION.match(query):
                boost = boost + self._defines * DEFINITION_BOOST
            if len(self._links) and REVIEW_QUESTION.search(query):
                link = self._link_bonus
            hint = audience_hint(query) if audience not in {"children", "adults"} else None
            if hint:
                other = "children" if hint == "adults" else "adults"
                boost = boost - AUDIENCE_HINT_PENALTY * (self._audience == other)
        # Only the best few hundred candidates are sorted; all of them only if those hold fewer
        # than k documents.
        ranking = self._rank(
            method, dense_scores, bm25_scores, allowed, boost, limit=k * 100, link=link
        )
        hits = self._hits(ranking, dense_scores, bm25_scores, k, one_per_document)
        if len(hits) < k and len(ranking) == k * 100:
            ranking = self._rank(method, dense_scores, bm25_scores, allowed, boost, link=link)
            hits = self._hits(ranking, dense_scores, bm25_scores, k, one_per_document)
        return hits

    def _hits(
        self,
        ranking: np.ndarray,
        dense_scores: np.ndarray,
        bm25_scores: np.ndarray,
        k: int,
        one_per_document: bool,
    ) -> list[Hit]:
        hits: list[Hit] = []
        seen: set[str] = set()
        for idx in ranking:
            passage = self.passages[idx]
            if one_per_document and passage.doc_id in seen:
                continue
            seen.add(passage.doc_id)
            hits.append(
                Hit(
                    passage=passage,
                    document=self.documents[passage.doc_id],
                    score=float(max(dense_scores[idx], 0.0)),
                    dense=float(dense_scores[idx]),
                    bm25=float(bm25_scores[idx]),
                    rank=len(hits) + 1,
                )
            )
            if len(hits) >= k:
                break
        return hits

    def _name_scores(self, query_vector: np.ndarray) -> np.ndarray:
        """Per document: the best cosine of the question with any of its names (0 if none)."""
        best = np.zeros(len(self.documents), dtype="float32")
        if len(self.names):
            np.maximum.at(best, self._name_doc, self._name_vectors @ query_vector)
        return best

    def _link_bonus(self, fused: np.ndarray, allowed: np.ndarray) -> np.ndarray:
        """Per passage: LINK_WEIGHT x how far its document's best linked document stands above
        the fifth best document (0 if not at all, or if it has no links). The fifth best, not the
        median: only the best passages have a cosine (FAISS depth), so the median document's
        score would depend on how many hits were asked for."""
        docs = np.full(len(self.documents), -np.inf, dtype="float32")
        np.maximum.at(docs, self._passage_doc[allowed], fused[allowed])
        present = docs[np.isfinite(docs)]
        if not len(present):
            return np.zeros_like(fused)
        reference = np.sort(present)[-min(LINK_REFERENCE, len(present))]
        lift = np.maximum(docs - reference, 0.0)
        bonus = np.zeros(len(self.documents), dtype="float32")
        np.maximum.at(bonus, self._links[:, 0], lift[self._links[:, 1]])
        return LINK_WEIGHT * bonus[self._passage_doc]

    @staticmethod
    def _rank(
        method: Method,
        dense: np.ndarray,
        bm25: np.ndarray,
        allowed: np.ndarray,
        boost: np.ndarray | None = None,
        limit: int | None = None,
        link: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    ) -> np.ndarray:
        """Passage indices, best first: those with a score, at most `limit` of them."""
        candidates = np.flatnonzero(allowed)
        if method == "dense":
            return _top(candidates, dense, -1.0, limit)
        if method == "bm25":
            return _top(candidates, bm25, 0.0, limit)
        # Weighted sum of the cosine and BM25 scaled by the query's best BM25 score. On the
        # training split it beat reciprocal rank fusion (docs/retrieval.md), because the cosine
        # carries calibrated magnitude that rank fusion throws away.
        top_bm25 = float(bm25[candidates].max()) if len(candidates) else 0.0
        scaled = bm25 / top_bm25 if top_bm25 > 0 else np.zeros_like(bm25)
        fused = DENSE_WEIGHT * np.maximum(dense, 0.0) + (1 - DENSE_WEIGHT) * scaled
        if boost is not None:
            fused = fused + boost * (fused > 0)
        if link is not None:
            fused = fused + link(fused, allowed) * (fused > 0)
        return _top(candidates, fused, 0.0, limit)


def _top(candidates: np.ndarray, scores: np.ndarray, floor: float, limit: int | None) -> np.ndarray:
    """Candidates scoring above `floor`, best first (ties in index order), at most `limit`:
    a partial selection, then a sort of only what is kept."""
    kept = candidates[scores[candidates] > floor]
    if limit is not None and len(kept) > limit:
        # Everything tied with the limit-th score is kept, so ties break as a full sort would.
        cut = np.partition(-scores[kept], limit - 1)[limit - 1]
        kept = kept[-scores[kept] <= cut]
    order = kept[np.argsort(-scores[kept], kind="stable")]
    return order[:limit] if limit is not None else order


def document_names(doc: Document) -> list[str]:
    """Title, aliases and topics: the names a practitioner may use for the document, once each."""
    seen: dict[str, str] = {}
    for name in [doc.title, *doc.aliases, *doc.topics]:
        name = name.strip()
        if name and name.lower() not in seen:
            seen[name.lower()] = name
    return list(seen.values())


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)
