"""Request metrics and request log lines for the web app, and its `/metrics` page.

Every request is timed once, in `before_request`/`after_request`: the same measurement feeds
the Prometheus histogram and the JSON log line (bot/logs.py). Both name the route's rule
("/api/chat"), never the raw path: an unknown path is "unmatched", so a scan of random URLs
cannot create new series or put what someone typed in a URL into the logs.

`/metrics` must not be public on a partnership's website: with METRICS_TOKEN set it needs that
bearer token; without, it answers only a direct connection from loopback that came through no
proxy (a reverse proxy on the same host adds X-Forwarded-For).
"""

from __future__ import annotations

import hmac
import logging
import time
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import Counter, Histogram

from bot import metrics

bp = Blueprint("metrics", __name__)
log = logging.getLogger("web.requests")

REQUESTS = Counter(
    "sgbot_http_requests",
    "Requests to the web app, by route, method and status.",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "sgbot_http_request_duration_seconds",
    "Time the web app took to answer, by route (a chat turn includes Rasa's and the action "
    "server's time).",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CHAT_TURNS = Counter(
    "sgbot_chat_turns",
    "Chat turns by outcome: answered, rasa_unavailable (503 with the safety numbers), "
    "empty_reply (Rasa said nothing: the action server is down), rejected (bad input, 4xx).",
    ["outcome"],
)
_LOOPBACK = {"127.0.0.1", "::1"}
_PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


def _endpoint() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else "unmatched"


def _start() -> None:
    g.metrics_started = time.perf_counter()


def _finish(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    if started is None:
        return response
    seconds = time.perf_counter() - started
    endpoint = _endpoint()
    REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
    LATENCY.labels(endpoint).observe(seconds)
    log.info(
        "request",
        extra={
            "method": request.method,
            "path": endpoint,
            "status": response.status_code,
            "duration_ms": round(seconds * 1000, 1),
        },
    )
    return response


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)
    app.register_blueprint(bp)


def allowed() -> bool:
    token = current_app.config["SETTINGS"].metrics_token
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    # The socket's own peer: ProxyFix (PROXY_HOPS) rewrites REMOTE_ADDR to the client's.
    environ = request.environ
    peer = environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR", request.remote_addr)
    return peer in _LOOPBACK and not any(h in request.headers for h in _PROXY_HEADERS)


@bp.get("/metrics")
def metrics_page() -> Any:
    if not allowed():
        return Response(
            "Metrics are served only with METRICS_TOKEN, or to a direct loopback connection.\n",
            status=403,
            mimetype="text/plain",
        )
    body, content_type = metrics.exposition()
    return Response(body, content_type=content_type)
