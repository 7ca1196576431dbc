"""The widget as a practitioner meets it: keyboard, buttons, walkthroughs, feedback, quick
exit, reload, bot down, hostile text, accessibility, small screens."""

from __future__ import annotations

import os
import socket
import subprocess
import time

import pytest
from sqlalchemy import create_engine, text

from tests.browser.helpers import (
    PANEL,
    ask,
    bot_messages,
    open_widget,
    wait_for_reply,
    wait_until_up,
)
from tests.conftest import AXE, ROOT

pytestmark = pytest.mark.e2e


def test_keyboard_only_question_gets_an_answer_with_its_source(page):
    page.keyboard.press("Tab")
    for _ in range(10):
        if page.evaluate("document.activeElement.className") == "sgbot-launcher":
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector(PANEL, state="visible")
    assert page.evaluate("document.activeElement.id") == "sgbot-input"
    before = bot_messages(page).count()
    page.keyboard.type("what is cuckooing")
    page.keyboard.press("Enter")
    wait_for_reply(page, before)
    # Ready for the next question without reaching for the mouse.
    assert page.evaluate("document.activeElement.id") == "sgbot-input"
    last = bot_messages(page).last
    assert "uckooing" in last.inner_text()
    assert "From:" in last.locator(".sgbot-source").inner_text()
    page.keyboard.press("Escape")
    assert page.is_hidden(PANEL)
    assert page.evaluate("document.activeElement.className") == "sgbot-launcher"


def test_quick_reply_then_full_escalation_walkthrough(page):
    open_widget(page)
    before = bot_messages(page).count()
    page.get_by_role("button", name="How do I escalate a disagreement?").click()
    wait_for_reply(page, before)
    chosen = page.locator(".sgbot-chosen")
    assert chosen.count() == 1 and chosen.is_disabled()
    for title, expected in [
        ("The threshold decision at referral", "Stage 1 of 3"),
        ("Still not resolved: next stage", "Stage 2 of 3"),
        ("Still not resolved: next stage", "Stage 3 of 3"),
    ]:
        before = bot_messages(page).count()
        page.locator(".sgbot-choice:not([disabled])", has_text=title).last.click()
        wait_for_reply(page, before)
        assert expected in page.locator(".sgbot-log").inner_text()
    assert page.locator(".sgbot-copy").count() >= 1
    assert page.evaluate("document.activeElement.id") == "sgbot-input"


def test_thumbs_down_is_recorded_with_the_answer(page, stack):
    open_widget(page)
    ask(page, "what does was not brought mean")
    answer = bot_messages(page).last.locator(".sgbot-text").inner_text()
    bot_messages(page).last.get_by_role("button", name="Not helpful").click()
    page.wait_for_selector("text=Thanks for telling me")
    engine = create_engine(f"sqlite:///{stack.var_dir / 'gaps.sqlite'}")
    deadline = time.monotonic() + 15
    rows = []
    while time.monotonic() < deadline and not rows:
        with engine.connect() as db:
            rows = db.execute(
                text(
                    "select text, answer_given from gaps where reason = 'negative_feedback' "
                    "and intent = 'thumbs_down' and text = 'what does was not brought mean'"
                )
            ).all()
        time.sleep(0.3)
    assert rows, "thumbs-down not in the gap log"
    assert rows[-1][0] == "what does was not brought mean"
    assert rows[-1][1][:40] == answer[:40]


def test_only_answers_that_cite_guidance_can_be_rated(page):
    open_widget(page)
    ask(page, "what is professional curiosity")
    answer = bot_messages(page).last
    assert answer.locator(".sgbot-source").count() == 1
    assert answer.locator(".sgbot-thumb").count() == 2
    ask(page, "make a referral")
    question = bot_messages(page).last
    assert question.locator(".sgbot-choice").count() == 2
    assert question.locator(".sgbot-thumb").count() == 0


