"""Many users at once, on this machine only: gradio_client clients against a local rowscan.

    python -m benchmarks.load [--clients 32] [--seconds 60]
    python -m benchmarks.load --draw [--users 4 8 16 32] [--seconds 60] [--model LSTM]

It starts `python app.py` on loopback with a Gradio cache folder of its own; each client is its
own session.

Mixed (the default): until the time is up each client alternately sends `classify` a drawing file
and a finished digit to the canvas's event (`/stroke`), with the two models in turn. It prints the
requests, errors, wrong answers and p50 / p99 latency per endpoint, and every few seconds the
server's memory (RSS) and its cache folder, to show whether either keeps growing.

Drawing (`--draw`): users draw as the page sends strokes. The pen moves at PEN_SPEED; while it
moves, the growing stroke list goes out when 100 ms have passed since the last send, through the
explorer's live channel (demo/live.py), and again at pen-up, through the canvas's event
(demo/canvas.py's rule), sent as the page sends it (outside the queue when the event has
queue=False); the next request goes out only once the last is answered, with the newest
value (as the page does); 2 s pass between digits. Each drawing strays from the digit's lines by a
hand's tremor of its own (app_speed.pen_ticks), so that users practically never send the same
drawing and the server's memories of recent canvases and readings spare them no work.

First one user draws one digit (warm_up); then it prints what the server costs for 10 s with
nobody there (CPU time, and how often its threads wake), and what one user alone costs it per
live ask and per pen-up (one_user). Then for each number of users it prints the stroke latency
p50 / p99, the share of 100 ms ticks answered fresh (a tick is stale when a newer one replaced it
while a request was in flight, so it was never sent), and the server's CPU time per stroke
request, from /proc/<pid>/stat. Only the stroke endpoint's inputs, its answer and the live route
are read from the app's own config and outputs, so any outputs will do.
"""

import argparse
import bisect
import json
import os
import random
import re
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from gradio_client import handle_file

from benchmarks.app_speed import api_client, canvas_value, drawing_files, pen_ticks, percentile
from benchmarks.local_app import local_app

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # gradio_client reads it as well as its own flag

MAX_CLIENTS, MAX_SECONDS = 64, 600  # the load is bounded, whatever is asked
MODELS = ("LSTM", "BiLSTM")
DRAWN = [canvas_value(digit) for digit in range(10)]
PAUSE = 2.0  # seconds between digits
STATUS_DIGIT = re.compile(r"reads an? \*\*(\d)\*\*")


def stroke_arguments(client) -> Callable[[dict, str], list]:
    """(canvas value, model) -> the canvas event's arguments, read from the app's config: the
    value goes to the input whose default holds strokes, the model to the input offering it as a
    choice, and every other input gets its default."""
    dependency = next(d for d in client.config["dependencies"] if d.get("api_name") == "stroke")
    components = {c["id"]: c.get("props", {}) for c in client.config["components"]}
    inputs = [components[i] for i in dependency["inputs"]]

    def arguments(value: dict, model: str) -> list:
        chosen = []
        for props in inputs:
            default = props.get("value")
            choices = [c[0] if isinstance(c, (list, tuple)) else c for c in props.get("choices") or []]
            chosen.append(value if isinstance(default, dict) and "strokes" in default else model if model in choices else default)
        return chosen

    return arguments


def live_channel(client) -> Callable[[httpx.Client, dict, str], dict]:
    """(http client, canvas value, mode) -> the explorer's answer through its live channel, as the
    page asks it: a POST to the route its config names. An answer without readings (the server
    busy, or the value refused) is raised as an error."""
    route = next(c["props"]["props"]["live"] for c in client.config["components"]
                 if "live" in (c.get("props", {}).get("props") or {}))

    def ask(http: httpx.Client, value: dict, mode: str) -> dict:
        response = http.post(route.lstrip("/"), content=json.dumps({"canvas": value, "mode": mode}),
                             headers={"Content-Type": "application/json"})
        response.raise_for_status()
        answer = response.json()
        if not answer["readings"]:
            raise RuntimeError(answer["problem"])
        return answer

    return ask


