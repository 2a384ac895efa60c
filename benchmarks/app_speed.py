"""Speed of the app, printed (never asserted):

    python -m benchmarks.app_speed stroke [--calls 200]    server time and bytes of one canvas send, and of whole strokes
    python -m benchmarks.app_speed stroke --against REV    a stroke's end here and in git revision REV, call by call
    python -m benchmarks.app_speed classify [--calls 200]  `classify` round trip through gradio_client
    python -m benchmarks.app_speed batching                16 `classify` requests at once, batched by Gradio
    python -m benchmarks.app_speed startup                 `python app.py` until it answers HTTP
    python -m benchmarks.app_speed sessions [--calls 3000] answers lost by a Client that 8 threads share
    python -m benchmarks.app_speed channels [--calls 200]  server CPU of a canvas send by each way in, beyond its work

A stroke's server time is what the canvas event runs and the JSON the server sends, made as the
way in makes it: while the pen is down, the live channel's json.dumps of the light reading (the
answer after each row); when it lifts, each output's postprocess and Gradio's orjson (its /run
route) of the full reading (trace, row importance and every state, for a bidirectional model of
every cut), though not the rest of the route's work (its thread, its look for files in the
outputs, the session's state); then the sum over a whole stroke's sends, as the page makes them (pen_ticks), each going on from
the last one's drawing (demo.canvas.DrawingsInProgress), and, alternately, with each send drawn
afresh.

With --against, this checkout and revision REV (from `git archive`) each run in a process of their
own (benchmarks/timed_draws.py), both on one CPU, taking turns call by call on the same canvas
values, so that both meet the same moments of a shared machine's noise. Each send is timed at a
stroke's end as its own revision's benchmark times a send (before issue 9, every send was a full
one, and no JSON was timed), and its event function alone. REV must be from before issue 9 (its
canvas event takes a cursor row) or have app_speed.timed_send; the worker of any other says so. (Left
to the scheduler, the two processes ran on either CPU of this project's 2-core machine: the same
two trees' BiLSTM took 13.2 and 13.4 ms in one run, 18.8 and 15.3 ms in another.)
"""

import argparse
import json
import math
import os
import random
import select
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import gradio as gr
from gradio.routes import ORJSONResponse
from gradio_client import Client, handle_file

from benchmarks.local_app import REPO, local_app
from demo import canvas, events, live
from demo.canvas import EMPTY, SEND_EVERY_MS, SIZE
from demo.inference import Reader
from demo.sketches import canvas_strokes, render
from demo.ui import build


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def canvas_value(digit: int, size: int = SIZE, strokes: int | None = None) -> dict:
    """What the canvas sends once the digit (or its first `strokes` strokes) is drawn on it."""
    flat = [[c for point in stroke for c in point] for stroke in canvas_strokes(digit, size)]
    return {**EMPTY, "size": size, "strokes": flat[:strokes]}


PEN_SPEED = 400  # canvas pixels per second: a digit takes about a second
POINTER_HZ = 60  # pointermove events per second, as browsers send them
PEN_UP = 0.25  # seconds between one stroke's end and the next one's start
TREMOR = 2  # canvas pixels a hand's point may stray from the stroke's line, either way


def stroke_values() -> list[dict]:
    """A canvas value per digit, with the drawing as it stands after each of its strokes."""
    return [canvas_value(digit, strokes=n + 1) for digit in range(10) for n in range(len(canvas_strokes(digit, SIZE)))]


def pen_ticks(digit: int, hand: random.Random | None = None) -> list[tuple[float, dict]]:
    """(seconds since pen-down, canvas value) of each send while the digit is drawn: a pointer
    event every 1/POINTER_HZ s; a send when 100 ms have passed since the last, and at pen-up.
    With a `hand`, each point strays up to TREMOR pixels from the line, as no two drawings by
    people are the same, so the server's memories of recent canvases and readings cannot spare
    one hand's drawing its work because another's was the same."""
    ticks, done, now, last_sent = [], [], 0.0, -math.inf
    stray = (lambda: 0) if hand is None else (lambda: hand.randint(-TREMOR, TREMOR))
    for stroke in canvas_strokes(digit, SIZE):
        current = [round(c) + stray() for c in stroke[0]]
        for a, b in zip(stroke, stroke[1:]):
            steps = max(1, math.ceil(math.dist(a, b) * POINTER_HZ / PEN_SPEED))
            for k in range(1, steps + 1):
                now += 1 / POINTER_HZ
                current += [round(a[0] + (b[0] - a[0]) * k / steps) + stray(), round(a[1] + (b[1] - a[1]) * k / steps) + stray()]
                if now - last_sent > SEND_EVERY_MS / 1000:
                    ticks.append((now, {**EMPTY, "strokes": [*done, current.copy()], "drawing": True}))
                    last_sent = now
        done.append(current)
        ticks.append((now, {**EMPTY, "strokes": list(done), "drawing": False}))
        last_sent, now = now, now + PEN_UP
    return ticks


