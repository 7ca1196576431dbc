"""Read side of the gap log for the trainer dashboard: filtered lists, statistics, exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select, update

from bot.gaps.models import STATUSES, DocumentUse, GapRecord
from bot.gaps.store import GapStore

PAGE_SIZE = 25


@dataclass
class GapFilter:
    search: str = ""
    reason: str = ""
    status: str = ""
    topic: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    page: int = 1
    ids: list[int] = field(default_factory=list)

    def where(self) -> list[Any]:
        clauses: list[Any] = []
        if self.search:
            like = f"%{self.search.lower()}%"
            clauses.append(
                or_(
                    func.lower(GapRecord.text).like(like),
                    func.lower(GapRecord.answer_given).like(like),
                )
            )
        if self.reason:
            clauses.append(GapRecord.reason == self.reason)
        if self.status:
            clauses.append(GapRecord.status == self.status)
        if self.topic:
            clauses.append(GapRecord.topic == self.topic)
        if self.date_from:
            clauses.append(GapRecord.created_at >= _start(self.date_from))
        if self.date_to:
            clauses.append(GapRecord.created_at < _start(self.date_to + dt.timedelta(days=1)))
        if self.ids:
            clauses.append(GapRecord.id.in_(self.ids))
        return clauses


def _start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def list_gaps(store: GapStore, f: GapFilter) -> tuple[list[GapRecord], int]:
    with store.session() as session:
        total = session.scalar(select(func.count(GapRecord.id)).where(*f.where())) or 0
        rows = session.scalars(
            select(GapRecord)
            .where(*f.where())
            .order_by(GapRecord.created_at.desc())
            .offset((max(f.page, 1) - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        ).all()
    return list(rows), int(total)


def all_gaps(store: GapStore, f: GapFilter, limit: int = 100_000) -> list[GapRecord]:
    with store.session() as session:
        return list(
            session.scalars(
                select(GapRecord)
                .where(*f.where())
                .order_by(GapRecord.created_at.desc())
                .limit(limit)
            )
        )


def set_status(store: GapStore, ids: list[int], status: str) -> int:
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    if not ids:
        return 0
    with store.session() as session, session.begin():
        result = session.execute(
            update(GapRecord).where(GapRecord.id.in_(ids)).values(status=status)
        )
        return int(result.rowcount or 0)


def facets(store: GapStore) -> dict[str, list[str]]:
    with store.session() as session:
        reasons = sorted(session.scalars(select(GapRecord.reason).distinct()))
        topics = sorted(t for t in session.scalars(select(GapRecord.topic).distinct()) if t)
    return {"reasons": reasons, "topics": topics, "statuses": list(STATUSES)}


def weekly_by_reason(store: GapStore, weeks: int = 12) -> tuple[list[str], dict[str, list[int]]]:
    """Gap counts per ISO week for the last `weeks` weeks, one series per reason."""
    today = dt.datetime.now(dt.UTC).date()
    start = today - dt.timedelta(days=today.weekday(), weeks=weeks - 1)
    labels = [(start + dt.timedelta(weeks=i)).isoformat() for i in range(weeks)]
    series: dict[str, list[int]] = {}
    with store.session() as session:
        rows = session.execute(
            select(GapRecord.created_at, GapRecord.reason).where(
                GapRecord.created_at >= _start(start)
            )
        ).all()
    for created, reason in rows:
        day = created.date() if isinstance(created, dt.datetime) else created
        index = (day - start).days // 7
        if 0 <= index < weeks:
            series.setdefault(reason, [0] * weeks)[index] += 1
    return labels, series


def negative_feedback_rate(store: GapStore, days: int = 30) -> tuple[int, int, float]:
    """Thumbs-down and "that didn't help" against answers given, over the last `days`."""
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    with store.session() as session:
        negative = (
            session.scalar(
                select(func.count(GapRecord.id)).where(
                    GapRecord.reason == "negative_feedback", GapRecord.created_at >= since
                )
            )
            or 0
        )
        answers = session.scalar(select(func.coalesce(func.sum(DocumentUse.answers), 0))) or 0
    rate = negative / answers if answers else 0.0
    return int(negative), int(answers), rate


def document_use(store: GapStore) -> dict[str, int]:
    with store.session() as session:
        return {d.doc_id: d.answers for d in session.scalars(select(DocumentUse))}


def export_csv(rows: list[GapRecord]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "id",
            "time",
            "reason",
            "status",
            "question (redacted)",
            "intent",
            "intent confidence",
            "top document",
            "score",
            "answer given",
            "channel",
        ]
    )
    for r in rows:
        writer.writerow(
            [
                r.id,
                r.created_at.isoformat(timespec="seconds"),
                r.reason,
                r.status,
                _csv_safe(r.text),
                r.intent,
                f"{r.intent_confidence:.2f}",
                r.top_document,
                f"{r.top_score:.2f}",
                _csv_safe(r.answer_given),
                r.channel,
            ]
        )
    return out.getvalue()


def _csv_safe(value: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas: neutralise them."""
    return "'" + value if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


def export_nlu_yaml(rows: list[GapRecord], intent: str) -> str:
    """Rasa 3 NLU training data, ready to paste into data/nlu/."""
    examples = []
    seen = set()
    for r in rows:
        text = " ".join(r.text.split())
        if text and text.lower() not in seen and not text.startswith("/"):
            seen.add(text.lower())
            examples.append(text)
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", intent):
        raise ValueError("intent names are lowercase letters, digits and underscores")
    lines = "".join(f"    - {yaml_escape(e)}\n" for e in examples)
    return f'version: "3.1"\nnlu:\n- intent: {intent}\n  examples: |\n{lines}'


def yaml_escape(text: str) -> str:
    # Rasa example lines are plain text inside a literal block; square brackets and braces
    # would be read as entity annotations, so placeholders like [NAME] become NAME.
    return text.replace("[", "").replace("]", "").replace("{", "(").replace("}", ")")