def stroke_end_channel(client) -> Callable[[httpx.Client, list], object]:
    """(http client, the canvas event's arguments) -> its outputs, sent as the page sends it: with
    one POST to Gradio's /run route when the event is not queued (queue=False), else through the
    queue (gradio_client). An answer whose explorer payload has no readings (the server busy) is
    raised as an error, as a full queue's refusal is."""
    dependency = next(d for d in client.config["dependencies"] if d.get("api_name") == "stroke")

    def direct(http: httpx.Client, arguments: list):
        response = http.post("gradio_api/run/stroke", json={"data": arguments, "fn_index": dependency["id"],
                                                             "session_hash": client.session_hash})
        response.raise_for_status()
        return response.json()["data"]

    def queued(http: httpx.Client, arguments: list):
        return client.predict(*arguments, api_name="/stroke")

    def stroke_end(http: httpx.Client, arguments: list):
        outputs = (queued if dependency.get("queue", True) else direct)(http, arguments)
        for output in outputs:
            if isinstance(output, dict) and output.get("readings") == {}:
                raise RuntimeError(output.get("problem"))
        return outputs

    return stroke_end


def answered_digit(outputs) -> int | None:
    """The digit an answer names, wherever its outputs hold it: a "digit" field, a gr.Label's
    "label", or a status line that says "reads a **7**"."""
    if isinstance(outputs, dict):
        for key in ("digit", "label"):
            if re.fullmatch(r"\d", str(outputs.get(key))):
                return int(outputs[key])
        outputs = list(outputs.values())
    if isinstance(outputs, (list, tuple)):
        return next((d for d in map(answered_digit, outputs) if d is not None), None)
    if isinstance(outputs, str):
        found = STATUS_DIGIT.search(outputs)
        return int(found.group(1)) if found else None
    return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, all its threads, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Sample:
    seconds: float
    requests: int
    rss_mb: float
    cache_files: int
    cache_mb: float


