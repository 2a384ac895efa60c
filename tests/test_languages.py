"""The page in a Chinese and an English browser: every text in the browser's language, the
explorer's included; and a message the server writes, in the request's language."""

import re

import pytest
from gradio_client import Client

from tests.test_browser import browser, draw  # noqa: F401 (browser: the browser tests' fixture)

CJK = re.compile(r"[\u3400-\u9fff]")


def drawn_page(browser, app_url, locale: str, reads: str):
    """The page in a browser whose language is `locale`, once the status line says what the
    network `reads` in a drawn 7, with the about panels open."""
    context = browser.new_context(locale=locale, viewport={"width": 1500, "height": 1400})
    page = context.new_page()
    page.goto(app_url)
    page.wait_for_selector("#draw .ink canvas[data-ready]", timeout=30_000)
    page.wait_for_selector("#explorer .explorer[data-ready]", timeout=30_000)
    draw(page, 7)
    page.wait_for_function(f"() => document.querySelector('#status').innerText.includes({reads!r})", timeout=30_000)
    for button in page.locator("button.label-wrap").all():  # the about panels' accordions
        button.click()
    return context, page


@pytest.mark.parametrize("accept, says", [("zh-CN,zh;q=0.9,en;q=0.8", "无法读取该画布"),
                                          ("en-US,en;q=0.9,zh-CN;q=0.8", "Could not read that canvas")])
def test_a_message_the_server_writes_is_in_the_requests_language(app_url, accept, says):
    client = Client(app_url, headers={"Accept-Language": accept}, analytics_enabled=False, verbose=False)
    answer = client.predict({"size": 280, "brush": 18, "strokes": "not strokes"}, "LSTM", api_name="/stroke")
    assert answer["problem"].startswith(says) and answer["readings"] == {}


def test_a_chinese_browser_gets_the_page_in_chinese(browser, app_url):
    context, page = drawn_page(browser, app_url, "zh-CN", "认为这是")
    body = page.inner_text("body")
    assert len(CJK.findall(body)) >= 150
    status = page.inner_text("#status")
    assert "；从第" in status and not re.search(r"[;,(] ?[\u3400-\u9fff]", status), status  # Chinese punctuation too
    for english in ("Draw a digit", "Row (timestep)", "How to read", "Hidden state", "About the", "reads a",
                    "Undo", "trained on", "__i18n__"):
        assert english not in body, english
    # what a screen reader names, too
    labels = page.eval_on_selector_all("#explorer [aria-label]", "nodes => nodes.map((n) => n.getAttribute('aria-label'))")
    assert labels and not [label for label in labels if re.search(r"[A-Za-z]{3,}", label) and not CJK.search(label)], labels
    context.close()


def test_an_english_browser_gets_no_chinese(browser, app_url):
    context, page = drawn_page(browser, app_url, "en-US", "reads a")
    body = page.inner_text("body")
    assert CJK.findall(body) == []
    assert "How to read these pictures" in body and "About the LSTM model" in body and "__i18n__" not in body
    context.close()
