"""The gap store on a full disk: SQLite's own 'database or disk is full' error, produced by
capping the database's page count, not by a stand-in."""

from __future__ import annotations

import time

from sqlalchemy import event, func, select

from bot.gaps.hook import Gap
from bot.gaps.models import GapRecord
from bot.gaps.store import GapStore, GapWriter, migrate


def count(store: GapStore) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(GapRecord)) or 0


def test_disk_full_spools_records_and_replays_them_when_space_returns(tmp_path):
    url = f"sqlite:///{tmp_path / 'gaps.sqlite'}"
    migrate(url)
    store = GapStore(url, "secret", tmp_path / "gap-spool.jsonl")
    disk = {"full": True}

    @event.listens_for(store.engine, "connect")
    def _cap(dbapi_connection, _record):
        if disk["full"]:
            cursor = dbapi_connection.cursor()
            pages = cursor.execute("PRAGMA page_count").fetchone()[0]
            cursor.execute(f"PRAGMA max_page_count={pages}")
            cursor.close()

    store.engine.dispose()
    writer = GapWriter(store, retry_s=0.2)
    sent = 120
    for i in range(sent):
        writer(
            Gap(
                reason="no_answer",
                text=f"question {i} " + "about policy " * 40,
                conversation_id="c",
            )
        )
    writer.flush()
    assert count(store) < sent, "the cap did not fill the database"
    assert store.has_spool() and store.spool_path.read_text().count("\n") > 0

    disk["full"] = False
    store.engine.dispose()  # new connections are uncapped: space has come back
    deadline = time.monotonic() + 30
    while count(store) < sent and time.monotonic() < deadline:
        time.sleep(0.2)
    writer.close()
    assert count(store) == sent
    assert not store.has_spool()
    with store.session() as session:
        texts = session.scalars(select(GapRecord.text)).all()
    assert len(set(texts)) == sent  # each once: the replay is idempotent
