"""The message every failure shows: the user still sees 999 and the Front Door."""

from __future__ import annotations

from typing import Any

from flask import current_app

from bot import contacts


def safety_message(lead: str) -> dict[str, Any]:
    return contacts.safety_message(current_app.config["CONTACTS"], lead)
