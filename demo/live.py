"""The canvas's live channel: the light reading of a stroke in progress, without the queue.

While the pen moves the page asks for a reading every 100 ms. Through Gradio's queue each ask cost
about 15 ms of server CPU (the queue, its SSE stream, session state, ten outputs), for 0.3 ms of
LSTM. The explorer asks instead through a server function of its gr.HTML (Gradio's POST
/gradio_api/component_server): one JSON request and answer, run in Gradio's thread pool. The stroke's
end, uploads and examples still go through the queue's events, which keep the session's state.

It is bounded like those events: at most QUEUE_SIZE asks wait, MODEL_SLOTS run at once, and a
request body is bounded by demo.bounds before it is read. What it reads is validated by the same
code as the canvas's event (events.draw), so a hostile value gets the same answer there and here.
"""

import json
import threading

import gradio as gr
from starlette.responses import Response

from demo import events
from demo.guard import Refused
from demo.i18n import language, text
from demo.inference import MODEL_SLOTS, Reader

QUEUE_SIZE = 64  # app.py's queue(max_size=...): asks waiting beyond this are turned away


class Slots:
    """MODEL_SLOTS asks at once; an ask is turned away at once when QUEUE_SIZE already wait."""

    def __init__(self, slots: int = MODEL_SLOTS, most_waiting: int = QUEUE_SIZE):
        self.free = threading.BoundedSemaphore(slots)
        self.most_waiting = most_waiting
        self.waiting = 0
        self.lock = threading.Lock()

    def take(self) -> bool:
        """Wait for a slot and take it; False, taking none, when the line is full."""
        with self.lock:
            if self.waiting >= self.most_waiting:
                return False
            self.waiting += 1
        self.free.acquire()
        with self.lock:
            self.waiting -= 1
        return True

    def give(self) -> None:
        self.free.release()


def answer(value: dict) -> Response:
    return Response(json.dumps(value, separators=(",", ":")), media_type="application/json")


def stroke_reader(reader: Reader, slots: Slots | None = None):
    """The explorer's server function: {"canvas": a canvas value, "mode": one of events.MODES} ->
    the explorer's payload for it, light while the value says the pen is down, as a JSON response
    (FastAPI's generic encoder would take longer than the LSTM over a payload of plain numbers)."""
    slots = slots or Slots()

    def read_stroke(asked, request: gr.Request = None):
        lang = language(request)
        if not isinstance(asked, dict) or set(asked) != {"canvas", "mode"} or not isinstance(asked["mode"], str) \
                or asked["mode"] not in events.MODES:
            value, mode = Refused(text(lang, "live_request")), "LSTM"
        else:
            value, mode = asked["canvas"], asked["mode"]
        if not slots.take():
            return answer(events.explorer_value(reader, events.Shown(problem=text(lang, "busy")), mode))
        try:
            return answer(events.draw(reader, "canvas", value, mode, lang)[1])
        finally:
            slots.give()

    return read_stroke