def test_a_long_answer_on_a_phone_is_shown_from_its_start(browser, stack):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    phone = context.new_page()
    phone.goto(f"{stack.web}/")
    open_widget(phone)
    ask(phone, "what is the threshold for lado")
    log = phone.locator(".sgbot-log").bounding_box()
    reply = bot_messages(phone).last.bounding_box()
    # A tapped quick reply does not put the focus in the input when the answer comes: on a phone
    # that raises the on-screen keyboard over the answer and its next buttons.
    phone.get_by_role("button", name="Start again").tap()
    before = bot_messages(phone).count()
    phone.get_by_role("button", name="How do I escalate a disagreement?").tap()
    wait_for_reply(phone, before)
    focused = phone.evaluate("document.activeElement.id")
    context.close()
    assert focused != "sgbot-input"
    assert reply["height"] > log["height"], "the answer fits the screen: pick a longer one"
    # Its first line is in view, not scrolled away above the log's top.
    assert log["y"] - 1 <= reply["y"] <= log["y"] + 20


def test_reload_keeps_the_conversation_and_start_again_clears_it(page):
    open_widget(page)
    ask(page, "what is professional curiosity")
    transcript = page.locator(".sgbot-log").inner_text()
    page.reload()
    page.wait_for_selector(PANEL, state="visible")
    assert page.locator(".sgbot-log").inner_text() == transcript
    page.get_by_role("button", name="Start again").click()
    assert "professional curiosity" not in page.locator(".sgbot-log").inner_text()


def test_quick_exit_clears_and_leaves(page):
    open_widget(page)
    ask(page, "what is cuckooing")
    page.get_by_role("button", name="Quick exit").click()
    page.wait_for_url("https://www.bbc.co.uk/**")
    assert page.evaluate("sessionStorage.length") == 0


def test_hostile_html_is_shown_as_text(page):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_widget(page)
    ask(page, "<img src=x onerror=alert(1)>")
    user = page.locator(".sgbot-user").last
    assert "<img src=x onerror=alert(1)>" in user.inner_text()
    assert page.locator(".sgbot img").count() == 0
    assert dialogs == []


@pytest.fixture
def web_with_rasa_down(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "RASA_URL": f"http://127.0.0.1:{closed}",
        "VAR_DIR": str(tmp_path),
        "RASA_TIMEOUT_S": "2",
    }
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--bind", f"127.0.0.1:{port}", "web:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_up(f"{url}/api/config")
    yield url
    proc.terminate()
    proc.wait(10)


def test_bot_down_message_shows_the_numbers(browser, web_with_rasa_down):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{web_with_rasa_down}/")
    open_widget(page)
    ask(page, "what is cuckooing")
    last = bot_messages(page).last.inner_text()
    assert "999" in last and "01926 414144" in last
    assert page.get_by_role("button", name="Try again").count() == 1
    context.close()


def test_accessibility_axe_and_screenshots(browser, stack, artifacts):
    if not AXE.exists():
        pytest.fail("axe-core missing: run `make setup` (npm install axe-core)")
    results = {}
    for name, viewport in (
        ("desktop", {"width": 1280, "height": 800}),
        ("mobile-320", {"width": 320, "height": 640}),
    ):
        context = browser.new_context(viewport=viewport, bypass_csp=True, reduced_motion="reduce")
        page = context.new_page()
        page.goto(f"{stack.web}/")
        open_widget(page)
        ask(page, "who do I call out of hours")
        page.screenshot(path=str(artifacts / f"widget-{name}.png"))
        page.add_script_tag(path=str(AXE))
        results[name] = page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}))"
        )
        if name == "mobile-320":
            assert page.evaluate("document.documentElement.scrollWidth") <= 320
        context.close()
    serious = {
        k: [v for v in vs if v["impact"] in ("serious", "critical")] for k, vs in results.items()
    }
    (artifacts / "axe-results.txt").write_text(repr(results))
    assert serious == {"desktop": [], "mobile-320": []}, serious


def test_usable_at_200_percent_zoom(browser, stack):
    # 200% browser zoom on a 1280x800 window leaves a 640x400 CSS viewport.
    context = browser.new_context(viewport={"width": 640, "height": 400}, device_scale_factor=2)
    page = context.new_page()
    page.goto(f"{stack.web}/")
    open_widget(page)
    assert page.is_visible("#sgbot-input") and page.is_visible(".sgbot-exit")
    assert page.is_visible(".sgbot-danger")
    ask(page, "who do I call out of hours")
    assert page.evaluate("document.documentElement.scrollWidth") <= 640
    context.close()
