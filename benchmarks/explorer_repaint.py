"""Slider step to repaint in headless Chromium, printed: this tree's explorer against another
revision's, side by side in one run (on a shared machine, timings compare only within a run).

    python -m benchmarks.explorer_repaint [--against main] [--rounds 4]

Each revision runs as its own `python app.py` (the other one from `git archive`). One browser
draws the same 7 on both, in two views: the LSTM alone, and both models side by side with a unit
panel open, the pointer on the slider as when a person drags it. Then rounds of 100 slider steps
(tests/test_browser.py's REPAINT), the revisions taking turns. Printed per view and revision, p50
over every step: the explorer's drawing, and input event to the next frame painted, which is the
figure the 16 ms goal (one frame) is about.
"""

import argparse
import os
import statistics
import subprocess
import tempfile
from contextlib import ExitStack
from pathlib import Path

from playwright.sync_api import sync_playwright

from benchmarks.local_app import REPO, local_app
from tests.test_browser import ARGS, CHROMIUM, HEATMAP, REPAINT, Session, draw, move_cursor, read_digit

VIEWS = ("LSTM alone", "both models, unit panel open")


def open_view(browser, url: str, view: str):
    page = browser.new_page(viewport={"width": 1500, "height": 1400})
    Session(page, url)
    if view == VIEWS[0]:
        draw(page, 7)
        read_digit(page, "LSTM", 7)
    else:
        page.get_by_label("Both side by side").check()
        draw(page, 7)
        read_digit(page, "LSTM", 7)
        read_digit(page, "BiLSTM", 7)
        move_cursor(page, 14)
        page.locator(HEATMAP.format(model="LSTM", direction=0)).click()
        page.wait_for_selector("#explorer .step table.step-terms", timeout=30_000)
    box = page.locator("#row input[type=range]").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    return page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", default="main", help="the git revision to compare with (default: main)")
    parser.add_argument("--rounds", type=int, default=4, help="rounds of 100 steps per view and revision")
    options = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    with ExitStack() as stack, sync_playwright() as p:
        other = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        tree = subprocess.run(["git", "archive", options.against], cwd=REPO, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(other)], input=tree, check=True)
        urls = {options.against: stack.enter_context(local_app(repo=other))[0],
                "this tree": stack.enter_context(local_app())[0]}
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pages = {(view, name): open_view(browser, url, view) for view in VIEWS for name, url in urls.items()}
        steps = {key: [] for key in pages}
        for _ in range(options.rounds):
            for key, page in pages.items():
                steps[key] += page.evaluate(REPAINT)
        browser.close()
    for (view, name), taken in steps.items():
        drawing = statistics.median(step["drawing"] for step in taken)
        frame = statistics.median(step["frame"] for step in taken)
        print(f"{view:30} {name:10} p50 over {len(taken)} steps: {drawing:5.1f} ms drawing, "
              f"{frame:5.1f} ms input to the next frame painted")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
