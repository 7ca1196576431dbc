"""Gunicorn settings for the web app (Procfile: `gunicorn -c python:web.gunicorn_conf ...`).

- Logs: gunicorn's own lines and the app's go out as JSON lines (bot/logs.py). Gunicorn's
  access log is off (`logger_class`): the app logs each request itself, as JSON with the
  route rather than the raw path (web/metrics.py); gunicorn's access line cost ~0.3 ms a
  request on this machine.
- Metrics: with several workers each is its own process, so prometheus_client's multiprocess
  mode keeps their counts in files under VAR_DIR and `/metrics` adds them up. The directory is
  emptied when gunicorn starts, and a worker that exits is marked dead so its gauges go.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from gunicorn.glogging import Logger

from bot.logs import dict_config
from bot.settings import get_settings

_settings = get_settings()
_metrics_dir = Path(
    os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    or _settings.var_dir / "metrics" / f"web-{_settings.web_port}"
)
# Set before any worker imports prometheus_client, which reads it at import.
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_metrics_dir)


class AppLogsRequests(Logger):
    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        return None


logconfig_dict = dict_config("web")
logger_class = AppLogsRequests


def on_starting(server: Any) -> None:
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    _metrics_dir.mkdir(parents=True, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
