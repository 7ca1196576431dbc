"""Property-based tests of the partnership's data: flow YAML and knowledge documents.

A partnership edits these files by hand, so whatever they contain, loading either succeeds or
fails with the module's own error naming the problem (FlowError, DocumentError): never a stray
TypeError that stops the action server or the ingest without saying which file is wrong."""

from __future__ import annotations

import copy
import io
import zipfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli import domain_slots
from bot.flows.model import FlowError, load_flow, validate_flows
from bot.knowledge.documents import DocumentError, load_document
from bot.knowledge.ingest import load_documents

ROOT = Path(__file__).resolve().parents[2]
FLOW_FILES = sorted((ROOT / "knowledge" / "flows").glob("*.yml"))
REAL_FLOWS = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in FLOW_FILES}
DOMAIN_SLOTS = domain_slots(ROOT / "domain.yml")
PROPS = settings(
    max_examples=80,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# -- flows -----------------------------------------------------------------------------------

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False), st.text(max_size=8)
)
any_values = st.recursive(
    scalars,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
    max_leaves=6,
)


def paths(node, prefix=()):
    """Every place in a nested structure: (path to the container, key or index)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (prefix, key)
            yield from paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield (prefix, i)
            yield from paths(value, (*prefix, i))


def at(node, path):
    for key in path:
        node = node[key]
    return node


@st.composite
def mutated_flows(draw):
    name = draw(st.sampled_from(sorted(REAL_FLOWS)))
    data = copy.deepcopy(REAL_FLOWS[name])
    for _ in range(draw(st.integers(1, 3))):
        places = list(paths(data))
        if not places:
            break
        container_path, key = draw(st.sampled_from(places))
        container = at(data, container_path)
        operation = draw(
            st.sampled_from(["delete", "replace", "dangling", "unknown_contact", "wrap"])
        )
        if operation == "delete":
            del container[key]
        elif operation == "replace":
            container[key] = draw(any_values)
        elif operation == "dangling":
            # A reference to something that is not there: slot, option, ending or step.
            container[key] = draw(st.sampled_from(["no_such_slot", "no_such_option", "nowhere"]))
        elif operation == "unknown_contact":
            container[key] = ["no_such_contact"]
        else:
            container[key] = {"wrapped": container[key]}
    return name, data


@pytest.fixture(scope="module")
def shipped_contacts():
    from bot import resources

    return resources.get_contacts()


@PROPS
@given(flow=mutated_flows())
def test_mutated_flows_are_accepted_or_refused_with_a_flow_error(tmp_path, shipped_contacts, flow):
    name, data = flow
    path = tmp_path / f"{name}.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    try:
        loaded = load_flow(path)
    except FlowError as exc:
        assert str(exc).startswith(f"{name}.yml: "), exc
        return
    problems = validate_flows({loaded.id: loaded}, shipped_contacts, DOMAIN_SLOTS)
    assert isinstance(problems, list) and all(isinstance(p, str) for p in problems)


@PROPS
@given(raw=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_bytes_as_a_flow_file_is_a_flow_error_at_worst(tmp_path, shipped_contacts, raw):
    path = tmp_path / "random.yml"
    path.write_bytes(raw)
    try:
        loaded = load_flow(path)
    except FlowError:
        return
    validate_flows({loaded.id: loaded}, shipped_contacts, DOMAIN_SLOTS)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(questions=7), "questions"),
        (lambda d: d["questions"][0].update(options={"a": 1, "b": 2}), "options of question #1"),
        (lambda d: d["questions"][1].update(options=3), "options of question #2"),
        (lambda d: d["endings"].update(danger=None), "ending danger"),
        (lambda d: d["questions"][0]["options"][0].update(synonyms=5), "synonyms"),
        (lambda d: d.update(endings=["danger"]), "endings"),
        (lambda d: d.update(outcomes=[{"when": "always"}]), "outcome"),
        (lambda d: d.update(outcomes="none"), "outcomes"),
        (lambda d: d.update(category_contacts=["lado"]), "category_contacts"),
    ],
)
def test_wrong_shapes_are_named(tmp_path, change, message):
    data = copy.deepcopy(REAL_FLOWS["referral"])
    change(data)
    path = tmp_path / "referral.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(FlowError, match=message):
        load_flow(path)


def test_a_flow_file_that_is_not_utf8_is_a_flow_error(tmp_path):
    path = tmp_path / "latin.yml"
    path.write_bytes("id: caf\xe9\n".encode("latin-1"))
    with pytest.raises(FlowError, match=r"latin\.yml: cannot read"):
        load_flow(path)


# -- documents -------------------------------------------------------------------------------

GOOD_MD = (ROOT / "tests" / "bot" / "test_documents.py").read_text(encoding="utf-8")
GOOD_MD = GOOD_MD.split('GOOD = """', 1)[1].split('"""', 1)[0]


def real_docx() -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.title = "Dogs and children"
    document.add_heading("What to look for", level=2)
    document.add_paragraph("Dogs and children: look for a dog that is unsupervised near a baby.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def real_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Title": "Blank briefing"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


REAL = {
    ".md": GOOD_MD.encode(),
    ".html": b"<html><head><title>Hoarding</title></head><body><h2>What it is</h2>"
    b"<p>Hoarding means keeping a very large number of things in a way that harms health.</p>"
    b"</body></html>",
    ".docx": real_docx(),
    ".pdf": real_pdf(),
}


@st.composite
def damaged_files(draw):
    """Random bytes, or a real file of the type cut short, overwritten or spliced."""
    suffix = draw(st.sampled_from(sorted(REAL)))
    original = REAL[suffix]
    kind = draw(st.sampled_from(["random", "truncated", "corrupted", "prefixed"]))
    if kind == "random":
        data = draw(st.binary(max_size=2000))
    elif kind == "truncated":
        data = original[: draw(st.integers(0, len(original)))]
    elif kind == "corrupted":
        data = bytearray(original)
        for _ in range(draw(st.integers(1, 20))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        data = bytes(data)
    else:
        data = original[:16] + draw(st.binary(max_size=200)) + original[16:]
    return suffix, data


@PROPS
@given(file=damaged_files())
def test_damaged_or_random_files_load_or_raise_document_error(tmp_path, file):
    suffix, data = file
    path = tmp_path / f"doc{suffix}"
    path.write_bytes(data)
    try:
        doc = load_document(path, tmp_path)
    except DocumentError as exc:
        assert str(exc)
        return
    assert doc.passages and all(len(p.text.split()) >= 5 for p in doc.passages)


def test_docx_zip_without_a_document_is_a_document_error(tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
    (tmp_path / "empty.docx").write_bytes(out.getvalue())
    with pytest.raises(DocumentError, match="DOCX"):
        load_document(tmp_path / "empty.docx", tmp_path)


@settings(max_examples=15, deadline=None, database=None)
@given(
    bad=st.lists(damaged_files(), min_size=1, max_size=4),
)
def test_reading_a_folder_reports_each_bad_file_by_name_and_keeps_the_good(tmp_path_factory, bad):
    root = tmp_path_factory.mktemp("knowledge")
    (root / "good.md").write_bytes(REAL[".md"])
    (root / "good.html").write_bytes(REAL[".html"])
    names = []
    for i, (suffix, data) in enumerate(bad):
        name = f"bad-{i}{suffix}"
        (root / name).write_bytes(data)
        names.append(name)
    docs, skipped = load_documents(root)
    loaded = {d.path for d in docs}
    assert {"good.md", "good.html"} <= loaded
    skipped_names = [name for name, _ in skipped]
    # Every file is either read or reported by name with a reason; none vanishes.
    assert sorted(loaded | set(skipped_names)) == sorted({"good.md", "good.html", *names})
    assert all(reason for _, reason in skipped)


def test_real_ingest_skips_bad_files_by_name_and_indexes_the_rest(tmp_path):
    """One end-to-end ingest with the real embedding model (slow, so not per example)."""
    from bot.knowledge.ingest import ingest
    from bot.knowledge.search import Retriever

    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "good.md").write_bytes(REAL[".md"])
    (knowledge / "hoarding.html").write_bytes(REAL[".html"])
    (knowledge / "random.pdf").write_bytes(bytes(range(256)) * 4)
    (knowledge / "truncated.docx").write_bytes(REAL[".docx"][:300])
    (knowledge / "binary.md").write_bytes(b"\x00\xff\xfe" * 50)
    (knowledge / "garbage.html").write_bytes(b"\x00<html>\xff")
    report = ingest(knowledge, tmp_path / "index", full=True)
    assert report.documents == 2
    assert sorted(name for name, _ in report.skipped) == [
        "binary.md",
        "garbage.html",
        "random.pdf",
        "truncated.docx",
    ]
    summary = report.summary()
    for name in ("binary.md", "garbage.html", "random.pdf", "truncated.docx"):
        assert f"SKIPPED {name}: " in summary
    retriever = Retriever.load(tmp_path / "index")
    assert {p.doc_id for p in retriever.passages} == {"good", "hoarding"}
