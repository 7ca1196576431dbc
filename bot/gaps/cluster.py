"""Group similar gap questions with the same sentence embeddings as retrieval, so trainers see
"12 practitioners asked about X" instead of 12 rows.

Greedy leader clustering on normalised vectors: each question, in input order, joins the most
similar existing cluster centre at or above `threshold`, or starts a new one; a centre is the
normalised sum of its members. The work is O(n x clusters), which grows towards O(n^2) when most
questions are unlike each other, so it is done in blocks: one matrix product gives a block's
similarities to every centre as it stood at the start of the block, and only the centres that
moved or were created within the block are recomputed, question by question. The result is the
same as the one-question-at-a-time loop (tests/bot/test_cluster.py checks it against one); the
cost moves from a matrix-vector product per question into BLAS. Measured by `make bench`
(docs/performance.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

THRESHOLD = 0.60
BLOCK = 256


@dataclass
class Cluster:
    members: list[int] = field(default_factory=list)  # indexes into the input
    centre: np.ndarray | None = None
    representative: int = -1

    @property
    def size(self) -> int:
        return len(self.members)


def cluster_vectors(
    vectors: np.ndarray, threshold: float = THRESHOLD, block: int = BLOCK
) -> list[Cluster]:
    vectors = np.asarray(vectors, dtype="float32")
    if vectors.ndim != 2 or not len(vectors):
        return []
    n, dim = vectors.shape
    capacity = 64
    centres = np.zeros((capacity, dim), dtype="float32")
    sums = np.zeros((capacity, dim), dtype="float32")
    members: list[list[int]] = []
    for start in range(0, n, block):
        chunk = vectors[start : start + block]
        k0 = len(members)  # centres that existed when the block started
        before = chunk @ centres[:k0].T if k0 else None
        moved: list[int] = []  # of those, the ones that have moved since
        moved_set: set[int] = set()
        for j in range(len(chunk)):
            vector = chunk[j]
            k = len(members)
            best, best_sim = -1, -np.inf
            if before is not None:
                sims = before[j]
                if moved:
                    sims = sims.copy()
                    sims[moved] = centres[moved] @ vector
                best = int(np.argmax(sims))
                best_sim = float(sims[best])
            if k > k0:  # centres created within this block
                fresh = centres[k0:k] @ vector
                top = int(np.argmax(fresh))
                if fresh[top] > best_sim:  # ties go to the older centre, as argmax would
                    best, best_sim = k0 + top, float(fresh[top])
            if best >= 0 and best_sim >= threshold:
                members[best].append(start + j)
                sums[best] += vector
                centres[best] = sums[best] / (np.linalg.norm(sums[best]) + 1e-12)
                if best < k0 and best not in moved_set:
                    moved_set.add(best)
                    moved.append(best)
                continue
            if k == capacity:  # grow by doubling: amortised O(1) per new cluster
                capacity *= 2
                centres = np.resize(centres, (capacity, dim))
                sums = np.resize(sums, (capacity, dim))
            members.append([start + j])
            centres[k] = vector
            sums[k] = vector
    clusters = []
    for k, m in enumerate(members):
        centre = centres[k].copy()
        rep = m[int(np.argmax(vectors[m] @ centre))]
        clusters.append(Cluster(members=m, centre=centre, representative=rep))
    clusters.sort(key=lambda c: c.size, reverse=True)
    return clusters


def signature(texts: Sequence[str]) -> str:
    """Stable id for a cluster's decision: its representative question."""
    return hashlib.sha256(" ".join(sorted(texts)[:1]).lower().encode()).hexdigest()
