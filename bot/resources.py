"""Expensive things (model, index, contacts, flows) created once per process, on first use.

Like flaskr's `get_db`: the Flask app and the action server both call these accessors, so the
embedding model and FAISS index are loaded once and never read per request.
"""

from __future__ import annotations

import fcntl
import threading
from functools import lru_cache

import numpy as np

from bot.contacts import Contact, load_contacts
from bot.flows.model import Flow, FlowError, load_flows, validate_flows
from bot.gaps.hook import register_sink, unregister_sink
from bot.gaps.store import GapStore, GapWriter, database_url, migrate
from bot.knowledge import embed
from bot.knowledge.search import Retriever
from bot.settings import app_secret, get_settings

_lock = threading.Lock()


@lru_cache(maxsize=1)
def get_retriever() -> Retriever:
    settings = get_settings()
    with _lock:
        return Retriever.load(settings.index_dir, expected_model_hash=embed.model_fingerprint())


@lru_cache(maxsize=1)
def get_contacts() -> dict[str, Contact]:
    return load_contacts(get_settings().contacts_file)


def encode(texts: list[str]) -> np.ndarray:
    """Questions are embedded one at a time on EMBED_THREADS threads (1): on this 2-core
    machine two threads per question fought each other and Rasa under load (docs/performance.md)."""
    return embed.encode(texts, threads=get_settings().embed_threads)


@lru_cache(maxsize=1)
def get_flows() -> dict[str, Flow]:
    """Flows are checked against the contacts when first loaded: a bad edit fails loudly."""
    flows = load_flows(get_settings().flows_dir)
    problems = validate_flows(flows, get_contacts())
    if problems:
        raise FlowError("; ".join(problems))
    return flows


@lru_cache(maxsize=1)
def get_gap_store() -> GapStore:
    settings = get_settings()
    url = database_url(settings.var_dir, settings.database_url)
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    # Web app and action server start together: one migrates, the other waits for it.
    with (settings.var_dir / "migrate.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        migrate(url)
    return GapStore(url, app_secret(settings), settings.var_dir / "gap-spool.jsonl")


_writer: GapWriter | None = None


def start_gap_writer() -> GapWriter:
    """Register the gap store as the sink for bot.gaps.hook (once per process)."""
    global _writer
    store = get_gap_store()
    if _writer is None or _writer.store is not store:
        if _writer is not None:  # the store was replaced (tests, reconfiguration)
            unregister_sink(_writer)
            _writer.close()
        _writer = GapWriter(store)
        register_sink(_writer)
        # Gaps are redacted on the caller's thread; load the redaction model now, off the
        # request path (under load the first thumbs-downs waited seconds for it).
        threading.Thread(target=_warm_redaction, name="warm-redaction", daemon=True).start()
    return _writer


def _warm_redaction() -> None:
    from bot.gaps.redact import redact

    redact("warm up")
