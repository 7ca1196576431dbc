"""Trainer-dashboard clustering (bot/gaps/cluster.py) on hand-made vectors: what is grouped,
what is kept apart, and that the blocked implementation gives what the plain greedy loop gives."""

from __future__ import annotations

import numpy as np
import pytest

from bot.gaps.cluster import THRESHOLD, cluster_vectors, signature

DIM = 384


def unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype("float32")


def topics(rng: np.random.Generator, n_topics: int, per_topic: int, spread: float) -> np.ndarray:
    """per_topic noisy copies of n_topics random directions, shuffled."""
    centres = unit(rng.normal(size=(n_topics, DIM)))
    rows = np.repeat(centres, per_topic, axis=0)
    noisy = unit(rows + rng.normal(scale=spread / np.sqrt(DIM), size=rows.shape))
    return noisy[rng.permutation(len(noisy))]


def reference(vectors: np.ndarray, threshold: float = THRESHOLD) -> list[list[int]]:
    """The greedy leader clustering one question at a time, as first written."""
    centres: list[np.ndarray] = []
    sums: list[np.ndarray] = []
    members: list[list[int]] = []
    for i, v in enumerate(vectors):
        if centres:
            sims = np.stack(centres) @ v
            best = int(np.argmax(sims))
            if sims[best] >= threshold:
                members[best].append(i)
                sums[best] = sums[best] + v
                centres[best] = sums[best] / np.linalg.norm(sums[best])
                continue
        members.append([i])
        centres.append(v.copy())
        sums.append(v.copy())
    return sorted(members, key=len, reverse=True)


def test_empty_and_single_record():
    assert cluster_vectors(np.zeros((0, DIM), dtype="float32")) == []
    assert cluster_vectors(np.array([])) == []
    v = unit(np.random.default_rng(0).normal(size=(1, DIM)))
    [only] = cluster_vectors(v)
    assert only.members == [0] and only.representative == 0 and only.size == 1
    assert np.allclose(only.centre, v[0])


def test_near_duplicates_are_grouped_and_distinct_questions_kept_apart():
    rng = np.random.default_rng(1)
    base = unit(rng.normal(size=(3, DIM)))  # three unrelated questions (cosine ~0)
    near = unit(base[0] + rng.normal(scale=0.2 / np.sqrt(DIM), size=(4, DIM)))
    vectors = np.concatenate([near[:2], base[1:2], near[2:], base[2:3]])
    clusters = cluster_vectors(vectors)
    assert [sorted(c.members) for c in clusters] == [[0, 1, 3, 4], [2], [5]]
    assert clusters[0].representative in {0, 1, 3, 4}
    assert np.isclose(np.linalg.norm(clusters[0].centre), 1.0, atol=1e-5)


def test_threshold_is_inclusive_and_configurable():
    a = np.zeros(DIM, dtype="float32")
    a[0] = 1.0
    b = np.zeros(DIM, dtype="float32")
    b[0], b[1] = 0.7, np.sqrt(1 - 0.49)  # cosine 0.7 with a
    pair = np.stack([a, b])
    assert len(cluster_vectors(pair, threshold=0.69)) == 1
    assert len(cluster_vectors(pair, threshold=0.71)) == 2


def test_representative_is_the_member_closest_to_the_centre():
    rng = np.random.default_rng(2)
    centre = unit(rng.normal(size=DIM))
    close = unit(centre + rng.normal(scale=0.1 / np.sqrt(DIM), size=DIM))
    far = unit(centre + rng.normal(scale=0.8 / np.sqrt(DIM), size=(2, DIM)))
    [cluster] = cluster_vectors(np.stack([far[0], close, far[1]]))
    assert cluster.representative == 1


@pytest.mark.parametrize(
    ("n_topics", "per_topic", "spread", "block"),
    [
        (20, 30, 0.8, 7),
        (40, 25, 0.9, 256),
        (300, 2, 0.8, 64),  # mostly unlike each other: many clusters, many created per block
    ],
)
def test_blocked_clustering_gives_the_one_at_a_time_result(n_topics, per_topic, spread, block):
    vectors = topics(np.random.default_rng(n_topics), n_topics, per_topic, spread)
    got = [c.members for c in cluster_vectors(vectors, block=block)]
    assert got == reference(vectors)
    assert 1 < len(got) < len(vectors)  # some grouped, some kept apart: decisions were made
    assert sorted(i for m in got for i in m) == list(range(len(vectors)))


def test_deterministic_and_largest_first():
    vectors = topics(np.random.default_rng(3), 10, 12, 0.5)
    first = cluster_vectors(vectors)
    second = cluster_vectors(vectors.copy())
    assert [c.members for c in first] == [c.members for c in second]
    sizes = [c.size for c in first]
    assert sizes == sorted(sizes, reverse=True)
    assert 8 <= len(first) <= 14  # about one group per topic


def test_signature_depends_on_text_not_case():
    assert signature(["Who is the LADO?"]) == signature(["who is the lado?"])
    assert signature(["who is the lado?"]) != signature(["what is the lado?"])
