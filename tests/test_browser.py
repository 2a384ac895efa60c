"""A person in headless Chromium: draws digits with the mouse, toggles the model, scrubs, plays.

Also measures, in the browser's own clock, the time from the end of a stroke to the new answer
on screen, and prints its p50. Needs Debian's chromium (.ci/run installs it).
"""

import os
import shutil
import statistics
from pathlib import Path

import pytest

from demo.canvas import SIZE
from demo.sketches import canvas_strokes

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
SCREENSHOT = Path(os.environ.get("ROWSCAN_SCREENSHOT", Path(__file__).resolve().parent / "artifacts" / "app.png"))

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        pytest.fail(f"chromium not found at {CHROMIUM}: .ci/run must install it", pytrace=False)
    pytest.skip("chromium is not installed (apt-get install chromium)", allow_module_level=True)

# Times of the last pointer-up on the canvas and of the last change to the answer, in page time.
WATCH = """() => {
  window.rowscan = {up: 0, changed: 0};
  document.querySelector('.ink canvas').addEventListener('pointerup', () => {
    window.rowscan.up = performance.now(); }, true);
  new MutationObserver(() => { window.rowscan.changed = performance.now(); })
    .observe(document.querySelector('#status'), {subtree: true, childList: true, characterData: true});
}"""


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def page(browser, app_url):
    page = browser.new_page(viewport={"width": 1500, "height": 1400})
    page.goto(app_url)
    page.wait_for_selector(".ink canvas[data-ready]", timeout=30_000)
    page.evaluate(WATCH)
    return page


def draw(page, digit: int, steps: int = 3) -> None:
    box = page.locator(".ink canvas").bounding_box()
    scale = box["width"] / SIZE
    for stroke in canvas_strokes(digit, SIZE):
        (x, y), rest = stroke[0], stroke[1:]
        page.mouse.move(box["x"] + x * scale, box["y"] + y * scale)
        page.mouse.down()
        for x, y in rest:
            page.mouse.move(box["x"] + x * scale, box["y"] + y * scale, steps=steps)
        page.mouse.up()


def settled_status(page, quiet_ms: int = 400) -> str:
    """The status once no answer has arrived for quiet_ms."""
    page.wait_for_function(
        f"() => window.rowscan.changed > window.rowscan.up && performance.now() - window.rowscan.changed > {quiet_ms}",
        timeout=20_000,
    )
    return page.inner_text("#status")


def clear(page) -> None:
    page.click(".ink .clear")
    page.wait_for_function("() => document.querySelector('#status').innerText.startsWith('Nothing drawn')")


def test_drawn_digits_are_read_and_pictured(page):
    for digit in (1, 0, 7):
        clear(page)
        draw(page, digit)
        assert f"LSTM reads a {digit}" in settled_status(page)
        title, shown_digit, *top3 = page.locator("#answer-LSTM").inner_text().splitlines()
        assert shown_digit == str(digit)
    pictures = page.locator("#panel-LSTM img")  # the input and the open tab's heatmap
    assert pictures.count() == 2
    assert all(pictures.nth(i).get_attribute("src") for i in range(2))
    heatmap = pictures.nth(1).get_attribute("src")
    page.locator("#quantity").get_by_label("Forget gate").check()
    page.wait_for_function(f"() => document.querySelectorAll('#panel-LSTM img')[1].src != '{heatmap}'")
    page.locator("#quantity").get_by_label("Hidden state").check()
    assert page.locator("#rows-LSTM table tr").count() == 29


def test_toggle_scrub_and_play(page):
    page.get_by_label("BiLSTM", exact=True).check()
    page.wait_for_function("() => document.querySelector('#status').innerText.includes('BiLSTM reads a 7')")
    assert page.locator("#panel-BiLSTM").is_visible() and not page.locator("#panel-LSTM").is_visible()
    slider = page.locator("#row input[type=range]")
    slider.fill("5")
    page.wait_for_function("() => document.querySelector('#status').innerText.includes('after row 5 ')")
    assert page.locator("#rows-BiLSTM tr.cursor th").inner_text().startswith("5")
    page.click("#play")
    page.wait_for_function("() => document.querySelector('#status').innerText.includes('after row 27 ')",
                           timeout=20_000)
    assert slider.input_value() == "27"
    page.get_by_label("Both side by side").check()
    page.wait_for_function(
        "() => document.querySelector('#status').innerText.split('\\n').some((l) => l.startsWith('LSTM reads a 7'))")
    assert page.locator("#panel-LSTM").is_visible() and page.locator("#panel-BiLSTM").is_visible()
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    print(f"\nscreenshot: {SCREENSHOT}")


def test_dark_theme_canvas_draws_light_ink_and_reads_it(browser, app_url):
    dark = browser.new_page(viewport={"width": 1300, "height": 1200})
    dark.goto(app_url + "?__theme=dark")
    dark.wait_for_selector(".ink canvas[data-ready]", timeout=30_000)
    draw(dark, 7)
    dark.wait_for_function("() => document.querySelector('#status').innerText.includes('LSTM reads a 7')")
    ink = dark.evaluate("""() => { const c = document.querySelector('.ink canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 200) return [d[i], d[i + 1], d[i + 2]]; }""")
    assert min(ink) > 150  # light ink on the dark canvas
    dark.close()


def test_stroke_to_answer_latency(page):
    page.get_by_label("LSTM", exact=True).check()
    latencies = []
    for digit in (4, 2, 9, 3, 8, 5, 6, 1, 0, 7, 4, 2):
        clear(page)
        draw(page, digit, steps=2)
        # the answer timed is the one to the whole drawing (settled_status waits for one after pointer-up)
        assert f"LSTM reads a {digit}" in settled_status(page)
        latencies.append(page.evaluate("() => window.rowscan.changed - window.rowscan.up"))
    print(f"\nstroke end -> answer on screen: p50 {statistics.median(latencies):.0f} ms, "
          f"max {max(latencies):.0f} ms over {len(latencies)} strokes (headless Chromium, LSTM)")
