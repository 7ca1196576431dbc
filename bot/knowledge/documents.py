"""Turn the files a partnership drops into `knowledge/` into passages that answer on their own.

Markdown with front matter is the house format; PDF, DOCX and HTML are accepted because a
partnership's real briefings are mostly PDFs. Each document is split at its `##` headings (or
at paragraph groups for formats without headings) so a retrieved passage is one section.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import frontmatter
import yaml

SUPPORTED_SUFFIXES = {".md", ".markdown", ".pdf", ".docx", ".html", ".htm"}
REQUIRED_FIELDS = ("title", "type", "audience", "source_url", "review_by")
DOC_TYPES = {"briefing", "lessons-learned", "case-review", "procedure", "contact", "definition"}
AUDIENCES = {"children", "adults", "all"}
# Target passage size in words: long enough to answer, short enough to read on a phone.
MAX_PASSAGE_WORDS = 220


class DocumentError(ValueError):
    """A file that cannot be turned into a document; ingest reports it by name and goes on."""


@dataclass
class Passage:
    doc_id: str
    section: str
    text: str
    position: int

    def search_text(self, doc: Document) -> str:
        """What is embedded and indexed: the section with its document's title and aliases."""
        aliases = ", ".join(doc.aliases)
        head = f"{doc.title} ({aliases})" if aliases else doc.title
        return f"{head}. {self.section}. {self.text}"


