"""Preprocessing turns any drawing into MNIST's convention, the same digit into the same 28x28."""

import tracemalloc

import numpy as np
import pytest
import torch
from PIL import EpsImagePlugin, Image, ImageFilter

from demo.sketches import Style, render
from model.preprocess import (
    BOX,
    CENTRE,
    FORMATS,
    MNIST_STROKE,
    WORK,
    UnreadableImage,
    _bounding_box,
    _fit,
    _morph,
    _safe_erosion,
    read_image,
    stroke_width,
    to_mnist,
)
from model.data import data_root, load_splits
from model.train import TrainConfig
from tests.drawings import STYLES, redraw


def centre_of_mass(image: torch.Tensor) -> tuple[float, float]:
    rows, columns = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    return float((image * rows).sum() / image.sum()), float((image * columns).sum() / image.sum())


def pil_morph(ink: np.ndarray, radius: int) -> np.ndarray:
    """What _morph did with PIL's rank filters, which it matches exactly in less time."""
    picture = Image.fromarray(np.pad(ink, abs(radius) + 1).astype(np.float32), mode="F")
    for _ in range(abs(radius)):
        picture = picture.filter(ImageFilter.MaxFilter(3) if radius > 0 else ImageFilter.MinFilter(3))
    return np.asarray(picture)


def pil_safe_erosion(ink: np.ndarray, most: int) -> int:
    solid = np.pad(ink, 1) > 0.5
    picture = Image.fromarray(solid.astype(np.uint8) * 255)
    for radius in range(most):
        picture = picture.filter(ImageFilter.MinFilter(3))
        if (np.asarray(picture) > 0).sum() < 0.4 * solid.sum():
            return radius
    return most


def test_growing_and_shrinking_strokes_match_pil_filters_exactly():
    """_morph and _safe_erosion are PIL's MaxFilter / MinFilter (window clipped at the edges),
    value for value, on random ink maps and masks of every shape, ink touching the edges included."""
    rng = np.random.default_rng(0)
    for _ in range(300):
        height, width = rng.integers(1, 60, 2)
        ink = (rng.random((height, width)) * (rng.random((height, width)) < rng.random())).astype(np.float32)
        if rng.random() < 0.3:
            ink = (ink > 0.3).astype(np.float32)
        for radius in (-3, -1, 0, 1, 2, 4):
            np.testing.assert_array_equal(_morph(ink, radius), pil_morph(ink, radius))
        for most in (1, 3, 6):
            assert _safe_erosion(ink, most) == pil_safe_erosion(ink, most)


def test_constants_are_measured_on_the_training_split_not_the_test_set():
    """CENTRE and MNIST_STROKE come from the rows training uses (validation held out), recomputed here."""
    train = load_splits(data_root(), TrainConfig.val_fraction, TrainConfig.seed).train_images
    widths = [stroke_width(_fit(x[_bounding_box(x)], WORK)) for x in train.numpy()]
    assert abs(np.median(widths) - MNIST_STROKE) < 0.1
    rows = torch.arange(28.0)
    mass = train.sum((1, 2))
    assert float(((train.sum(2) * rows).sum(1) / mass).mean()) == pytest.approx(CENTRE, abs=0.05)
    assert float(((train.sum(1) * rows).sum(1) / mass).mean()) == pytest.approx(CENTRE, abs=0.05)


def test_output_follows_mnist_convention(digits):
    for image in digits[0][:50]:
        out = to_mnist(image.numpy())
        assert out.shape == (28, 28) and out.dtype == torch.float32
        assert 0 <= out.min() and out.max() == pytest.approx(1.0)
        rows = torch.nonzero(out.amax(1) > 0.2)
        columns = torch.nonzero(out.amax(0) > 0.2)
        longer = max(rows.max() - rows.min(), columns.max() - columns.min()) + 1
        assert BOX - 2 <= longer <= BOX + 1
        row, column = centre_of_mass(out)
        assert abs(row - CENTRE) <= 0.75 and abs(column - CENTRE) <= 0.75


def test_mnist_digits_pass_through_nearly_unchanged(digits, shipped_models):
    images, labels = digits
    processed = torch.stack([to_mnist(x.numpy()) for x in images])
    assert (processed - images).abs().mean() < 0.05
    for model in shipped_models:
        with torch.no_grad():
            same = (model(processed).argmax(1) == model(images).argmax(1)).float().mean()
        assert same >= 0.97


@pytest.mark.parametrize("style", sorted(STYLES))
def test_the_same_digit_drawn_differently_gives_the_same_input(digits, shipped_models, style):
    """Shifted, scaled, inverted, on alpha, thin and thick: same 28x28 within a tolerance, same answer."""
    images, labels = digits
    reference = torch.stack([to_mnist(redraw(x.numpy())) for x in images[:60]])
    redrawn = torch.stack([to_mnist(redraw(x.numpy(), **STYLES[style])) for x in images[:60]])
    difference = (redrawn - reference).abs().mean((1, 2))
    assert difference.median() < 0.08, f"{style}: median pixel difference {difference.median():.3f}"
    for model in shipped_models:
        with torch.no_grad():
            agree = (model(redrawn).argmax(1) == model(reference).argmax(1)).float().mean()
        assert agree >= 0.95, f"{style}: {model.config.describe()} agrees on {agree:.0%} only"


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA", "P", "1", "I;16", "F"])
def test_every_pil_mode_gives_the_same_image(mode):
    drawing = render(3, Style(width=16))
    expected = to_mnist(drawing)
    converted = drawing.convert(mode) if mode not in ("I;16", "F") else drawing.convert("L").convert(mode)
    assert (to_mnist(converted) - expected).abs().max() < 0.1


