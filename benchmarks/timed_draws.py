"""The worker of `python -m benchmarks.app_speed stroke --against REV`, run once per checkout.

Run as a script with a checkout's root first on PYTHONPATH, it uses that checkout's app code: for
each line of JSON {"mode", "value"} on stdin it sends the value through the canvas event as at a
stroke's end, nothing remembered from the last one, and prints [server ms, of which event function
ms], each timed as that checkout's own `app_speed stroke` times a send. It knows two kinds of
checkout: from before issue 9, whose canvas event takes a cursor row, and those whose app_speed
has timed_send; it imports only what both have.
"""

import inspect
import json
import sys
import time

import gradio as gr

try:
    from benchmarks import app_speed
    from demo import events
    from demo.inference import Reader
    from model.network import ROWS
except ImportError as error:  # the first revisions had none of these
    sys.exit(f"timed_draws: this revision cannot be timed, it lacks what the worker uses ({error})")


def main() -> None:
    # Before the explorer (issue 9) a canvas event drew every picture at a cursor row, each send a full one.
    before_explorer = "cursor" in inspect.signature(events.draw).parameters
    if not before_explorer and not hasattr(app_speed, "timed_send"):
        sys.exit("timed_draws: a revision whose canvas event takes no cursor row and whose app_speed has no "
                 "timed_send cannot be timed")
    reader = Reader()
    outputs = app_speed.canvas_outputs(app_speed.build(reader))
    for line in sys.stdin:
        asked = json.loads(line)
        if before_explorer:  # as its benchmark timed a send: the event, then each output's postprocess
            start = time.perf_counter()
            result = events.draw(reader, "canvas", asked["value"], asked["mode"], ROWS - 1)
            computed = time.perf_counter()
            for component, value in zip(outputs, result):
                if not isinstance(component, gr.State):
                    component.postprocess(value)
            times = [(time.perf_counter() - start) * 1e3, (computed - start) * 1e3]
        else:
            times = app_speed.timed_send(reader, outputs, {**asked["value"], "drawing": False}, asked["mode"])[:2]
        print(json.dumps(times), flush=True)


if __name__ == "__main__":
    main()
