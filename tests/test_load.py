"""Short runs of the load script: many clients at once get every answer right, the server
writes nothing to its cache per request, and users drawing as the page does read their digits
(`python -m benchmarks.load [--draw]` is the full run)."""

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
