"""Prometheus metrics shared by the web app and the action server (prometheus_client).

Each service serves its own `/metrics`: the web app's counts requests and their latency
(web/metrics.py) and the thumbs-down gaps it records; the action server's counts fallbacks, the
retrieval scores and timings of knowledge searches, and the gaps it records. Names start with
`sgbot_`. Labels are small fixed sets (reasons, outcomes, endpoints), never user text or ids,
so the number of series stays bounded.

Under gunicorn with several workers, `PROMETHEUS_MULTIPROC_DIR` (web/gunicorn_conf.py) makes
prometheus_client keep counts in files that `exposition()` adds up across workers.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

GAPS_LOGGED = Counter(
    "sgbot_gaps_logged",
    "Questions recorded in the gap log for trainers, by reason (bot/gaps/hook.py).",
    ["reason"],
)
GAP_STORE_FAILURES = Counter(
    "sgbot_gap_store_failures",
    "Writes to the gap store that failed; their records were kept and retried, not lost.",
)
FALLBACKS = Counter(
    "sgbot_fallbacks",
    "Turns the bot could not answer from an intent: nlu_fallback (NLU below its threshold), "
    "core_fallback (no rule fitted), out_of_scope; and dont_know (no confident answer either).",
    ["kind"],
)
DANGER_SECOND_READINGS = Counter(
    "sgbot_danger_second_readings",
    "Answers opened with 'call 999 first' because urgent_danger was a close second reading of "
    "the message (DANGER_SECOND_READING); a rise means danger messages the NLU is missing.",
)
SEARCHES = Counter(
    "sgbot_knowledge_searches",
    "Knowledge searches, by outcome: answered, or dont_know below the confidence cut-off.",
    ["outcome"],
)
RETRIEVAL_SCORE = Histogram(
    "sgbot_retrieval_top_score",
    "Confidence (cosine) of the best passage for each knowledge search; the cut-off is "
    "RETRIEVAL_MIN_SCORE (0.30 by default).",
    buckets=(0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
)
RETRIEVAL_SECONDS = Histogram(
    "sgbot_retrieval_duration_seconds",
    "Time to search the knowledge index for one question (embedding included when Rasa's "
    "vector could not be reused).",
    buckets=(0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)


def exposition() -> tuple[bytes, str]:
    """The metrics page and its content type: this process's registry, or every worker's
    when gunicorn runs several (multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
