"""The gap log on a real PostgreSQL server: migrations, two web app processes writing at
once, and the database stopping and coming back."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, func, inspect, select, text

from bot.gaps.models import GapRecord
from tests.services import ROOT, Service, stack_env, wait_until

pytestmark = pytest.mark.e2e


def head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrations_run_on_both_databases(backend, postgres, tmp_path):
    url = postgres.url if backend == "postgresql" else f"sqlite:///{tmp_path / 'gaps.sqlite'}"
    env = {**os.environ, "DATABASE_URL": url, "VAR_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    for _ in range(2):  # and running them again changes nothing
        subprocess.run(
            [str(ROOT / ".venv/bin/python"), "-m", "bot", "migrate"],
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
    engine = create_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            head_revision()
        )
    assert {"gaps", "trainers", "document_use"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def count(url: str, marker: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                select(func.count())
                .select_from(GapRecord)
                .where(GapRecord.text.like(f"%{marker}%"))
            ).scalar_one()
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def pg_webs(postgres):
    var_dir = Path(tempfile.mkdtemp(prefix="sgbot-pg-web-"))
    log = ROOT / "var" / "scaleout-pg.log"
    webs = []
    for port in (17020, 17021):
        env = stack_env(
            var_dir,
            web=port,
            rasa=17099,  # not running: these tests only post feedback
            action=17098,
            redis=17097,
            DATABASE_URL=postgres.url,
            REDIS_URL="",
        )
        webs.append(Service(f"web{port}", env, log, entry="web").start())
    urls = ["http://127.0.0.1:17020", "http://127.0.0.1:17021"]
    for url in urls:
        wait_until(lambda u=url: requests.get(f"{u}/widget.js", timeout=3).ok, 120, url)
    secret = (var_dir / "secret_key").read_text().strip()
    try:
        yield urls, secret
    finally:
        for web in webs:
            web.stop()
        shutil.rmtree(var_dir, ignore_errors=True)


def thumbs_down(url: str, sid: str, question: str, timeout: float = 60) -> int:
    body = {"rating": "down", "session_id": sid, "question": question, "answer": "the answer"}
    return requests.post(f"{url}/api/feedback", json=body, timeout=timeout).status_code


def test_two_web_processes_writing_at_once_lose_no_record(pg_webs, postgres):
    from web.sessions import new_session_id

    urls, secret = pg_webs
    sid = new_session_id(secret)
    for url in urls:  # load the redaction model in each process first
        assert thumbs_down(url, sid, "warm up question", timeout=120) == 200
    per_thread, threads_per_web = 25, 4
    failures = []

    def send(url: str, worker: int) -> None:
        for i in range(per_thread):
            status = thumbs_down(url, sid, f"concurrent question {url[-5:]} {worker} {i}")
            if status != 200:
                failures.append(status)

    threads = [
        threading.Thread(target=send, args=(url, w)) for url in urls for w in range(threads_per_web)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    sent = len(urls) * threads_per_web * per_thread
    wait_until(lambda: count(postgres.url, "concurrent question") == sent, 60, "all records")


def test_database_stopped_then_back_loses_nothing(pg_webs, postgres):
    from web.sessions import new_session_id

    urls, secret = pg_webs
    sid = new_session_id(secret)
    assert thumbs_down(urls[0], sid, "warm up question", timeout=120) == 200
    postgres.stop()
    try:
        statuses = [thumbs_down(urls[i % 2], sid, f"while down {i}") for i in range(10)]
        assert statuses == [200] * 10  # the chat side never notices
    finally:
        postgres.start()
    wait_until(lambda: count(postgres.url, "while down") == 10, 90, "spooled records replayed")
