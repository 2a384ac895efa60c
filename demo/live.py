"""The canvas's live channel: the light reading of a stroke in progress, without the queue.

While the pen moves the page asks for a reading every 100 ms. Through Gradio's queue each ask
carries the queue's own work (its SSE stream, session state, the event's outputs) around a model
that answers in under a millisecond. The explorer asks instead through a server function of its
gr.HTML (Gradio's POST /gradio_api/component_server): one JSON request and one JSON answer. The
stroke's end, uploads and examples still go through the queue's events, which keep the session's
state. `python -m benchmarks.load --draw` measures both ways of drawing.

It is bounded like those events: MODEL_SLOTS asks run at once (slots of its own, beside the
queue's), at most QUEUE_SIZE wait, and a request body is bounded by demo.bounds before it is read.
What it reads is validated by the same code as the canvas's event (events.draw), so a hostile
value gets the same answer there and here.
"""

import json

import anyio
import gradio as gr
from starlette.responses import Response

from demo import events
from demo.guard import Refused
from demo.i18n import language, text
from demo.inference import MODEL_SLOTS, Reader

QUEUE_SIZE = 64  # asks waiting beyond this are turned away, here and in app.py's queue


class Slots:
    """MODEL_SLOTS asks run at once, each in a thread of its own; the others wait on the event loop,
    holding no thread, and an ask is turned away at once when QUEUE_SIZE already wait."""

    def __init__(self, slots: int = MODEL_SLOTS, most_waiting: int = QUEUE_SIZE):
        self.slots, self.most_waiting = slots, most_waiting
        self.limiter = None  # made at the first ask: anyio makes it for the event loop it runs on

    async def run(self, work):
        """work() in a slot's thread, its result; None, without running it, when the line is full."""
        if self.limiter is None:
            self.limiter = anyio.CapacityLimiter(self.slots)
        if self.limiter.statistics().tasks_waiting >= self.most_waiting:
            return None
        return await anyio.to_thread.run_sync(work, limiter=self.limiter)


def answer(value: dict) -> Response:
    return Response(json.dumps(value, separators=(",", ":")), media_type="application/json")


def stroke_reader(reader: Reader, slots: Slots | None = None):
    """The explorer's server function: {"canvas": a canvas value with "drawing": true, "mode": one
    of events.MODES} -> the explorer's light payload for it, as a JSON response (FastAPI's generic
    encoder would take longer than the LSTM over a payload of plain numbers). Async, so that asks
    waiting for a slot hold none of the threads Gradio's queue and routes run on."""
    slots = slots or Slots()

    async def read_stroke(asked, request: gr.Request = None):
        lang = language(request)
        if not isinstance(asked, dict) or set(asked) != {"canvas", "mode"} or not isinstance(asked["mode"], str) \
                or asked["mode"] not in events.MODES or not events.pen_down(asked["canvas"]):
            value, mode = Refused(text(lang, "live_request")), "LSTM"
        else:
            value, mode = asked["canvas"], asked["mode"]
        read = await slots.run(lambda: answer(events.draw(reader, "canvas", value, mode, lang)[1]))
        return read or answer(events.explorer_value(reader, events.Shown(problem=text(lang, "busy")), mode))

    return read_stroke