@dataclass
class Load:
    """What the clients saw, and what the server used, over one run."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: {"classify": [], "stroke": []})
    errors: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def requests(self) -> int:
        return sum(map(len, self.latencies.values())) + len(self.errors)


def wakeups(pid: int) -> int:
    """How many times the process's threads have gone to sleep and woken since they started
    (voluntary context switches, from /proc/<pid>/task/*/status)."""
    count = 0
    for status in Path(f"/proc/{pid}/task").glob("*/status"):
        try:
            count += int(next(line for line in status.read_text().splitlines()
                              if line.startswith("voluntary_ctxt_switches")).split()[1])
        except (FileNotFoundError, ProcessLookupError):  # a thread that ended meanwhile
            continue
    return count


def idle_cost(pid: int, seconds: float = 10.0) -> tuple[float, float]:
    """(CPU seconds, wake-ups) a second of the server while nobody uses it."""
    cpu, woken = cpu_seconds(pid), wakeups(pid)
    time.sleep(seconds)
    return (cpu_seconds(pid) - cpu) / seconds, (wakeups(pid) - woken) / seconds


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def folder_usage(folder: Path) -> tuple[int, float]:
    """Files and MB under `folder`; an upload in flight may be moved while it is counted."""
    files, size = 0, 0
    for path in folder.rglob("*"):
        try:
            if path.is_file():
                size += path.stat().st_size
                files += 1
        except FileNotFoundError:
            continue
    return files, size / 1e6


def user(url: str, number: int, drawings: list[Path], deadline: float, load: Load) -> None:
    """One client's session: classify and stroke requests, one at a time, until the deadline."""
    client = api_client(url)
    arguments = stroke_arguments(client)
    request = 0
    while time.monotonic() < deadline:
        digit, model = (number + request) % 10, MODELS[request // 2 % 2]
        endpoint = "classify" if request % 2 == 0 else "stroke"
        start = time.perf_counter()
        try:
            if endpoint == "classify":
                answer = client.predict(handle_file(str(drawings[digit])), model, api_name="/classify")["digit"]
            else:
                answer = answered_digit(client.predict(*arguments(DRAWN[digit], model), api_name="/stroke"))
        except Exception as error:  # noqa: BLE001 (every failure is counted and reported, none stops the run)
            with load.lock:
                load.errors.append(f"{endpoint}: {type(error).__name__}: {error}"[:300])
        else:
            with load.lock:
                load.latencies[endpoint].append(time.perf_counter() - start)
                if answer != digit:
                    load.wrong.append(f"{endpoint} {model} read a {digit} as {answer}")
        request += 1


def run(clients: int, seconds: float, every: float = 1.0, report=print) -> Load:
    clients, seconds = min(clients, MAX_CLIENTS), min(seconds, MAX_SECONDS)
    load = Load()
    with tempfile.TemporaryDirectory() as work:
        cache = Path(work) / "gradio"
        drawings = drawing_files(Path(work))
        with local_app(env={"GRADIO_TEMP_DIR": str(cache)}) as (url, server):
            start = time.monotonic()
            deadline = start + seconds
            threads = [threading.Thread(target=user, args=(url, n, drawings, deadline, load)) for n in range(clients)]
            for thread in threads:
                thread.start()
            report(f"{clients} clients for {seconds:.0f} s against {url}")
            report(" time  requests  errors  server RSS  cache files")
            while any(thread.is_alive() for thread in threads):
                time.sleep(every)
                sample = Sample(time.monotonic() - start, load.requests, rss_mb(server.pid), *folder_usage(cache))
                load.samples.append(sample)
                report(f"{sample.seconds:4.0f} s {sample.requests:8d} {len(load.errors):7d} {sample.rss_mb:8.0f} MB"
                       f" {sample.cache_files:6d} ({sample.cache_mb:.1f} MB)")
            for thread in threads:
                thread.join()
    return load


@dataclass
class Drawing:
    """What N drawing users saw over one phase, and the server's CPU time and memory meanwhile."""

    users: int
    latencies: list[float] = field(default_factory=list)
    ticks: int = 0  # sends the page would make
    answered: int = 0  # of those, the ones sent and answered (the others were replaced while waiting)
    errors: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    server_cpu: float = 0.0  # seconds
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def row(self) -> str:
        if len(self.latencies) < 2:
            return f"{self.users:5d}  too few answers: {self.errors[:3]}"
        answered = len(self.latencies)
        return (f"{self.users:5d} {answered:8d} {statistics.median(self.latencies) * 1e3:6.0f} ms "
                f"{percentile(self.latencies, 99) * 1e3:6.0f} ms {self.answered / self.ticks:6.0%} "
                f"{self.server_cpu / answered * 1e3:9.1f} ms {len(self.errors):6d} {len(self.wrong):5d}")


TABLE_HEADER = "users  strokes     p50       p99   fresh  server CPU/stroke  errors  wrong"


@dataclass
class Page:
    """How the page of one session (one gradio_client) sends a canvas value, read from the app's
    config (see send)."""

    arguments: Callable[[dict, str], list]
    live: Callable[[httpx.Client, dict, str], dict]
    stroke_end: Callable[[httpx.Client, list], object]

    @classmethod
    def of(cls, client) -> "Page":
        return cls(stroke_arguments(client), live_channel(client), stroke_end_channel(client))


def send(page: Page, http: httpx.Client, value: dict, model: str):
    """One canvas value sent as the page sends it: with the pen down through the live channel, at
    pen-up through the canvas's event. Its outputs."""
    if value["drawing"]:
        return page.live(http, value, model)
    return page.stroke_end(http, page.arguments(value, model))


def drawer(client, number: int, model: str, deadline: float, drawing: Drawing) -> None:
    """One user drawing digit after digit until the deadline, as the page sends them (always_last):
    strokes in progress through the live channel, their ends through the canvas's event."""
    http, page = httpx.Client(base_url=client.src, timeout=60), Page.of(client)  # its own session
    rng = random.Random(number)
    time.sleep(rng.uniform(0, PAUSE))  # users do not start in step
    digit = number % 10
    while time.monotonic() < deadline:
        ticks, start, sent, answered, outputs = pen_ticks(digit, rng), time.monotonic(), -1, 0, None
        times = [at for at, _ in ticks]
        while sent < len(ticks) - 1:
            now = time.monotonic() - start
            due = bisect.bisect_right(times, now) - 1  # the newest value the page has by now
            if due <= sent:
                time.sleep(times[sent + 1] - now)
                continue
            began, value = time.perf_counter(), ticks[due][1]
            try:
                outputs = send(page, http, value, model)
            except Exception as error:  # noqa: BLE001 (every failure is counted and reported, none stops the run)
                outputs = None
                with drawing.lock:
                    drawing.errors.append(f"{type(error).__name__}: {error}"[:300])
            else:
                answered += 1
                with drawing.lock:
                    drawing.latencies.append(time.perf_counter() - began)
            sent = due
        answer = answered_digit(outputs)
        with drawing.lock:
            drawing.ticks += len(ticks)
            drawing.answered += answered
            if outputs is not None and answer != digit:
                drawing.wrong.append(f"{model} read a drawn {digit} as {answer}")
        digit = (digit + 1) % 10
        time.sleep(PAUSE)
    http.close()


def draw_phase(url: str, pid: int, users: int, seconds: float, model: str, every: float, report) -> Drawing:
    drawing = Drawing(users)
    clients = [api_client(url) for _ in range(users)]
    start, cpu = time.monotonic(), cpu_seconds(pid)
    threads = [threading.Thread(target=drawer, args=(client, n, model, start + seconds, drawing))
               for n, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        time.sleep(min(every, 1.0) if time.monotonic() - start >= seconds else every)
        drawing.samples.append(Sample(time.monotonic() - start, len(drawing.latencies), rss_mb(pid), 0, 0.0))
        if every < seconds:
            report(f"  {users} users, {drawing.samples[-1].seconds:4.0f} s: {drawing.samples[-1].requests} strokes "
                   f"answered, server RSS {drawing.samples[-1].rss_mb:.0f} MB")
    drawing.server_cpu = cpu_seconds(pid) - cpu
    for client in clients:
        client.close()
    return drawing


def warm_up(url: str, model: str) -> None:
    """One digit drawn by one user, live asks and pen-up, before anything is measured. A fresh
    server's first event pays for what Gradio imports on first use (matplotlib, where installed,
    as requirements-train.txt installs it): 0.28 to 0.45 s of server CPU for the first pen-up,
    20 to 30 ms for the next ones."""
    client = api_client(url)
    try:
        page = Page.of(client)
        with httpx.Client(base_url=client.src, timeout=60) as http:
            for _, value in pen_ticks(0):
                send(page, http, value, model)
    finally:
        client.close()


@dataclass
class Idle:
    """The server with nobody there: its CPU seconds and its threads' wake-ups, a second."""

    cpu: float
    wakeups: float


@dataclass
class OneUser:
    """The server's CPU seconds per request of each kind when one user sends them, beyond what
    it spends with nobody there."""

    live_ask: float
    pen_up: float


ONE_USER_GAP = 0.02  # seconds between one user's sends: about the rate of 16 users' live asks


def one_user(url: str, pid: int, model: str, idle: Idle, digits: int = 30) -> OneUser:
    """One user sends `digits` drawings (a tremor each) one request at a time, ONE_USER_GAP apart:
    first every live ask, then every pen-up, so that the server's CPU splits by kind of request.
    At that rate the LSTM's live asks take about a tenth of each second, under the quarter that
    demo.live's LoopBudget lets the event loop read, so they are read there as under load; sent
    without a gap, many went to threads. /proc counts CPU in 10 ms ticks: 30 drawings give 321
    live asks and 33 pen-ups."""
    client = api_client(url)
    hand = random.Random("one user")  # no drawing user's seed (each user's is its number)
    sends = [value for digit in range(digits) for _, value in pen_ticks(digit % 10, hand)]
    costs = []
    try:
        page = Page.of(client)
        with httpx.Client(base_url=client.src, timeout=60) as http:
            for pen_down in (True, False):
                values = [value for value in sends if value["drawing"] == pen_down]
                cpu, start = cpu_seconds(pid), time.monotonic()
                for value in values:
                    send(page, http, value, model)
                    time.sleep(ONE_USER_GAP)
                spent = cpu_seconds(pid) - cpu - idle.cpu * (time.monotonic() - start)
                costs.append(spent / len(values))
    finally:
        client.close()
    return OneUser(*costs)


def run_drawing(users: list[int], seconds: float, model: str = "LSTM", every: float | None = None,
                idle_seconds: float = 10.0, report=print) -> tuple[Idle, OneUser, list[Drawing]]:
    """One server: first `idle_seconds` with nobody there, then one user alone (one_user), then for
    each number of users a phase of `seconds` in which they all draw."""
    seconds = min(seconds, MAX_SECONDS)
    with tempfile.TemporaryDirectory() as work, local_app(env={"GRADIO_TEMP_DIR": str(Path(work) / "gradio")}) as (url, server):
        report(f"users draw with the {model} shown, {seconds:.0f} s per row, against {url}")
        warm_up(url, model)
        time.sleep(2)  # the server's own start-up work, and the warm-up's
        idle = Idle(*idle_cost(server.pid, idle_seconds))
        report(f"with nobody there, the server takes {idle.cpu:.3f} CPU seconds and wakes {idle.wakeups:.0f} times a second")
        alone = one_user(url, server.pid, model, idle)
        report(f"one user alone, beyond that: {alone.live_ask * 1e3:.1f} ms of server CPU a live ask, "
               f"{alone.pen_up * 1e3:.0f} ms a pen-up")
        phases = []
        for count in users:
            phases.append(draw_phase(url, server.pid, min(count, MAX_CLIENTS), seconds, model, every or seconds, report))
            if len(phases) == 1:
                report(TABLE_HEADER)
            report(phases[-1].row())
    return idle, alone, phases


def memory_line(drawing: Drawing) -> str:
    """Server RSS over the run, and its growth per answered stroke over the second half."""
    half = next(s for s in drawing.samples if s.seconds >= drawing.samples[-1].seconds / 2)
    last = drawing.samples[-1]
    per_request = (last.rss_mb - half.rss_mb) * 1024 / max(last.requests - half.requests, 1)
    return (f"server RSS {drawing.samples[0].rss_mb:.0f} MB at {drawing.samples[0].seconds:.0f} s, {half.rss_mb:.0f} MB "
            f"at {half.seconds:.0f} s, {last.rss_mb:.0f} MB at {last.seconds:.0f} s: {per_request:+.2f} KB per stroke "
            f"over the second half ({last.requests - half.requests} strokes)")


def summary(load: Load, seconds: float) -> str:
    lines = [(f"requests {load.requests} ({load.requests / seconds:.0f}/s), errors {len(load.errors)}, "
              f"wrong answers {len(load.wrong)}")]
    for endpoint, latencies in load.latencies.items():
        if len(latencies) >= 2:
            lines.append(f"{endpoint:8s} {len(latencies):6d} answered, latency p50 {statistics.median(latencies) * 1e3:4.0f} ms, "
                         f"p99 {percentile(latencies, 99) * 1e3:4.0f} ms, max {max(latencies) * 1e3:4.0f} ms")
    quarter = next(s for s in load.samples if s.seconds >= load.samples[-1].seconds / 4)
    last = load.samples[-1]
    lines.append(f"server RSS {quarter.rss_mb:.0f} MB after {quarter.seconds:.0f} s, {last.rss_mb:.0f} MB at the end; "
                 f"cache {quarter.cache_files} files then, {last.cache_files} at the end")
    lines += [f"  error: {error}" for error in load.errors[:5]] + [f"  wrong: {w}" for w in load.wrong[:5]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32, help=f"at most {MAX_CLIENTS}")
    parser.add_argument("--seconds", type=float, default=60, help=f"at most {MAX_SECONDS} (per row with --draw)")
    parser.add_argument("--every", type=float, default=None, help="seconds between server samples")
    parser.add_argument("--draw", action="store_true", help="users draw as the page sends strokes")
    parser.add_argument("--users", type=int, nargs="+", default=[4, 8, 16, 32], help="with --draw: a row each")
    parser.add_argument("--model", default="LSTM", choices=MODELS + ("Both side by side",), help="with --draw")
    args = parser.parse_args()
    if args.draw:
        _, _, phases = run_drawing(args.users, args.seconds, args.model, args.every)
        for phase in phases:
            if args.every:  # sampled through the run, not only at its end
                print(f"{phase.users} users: " + memory_line(phase))
            print("".join(f"  error: {e}\n" for e in phase.errors[:3]) + "".join(f"  wrong: {w}\n" for w in phase.wrong[:3]), end="")
        return
    load = run(args.clients, args.seconds, args.every or 5)
    print(summary(load, min(args.seconds, MAX_SECONDS)))


if __name__ == "__main__":
    main()