@dataclass
class Document:
    doc_id: str
    path: str
    title: str
    type: str
    audience: str
    source_url: str
    review_by: str
    series: str = ""
    topics: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    # Documents this one is about (a case review's linked 7-minute briefings), by doc_id.
    linked: list[str] = field(default_factory=list)
    # The Rasa intents this document answers first (bot/knowledge/answer.py): a question the NLU
    # files under lado_allegation is answered from the LADO procedure when that scores well.
    intents: list[str] = field(default_factory=list)
    content_hash: str = ""
    passages: list[Passage] = field(default_factory=list)

    @property
    def display_title(self) -> str:
        return f"{self.series} – {self.title}" if self.series else self.title

    def is_past_review(self, today: dt.date | None = None) -> bool:
        try:
            due = dt.date.fromisoformat(self.review_by)
        except ValueError:
            return True
        return due < (today or dt.date.today())

    def metadata(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("passages")
        return data


def doc_id_for(path: Path, root: Path) -> str:
    return path.relative_to(root).with_suffix("").as_posix()


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_document(path: Path, root: Path) -> Document:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(f"unsupported file type {suffix!r}")
    raw = path.read_bytes()
    if not raw.strip():
        raise DocumentError("file is empty")
    if suffix in {".md", ".markdown"}:
        meta, sections = _read_markdown(raw)
    elif suffix == ".pdf":
        meta, sections = _read_pdf(path)
    elif suffix == ".docx":
        meta, sections = _read_docx(path)
    else:
        meta, sections = _read_html(raw)
    doc = _make_document(path, root, meta, raw)
    position = 0
    for heading, body in sections:
        for chunk in _split_long(body):
            if len(chunk.split()) < 5:
                continue
            doc.passages.append(Passage(doc.doc_id, heading or doc.title, chunk, position))
            position += 1
    if not doc.passages:
        raise DocumentError("no readable text found")
    return doc


def _make_document(path: Path, root: Path, meta: dict[str, Any], raw: bytes) -> Document:
    """Markdown must carry full front matter; other formats get sensible defaults, because
    a partnership's PDFs have a title at best and should still be searchable."""
    is_markdown = path.suffix.lower() in {".md", ".markdown"}
    if is_markdown:
        missing = [name for name in REQUIRED_FIELDS if not meta.get(name)]
        if missing:
            raise DocumentError(f"front matter is missing {', '.join(missing)}")
    title = str(meta.get("title") or path.stem.replace("-", " ").replace("_", " ").capitalize())
    doc_type = str(meta.get("type") or "briefing")
    audience = str(meta.get("audience") or "all")
    if doc_type not in DOC_TYPES:
        raise DocumentError(f"type {doc_type!r} is not one of {sorted(DOC_TYPES)}")
    if audience not in AUDIENCES:
        raise DocumentError(f"audience {audience!r} is not one of {sorted(AUDIENCES)}")
    review_by = meta.get("review_by") or ""
    if isinstance(review_by, dt.date):
        review_by = review_by.isoformat()
    return Document(
        doc_id=doc_id_for(path, root),
        path=path.relative_to(root).as_posix(),
        title=title.strip(),
        type=doc_type,
        audience=audience,
        source_url=str(meta.get("source_url") or ""),
        review_by=str(review_by),
        series=str(meta.get("series") or ""),
        topics=_names(meta, "topics"),
        aliases=_names(meta, "aliases"),
        linked=_names(meta, "linked"),
        intents=_names(meta, "intents"),
        content_hash=hashlib.sha256(raw).hexdigest(),
    )


def _names(meta: dict[str, Any], key: str) -> list[str]:
    """A front-matter list of names; one name on its own is taken as a list of one, so a
    writer's `aliases: LADO` works, and anything else is named as the problem."""
    value = meta.get(key)
    if value is None or value == "":
        return []
    if isinstance(value, str | int | float):
        value = [value]
    if not isinstance(value, list) or any(isinstance(v, dict | list) for v in value):
        raise DocumentError(f"front matter {key!r} must be a list of names")
    return [str(v) for v in value]


def _read_markdown(raw: bytes) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError("not valid UTF-8 text") from exc
    if "\x00" in text:
        raise DocumentError("contains binary data")
    try:
        post = frontmatter.loads(text)
    except (yaml.YAMLError, ValueError) as exc:
        raise DocumentError(f"front matter is not valid YAML: {exc}") from exc
    if not isinstance(post.metadata, dict):
        raise DocumentError("front matter is not a mapping")
    return dict(post.metadata), _split_markdown(post.content)


def _split_markdown(body: str) -> list[tuple[str, str]]:
    sections: list[tuple[str, str]] = []
    heading, lines = "", []
    for line in body.splitlines():
        match = re.match(r"^#{1,3}\s+(.*)$", line)
        if match:
            if "\n".join(lines).strip():
                sections.append((heading, _clean_markdown("\n".join(lines))))
            heading, lines = match.group(1).strip(), []
        else:
            lines.append(line)
    if "\n".join(lines).strip():
        sections.append((heading, _clean_markdown("\n".join(lines))))
    return sections


def _clean_markdown(text: str) -> str:
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    text = re.sub(r"(?<!\w)[*_](.+?)[*_](?!\w)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"\1 (\2)", text)
    text = re.sub(r"^\s*[-*+]\s+", "• ", text, flags=re.MULTILINE)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _split_long(text: str) -> list[str]:
    """Split an over-long section at paragraph boundaries so no passage is a wall of text."""
    words = text.split()
    if len(words) <= MAX_PASSAGE_WORDS:
        return [text]
    chunks, current = [], []
    for para in re.split(r"\n\s*\n", text):
        if current and len(" ".join(current).split()) + len(para.split()) > MAX_PASSAGE_WORDS:
            chunks.append("\n\n".join(current))
            current = []
        current.append(para.strip())
    if current:
        chunks.append("\n\n".join(current))
    # A single huge paragraph (typical of PDF text) is cut by words.
    result: list[str] = []
    for chunk in chunks:
        chunk_words = chunk.split()
        for start in range(0, len(chunk_words), MAX_PASSAGE_WORDS):
            result.append(" ".join(chunk_words[start : start + MAX_PASSAGE_WORDS]))
        if len(chunk_words) <= MAX_PASSAGE_WORDS:
            result[-1] = chunk
    return result


def _paragraph_sections(paragraphs: list[str], title: str) -> list[tuple[str, str]]:
    """Formats without reliable headings: treat short title-like lines as headings."""
    sections: list[tuple[str, str]] = []
    heading, body = title, []
    for para in paragraphs:
        para = para.strip()
        if not para:
            continue
        looks_like_heading = len(para.split()) <= 8 and not para.endswith((".", ":", ";", ","))
        if looks_like_heading and body:
            sections.append((heading, "\n\n".join(body)))
            heading, body = para, []
        elif looks_like_heading and not body:
            heading = para
        else:
            body.append(para)
    if body:
        sections.append((heading, "\n\n".join(body)))
    return sections


def _read_pdf(path: Path) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise DocumentError("PDF is encrypted")
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata or {}
        title = str(info.get("/Title") or "").strip()
    except DocumentError:
        raise
    except (PyPdfError, ValueError, TypeError, KeyError, OSError, AttributeError) as exc:
        raise DocumentError(f"unreadable PDF: {exc}") from exc
    text = "\n\n".join(pages)
    paragraphs = [p.replace("\n", " ") for p in re.split(r"\n\s*\n", text)]
    if len(paragraphs) <= 1:
        paragraphs = text.splitlines()
    if not title:
        title = next((p.strip() for p in paragraphs if p.strip()), "")[:120]
    return {"title": title}, _paragraph_sections(paragraphs, title)


def _read_docx(path: Path) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    import zipfile

    import docx

    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise DocumentError(f"unreadable DOCX: {exc}") from exc
    except Exception as exc:  # python-docx raises its own PackageNotFoundError and lxml errors
        raise DocumentError(f"unreadable DOCX: {exc}") from exc
    title = (document.core_properties.title or "").strip()
    sections: list[tuple[str, str]] = []
    heading, body = title, []
    for para in document.paragraphs:
        text = para.text.strip()
        if not text:
            continue
        style = (para.style.name if para.style is not None else "") or ""
        if style.startswith("Title") and not title:
            title = heading = text
        elif style.startswith("Heading"):
            if body:
                sections.append((heading, "\n\n".join(body)))
            heading, body = text, []
        else:
            body.append(text)
    if body:
        sections.append((heading, "\n\n".join(body)))
    return {"title": title}, sections


def _read_html(raw: bytes) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    from bs4 import BeautifulSoup

    if b"\x00" in raw:
        raise DocumentError("contains binary data")
    soup = BeautifulSoup(raw, "html.parser")
    for tag in soup(["script", "style", "nav", "footer", "header", "noscript"]):
        tag.decompose()
    title = ""
    if soup.title and soup.title.string:
        title = soup.title.string.strip()
    h1 = soup.find("h1")
    if not title and h1:
        title = h1.get_text(" ", strip=True)
    sections: list[tuple[str, str]] = []
    heading, body = title, []
    for el in soup.find_all(["h1", "h2", "h3", "p", "li"]):
        text = el.get_text(" ", strip=True)
        if not text:
            continue
        if el.name in {"h2", "h3"}:
            if body:
                sections.append((heading, "\n\n".join(body)))
            heading, body = text, []
        elif el.name == "li":
            body.append(f"• {text}")
        elif el.name == "p":
            body.append(text)
    if body:
        sections.append((heading, "\n\n".join(body)))
    meta: dict[str, Any] = {"title": title}
    for name in ("audience", "type", "source_url", "review_by"):
        tag = soup.find("meta", attrs={"name": name})
        if tag and tag.get("content"):
            meta[name] = tag["content"]
    return meta, sections
