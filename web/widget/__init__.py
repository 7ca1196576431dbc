"""The embeddable widget (one script tag), its configuration API, and the demo page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from flask import Blueprint, Response, current_app, jsonify, render_template

bp = Blueprint(
    "widget",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/widget-static",
)
STATIC = Path(__file__).resolve().parent / "static"


def load_branding() -> dict[str, Any]:
    settings = current_app.config["SETTINGS"]
    data = yaml.safe_load(settings.branding_file.read_text(encoding="utf-8")) or {}
    return data


@bp.get("/")
def demo() -> Any:
    return render_template("demo.html", branding=load_branding())


@bp.get("/widget.js")
def widget_js() -> Any:
    """The widget script, prefixed with the always-visible numbers from contacts.yml, so the
    widget can show them even when it cannot reach the API (offline, blocked origin, outage)."""
    contacts = current_app.config["CONTACTS"]
    safety = [
        {"name": c.name, "number": c.number, "tel": c.dial}
        for c in contacts.values()
        if c.always_show
    ]
    prefix = f"window.__sgbotSafety = {json.dumps(safety)};\n"
    body = prefix + (STATIC / "widget.js").read_text(encoding="utf-8")
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@bp.get("/api/config")
def config() -> Any:
    """Branding and the always-visible numbers, fetched by the widget at start."""
    contacts = current_app.config["CONTACTS"]
    branding = load_branding()
    return jsonify(
        {
            "name": branding.get("name", ""),
            "bot_name": branding.get("bot_name", "Guide"),
            "colours": branding.get("colours", {}),
            "logo": branding.get("logo", ""),
            "welcome": branding.get("welcome", ""),
            "suggestions": branding.get("suggestions", []),
            "quick_exit_url": branding.get("quick_exit_url", "https://www.bbc.co.uk/weather"),
            "safety_contacts": [c.card() for c in contacts.values() if c.always_show],
            "max_message_chars": current_app.config["SETTINGS"].max_message_chars,
        }
    )
