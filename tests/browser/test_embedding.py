"""The one-script-tag embed on another site: allowed origins work cross-origin with no cookies;
a site not on the allow-list gets no answers, but the widget still shows the safety numbers."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from tests.browser.helpers import ask, bot_messages, open_widget, wait_until_up
from tests.conftest import EMBEDDING_SITE_PORT, OTHER_SITE_PORT

pytestmark = pytest.mark.e2e


def serve_site(tmp_path, port: int, bot_url: str):
    site = tmp_path / f"site{port}"
    site.mkdir()
    (site / "index.html").write_text(
        "<!doctype html><html lang='en'><head><title>Partner site</title></head><body>"
        "<main><h1>A partner's page</h1></main>"
        f'<script src="{bot_url}/widget.js" data-bot-url="{bot_url}" defer></script>'
        "</body></html>"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=site,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until_up(f"http://127.0.0.1:{port}/", attempts=50, delay=0.1)
    return proc


def test_widget_works_cross_origin_from_an_allowed_site(browser, stack, tmp_path):
    proc = serve_site(tmp_path, EMBEDDING_SITE_PORT, stack.web)
    try:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{EMBEDDING_SITE_PORT}/")
        open_widget(page)
        ask(page, "what is cuckooing")
        assert page.locator(".sgbot-bot .sgbot-source").count() > 0
        assert "uckooing" in page.locator(".sgbot-log").inner_text()
        assert context.cookies() == []
        context.close()
    finally:
        proc.terminate()


def test_site_not_on_the_allow_list_gets_no_answers_but_sees_the_numbers(browser, stack, tmp_path):
    proc = serve_site(tmp_path, OTHER_SITE_PORT, stack.web)
    try:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{OTHER_SITE_PORT}/")
        open_widget(page)
        ask(page, "what is cuckooing")
        assert "can't reach the guide" in bot_messages(page).last.inner_text()
        text = page.locator(".sgbot-log").inner_text()
        assert "999" in text and "01926 414144" in text
        assert "uckooing" not in text.split("can't reach")[1]
        context.close()
    finally:
        proc.terminate()


def test_preflight_answers_only_allowed_origins(stack):
    allowed = f"http://127.0.0.1:{EMBEDDING_SITE_PORT}"
    ok = requests.options(
        f"{stack.web}/api/chat",
        headers={
            "Origin": allowed,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=5,
    )
    assert ok.headers.get("Access-Control-Allow-Origin") == allowed
    other = requests.options(
        f"{stack.web}/api/chat",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        timeout=5,
    )
    assert "Access-Control-Allow-Origin" not in other.headers
