"""Start the action server on loopback after checking its data, so a missing or mismatched
index fails at start-up with the fix named, not at the first question."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from bot import logs, metrics, resources
from bot.knowledge import shared
from bot.settings import get_settings


async def metrics_page(request: Any) -> Any:
    """Prometheus metrics of this process (bot/metrics.py), on the loopback port Rasa calls."""
    from sanic import response

    body, content_type = metrics.exposition()
    return response.raw(body, content_type=content_type)


def main() -> int:
    logs.configure("actions")
    try:
        resources.get_contacts()
        resources.get_flows()
        retriever = resources.get_retriever()
        resources.start_gap_writer()
    except Exception as exc:
        print(f"action server: cannot start: {exc}", file=sys.stderr)
        return 2
    resources.encode(["warm up"])  # load the model before the first practitioner waits for it
    shared.model_tag()  # and hash it, to recognise vectors Rasa computed with the same file
    logging.getLogger(__name__).info(
        "knowledge index: %d documents, %d passages (%s)",
        len(retriever.documents),
        len(retriever.passages),
        get_settings().index_dir,
    )
    from rasa_sdk.endpoint import create_app
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    app = create_app(executor, cors_origins=None)
    app.add_route(metrics_page, "/metrics", methods=["GET"])
    # One process: the model and index are loaded once, above, and Sanic's worker manager
    # (which would re-import everything in a spawned child) is not needed on loopback.
    app.run(
        host=os.environ.get("SANIC_HOST", "127.0.0.1"),
        port=int(os.environ.get("ACTION_PORT", "5055")),
        single_process=True,
        access_log=False,
        motd=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