@pytest.mark.parametrize(
    "convert",
    [
        lambda a: a,
        lambda a: a[..., None],
        lambda a: a.astype(np.uint16) * 257,
        lambda a: a.astype(np.float32) / 255,
        lambda a: a.astype(np.float64) * 1000 - 7,
        lambda a: a > 127,
        lambda a: np.stack([a, np.full_like(a, 255)], -1),
    ],
    ids=["uint8", "HW1", "uint16", "float01", "float-range", "bool", "grey+alpha"],
)
def test_numpy_arrays_of_any_dtype(convert):
    grey = np.asarray(render(7, Style(width=14)).convert("L"))
    assert (to_mnist(convert(grey)) - to_mnist(grey)).abs().max() < 0.15


@pytest.mark.parametrize(
    "blank",
    [
        Image.new("RGB", (280, 280), "white"),
        Image.new("RGBA", (280, 280), (0, 0, 0, 0)),
        Image.new("RGBA", (280, 280), (40, 40, 40, 255)),
        Image.new("L", (1, 1)),
        np.zeros((28, 28)),
        np.full((50, 60, 3), 200, np.uint8),
        np.full((10, 10), np.nan),
        Image.new("RGBA", (300, 300), (255, 255, 255, 100)),
        Image.new("LA", (50, 50), (0, 60)),
    ],
    ids=["white", "transparent", "dark-theme", "1x1", "zeros", "grey", "nan", "translucent-white", "translucent-black"],
)
def test_nothing_drawn_is_none(blank):
    assert to_mnist(blank) is None


@pytest.mark.parametrize("alpha", [60, 100, 120])
def test_a_background_only_partly_transparent_gives_the_opaque_drawings_input(alpha):
    """Ink on a translucent background, or at the background's alpha in another colour, is read as
    the same drawing on white."""
    on_white = to_mnist(render(7, Style(width=14)))
    for style in (Style(width=14, background=(255, 255, 255, alpha)), Style(width=14, background=(255, 255, 255, alpha), ink=(0, 0, 0, alpha))):
        assert (to_mnist(render(7, style)) - on_white).abs().max() < 0.02


@pytest.mark.parametrize("shape", [(5, 5, 7), (0, 0), (3,), (2, 2, 2, 2)])
def test_unreadable_arrays_raise_a_clear_error(shape):
    with pytest.raises(UnreadableImage, match="Cannot read an image of shape"):
        to_mnist(np.zeros(shape))


def test_odd_drawings_still_give_an_image():
    dot = Image.new("L", (280, 280), 255)
    dot.putpixel((100, 40), 0)
    line = np.zeros((5, 3000), np.uint8)
    line[2, 100:2900] = 255
    nan_ink = np.zeros((28, 28))
    nan_ink[5:20, 12:15] = 1
    nan_ink[0, 0] = np.nan
    for drawing in (dot, line, nan_ink, Image.new("L", (4000, 3000), 255)):
        result = to_mnist(drawing)
        assert result is None or (result.shape == (28, 28) and torch.isfinite(result).all())
    assert to_mnist(dot) is not None and to_mnist(line) is not None and to_mnist(nan_ink) is not None


@pytest.mark.parametrize("fmt", ["EPS", "PPM", "ICO", "PCX", "TGA"])
def test_only_the_formats_drawings_come_in_are_opened(tmp_path, monkeypatch, fmt):
    path = tmp_path / f"seven.{fmt.lower()}"
    render(7, Style(canvas=(64, 64))).convert("RGB").save(path, format=fmt)
    with Image.open(path) as image:
        assert image.format == fmt  # a real file of that format, which PIL would read
    opened = []
    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "_open", lambda self: opened.append(self))
    with pytest.raises(UnreadableImage, match="^not a readable image file: it must be PNG, JPEG, GIF, BMP, WEBP, TIFF$"):
        read_image(path)
    assert opened == []  # the EPS reader (which hands the file to Ghostscript) never ran


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_allowed_format_is_read(tmp_path, fmt):
    path = tmp_path / f"seven.{fmt.lower()}"
    render(7, Style(canvas=(64, 64))).convert("RGB").save(path, format=fmt)
    assert read_image(path).size == (64, 64)


def test_messages_name_no_file(tmp_path):
    (tmp_path / "truncated.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 30)
    for path in (tmp_path / "missing.png", tmp_path, tmp_path / "truncated.png"):
        with pytest.raises(UnreadableImage) as refused:
            read_image(path)
        assert str(tmp_path) not in str(refused.value) and "not a readable image file" in str(refused.value)


def test_a_picture_one_pixel_high_is_read_in_memory_of_its_own_size():
    """A hairline picture is max-pooled in blocks. Padded to whole blocks, a picture 1 pixel high
    and 250,000 wide (a 446-byte PNG) took 3.1 GB; its ink is still read as a stroke."""
    picture = np.full((1, 250_000), 255, np.uint8)
    picture[0, ::7] = 0
    tracemalloc.start()
    digit = to_mnist(Image.fromarray(picture))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50e6 and digit is not None and digit.sum() > 0
