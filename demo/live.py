"""The canvas's channels outside Gradio's queue: the light reading of a stroke in progress, and
the full reading at its end.

While the pen moves the page asks for a reading every 100 ms. Through Gradio's queue each ask
carries the queue's own work (its SSE stream, session state, the event's outputs) around a model
that answers in under a millisecond. The explorer asks instead with one POST to LIVE_PATH, a
route of Gradio's own FastAPI app that app.py adds first (app_kwargs' routes): one JSON request,
one JSON answer, no session. (gr.HTML's server functions go through Gradio's component_server
route, which also makes or finds a session for each request and validates its body with pydantic.)
The stroke's end is the canvas's Gradio event, which keeps the session's state (what a mode switch,
a unit's step and a correction read), but sent with queue=False: one POST to Gradio's /run route
and one JSON answer. Before any reading, a canvas value costs the server about 9 ms of CPU
through the queue (a join request and an event stream), 3 to 4 ms through /run and 1.3 ms through
this route, on uvloop's event loop (`python -m benchmarks.app_speed channels`). Uploads,
examples, mode switches and a unit's step still go through the queue. `python -m benchmarks.load
--draw` measures drawing as the page sends it.

On a CPU, an ask for the LSTM alone on at most INLINE_POINTS points (the load benchmark's digits
have at most 98; a slower hand sends more) is answered on the event loop, in a few milliseconds:
handed to a thread, the same work took the server about 1 ms more CPU a request at 16 users, in
hand-offs of Python's GIL between that thread and the event loop (measured with
benchmarks.load --draw). Such reads take at most about LOOP_SHARE of each second (LoopBudget), so
that a flood of them cannot hold up the loop's other work. When many people draw at once, their
drawings are read by one call of the LSTM (AnswerBatch): a call spends a good part of its time
before its first row, and several drawings share it. The rest, and any other ask, run in a
thread, bounded like the queue's events: MODEL_SLOTS asks at once (SLOTS, beside the queue's),
at most half of QUEUE_SIZE waiting. The strokes' ends share these slots and wait while fewer than
QUEUE_SIZE do: live asks alone cannot fill the line for them. demo.bounds refuses a body over its
limit before it is read. What it reads is validated by the same code as the canvas's event
(events.draw), so a hostile value gets the same answer there and here.
"""

import asyncio
import collections
import json
import time

import anyio
import numpy as np
import torch
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from demo import events
from demo.canvas import MAX_STROKES
from demo.guard import Refused
from demo.i18n import language, text
from demo.inference import MODEL_SLOTS, Reader

LIVE_PATH = "/live/stroke"
QUEUE_SIZE = 64  # asks waiting beyond this are turned away, here and in app.py's queue
INLINE_POINTS = 300  # bounds the work of a read on the event loop: it grows with the points drawn
LOOP_SHARE = 0.25  # of each second, at most, spent reading on the event loop
BATCH_BUSY = 4  # asks in the last BATCH_RECENT s from which an ask waits for others' (16 people drawing send about 5)
BATCH_RECENT = 0.1  # s: the page's pace, one ask per person drawing
BATCH_WINDOW = 0.03  # s an ask waits for others' at most
BATCH_MOST = 8  # asks read in one call at most


class Slots:
    """MODEL_SLOTS asks run at once, each in a thread of its own; the others wait on the event loop,
    holding no thread, and an ask is turned away at once when QUEUE_SIZE already wait."""

    def __init__(self, slots: int = MODEL_SLOTS, most_waiting: int = QUEUE_SIZE):
        self.slots, self.most_waiting = slots, most_waiting
        self.limiter = None  # made at the first ask: anyio makes it for the event loop it runs on

    async def run(self, work, most_waiting: int | None = None):
        """work() in a slot's thread, its result; None, without running it, when `most_waiting`
        (by default the line's length) already wait."""
        if self.limiter is None:
            self.limiter = anyio.CapacityLimiter(self.slots)
        if self.limiter.statistics().tasks_waiting >= (self.most_waiting if most_waiting is None else most_waiting):
            return None
        return await anyio.to_thread.run_sync(work, limiter=self.limiter)


SLOTS = Slots()  # the live asks' and the strokes' ends'


async def stroke_end(reader: Reader, value, mode: str, lang: str, slots: Slots | None = None) -> list:
    """The canvas's event, outside the queue: [Shown, explorer payload] of events.draw, read in one
    of `slots` (by default SLOTS). A value with no strokes (an empty canvas, or what CanvasValue
    kept of a refused one) is answered at once, without a slot. When the line is full, the payload
    says the server is busy, and Shown holds the drawing unread (events.switch reads it)."""
    if not (isinstance(value, dict) and value.get("strokes")):  # nothing to draw or read
        return events.draw(reader, "canvas", value, mode, lang)
    drawn = await (slots or SLOTS).run(lambda: events.draw(reader, "canvas", value, mode, lang))
    if drawn is None:
        unread = events.Shown(problem=text(lang, "busy_stroke_end"), source="canvas", drawing=value)
        return events.shown_with(reader, unread, mode)
    return drawn


def answer(value: dict) -> Response:
    # json.dumps of plain numbers: FastAPI's generic encoder would take longer than the LSTM.
    return Response(json.dumps(value, separators=(",", ":")), media_type="application/json")


