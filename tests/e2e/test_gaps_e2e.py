"""Issue #6 end to end: what the bot could not answer reaches the trainer dashboard, redacted;
a thumbs-down is kept with its answer; a cluster export is training data Rasa accepts; and the
dashboard pages render with data in a real browser."""

from __future__ import annotations

import re
import subprocess
import time

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e
TRAINER = ("trainer-e2e", "a long enough e2e password")


@pytest.fixture(scope="module")
def trainer(stack):
    subprocess.run(
        [
            str(ROOT / ".venv/bin/python"),
            "-m",
            "bot",
            "create-trainer",
            TRAINER[0],
            "--password",
            TRAINER[1],
        ],
        cwd=ROOT,
        env=stack.env,
        check=True,
        capture_output=True,
    )
    return TRAINER


def login(stack, trainer) -> requests.Session:
    s = requests.Session()
    html = s.get(f"{stack.web}/trainer/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    r = s.post(
        f"{stack.web}/trainer/login",
        data={"username": trainer[0], "password": trainer[1], "csrf_token": token},
        timeout=10,
        allow_redirects=False,
    )
    assert r.status_code == 302
    return s


def wait_for(stack, sql: str, timeout: float = 15):
    engine = create_engine(f"sqlite:///{stack.var_dir / 'gaps.sqlite'}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as db:
            rows = db.execute(text(sql)).all()
        if rows:
            return rows
        time.sleep(0.3)
    return []


def test_unanswerable_question_appears_redacted_in_the_dashboard(stack, trainer):
    questions = [
        # Nothing in the knowledge base answers these. ("...rules for foster carers" used to be
        # here; the document-name match now answers it from the animal-abuse briefing, near
        # the cut-off, which the gap log flags to trainers as low confidence.)
        "Jayden Smith at 14 Hollybush Lane asked about the ferret licensing fees",
        "what are the ferret licensing fees this year",
        "ferret licensing fees please",
    ]
    sid = None
    for q in questions:
        reply = stack.chat(q, sid)
        sid = reply["session_id"]
        assert "don't have guidance" in " ".join(m["text"] for m in reply["messages"])
    assert wait_for(stack, "select id from gaps where text like '%ferret%'")
    session = login(stack, trainer)
    html = session.get(f"{stack.web}/trainer/gaps?q=ferret", timeout=10).text
    assert "ferret licensing" in html
    assert "[NAME]" in html and "[ADDRESS]" in html
    assert "Jayden" not in html and "Hollybush" not in html


def test_thumbs_down_is_recorded_with_the_answer_given(stack, trainer):
    reply = stack.chat("what is cuckooing")
    answer = reply["messages"][0]["text"]
    r = requests.post(
        f"{stack.web}/api/feedback",
        json={
            "session_id": reply["session_id"],
            "rating": "down",
            "question": "what is cuckooing",
            "answer": answer,
        },
        timeout=10,
    )
    assert r.status_code == 200
    rows = wait_for(
        stack,
        "select answer_given from gaps where reason = 'negative_feedback' "
        "and text = 'what is cuckooing' order by id desc",
    )
    assert rows and rows[0][0][:30] == answer[:30]


def test_cluster_export_is_yaml_rasa_accepts(stack, trainer, tmp_path):
    wait_for(stack, "select id from gaps where text like '%ferret%'")
    session = login(stack, trainer)
    html = session.get(f"{stack.web}/trainer/clusters", timeout=180).text
    section = next(s for s in html.split('<section class="cluster">') if "ferret" in s)
    ids = re.findall(r'name="ids" value="(\d+)"', section)
    assert len(ids) >= 2, "the ferret questions should form one group"
    token = re.search(r'name="csrf_token" value="([^"]+)"', section).group(1)
    r = session.post(
        f"{stack.web}/trainer/gaps/action",
        data={"ids": ids, "action": "nlu", "intent": "ask_knowledge", "csrf_token": token},
        timeout=10,
    )
    assert r.status_code == 200
    exported = r.text
    assert "ferret" in exported
    # Validate the export as Rasa would: the real data plus the exported file.
    data = tmp_path / "data"
    subprocess.run(["cp", "-r", str(ROOT / "data"), str(data)], check=True)
    (data / "nlu" / "exported.yml").write_text(exported)
    result = subprocess.run(
        [
            str(ROOT / ".venv-rasa/bin/rasa"),
            "data",
            "validate",
            "--data",
            str(data),
            "--domain",
            str(ROOT / "domain.yml"),
            "--config",
            str(ROOT / "config.yml"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**stack.env},
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


def test_dashboard_pages_render_with_data_in_a_browser(browser, stack, trainer, artifacts):
    wait_for(stack, "select id from gaps where text like '%ferret%'")
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(180_000)  # the first overview loads the embedding model
    page.goto(f"{stack.web}/trainer/")
    page.fill("#username", trainer[0])
    page.fill("#password", trainer[1])
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Overview')")
    assert page.locator("svg.chart rect").count() > 0, "weekly chart has bars"
    page.screenshot(path=str(artifacts / "dashboard-overview.png"), full_page=True)
    page.goto(f"{stack.web}/trainer/gaps")
    rows = page.locator("tbody tr")
    assert rows.count() >= 3 and "ferret" in page.locator("tbody").inner_text()
    page.screenshot(path=str(artifacts / "dashboard-gaps.png"), full_page=True)
    page.goto(f"{stack.web}/trainer/clusters")
    assert page.locator("section.cluster").count() >= 1
    page.screenshot(path=str(artifacts / "dashboard-clusters.png"), full_page=True)
    context.close()
