"""Trainer accounts: hashed passwords, and a lockout after repeated failures so the dashboard
cannot be brute-forced."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from bot.gaps.models import Trainer, utcnow
from bot.gaps.store import GapStore

MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)


class AccountError(ValueError):
    pass


def create_trainer(store: GapStore, username: str, password: str) -> None:
    if not re.fullmatch(r"[A-Za-z0-9._@-]{3,80}", username):
        raise AccountError("username: 3-80 letters, digits or . _ @ -")
    if len(password) < 12:
        raise AccountError("password must be at least 12 characters")
    with store.session() as session, session.begin():
        if session.scalar(select(Trainer).where(Trainer.username == username)):
            raise AccountError(f"trainer {username!r} already exists")
        session.add(
            Trainer(
                username=username, password_hash=generate_password_hash(password, method="scrypt")
            )
        )


def authenticate(store: GapStore, username: str, password: str) -> tuple[bool, str]:
    """(ok, message). Unknown user and wrong password say the same thing."""
    with store.session() as session, session.begin():
        trainer = session.scalar(select(Trainer).where(Trainer.username == username))
        if trainer is None:
            check_password_hash(generate_password_hash("x", method="scrypt"), password)
            return False, "Wrong username or password."
        now = utcnow()
        locked = trainer.locked_until
        if locked is not None and locked.tzinfo is None:
            locked = locked.replace(tzinfo=dt.UTC)
        if locked and locked > now:
            return False, "Too many failed attempts. Try again in 15 minutes."
        if not check_password_hash(trainer.password_hash, password):
            trainer.failed_logins += 1
            if trainer.failed_logins >= MAX_FAILURES:
                trainer.locked_until = now + LOCKOUT
                trainer.failed_logins = 0
            return False, "Wrong username or password."
        trainer.failed_logins = 0
        trainer.locked_until = None
        return True, ""
