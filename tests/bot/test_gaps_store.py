from __future__ import annotations

import multiprocessing
import sqlite3
import time

import numpy as np
import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import sessionmaker

from bot.gaps.hook import Answered, Gap
from bot.gaps.models import DocumentUse, GapRecord
from bot.gaps.queries import GapFilter, all_gaps, export_csv, export_nlu_yaml, set_status
from bot.gaps.store import GapStore, GapWriter, hash_conversation, migrate


@pytest.fixture
def store(tmp_path):
    url = f"sqlite:///{tmp_path / 'gaps.sqlite'}"
    migrate(url)
    return GapStore(url, "test-secret", tmp_path / "spool.jsonl")


def count(store) -> int:
    with store.session() as s:
        return s.scalar(select(func.count(GapRecord.id)))


def test_gap_is_redacted_and_conversation_hashed_before_it_is_written(store):
    writer = GapWriter(store)
    writer(
        Gap(
            reason="weak_retrieval",
            conversation_id="conv-1",
            text="Kayleigh Jones at 14 Hollybush Lane, phone 07700 900461, what about ferrets",
            answer_given="Call Mr Kowalski on 07700 900123",
        )
    )
    writer.flush()
    with store.session() as s:
        row = s.scalars(select(GapRecord)).one()
    assert "Kayleigh" not in row.text and "07700" not in row.text and "Hollybush" not in row.text
    assert "[NAME]" in row.text and "[PHONE]" in row.text and "ferrets" in row.text
    assert "Kowalski" not in row.answer_given
    assert row.conversation_hash == hash_conversation("test-secret", "conv-1")
    assert "conv-1" not in row.conversation_hash
    writer.close()


def test_locked_database_spools_and_nothing_is_lost(store, tmp_path):
    writer = GapWriter(store, retry_s=0.2)
    lock = sqlite3.connect(tmp_path / "gaps.sqlite", timeout=1)
    lock.execute("BEGIN EXCLUSIVE")
    # A short busy timeout makes the lock fail fast, as a stuck writer's would.
    store.engine = create_engine(store.url, connect_args={"timeout": 0.2})
    store.sessions = sessionmaker(store.engine, expire_on_commit=False)
    for i in range(5):
        writer(Gap(reason="out_of_scope", text=f"question {i}", conversation_id="c"))
    writer.flush()
    assert store.has_spool()
    lock.rollback()
    lock.close()
    writer(Gap(reason="out_of_scope", text="question 5", conversation_id="c"))
    writer.flush()
    assert count(store) == 6
    assert not store.has_spool()
    writer.close()


def _write_many(url: str, spool: str, n: int, tag: str) -> None:
    from pathlib import Path

    s = GapStore(url, "k", Path(spool))
    w = GapWriter(s)
    for i in range(n):
        w(Gap(reason="out_of_scope", text=f"{tag} {i}", conversation_id=tag))
    w.flush()
    w.close()


def test_two_processes_writing_at_once_lose_nothing(store, tmp_path):
    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(
            target=_write_many, args=(store.url, str(tmp_path / f"s{i}.jsonl"), 100, f"p{i}")
        )
        for i in range(2)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert count(store) == 200


def _spool_many(url: str, spool: str, n: int, tag: str) -> None:
    from pathlib import Path

    s = GapStore(url, "k", Path(spool))
    for i in range(n):
        s.spool([s.prepare(Gap(reason="out_of_scope", text=f"{tag} {i}", conversation_id=tag))])


def test_processes_sharing_one_spool_while_another_replays_lose_nothing(store):
    """Web and action processes on one host share the spool file; a replay running while
    others append must neither lose nor duplicate a record."""
    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(target=_spool_many, args=(store.url, str(store.spool_path), 150, f"s{i}"))
        for i in range(3)
    ]
    for p in procs:
        p.start()
    replayed = 0
    while any(p.is_alive() for p in procs):
        replayed += store.replay_spool()
    for p in procs:
        p.join(120)
    replayed += store.replay_spool()
    assert replayed == 450
    assert count(store) == 450
    assert not store.has_spool()


def uses(store) -> dict[str, int]:
    with store.session() as s:
        return {d.doc_id: d.answers for d in s.scalars(select(DocumentUse))}


def test_answer_counts_are_added_up_and_written_with_the_next_gap_or_when_due(store):
    writer = GapWriter(store, count_every_s=3600)
    for doc in ("a/one", "a/one", "b/two"):
        writer(Answered(doc, 0.7))
    writer(Gap(reason="weak_retrieval", text="what about ferrets", conversation_id="c"))
    writer._queue.join()  # the gap is written; the counts go with it, not one write each
    assert uses(store) == {"a/one": 2, "b/two": 1}
    assert count(store) == 1

    writer(Answered("a/one", 0.7))
    writer._queue.join()
    assert uses(store) == {"a/one": 2, "b/two": 1}  # held: no gap yet, not due for an hour
    writer.close()  # a clean exit writes what is held
    assert uses(store) == {"a/one": 3, "b/two": 1}

    due = GapWriter(store, count_every_s=0.2)
    due(Answered("b/two", 0.7))
    for _ in range(100):
        if uses(store)["b/two"] == 2:
            break
        time.sleep(0.05)
    assert uses(store)["b/two"] == 2  # written when due, with no flush and no gap
    due.close()


