"""The worker of `python -m benchmarks.app_speed stroke --against REV`, run once per checkout.

Run as a script with a checkout's root first on PYTHONPATH, it uses that checkout's app code: for
each line of JSON {"mode", "value"} on stdin it runs the canvas event on that value as at a
stroke's end, nothing remembered from the last one, and prints the event function's milliseconds.
It imports only what every checkout since before issue 9 has.
"""

import inspect
import json
import sys
import time

from benchmarks import app_speed
from demo import events
from demo.inference import Reader
from model.network import ROWS


def main() -> None:
    reader = Reader()
    # Before the explorer (issue 9) a canvas event drew every picture at a cursor row, and every send was a full one.
    before_explorer = "cursor" in inspect.signature(events.draw).parameters
    for line in sys.stdin:
        asked = json.loads(line)
        if before_explorer:
            arguments = (asked["value"], asked["mode"], ROWS - 1)
        else:
            app_speed.forget_recent(reader)
            arguments = ({**asked["value"], "drawing": False}, asked["mode"])
        start = time.perf_counter()
        events.draw(reader, "canvas", *arguments)
        print((time.perf_counter() - start) * 1e3, flush=True)


if __name__ == "__main__":
    main()
