"""Many users at once, on this machine only: N gradio_client clients against a local rowscan for T s.

    python -m benchmarks.load [--clients 32] [--seconds 60]

It starts `python app.py` on loopback with a Gradio cache folder of its own. Each client is its
own session and, until the time is up, alternately sends `classify` a drawing file and draws a
digit through the canvas's event (`/stroke`), with the two models in turn. It prints the
requests, errors, wrong answers and p50 / p99 latency per endpoint, and every few seconds the
server's memory (RSS) and its cache folder, to show whether either keeps growing.
"""

import argparse
import os
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from gradio_client import handle_file

from benchmarks.app_speed import api_client, canvas_value, drawing_files, percentile
from benchmarks.local_app import local_app

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # gradio_client reads it as well as its own flag

MAX_CLIENTS, MAX_SECONDS = 64, 600  # the load is bounded, whatever is asked
MODELS = ("LSTM", "BiLSTM")
DRAWN = [canvas_value(digit) for digit in range(10)]


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
    request = 0
    while time.monotonic() < deadline:
        digit, model = (number + request) % 10, MODELS[request // 2 % 2]
        endpoint = "classify" if request % 2 == 0 else "stroke"
        start = time.perf_counter()
        try:
            if endpoint == "classify":
                answer = client.predict(handle_file(str(drawings[digit])), model, api_name="/classify")["digit"]
            else:
                reading = client.predict(DRAWN[digit], model, api_name="/stroke")["readings"].get(model, {})
                answer = reading.get("digit")
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
    parser.add_argument("--seconds", type=float, default=60, help=f"at most {MAX_SECONDS}")
    parser.add_argument("--every", type=float, default=5, help="seconds between server samples")
    args = parser.parse_args()
    load = run(args.clients, args.seconds, args.every)
    print(summary(load, min(args.seconds, MAX_SECONDS)))


if __name__ == "__main__":
    main()