def test_document_use_counts_and_exports(store):
    writer = GapWriter(store)
    for _ in range(3):
        writer(Answered("exploitation/cuckooing", 0.6))
    writer(
        Gap(reason="weak_retrieval", text="=HYPERLINK(bad) what is a [thing]", conversation_id="c")
    )
    writer.flush()
    with store.session() as s:
        assert s.get(DocumentUse, "exploitation/cuckooing").answers == 3
    rows = all_gaps(store, GapFilter())
    assert "'=HYPERLINK" in export_csv(rows)  # spreadsheet formula neutralised
    yml = export_nlu_yaml(rows, "ask_knowledge")
    assert yml.startswith('version: "3.1"\nnlu:\n- intent: ask_knowledge\n  examples: |\n')
    assert "[" not in yml.split("examples: |")[1]
    assert set_status(store, [r.id for r in rows], "to-train") == 1
    with pytest.raises(ValueError):
        set_status(store, [1], "bogus")
    writer.close()


def test_purge_removes_only_old_records(store):
    import datetime as dt

    with store.session() as s, s.begin():
        s.add(
            GapRecord(
                reason="out_of_scope",
                text="old",
                record_key="a",
                created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=400),
            )
        )
        s.add(GapRecord(reason="out_of_scope", text="new", record_key="b"))
    assert store.purge(365) == 1
    assert count(store) == 1


def test_gap_vectors_are_embedded_once_and_kept_with_the_record(store):
    """The dashboard groups gaps by their vectors: each text is embedded the first time and
    read back after, re-embedded only for another model; storing one is not a trainer's
    change (updated_at is kept)."""
    from sqlalchemy.orm import undefer

    from bot import resources
    from bot.gaps.vectors import gap_vectors

    writer = GapWriter(store)
    for text in ["who do I call out of hours", "what is cuckooing", "ferret bites"]:
        writer(Gap(reason="weak_retrieval", conversation_id="c", text=text))
    writer.flush()
    embedded: list[str] = []

    def encode(texts):
        embedded.extend(texts)
        return resources.encode(texts)

    def rows():
        with store.session() as s:
            return s.scalars(
                select(GapRecord).options(undefer(GapRecord.vector)).order_by(GapRecord.id)
            ).all()

    before = [r.updated_at for r in rows()]
    first = gap_vectors(store, rows(), encode, "model-a")
    assert len(embedded) == 3 and first.shape == (3, 384)
    np.testing.assert_allclose(first, resources.encode([r.text for r in rows()]), atol=2e-3)
    again = gap_vectors(store, rows(), encode, "model-a")
    assert len(embedded) == 3, "stored vectors must be read back, not embedded again"
    np.testing.assert_array_equal(again, first)
    assert [r.updated_at for r in rows()] == before
    gap_vectors(store, rows(), encode, "model-b")
    assert len(embedded) == 6 and {r.vector_model for r in rows()} == {"model-b"}


def test_gap_vectors_still_come_back_when_the_database_is_locked(store, tmp_path):
    """Storing vectors is a cache: a locked database costs the next page load, not this one."""
    from sqlalchemy.orm import undefer

    from bot import resources
    from bot.gaps.vectors import gap_vectors

    writer = GapWriter(store)
    writer(Gap(reason="weak_retrieval", conversation_id="c", text="who do I call out of hours"))
    writer.flush()
    with store.session() as s:
        rows = s.scalars(select(GapRecord).options(undefer(GapRecord.vector))).all()
    lock = sqlite3.connect(tmp_path / "gaps.sqlite", timeout=1)
    lock.execute("BEGIN EXCLUSIVE")
    store.engine = create_engine(store.url, connect_args={"timeout": 0.2})
    store.sessions = sessionmaker(store.engine, expire_on_commit=False)
    try:
        vectors = gap_vectors(store, rows, resources.encode, "model-a")
    finally:
        lock.rollback()
        lock.close()
    assert vectors.shape == (1, 384)
    with store.session() as s:
        assert s.scalars(select(GapRecord.vector_model)).one() is None


def test_an_answer_from_no_one_document_is_not_counted():
    # The list of case reviews answers from no document: no empty row in the health panel.
    from bot.gaps import hook

    seen: list = []
    hook.register_sink(seen.append)
    try:
        hook.record_answer("", 1.0)
        hook.record_answer("case-reviews/jack", 0.6)
    finally:
        hook.clear_sinks()
    assert [a.doc_id for a in seen] == ["case-reviews/jack"]
