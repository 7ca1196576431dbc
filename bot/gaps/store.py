"""Write gaps (redacted) to the database without ever slowing or breaking the chat, and
without losing one when the database is busy, locked or down.

A gap is redacted first, then queued; a background thread writes the queue. If a write fails
the record (already redacted) goes to an append-only spool file beside the database and is
replayed, idempotently (each record has a unique key), when the store answers again.
SQLite runs in WAL mode with a busy timeout so several processes can write at once;
PostgreSQL is used when DATABASE_URL says so.
"""

from __future__ import annotations

import atexit
import datetime as dt
import fcntl
import hashlib
import hmac
import json
import logging
import os
import queue
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, delete, event, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.gaps.hook import Answered, Gap
from bot.gaps.models import DocumentUse, GapRecord
from bot.gaps.redact import redact
from bot.metrics import GAP_STORE_FAILURES

log = logging.getLogger(__name__)


def database_url(var_dir: Path, configured: str = "") -> str:
    return configured or f"sqlite:///{var_dir / 'gaps.sqlite'}"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def migrate(url: str) -> None:
    """Bring the schema up to date with Alembic (migrations/)."""
    from alembic import command
    from alembic.config import Config

    root = Path(__file__).resolve().parents[2]
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")


def hash_conversation(secret: str, conversation_id: str) -> str:
    return hmac.new(secret.encode(), conversation_id.encode(), hashlib.sha256).hexdigest()


def topic_of(doc_id: str) -> str:
    return doc_id.split("/", 1)[0] if doc_id else ""