def canvas_outputs(app: gr.Blocks) -> list:
    """The output components of the canvas's change event, in order."""
    for dependency in app.fns.values():
        block_id, event = dependency.targets[0]
        if event == "change" and type(app.blocks[block_id]).__name__ == "InkCanvas":
            return dependency.outputs
    raise LookupError("no canvas change event")


def forget_recent(reader: Reader) -> None:
    """Empty the memories of recent canvas values, drawings in progress and readings, which would
    spare the benchmark's repeated drawings part of their work."""
    events._recent_canvas_input.cache_clear()
    with canvas.IN_PROGRESS.lock:
        canvas.IN_PROGRESS.kept.clear()
    with reader.recent_lock:
        reader.recent.clear()


def timed_send(reader: Reader, outputs: list, value: dict, mode: str, forget: bool = True) -> tuple[float, float, int]:
    """(ms of server time, ms of it in the event function, bytes sent) for one canvas send, by
    default as a drawing never seen before."""
    if forget:
        forget_recent(reader)
    start = time.perf_counter()
    result = events.draw(reader, "canvas", value, mode)
    computed = time.perf_counter()
    if events.pen_down(value):
        size = len(live.answer(result[1]).body)
    else:
        size = len(ORJSONResponse([component.postprocess(v) for component, v in zip(outputs, result)
                                   if not isinstance(component, gr.State)]).body)
    return (time.perf_counter() - start) * 1e3, (computed - start) * 1e3, size


def whole_strokes() -> list[list[dict]]:
    """Each stroke of the ten digits as the page sends it (pen_ticks): its sends while the pen
    moves, then its end."""
    strokes, current = [], []
    for digit in range(10):
        for _, value in pen_ticks(digit):
            current.append(value)
            if not value["drawing"]:
                strokes.append(current)
                current = []
    return strokes


def stroke(calls: int) -> None:
    reader = Reader()
    outputs = canvas_outputs(build(reader))
    values = stroke_values()
    print(f"device {reader.device}, torch threads {__import__('torch').get_num_threads()}, {calls} calls per model")
    for mode in ("LSTM", "BiLSTM", "Both side by side"):
        for pen_down in (True, False):
            sends = [timed_send(reader, outputs, {**values[i % len(values)], "drawing": pen_down}, mode)
                     for i in range(calls + 10)][10:]  # warm-up calls are not counted
            totals, computes, sizes = zip(*sends)
            print(f"{mode:17s} {'during a stroke' if pen_down else 'stroke end':15s}: p50 {statistics.median(totals):5.1f} ms, "
                  f"p99 {percentile(totals, 99):5.1f} ms (event function p50 {statistics.median(computes):5.1f} ms), "
                  f"{statistics.median(sizes) / 1000:6.1f} KB per reading (max {max(sizes) / 1000:.1f})")
        strokes = whole_strokes() * 3  # 11 strokes: each timed three times
        remembered, afresh = [], []
        for sends in strokes:  # each stroke new, its sends in order, then again with nothing remembered
            forget_recent(reader)
            remembered.append(sum(timed_send(reader, outputs, value, mode, forget=False)[0] for value in sends))
            afresh.append(sum(timed_send(reader, outputs, value, mode)[0] for value in sends))
        print(f"{mode:17s} {'whole stroke':15s}: p50 {statistics.median(remembered):5.1f} ms, the sum over its "
              f"{sum(map(len, strokes)) / len(strokes):.1f} sends (every 100 ms while the pen moves, then its end); "
              f"{statistics.median(afresh):5.1f} ms with each send drawn afresh, alternately")


WORKER_PATIENCE = 120  # seconds a --against worker may take to load its models or answer one send


