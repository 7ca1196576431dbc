"""Browser fixtures: a fresh page on the demo site per test (the browser itself is shared,
from tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def page(browser, stack):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    # Nothing may leave the machine: the quick-exit page is answered locally.
    context.route(
        "https://www.bbc.co.uk/**",
        lambda route: route.fulfill(
            status=200, content_type="text/html", body="<title>Weather</title><h1>Weather</h1>"
        ),
    )
    page = context.new_page()
    page.goto(f"{stack.web}/")
    yield page
    context.close()