class GapStore:
    def __init__(self, url: str, secret: str, spool_path: Path) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.secret = secret
        self.spool_path = spool_path
        self._spool_lock = threading.Lock()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions() as session:
            yield session

    # -- writing -----------------------------------------------------------------------------
    def prepare(self, gap: Gap) -> dict[str, Any]:
        """Redact and hash: the only form in which a gap ever leaves memory."""
        return {
            "record_key": uuid.uuid4().hex,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "reason": gap.reason,
            "text": redact(gap.text)[:2000],
            "intent": gap.intent[:64],
            "intent_confidence": float(gap.intent_confidence),
            "top_document": gap.top_document[:200],
            "top_score": float(gap.top_score),
            "answer_given": redact(gap.answer_given)[:2000],
            "conversation_hash": hash_conversation(self.secret, gap.conversation_id),
            "channel": gap.channel[:32],
            "page": str(gap.extra.get("page", ""))[:300],
            "topic": topic_of(gap.top_document),
        }

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Insert rows, skipping any whose key is already stored (replays are idempotent)."""
        if not rows:
            return
        uses = [r for r in rows if r.get("kind") == "answer"]
        rows = [r for r in rows if r.get("kind") != "answer"]
        with self.session() as session, session.begin():
            for use in uses:
                count = int(use.get("count", 1))
                # Increment in SQL so two writers never lose a count.
                bumped = session.execute(
                    update(DocumentUse)
                    .where(DocumentUse.doc_id == use["doc_id"])
                    .values(
                        answers=DocumentUse.answers + count,
                        last_answered_at=dt.datetime.now(dt.UTC),
                    )
                )
                if not bumped.rowcount:
                    session.add(DocumentUse(doc_id=use["doc_id"], answers=count))
            keys = [r["record_key"] for r in rows]
            existing = set(
                session.scalars(select(GapRecord.record_key).where(GapRecord.record_key.in_(keys)))
            )
            for row in rows:
                if row["record_key"] in existing:
                    continue
                data = dict(row)
                data["created_at"] = dt.datetime.fromisoformat(data["created_at"])
                session.add(GapRecord(**data))

    def spool(self, rows: list[dict[str, Any]]) -> None:
        """Append to the spool under an exclusive file lock: every web and action process on
        the host shares one spool file, and a replay in another process must never read it
        half-written nor miss what is appended while it replays."""
        with self._spool_lock:
            self.spool_path.parent.mkdir(parents=True, exist_ok=True)
            with self.spool_path.open("a", encoding="utf-8") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                fh.write("".join(json.dumps(row) + "\n" for row in rows))
                fh.flush()
                os.fsync(fh.fileno())

    def has_spool(self) -> bool:
        try:
            return self.spool_path.stat().st_size > 0
        except FileNotFoundError:
            return False

    def replay_spool(self) -> int:
        """Write spooled records, then empty the spool, all under its lock. If the write fails
        the spool is left as it was; a replay interrupted after the write is harmless because
        every record key is written once."""
        if not self.has_spool():
            return 0
        with self._spool_lock, self.spool_path.open("r+", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            rows = []
            for line in fh.read().splitlines():
                try:
                    rows.append(json.loads(line))
                except ValueError:
                    log.warning("gap spool: skipped an unreadable line")
            self.write(rows)
            fh.seek(0)
            fh.truncate()
            fh.flush()
            os.fsync(fh.fileno())
        return len(rows)

    # -- retention ---------------------------------------------------------------------------
    def purge(self, older_than_days: int) -> int:
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=older_than_days)
        with self.session() as session, session.begin():
            result = session.execute(delete(GapRecord).where(GapRecord.created_at < cutoff))
            return int(result.rowcount or 0)


_STOP = object()
_TICK = object()
_FLUSH = object()
_WAKE = object()


class GapWriter:
    """The sink registered with bot.gaps.hook: redacts on the caller's thread (so nothing
    unredacted is ever queued), writes on a background thread, spools when the store fails
    and replays the spool on the next successful write or every `retry_s` seconds.

    Gap records are written as soon as they arrive. Answer counts (which documents were
    given, for the dashboard's knowledge health) are added up on the caller's thread and
    written with the next gap, or `count_every_s` seconds after the first one: a database write
    per answer cost ~0.9 ms of CPU on the writer thread, and waking that thread for each answer
    took the GIL from the answer being sent. A process killed outright loses at most those
    seconds of counts, never a gap record."""

    def __init__(self, store: GapStore, retry_s: float = 5.0, count_every_s: float = 5.0) -> None:
        self.store = store
        self.retry_s = retry_s
        self.count_every_s = count_every_s
        self._queue: queue.Queue[Any] = queue.Queue()
        self._backlog: list[dict[str, Any]] = []
        self._counts: Counter[str] = Counter()
        self._counts_lock = threading.Lock()
        self._counts_due: float | None = None  # monotonic time the held counts are written by
        self._thread = threading.Thread(target=self._run, name="gap-writer", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def __call__(self, event: Gap | Answered) -> None:
        if isinstance(event, Answered):
            with self._counts_lock:
                self._counts[event.doc_id[:200]] += 1
                first = self._counts_due is None
                if first:
                    self._counts_due = time.monotonic() + self.count_every_s
            if first:  # the writer then waits no longer than the counts are due
                self._queue.put(_WAKE)
        else:
            self._queue.put(self.store.prepare(event))

    def _wait_s(self) -> float:
        due = self._counts_due
        if due is None:
            return self.retry_s
        return max(0.0, min(self.retry_s, due - time.monotonic()))

    def _take_counts(self) -> list[dict[str, Any]]:
        with self._counts_lock:
            rows = [{"kind": "answer", "doc_id": d, "count": n} for d, n in self._counts.items()]
            self._counts.clear()
            self._counts_due = None
        return rows

    def _run(self) -> None:
        while True:
            try:
                items = [self._queue.get(timeout=self._wait_s())]
            except queue.Empty:
                items = [_TICK]
            while True:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            rows = [i for i in items if isinstance(i, dict)]
            forced = any(i is _STOP or i is _FLUSH for i in items)
            due = self._counts_due
            if rows or forced or (due is not None and time.monotonic() >= due):
                rows += self._take_counts()
            if rows or items == [_TICK]:
                self._write(rows)
            for item in items:
                if item is not _TICK:
                    self._queue.task_done()
            if any(i is _STOP for i in items):
                return

    def _write(self, rows: list[dict[str, Any]]) -> None:
        rows, self._backlog = self._backlog + rows, []
        try:
            if self.store.has_spool():
                self.store.replay_spool()
            self.store.write(rows)
        except (SQLAlchemyError, OSError) as exc:
            if not rows:
                return
            GAP_STORE_FAILURES.inc()
            log.warning(
                "gap store unavailable (%s); %d record(s) kept for retry",
                type(exc).__name__,
                len(rows),
            )
            try:
                self.store.spool(rows)
            except OSError:
                self._backlog = rows  # disk full too: hold them in memory and retry

    def flush(self) -> None:
        """Block until everything queued so far, answer counts included, has been written or
        spooled."""
        self._queue.put(_FLUSH)
        self._queue.join()

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout=30)