def stroke_end_against(revision: str, calls: int) -> None:
    """A stroke's end, p50 over `calls` values per model: this checkout against `revision`, the two
    taking turns call by call, each first in every other turn."""
    values = stroke_values()
    with tempfile.TemporaryDirectory() as other, ExitStack() as workers_running:
        archive = subprocess.run(["git", "archive", revision], cwd=REPO, capture_output=True)
        if archive.returncode:
            raise SystemExit(archive.stderr.decode(errors="replace"))
        subprocess.run(["tar", "-x", "-C", other], input=archive.stdout, check=True)
        names = [subprocess.run(command, cwd=REPO, capture_output=True, text=True).stdout.strip() for command in
                 (["git", "describe", "--always", "--dirty"], ["git", "rev-parse", "--short", f"{revision}^{{commit}}"])]
        print(f"this checkout is {names[0]}, {revision} is {names[1]}", flush=True)
        workers = {}
        for name, tree in (("this checkout", REPO), (revision, Path(other))):
            workers[name] = workers_running.enter_context(subprocess.Popen(
                [sys.executable, str(Path(__file__).with_name("timed_draws.py"))], cwd=tree,
                env={**os.environ, "PYTHONPATH": str(tree)}, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE))
            workers_running.callback(workers[name].kill)  # at the end, or on an error: none left loading or writing
            os.sched_setaffinity(workers[name].pid, {min(os.sched_getaffinity(0))})  # both on one CPU
        for mode in ("LSTM", "BiLSTM"):
            times = {name: [] for name in workers}
            for i in range(calls + 10):
                for name in list(workers)[:: 1 if i % 2 else -1]:
                    workers[name].stdin.write(json.dumps({"mode": mode, "value": values[i % len(values)]}) + "\n")
                    workers[name].stdin.flush()
                    if not select.select([workers[name].stdout], [], [], WORKER_PATIENCE)[0]:
                        raise SystemExit(f"the worker of {name} gave no answer in {WORKER_PATIENCE} s")
                    answer = workers[name].stdout.readline()
                    if not answer:
                        raise SystemExit(f"the worker of {name} stopped: see its error above")
                    if i >= 10:  # warm-up calls are not counted
                        times[name].append(json.loads(answer))
            print(f"{mode:7s} stroke end, p50: " + ", ".join(
                f"{name} {statistics.median(t[0] for t in found):5.1f} ms "
                f"(event function {statistics.median(t[1] for t in found):5.1f} ms)" for name, found in times.items()), flush=True)


def drawing_files(folder: Path) -> list[Path]:
    files = []
    for digit in range(10):
        files.append(folder / f"{digit}.png")
        render(digit).save(files[-1])
    return files


def api_client(url: str) -> Client:
    # Plain http on loopback: TLS verification would only cost the client CPU (see benchmarks.load).
    return Client(url, analytics_enabled=False, verbose=False, ssl_verify=False)


def classify(calls: int) -> None:
    with tempfile.TemporaryDirectory() as work, local_app() as (url, _):
        files, client = drawing_files(Path(work)), api_client(url)
        for model in ("LSTM", "BiLSTM"):
            times = []
            for i in range(calls + 5):
                start = time.perf_counter()
                client.predict(handle_file(str(files[i % 10])), model, api_name="/classify")
                if i >= 5:  # warm-up calls are not counted
                    times.append((time.perf_counter() - start) * 1e3)
            print(f"{model:7s} classify round trip over {calls} calls: p50 {statistics.median(times):5.1f} ms, "
                  f"p99 {percentile(times, 99):5.1f} ms")


def batching(rounds: int = 10) -> None:
    """16 requests sent together (Gradio runs waiting ones as one batch of up to 16) against the
    same 16 one after another; then the event function alone, on 16 images at once or singly."""
    with tempfile.TemporaryDirectory() as work:
        files = drawing_files(Path(work))
        with local_app() as (url, _):
            requests = [(api_client(url), handle_file(str(files[i % 10]))) for i in range(16)]
            with ThreadPoolExecutor(16) as pool:
                for model in ("LSTM", "BiLSTM"):
                    together, apart = [], []
                    for _ in range(rounds):
                        start = time.perf_counter()
                        list(pool.map(lambda r, m=model: r[0].predict(r[1], m, api_name="/classify"), requests))
                        together.append(time.perf_counter() - start)
                        start = time.perf_counter()
                        for client, file in requests:
                            client.predict(file, model, api_name="/classify")
                        apart.append(time.perf_counter() - start)
                    print(f"{model:7s} 16 requests together: {statistics.median(together) * 1e3:5.0f} ms for all; "
                          f"one after another: {statistics.median(apart) * 1e3:5.0f} ms")
        reader = Reader()
        paths = [str(files[i % 10]) for i in range(16)]
        for model in ("LSTM", "BiLSTM"):
            at_once, singly = [], []
            for _ in range(rounds):
                start = time.perf_counter()
                events.classify(reader, paths, [model] * 16)
                at_once.append(time.perf_counter() - start)
                start = time.perf_counter()
                for path in paths:
                    events.classify(reader, [path], [model])
                singly.append(time.perf_counter() - start)
            print(f"{model:7s} events.classify on 16 files: {statistics.median(at_once) * 1e3:5.1f} ms in one call, "
                  f"{statistics.median(singly) * 1e3:5.1f} ms in 16 calls")


