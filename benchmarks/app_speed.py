"""Speed of the app, printed (never asserted):

    python -m benchmarks.app_speed stroke [--calls 200]   server time for one canvas stroke
    python -m benchmarks.app_speed startup                `python app.py` until it answers HTTP

A stroke's server time is what the canvas event runs (strokes -> 28x28 -> trace and row
importance -> every picture) plus each output component's postprocess, which turns the
pictures into what Gradio sends (PNG files in its cache, label and HTML payloads).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import gradio as gr

from demo import events
from demo.canvas import EMPTY, SIZE
from demo.inference import Reader
from demo.sketches import canvas_strokes
from demo.ui import build

REPO = Path(__file__).resolve().parent.parent


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def stroke_values() -> list[dict]:
    """A canvas value per digit, with the drawing as it stands after each of its strokes."""
    values = []
    for digit in range(10):
        strokes = [[c for point in stroke for c in point] for stroke in canvas_strokes(digit, SIZE)]
        values += [{**EMPTY, "strokes": strokes[: n + 1]} for n in range(len(strokes))]
    return values


def canvas_outputs(app: gr.Blocks) -> list:
    """The output components of the canvas's change event, in order."""
    for dependency in app.fns.values():
        block_id, event = dependency.targets[0]
        if event == "change" and type(app.blocks[block_id]).__name__ == "InkCanvas":
            return dependency.outputs
    raise LookupError("no canvas change event")


def stroke(calls: int) -> None:
    reader = Reader()
    outputs = canvas_outputs(build(reader))
    values = stroke_values()
    print(f"device {reader.device}, torch threads {__import__('torch').get_num_threads()}, {calls} calls per model")
    for mode in ("LSTM", "BiLSTM"):
        totals, computes = [], []
        for i in range(calls + 10):
            start = time.perf_counter()
            result = events.draw(reader, "canvas", values[i % len(values)], mode, 27)
            computed = time.perf_counter()
            for component, value in zip(outputs, result):
                if not isinstance(component, gr.State):
                    component.postprocess(value)
            if i >= 10:  # warm-up calls are not counted
                totals.append((time.perf_counter() - start) * 1e3)
                computes.append((computed - start) * 1e3)
        print(f"{mode:7s} per stroke: p50 {statistics.median(totals):5.1f} ms, p99 {percentile(totals, 99):5.1f} ms "
              f"(of which the event function p50 {statistics.median(computes):5.1f} ms)")


def startup() -> None:
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": "7899"}
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                urllib.request.urlopen("http://127.0.0.1:7899/", timeout=1)
                break
            except OSError:
                if process.poll() is not None or time.perf_counter() - start > 120:
                    sys.exit("app.py did not start")
                time.sleep(0.05)
        print(f"python app.py ready to serve after {time.perf_counter() - start:.1f} s")
    finally:
        process.terminate()
        process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["stroke", "startup"])
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    stroke(args.calls) if args.what == "stroke" else startup()


if __name__ == "__main__":
    main()
