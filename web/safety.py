"""The message every failure shows: the user still sees 999 and the Front Door."""

from __future__ import annotations

from typing import Any

from flask import current_app


def safety_message(lead: str) -> dict[str, Any]:
    contacts = current_app.config["CONTACTS"]
    shown = [c for c in contacts.values() if c.always_show]
    lines = " ".join(f"{c.name}: {c.number}." for c in shown)
    return {
        "text": f"{lead} If anyone is in immediate danger, call 999. {lines}".strip(),
        "buttons": [],
        "sources": [],
        "contacts": [c.card() for c in shown],
        "copy": False,
    }
