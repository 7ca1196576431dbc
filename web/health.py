"""`GET /healthz`: each dependency's state, so an operator (and `make run`) can see what's up."""

from __future__ import annotations

import json
from typing import Any

import requests
from flask import Blueprint, current_app, jsonify

bp = Blueprint("health", __name__)


def _action_server(url: str) -> bool:
    base = url.rsplit("/webhook", 1)[0]
    try:
        return requests.get(f"{base}/health", timeout=2.0).status_code == 200
    except requests.RequestException:
        return False


def _index(settings: Any) -> dict[str, Any]:
    manifest = settings.index_dir / "manifest.json"
    if not manifest.exists():
        return {"ok": False, "detail": "no index: run `make index`"}
    data = json.loads(manifest.read_text(encoding="utf-8"))
    return {"ok": True, "built_at": data.get("built_at"), **data.get("counts", {})}


@bp.get("/healthz")
def healthz() -> Any:
    settings = current_app.config["SETTINGS"]
    rasa = current_app.extensions["rasa_client"].healthy()
    checks = {
        "web": {"ok": True},
        "rasa": {"ok": all(rasa.values()), "servers": rasa},
        "action_server": {"ok": _action_server(settings.action_server_url)},
        "knowledge_index": _index(settings),
        "contacts": {"ok": bool(current_app.config["CONTACTS"])},
    }
    ok = all(c["ok"] for c in checks.values())
    return jsonify({"ok": ok, "checks": checks}), 200 if ok else 503
