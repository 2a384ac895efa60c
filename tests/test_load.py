"""Short runs of the load script: many clients at once get every answer right, the server
writes nothing to its cache per request, and users drawing as the page does read their digits
(`python -m benchmarks.load [--draw]` is the full run)."""

import json
import random
import sys

import pytest
import uvicorn

import benchmarks.load
from benchmarks.app_speed import pen_ticks
from benchmarks.load import run, run_drawing, summary
from demo import events


def test_eight_clients_for_ten_seconds():
    load = run(clients=8, seconds=10, every=1)
    print(summary(load, 10))
    assert load.errors == [] and load.wrong == []
    assert min(map(len, load.latencies.values())) >= 20  # both endpoints were really exercised
    # Past the first seconds the cache holds the examples and the ten distinct uploads; at most one
    # upload per client is in flight (written, then moved), where one file per answer would add hundreds.
    after_warm_up = [sample.cache_files for sample in load.samples[2:]]
    assert max(after_warm_up) - min(after_warm_up) <= 8 < load.requests / 10, [(s.seconds, s.cache_files) for s in load.samples]


def test_users_drawing_as_the_page_does_get_every_final_answer_right_and_nobody_there_costs_little(monkeypatch):
    """Four users drawing get every final answer right, and no drawing is another's (the server's
    memories of recent canvases and readings would spare a repeat part of its work). Before they come,
    the server mostly sleeps: Gradio's queue would look for events 1,000 times a second (830 to 870
    wake-ups a second measured); app.py makes it every 10 ms (about 130). One user alone costs it
    more for a pen-up (a full reading, through the queue) than for a live ask."""
    drawn = []

    def recorded_pen_ticks(digit, hand=None):
        ticks = pen_ticks(digit, hand)
        drawn.append(json.dumps(ticks[-1][1]["strokes"]))  # the finished drawing
        return ticks

    monkeypatch.setattr(benchmarks.load, "pen_ticks", recorded_pen_ticks)
    idle, alone, (drawing,) = run_drawing(users=[4], seconds=8, idle_seconds=3)
    assert drawing.errors == [] and drawing.wrong == []
    assert len(drawing.latencies) == drawing.answered >= 20  # digits were drawn, and each send counted once
    assert idle.wakeups < 400, idle
    assert 0 < alone.live_ask < alone.pen_up, alone
    assert len(drawn) > 30 + 4 and len(set(drawn)) == len(drawn)  # warm-up's one, one user's 30, then the four users'


def test_no_two_hands_draw_a_digit_alike():
    """With a hand, every send of a drawing strays from the digit's lines (TREMOR) at the moments
    the steady pen sends; two hands' drawings differ, and so do the 28x28 inputs of their pen-ups,
    which key the server's memory of readings."""
    steady = pen_ticks(4)
    hands = [pen_ticks(4, random.Random(seed)) for seed in range(5)]
    for ticks in hands:
        assert [at for at, _ in ticks] == [at for at, _ in steady]
        assert all(value["strokes"] != line["strokes"] for (_, value), (_, line) in zip(ticks, steady))
    finished = [ticks[-1][1] for ticks in hands]
    inputs = {events.canvas_input(value).numpy().tobytes() for value in finished}
    assert len(inputs) == len(hands)



@pytest.mark.skipif(sys.platform == "win32", reason="uvloop does not run on Windows")
def test_the_server_waits_on_sockets_with_uvloop():
    """Gradio starts uvicorn with its defaults ("auto"), which take uvloop's event loop when it is
    installed (requirements.txt): about 0.4 ms less server CPU per request (`python -m
    benchmarks.app_speed channels`). Without it uvicorn quietly falls back to asyncio's loop."""
    assert uvicorn.Config(app=None).get_loop_factory().__module__.startswith("uvloop")
