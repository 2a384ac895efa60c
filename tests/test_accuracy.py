"""The shipped models on real data: MNIST test, real canvas drawings, and drawings of every kind."""

import os

import pytest
import torch

from model import checkpoint
from model.evaluate import evaluate_drawings, evaluate_mnist
from model.data import data_root
from model.preprocess import to_mnist
from tests.conftest import CHECKPOINTS, DRAWINGS
from tests.drawings import PENS, STYLES, pen_drawings, redraw


@pytest.fixture(scope="module", params=sorted(CHECKPOINTS))
def shipped(request):
    return checkpoint.load(CHECKPOINTS[request.param])


def predict(model, images) -> torch.Tensor:
    with torch.no_grad():
        return model(torch.stack(images)).argmax(1)


def test_mnist_test_accuracy_is_at_least_99_percent(shipped):
    model, card = shipped
    result = evaluate_mnist(model, data_root())
    assert result["mnist_test_count"] == 10_000
    assert result["mnist_test_accuracy"] >= 0.99
    assert result["mnist_test_accuracy"] == pytest.approx(card["mnist_test_accuracy"], abs=1e-6)


def test_real_canvas_drawings_at_least_98_percent(shipped):
    if not DRAWINGS.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{DRAWINGS} is missing in CI", pytrace=False)
        pytest.skip(f"no real drawings at {DRAWINGS} (set ROWSCAN_DRAWINGS)")
    result = evaluate_drawings(shipped[0], DRAWINGS)
    assert result["images_count"] >= 80 and result["images_accuracy"] >= 0.98, result["images_wrong"]


@pytest.mark.parametrize("pen", sorted(PENS))
def test_stroke_drawings_with_any_pen(shipped, pen):
    drawings = pen_drawings(pen)
    predicted = predict(shipped[0], [to_mnist(image) for image, _ in drawings])
    accuracy = (predicted == torch.tensor([digit for _, digit in drawings])).float().mean().item()
    assert accuracy >= 0.95, f"{pen}: {accuracy:.1%}"


def test_stroke_drawings_overall_at_least_98_percent(shipped):
    drawings = [drawing for pen in PENS for drawing in pen_drawings(pen)]
    predicted = predict(shipped[0], [to_mnist(image) for image, _ in drawings])
    accuracy = (predicted == torch.tensor([digit for _, digit in drawings])).float().mean().item()
    assert accuracy >= 0.98, f"{accuracy:.1%} of {len(drawings)}"


@pytest.mark.parametrize("style", sorted(STYLES))
def test_mnist_digits_redrawn_at_least_98_percent(shipped, mnist_test, style):
    images, labels = mnist_test[0][-300:], mnist_test[1][-300:]
    predicted = predict(shipped[0], [to_mnist(redraw(x.numpy(), **STYLES[style])) for x in images])
    accuracy = (predicted == labels).float().mean().item()
    assert accuracy >= 0.98, f"{style}: {accuracy:.1%}"
