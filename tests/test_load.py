"""Short runs of the load script: many clients at once get every answer right, the server
writes nothing to its cache per request, and users drawing as the page does read their digits
(`python -m benchmarks.load [--draw]` is the full run)."""

import random

from benchmarks.app_speed import TREMOR, pen_ticks
from benchmarks.load import run, run_drawing, summary


def test_eight_clients_for_ten_seconds():
    load = run(clients=8, seconds=10, every=1)
    print(summary(load, 10))
    assert load.errors == [] and load.wrong == []
    assert min(map(len, load.latencies.values())) >= 20  # both endpoints were really exercised
    # Past the first seconds the cache holds the examples and the ten distinct uploads; at most one
    # upload per client is in flight (written, then moved), where one file per answer would add hundreds.
    after_warm_up = [sample.cache_files for sample in load.samples[2:]]
    assert max(after_warm_up) - min(after_warm_up) <= 8 < load.requests / 10, [(s.seconds, s.cache_files) for s in load.samples]


def test_users_drawing_as_the_page_does_get_every_final_answer_right_and_nobody_there_costs_little():
    """Four users drawing get every final answer right. Before they come, the server mostly
    sleeps: Gradio's queue would look for events 1,000 times a second (830 to 870 wake-ups a
    second measured); app.py makes it every 10 ms (about 130)."""
    idle, (drawing,) = run_drawing(users=[4], seconds=8, idle_seconds=3)
    assert drawing.errors == [] and drawing.wrong == []
    assert len(drawing.latencies) == drawing.answered >= 20  # digits were drawn, and each send counted once
    assert idle.wakeups < 400, idle


def test_each_drawing_of_the_load_is_new_and_stays_on_its_digit():
    """The drawing users' hands tremble, each in its own way: no send repeats another user's (the
    server's memories of recent canvases and readings would answer it for nothing, as they did
    before), yet every point stays within TREMOR pixels of the digit's line."""
    steady = pen_ticks(4)
    one, other = pen_ticks(4, random.Random(1)), pen_ticks(4, random.Random(2))
    assert [at for at, _ in one] == [at for at, _ in steady]  # sent at the same moments
    assert all(a["strokes"] != b["strokes"] != c["strokes"] for (_, a), (_, b), (_, c) in zip(steady, one, other))
    for (_, value), (_, line) in zip(one, steady):
        for stroke, steady_stroke in zip(value["strokes"], line["strokes"]):
            assert len(stroke) == len(steady_stroke)
            assert max(abs(a - b) for a, b in zip(stroke, steady_stroke)) <= TREMOR
