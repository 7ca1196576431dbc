"""Group similar gap questions with the same sentence embeddings as retrieval, so trainers see
"12 practitioners asked about X" instead of 12 rows.

Greedy leader clustering on normalised vectors: each question joins the most similar existing
cluster centre above `threshold`, or starts a new one. One pass, O(n x clusters), fast enough
for the dashboard on tens of thousands of gaps (measured by `make bench`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

THRESHOLD = 0.60


@dataclass
class Cluster:
    members: list[int] = field(default_factory=list)  # indexes into the input
    centre: np.ndarray | None = None
    representative: int = -1

    @property
    def size(self) -> int:
        return len(self.members)


def cluster_vectors(vectors: np.ndarray, threshold: float = THRESHOLD) -> list[Cluster]:
    vectors = np.asarray(vectors, dtype="float32")
    n, dim = vectors.shape if vectors.ndim == 2 else (0, 384)
    capacity = 64
    centres = np.zeros((capacity, dim), dtype="float32")
    sums = np.zeros((capacity, dim), dtype="float32")
    clusters: list[Cluster] = []
    for i in range(n):
        vector = vectors[i]
        k = len(clusters)
        if k:
            sims = centres[:k] @ vector
            best = int(np.argmax(sims))
            if sims[best] >= threshold:
                clusters[best].members.append(i)
                sums[best] += vector
                centres[best] = sums[best] / (np.linalg.norm(sums[best]) + 1e-12)
                continue
        if k == capacity:  # grow by doubling: amortised O(1) per new cluster
            capacity *= 2
            centres = np.resize(centres, (capacity, dim))
            sums = np.resize(sums, (capacity, dim))
        clusters.append(Cluster(members=[i]))
        centres[k] = vector
        sums[k] = vector
    for k, c in enumerate(clusters):
        c.centre = centres[k].copy()
        c.representative = c.members[int(np.argmax(vectors[c.members] @ centres[k]))]
    clusters.sort(key=lambda c: c.size, reverse=True)
    return clusters


def signature(texts: Sequence[str]) -> str:
    """Stable id for a cluster's decision: its representative question."""
    return hashlib.sha256(" ".join(sorted(texts)[:1]).lower().encode()).hexdigest()
