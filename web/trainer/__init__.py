"""Trainer dashboard at /trainer: the questions the bot could not answer, redacted, grouped and
exportable as training data. Everything here needs a login; every form carries a CSRF token."""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy.orm import undefer

from bot import resources
from bot.gaps import queries
from bot.gaps.accounts import authenticate
from bot.gaps.cluster import cluster_vectors, signature
from bot.gaps.models import STATUSES, GapRecord, SuggestionDecision
from bot.gaps.vectors import gap_vectors
from bot.knowledge import shared
from web.trainer import charts

bp = Blueprint(
    "trainer",
    __name__,
    url_prefix="/trainer",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
ROOT = Path(__file__).resolve().parents[2]
OPEN_STATUSES = ("new", "to-train", "to-write-content")
MAX_GROUPS_PARSED = 30


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not session.get("trainer"):
            return redirect(url_for("trainer.login", next=request.path))
        return view(*args, **kwargs)

    return wrapped


@bp.after_request
def no_framing(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    return response


def store():  # type: ignore[no-untyped-def]
    return resources.get_gap_store()


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = ""
    if request.method == "POST":
        username = request.form.get("username", "")[:80]
        ok, error = authenticate(store(), username, request.form.get("password", "")[:200])
        if ok:
            session.clear()
            session["trainer"] = username
            session.permanent = True
            target = request.args.get("next", "")
            if not target.startswith("/trainer") or target.startswith("//"):
                target = url_for("trainer.overview")
            return redirect(target)
    return render_template("trainer/login.html", error=error), (401 if error else 200)


@bp.post("/logout")
@login_required
def logout() -> Any:
    session.clear()
    return redirect(url_for("trainer.login"))


def parse_filter(args: Any) -> queries.GapFilter:
    def day(name: str) -> dt.date | None:
        try:
            return dt.date.fromisoformat(args.get(name, ""))
        except ValueError:
            return None

    try:
        page = max(1, int(args.get("page", 1)))
    except ValueError:
        page = 1
    return queries.GapFilter(
        search=args.get("q", "")[:200],
        reason=args.get("reason", ""),
        status=args.get("status", ""),
        topic=args.get("topic", ""),
        date_from=day("from"),
        date_to=day("to"),
        page=page,
    )


@bp.get("/")
@login_required
def overview() -> Any:
    labels, series = queries.weekly_by_reason(store())
    negative, answers, rate = queries.negative_feedback_rate(store())
    groups = gap_clusters(OPEN_STATUSES, days=90)
    top = [(g["representative"], g["size"]) for g in groups[:8]]
    return render_template(
        "trainer/overview.html",
        weekly=charts.stacked_bars(labels, series, "Gaps per week by reason"),
        top_clusters=charts.horizontal_bars(top, "Largest groups of unanswered questions"),
        negative=negative,
        answers=answers,
        rate=rate,
        suggestions=suggestions(groups),
        health=knowledge_health(),
    )


@bp.get("/gaps")
@login_required
def gaps() -> Any:
    f = parse_filter(request.args)
    rows, total = queries.list_gaps(store(), f)
    pages = max(1, -(-total // queries.PAGE_SIZE))
    return render_template(
        "trainer/gaps.html",
        rows=rows,
        total=total,
        f=f,
        pages=pages,
        facets=queries.facets(store()),
        intents=intent_names(),
        args=request.args,
    )


@bp.post("/gaps/action")
@login_required
def gaps_action() -> Any:
    ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()]
    action = request.form.get("action", "")
    if action == "status":
        status = request.form.get("status", "")
        if status not in STATUSES:
            abort(400)
        changed = queries.set_status(store(), ids, status)
        flash(f"{changed} question(s) marked {status}.")
        return redirect(request.form.get("back") or url_for("trainer.gaps"))
    rows = queries.all_gaps(store(), queries.GapFilter(ids=ids)) if ids else []
    if action == "csv":
        return Response(
            queries.export_csv(rows),
            mimetype="text/csv",
            headers={"Content-Disposition": "attachment; filename=gaps.csv"},
        )
    if action == "nlu":
        intent = request.form.get("intent", "")
        if intent not in intent_names():
            abort(400)
        return Response(
            queries.export_nlu_yaml(rows, intent),
            mimetype="text/yaml",
            headers={"Content-Disposition": f"attachment; filename=nlu-{intent}.yml"},
        )
    abort(400)


@bp.get("/clusters")
@login_required
def clusters() -> Any:
    return render_template(
        "trainer/clusters.html",
        groups=gap_clusters(OPEN_STATUSES, days=90),
        intents=intent_names(),
        statuses=STATUSES,
    )


@bp.post("/suggestions")
@login_required
def decide_suggestion() -> Any:
    decision = request.form.get("decision")
    if decision not in {"accept", "reject"}:
        abort(400)
    ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()]
    sig = request.form.get("signature", "")[:64]
    queries.set_status(store(), ids, "to-train" if decision == "accept" else "not-relevant")
    with store().session() as db, db.begin():
        if not db.query(SuggestionDecision).filter_by(signature=sig).first():
            db.add(
                SuggestionDecision(
                    signature=sig,
                    decision=decision,
                    label=request.form.get("label", "")[:200],
                    decided_by=session.get("trainer", ""),
                )
            )
    flash(f"Suggestion {decision}ed.")
    return redirect(url_for("trainer.overview"))


# -- helpers --------------------------------------------------------------------------------
def intent_names() -> list[str]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return sorted(domain.get("intents") or [])


def gap_clusters(statuses: tuple[str, ...], days: int, limit: int = 5000) -> list[dict[str, Any]]:
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    with store().session() as db:
        rows = (
            db.query(GapRecord)
            .options(undefer(GapRecord.vector))
            .filter(
                GapRecord.status.in_(statuses), GapRecord.created_at >= since, GapRecord.text != ""
            )
            .order_by(GapRecord.created_at.desc())
            .limit(limit)
            .all()
        )
    if not rows:
        return []
    vectors = gap_vectors(store(), rows, resources.encode, shared.model_tag())
    retriever = resources.get_retriever()
    rasa = current_app.extensions["rasa_client"]
    groups = []
    for rank, c in enumerate(cluster_vectors(vectors)):
        members = [rows[i] for i in c.members]
        rep = rows[c.representative].text
        # The live model's reading of the group's representative question: the intent a
        # trainer would extend. Only for the largest groups, to bound the page's cost.
        intent, intent_sim = rasa.parse(rep) if rank < MAX_GROUPS_PARSED else ("", 0.0)
        # The closest document, searched with the representative's stored vector (embedding
        # every group's question again cost as much as the rest of the page).
        encode = shared.with_known(rep, vectors[c.representative], resources.encode)
        hits = retriever.search(rep, encode, k=1)
        groups.append(
            {
                "size": c.size,
                "representative": rep,
                "members": members,
                "ids": [m.id for m in members],
                "intent": intent,
                "intent_sim": intent_sim,
                "document": hits[0].document.display_title if hits else "",
                "doc_score": hits[0].score if hits else 0.0,
                "signature": signature([rep]),
                "recent": sum(
                    1
                    for m in members
                    if _aware(m.created_at) >= dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
                ),
            }
        )
    return groups


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def suggestions(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    size = int(os.environ.get("CLUSTER_SUGGEST_SIZE", "5"))
    with store().session() as db:
        decided = {d.signature for d in db.query(SuggestionDecision).all()}
    return [g for g in groups if g["recent"] >= size and g["signature"] not in decided]


def knowledge_health() -> dict[str, Any]:
    retriever = resources.get_retriever()
    use = queries.document_use(store())
    today = dt.date.today()
    docs = sorted(retriever.documents.values(), key=lambda d: d.title)
    with store().session() as db:
        low = (
            db.query(GapRecord)
            .filter(GapRecord.reason == "low_confidence")
            .order_by(GapRecord.created_at.desc())
            .limit(10)
            .all()
        )
    return {
        "past_review": [d for d in docs if d.is_past_review(today)],
        "never_retrieved": [d for d in docs if not use.get(d.doc_id)],
        "low_confidence": low,
        "documents": len(docs),
    }
