"""Contacts are data (`knowledge/contacts.yml`): answers, walkthroughs, the widget and every
error message take numbers from here and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REQUIRED = ("id", "name", "number", "hours", "when", "source_url")
AUDIENCES = ("children", "adults", "all")


class ContactsError(ValueError):
    pass


@dataclass(frozen=True)
class Contact:
    id: str
    name: str
    number: str
    hours: str
    when: str
    source_url: str
    confirmed: bool = True
    always_show: bool = False
    option: str = ""
    note: str = ""
    # Whom the service is for: "children", "adults" or "all". A practitioner asking about an
    # adult is not sent to children's services first (actions/contacts.py).
    audience: str = "all"

    @property
    def dial(self) -> str:
        return self.number.replace(" ", "")

    def line(self) -> str:
        option = f", option {self.option}" if self.option else ""
        return f"{self.name}: {self.number}{option} ({self.hours})"

    def card(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "number": self.number,
            "tel": self.dial,
            "option": self.option,
            "hours": self.hours,
            "when": self.when,
            "note": self.note,
            "source_url": self.source_url,
        }


def load_contacts(path: Path) -> dict[str, Contact]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ContactsError(f"{path}: cannot read contacts: {exc}") from exc
    contacts: dict[str, Contact] = {}
    for i, item in enumerate(data.get("contacts") or []):
        missing = [k for k in REQUIRED if not item.get(k)]
        if missing:
            raise ContactsError(f"{path}: contact #{i + 1} is missing {', '.join(missing)}")
        known = {k: v for k, v in item.items() if k in Contact.__dataclass_fields__}
        if known.get("audience", "all") not in AUDIENCES:
            raise ContactsError(
                f"{path}: contact {item['id']!r} has audience {known['audience']!r}; "
                f"use one of {', '.join(AUDIENCES)}"
            )
        contact = Contact(
            **{
                k: (str(v) if k not in {"confirmed", "always_show"} else bool(v))
                for k, v in known.items()
            }
        )
        contacts[contact.id] = contact
    for required in ("emergency", "front_door"):
        if required not in contacts:
            raise ContactsError(f"{path}: a contact with id {required!r} is required")
    return contacts


def safety_message(contacts: dict[str, Contact], lead: str) -> dict[str, Any]:
    """The message every failure shows, in the chat API's shape: whatever is broken, the user
    still sees 999 and the numbers marked `always_show` (the Front Door)."""
    shown = [c for c in contacts.values() if c.always_show]
    lines = " ".join(f"{c.name}: {c.number}." for c in shown)
    return {
        "text": f"{lead} If anyone is in immediate danger, call 999. {lines}".strip(),
        "buttons": [],
        "sources": [],
        "contacts": [c.card() for c in shown],
        "copy": False,
    }