def asked_canvas(body: bytes) -> tuple[object, str]:
    """(canvas value, mode) of a request body {"canvas": a canvas value with "drawing": true,
    "mode": one of events.MODES}; (None, "LSTM") for anything else."""
    try:
        asked = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested deeper than Python's stack
        asked = None
    if not isinstance(asked, dict) or set(asked) != {"canvas", "mode"} or not isinstance(asked["mode"], str) \
            or asked["mode"] not in events.MODES or not events.pen_down(asked["canvas"]):
        return None, "LSTM"
    return asked["canvas"], asked["mode"]


class LoopBudget:
    """Time spent reading on the event loop, second by second: more is allowed while the current
    second's reads took less than `share` of it. `clock` tells the second, `timer` times the reads."""

    def __init__(self, share: float = LOOP_SHARE, clock=time.monotonic, timer=time.perf_counter):
        self.share, self.clock, self.timer = share, clock, timer
        self.second, self.used = 0, 0.0

    def allows(self) -> bool:
        if int(self.clock()) != self.second:
            self.second, self.used = int(self.clock()), 0.0
        return self.used < self.share

    def run(self, work):
        start = self.timer()
        try:
            return work()
        finally:
            self.used += self.timer() - start


def cheap(value, mode: str) -> bool:
    """Whether an ask may be answered on the event loop: the LSTM alone on at most INLINE_POINTS
    points, or a value events.draw refuses at once (too many strokes)."""
    strokes = value.get("strokes") if isinstance(value, dict) else None
    if not isinstance(strokes, list) or len(strokes) > MAX_STROKES:
        return True
    return mode == "LSTM" and all(isinstance(s, list) for s in strokes) and sum(map(len, strokes)) <= 2 * INLINE_POINTS


class AnswerBatch:
    """The LSTM's answers after each row for the live asks read on the event loop, several users'
    drawings in one call of the model. A call of it on one drawing spends a good part of its time
    before the first row, and a batch shares that (`python -m benchmarks.load --draw` at 16 users,
    the README's "Where the server's CPU goes"). While `busy` asks or more came in the last
    BATCH_RECENT s, an ask waits up to `window` s for others (at most `most` in all); with fewer,
    it is read at once, so a few people drawing wait for nobody. The reads count in `loop`'s
    share of the second."""

    def __init__(self, reader: Reader, loop: LoopBudget, busy: int = BATCH_BUSY, window: float = BATCH_WINDOW,
                 most: int = BATCH_MOST, clock=time.monotonic):
        self.reader, self.loop, self.busy, self.window, self.most, self.clock = reader, loop, busy, window, most, clock
        self.waiting: list[tuple[torch.Tensor, asyncio.Future]] = []
        self.recent: collections.deque[float] = collections.deque()  # when the asks of the last BATCH_RECENT s came
        self.timer: asyncio.TimerHandle | None = None

    async def answers(self, image: torch.Tensor) -> np.ndarray:
        """(rows, classes): the LSTM's answer after each row of one (28, 28) input."""
        now = self.clock()
        self.recent.append(now)
        while self.recent[0] < now - BATCH_RECENT:
            self.recent.popleft()
        if len(self.recent) < self.busy and not self.waiting:
            return self.read([image])[0]
        answered = asyncio.get_running_loop().create_future()
        self.waiting.append((image, answered))
        if len(self.waiting) >= self.most:
            self.read_waiting()
        elif self.timer is None:
            self.timer = asyncio.get_running_loop().call_later(self.window, self.read_waiting)
        return await answered

    def read(self, images: list[torch.Tensor]) -> np.ndarray:
        return self.loop.run(lambda: self.reader.answers("LSTM", images))

    def read_waiting(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        waiting, self.waiting = self.waiting, []
        try:
            rows = self.read([image for image, _ in waiting])
        except Exception as error:  # noqa: BLE001 (no waiting ask is left hanging: each gets the batch's error)
            rows = [error] * len(waiting)
        for (_, answered), answer_rows in zip(waiting, rows):
            if answered.done():  # its ask was cancelled (a server shutting down)
                continue
            if isinstance(answer_rows, Exception):
                answered.set_exception(answer_rows)
            else:
                answered.set_result(answer_rows)


def stroke_route(reader: Reader, slots: Slots | None = None, loop: LoopBudget | None = None) -> Route:
    """The route POST LIVE_PATH: a body asked_canvas reads -> the explorer's light payload for it,
    as JSON; a body it refuses, or an ask the full line turns away, gets the payload's problem."""
    loop = loop or LoopBudget()
    batch = AnswerBatch(reader, loop)
    on_cpu = reader.device.type == "cpu"  # a GPU's calls wait on the device: never on the loop

    async def read_stroke(request: Request) -> Response:
        lang = language(request)
        value, mode = asked_canvas(await request.body())
        if value is None:
            value = Refused(text(lang, "live_request"))

        def read():
            return answer(events.draw(reader, "canvas", value, mode, lang)[1])

        if on_cpu and cheap(value, mode) and loop.allows():
            image, problem = loop.run(lambda: events.prepare("canvas", value, lang))
            rows = None if image is None else {"LSTM": await batch.answers(image)}
            return answer(events.drawn(reader, "canvas", value, mode, image, problem, rows)[1])
        # Half the line at most (rounded up): the strokes' ends, which keep a session's drawing, find room.
        line = slots or SLOTS
        answered = await line.run(read, (line.most_waiting + 1) // 2)
        return answered or answer(events.explorer_value(reader, events.Shown(problem=text(lang, "busy")), mode))

    return Route(LIVE_PATH, read_stroke, methods=["POST"])
