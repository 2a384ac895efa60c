"""`python app.py` on a free loopback port, as a user starts it: for the API tests and the benchmarks."""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def local_app(env: dict[str, str] | None = None, args: list[str] = (), flags: bool = False,
              timeout: float = 90, repo: Path = REPO) -> Iterator[tuple[str, subprocess.Popen]]:
    """Yields (url, process) once the app in `repo` answers HTTP; stops it afterwards. The address and port
    are given as the environment variables GRADIO_SERVER_NAME/PORT, or as --host/--port with `flags`.
    Raises RuntimeError, with the app's output, when it exits or does not answer in `timeout` s."""
    port = free_port()
    env = {**os.environ, **(env or {})}
    if flags:
        args = ["--host", "127.0.0.1", "--port", str(port), *args]
    else:
        env.update(GRADIO_SERVER_NAME="127.0.0.1", GRADIO_SERVER_PORT=str(port))
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryFile("w+") as log:  # a file, not a pipe: a pipe nobody reads would stall the app
        process = subprocess.Popen([sys.executable, "app.py", *args], cwd=repo, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"app.py exited: {log.read()}")
                try:
                    urllib.request.urlopen(url, timeout=1)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"app.py did not answer within {timeout:.0f} s") from None
                    time.sleep(0.05)
            yield url, process
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
