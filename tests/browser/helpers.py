"""What a practitioner does with the widget, shared by the browser tests."""

from __future__ import annotations

import time

import requests

PANEL = "#sgbot-panel"


def wait_until_up(url: str, attempts: int = 60, delay: float = 0.5) -> None:
    for _ in range(attempts):
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(delay)


def bot_messages(page):
    return page.locator(".sgbot-bot")


def wait_for_reply(page, count_before: int, timeout: int = 30000):
    page.wait_for_function(
        "n => document.querySelectorAll('.sgbot-bot').length > n && "
        "document.querySelector('.sgbot-typing').hidden",
        arg=count_before,
        timeout=timeout,
    )


def open_widget(page):
    page.click(".sgbot-launcher")
    page.wait_for_selector(PANEL, state="visible")


def ask(page, question: str):
    before = bot_messages(page).count()
    page.fill("#sgbot-input", question)
    page.keyboard.press("Enter")
    wait_for_reply(page, before)
