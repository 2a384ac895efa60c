"""Shared fixtures: real MNIST (from $ROWSCAN_DATA, else downloaded into data/) and the shipped models."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import torch

from model import checkpoint
from model.data import DataUnavailable, data_root, load_mnist

REPO = Path(__file__).resolve().parent.parent
CHECKPOINTS = {"lstm": REPO / "checkpoints" / "lstm.pt", "bilstm": REPO / "checkpoints" / "bilstm.pt"}
# Real canvas drawings: CI and development machines have them beside the repo.
DRAWINGS = Path(os.environ.get("ROWSCAN_DRAWINGS", REPO.parent / "shared" / "data" / "drawn" / "set-a"))


@pytest.fixture(scope="session")
def mnist_test() -> tuple[torch.Tensor, torch.Tensor]:
    try:
        return load_mnist(data_root(), train=False)
    except DataUnavailable as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def digits(mnist_test) -> tuple[torch.Tensor, torch.Tensor]:
    """A few hundred real test digits, enough for behaviour checks."""
    images, labels = mnist_test
    return images[:300], labels[:300]


@pytest.fixture(scope="session")
def shipped_models() -> list:
    return [checkpoint.load(path)[0] for path in CHECKPOINTS.values()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_url():
    """`python app.py` running on a free loopback port, as a user starts it."""
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port)}
    process = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"app.py exited: {process.stdout.read()}", pytrace=False)
        try:
            urllib.request.urlopen(url, timeout=1)
            break
        except OSError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("app.py did not answer within 90 s", pytrace=False)
    yield url
    process.terminate()
    process.wait(10)
