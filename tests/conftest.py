"""Shared fixtures: real MNIST (from $ROWSCAN_DATA, else downloaded into data/) and the shipped models."""

import os
from pathlib import Path

import pytest
import torch

from benchmarks.local_app import local_app
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


@pytest.fixture(scope="session")
def app_url():
    """`python app.py` running on a free loopback port, as a user starts it."""
    try:
        with local_app() as (url, _):
            yield url
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
