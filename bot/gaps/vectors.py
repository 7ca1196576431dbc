"""The sentence vectors of gap questions for the trainer dashboard's groups, embedded once each.

The dashboard groups up to 5,000 recent gaps by meaning (bot/gaps/cluster.py). Embedding them all
on every load of the overview or the groups page cost ~3.5 ms a question on this 2-core machine:
about 1.5 s for 400 gaps and 17 s for 5,000, on a web worker the chat also needs. Each gap's
vector is now kept with its record the first time a page needs it, tagged with the model that
made it, and re-made only if the model changes. Stored as float16 (768 bytes); every vector the
dashboard uses goes through that rounding, so the groups do not depend on what was stored
before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np
from sqlalchemy import bindparam, update
from sqlalchemy.exc import SQLAlchemyError

from bot.gaps.models import GapRecord
from bot.gaps.store import GapStore

DTYPE = "<f2"
log = logging.getLogger(__name__)


def gap_vectors(
    store: GapStore,
    rows: Sequence[GapRecord],
    encode: Callable[[list[str]], np.ndarray],
    model_tag: str,
) -> np.ndarray:
    """One normalised vector per row, in order. `rows` must have been loaded with their
    `vector` (`undefer`); those without one from this model are embedded now and stored."""
    dim = 0
    vectors: list[np.ndarray | None] = []
    for row in rows:
        vector = None
        if row.vector_model == model_tag and row.vector:
            vector = np.frombuffer(row.vector, dtype=DTYPE).astype(np.float32)
            dim = dim or vector.shape[0]
            if vector.shape[0] != dim:
                vector = None
        vectors.append(vector)
    missing = [i for i, v in enumerate(vectors) if v is None]
    if missing:
        fresh = encode([rows[i].text for i in missing])
        packed = [np.asarray(v, dtype=np.float32).astype(DTYPE) for v in fresh]
        table = GapRecord.__table__
        # updated_at stays as it was: storing a vector is not a change a trainer made.
        statement = (
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(vector=bindparam("packed"), vector_model=model_tag)
            .values(updated_at=table.c.updated_at)
        )
        params = [
            {"row_id": rows[i].id, "packed": v.tobytes()}
            for i, v in zip(missing, packed, strict=True)
        ]
        try:
            with store.session() as session, session.begin():
                session.execute(statement, params)
        except SQLAlchemyError as exc:  # a cache: the page still shows, and tries again next time
            log.warning("gap vectors not stored (%s)", type(exc).__name__)
        for i, v in zip(missing, packed, strict=True):
            vectors[i] = v.astype(np.float32)
    matrix = np.vstack(vectors) if vectors else np.zeros((0, 0), dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)
