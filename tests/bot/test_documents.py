from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge.documents import DocumentError, load_document
from bot.knowledge.ingest import load_documents

ROOT = Path(__file__).resolve().parents[2]
GOOD = """---
title: Test topic
type: briefing
audience: children
source_url: https://example.org/x
review_by: 2020-01-01
---
## What it is
Test topic means something practitioners need to know about in their daily work.
## What to do
For the test topic, speak to your designated safeguarding lead the same day.
"""


def test_markdown_is_split_into_self_contained_sections(tmp_path):
    path = tmp_path / "topic.md"
    path.write_text(GOOD)
    doc = load_document(path, tmp_path)
    assert doc.doc_id == "topic"
    assert [p.section for p in doc.passages] == ["What it is", "What to do"]
    assert doc.is_past_review()


def test_a_single_name_in_front_matter_is_a_list_of_one(tmp_path):
    path = tmp_path / "topic.md"
    path.write_text(
        GOOD.replace("review_by:", "aliases: LADO\nintents: lado_allegation\nreview_by:")
    )
    doc = load_document(path, tmp_path)
    assert (doc.aliases, doc.intents) == (["LADO"], ["lado_allegation"])


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.md", b"", "empty"),
        ("nofront.md", b"## Heading\nsome text here that is long enough", "missing"),
        ("binary.md", b"\x00\x01\x02garbage", "UTF-8|binary"),
        ("bad.pdf", b"%PDF-1.4 not really a pdf", "PDF"),
        ("bad.docx", b"PK\x03\x04 not really a docx", "DOCX"),
        ("notes.txt", b"plain text", "unsupported"),
        (
            "mapping.md",
            GOOD.replace("review_by:", "intents: {lado: yes}\nreview_by:").encode(),
            "'intents' must be a list of names",
        ),
    ],
)
def test_bad_files_raise_a_named_reason(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DocumentError, match=reason):
        load_document(path, tmp_path)


def test_one_bad_file_never_stops_the_rest(tmp_path):
    (tmp_path / "good.md").write_text(GOOD)
    (tmp_path / "bad.pdf").write_bytes(b"%PDF broken")
    (tmp_path / "page.html").write_text(
        "<html><head><title>Hoarding</title></head><body><h2>What it is</h2>"
        "<p>Hoarding means keeping a very large number of things in a way that harms health.</p>"
        "<script>alert(1)</script></body></html>"
    )
    docs, skipped = load_documents(tmp_path)
    assert sorted(d.doc_id for d in docs) == ["good", "page"]
    assert [name for name, _ in skipped] == ["bad.pdf"]
    page = next(d for d in docs if d.doc_id == "page")
    assert page.title == "Hoarding"
    assert "alert" not in page.passages[0].text


def test_docx_headings_become_sections(tmp_path):
    import docx

    document = docx.Document()
    document.core_properties.title = "Dogs and children"
    document.add_heading("What to look for", level=2)
    document.add_paragraph("Dogs and children: look for a dog that is unsupervised near a baby.")
    document.save(tmp_path / "dogs.docx")
    doc = load_document(tmp_path / "dogs.docx", tmp_path)
    assert doc.title == "Dogs and children"
    assert doc.passages[0].section == "What to look for"


def test_every_shipped_document_loads_with_full_front_matter():
    docs, skipped = load_documents(ROOT / "knowledge")
    assert skipped == []
    assert len(docs) >= 60
    for doc in docs:
        assert doc.source_url.startswith("http"), doc.doc_id
        assert doc.passages, doc.doc_id