def sessions(calls: int) -> None:
    """8 threads send `classify` unreadable files (answered at once, so events end and the
    session's stream closes often): first through one shared Client, then through a Client each.
    gradio_client 2.7.2 can hand a shared Client's answer to a stream it has just closed."""
    with tempfile.TemporaryDirectory() as work, local_app() as (url, _):
        junk = Path(work) / "junk.png"
        junk.write_text("not an image")

        def send(client: Client, count: int) -> Counter:
            lost = Counter()
            for _ in range(count):
                try:
                    client.predict(handle_file(str(junk)), "LSTM", api_name="/classify")
                except Exception as error:  # noqa: BLE001 (each lost answer is counted)
                    lost[type(error).__name__] += 1
            return lost

        shared = api_client(url)
        for name, clients in (("one Client shared by 8 threads", [shared] * 8),
                              ("one Client per thread", [api_client(url) for _ in range(8)])):
            with ThreadPoolExecutor(8) as pool:
                lost = sum(pool.map(send, clients, [calls // 8] * 8), Counter())
            print(f"{name}: {lost.total()} of {calls // 8 * 8} answers lost {dict(lost)}")


REFUSED = {**EMPTY, "strokes": "not strokes"}  # answered at once: nothing drawn, nothing read


def channels(calls: int) -> None:
    """The server's CPU per request of each way a canvas value can come in, beyond the reading:
    one session sends a value the server refuses at once, `calls` times, 20 ms apart, through
    Gradio's queue (gradio_client, as programs call the canvas's event), through Gradio's /run
    route (as the page sends that event, which has queue=False) and through the live channel (as
    the page asks while the pen is down); two rounds. From /proc, the idle server's CPU included."""
    import httpx

    from benchmarks.load import cpu_seconds

    with local_app() as (url, server):
        client = api_client(url)
        with httpx.Client(base_url=url, timeout=60) as http:
            ways = {
                "Gradio's queue": lambda: client.predict(REFUSED, "LSTM", api_name="/stroke"),
                "Gradio's /run route": lambda: http.post("gradio_api/run/stroke", json={
                    "data": [REFUSED, "LSTM"], "session_hash": client.session_hash}).raise_for_status(),
                "the live channel": lambda: http.post(live.LIVE_PATH.lstrip("/"), json={
                    "canvas": {**REFUSED, "drawing": True}, "mode": "LSTM"}).raise_for_status(),
            }
            for send in ways.values():  # warm-up
                send()
            for turn in (1, 2):
                for name, send in ways.items():
                    time.sleep(1)
                    cpu = cpu_seconds(server.pid)
                    for _ in range(calls):
                        send()
                        time.sleep(0.02)
                    print(f"round {turn}, through {name:21s}: {(cpu_seconds(server.pid) - cpu) / calls * 1e3:4.1f} ms "
                          f"of server CPU per refused canvas value")
        client.close()


def startup() -> None:
    start = time.perf_counter()
    with local_app(env={"GRADIO_ANALYTICS_ENABLED": "False"}):
        print(f"python app.py ready to serve after {time.perf_counter() - start:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["stroke", "classify", "batching", "startup", "sessions", "channels"])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--against", metavar="REV", help="stroke only: time a stroke's end here and in git revision REV, in turns")
    args = parser.parse_args()
    if args.against:
        if args.what != "stroke":
            parser.error("--against goes with stroke only")
        stroke_end_against(args.against, args.calls)
    elif args.what in ("stroke", "classify", "sessions", "channels"):
        {"stroke": stroke, "classify": classify, "sessions": sessions, "channels": channels}[args.what](args.calls)
    else:
        {"batching": batching, "startup": startup}[args.what]()


if __name__ == "__main__":
    main()
