"""The drawings generator makes what it claims, and training sees what its flags say."""

import random

import numpy as np
import torch
import torch.nn.functional as F

from model import handwriting
from model.data import as_drawn_with_a_marker, as_the_app_sees, data_root, load_splits, marked
from model.handwriting import SPLITS, TEMPLATES, draw, drawings, templates
from model.preprocess import stroke_width, to_mnist
from model.train import TrainConfig, training_set


def test_every_digit_has_templates_in_every_split_and_none_is_shared():
    for split in SPLITS:
        assert {t.digit for t in templates(split)} == set(range(10)), split
    by_strokes = {}
    for template in TEMPLATES:
        key = repr(template.strokes)
        assert key not in by_strokes, f"{template.style} repeats {by_strokes[key]}"
        by_strokes[key] = template.style
    for digit in range(10):
        assert sum(t.digit == digit for t in templates("train")) >= 4


def test_the_styles_the_issue_names_are_all_there_in_training_and_held_out():
    for split in ("train", "held_out"):
        styles = {(t.digit, t.style) for t in templates(split)}
        for digit, word in [(1, "flag"), (7, "bar"), (4, "open"), (4, "closed"), (6, "boxy"), (9, "boxy"),
                            (0, "boxy"), (6, "round")]:
            assert any(d == digit and word in style for d, style in styles), (split, digit, word)


def test_drawings_vary_in_canvas_pen_and_place_and_are_repeatable():
    made = list(drawings("train", per_digit=6, seed=1))
    assert [digit for _, digit in made] == [d for d in range(10) for _ in range(6)]
    sizes = {image.size[0] for image, _ in made}
    assert min(sizes) < 400 and max(sizes) > 700
    ink = [np.asarray(image) > 127 for image, _ in made]
    heights = [np.ptp(np.flatnonzero(i.any(1))) / i.shape[0] for i in ink]
    assert min(heights) < 0.25 and max(heights) > 0.6  # small on a big canvas, and filling it
    centres = [np.flatnonzero(i.any(0)).mean() / i.shape[1] for i in ink]
    assert min(centres) < 0.35 and max(centres) > 0.65  # off-centre both ways
    again = drawings("train", per_digit=6, seed=1)
    assert all(np.array_equal(np.asarray(a), np.asarray(b)) for (a, _), (b, _) in zip(made, again))
    other = list(drawings("train", per_digit=6, seed=2))
    assert not np.array_equal(np.asarray(made[0][0]), np.asarray(other[0][0]))


def test_pens_run_from_hairline_to_fat_brush():
    """Pen width over digit height: a 1-3 px pen on a tall digit up to a brush a fifth of its height."""
    rng = random.Random(0)
    ratios = []
    for template in templates("train")[:40]:
        ink = np.asarray(draw(template, rng), np.float32) / 255
        rows = np.flatnonzero(ink.max(1) > 0.5)
        ratios.append(stroke_width(ink) / (rows[-1] - rows[0] + 1))
    assert min(ratios) < 0.03 and max(ratios) > 0.12


def test_inputs_are_what_the_app_makes_of_each_drawing():
    images, labels = handwriting.inputs("held_out", per_digit=2, seed=5)
    made = list(drawings("held_out", per_digit=2, seed=5))
    assert images.shape == (20, 28, 28)
    assert labels.tolist() == [digit for _, digit in made]
    assert torch.equal(images[7], to_mnist(made[7][0]))


def test_extra_images_change_what_training_sees(tmp_path):
    folder = tmp_path / "feedback"
    made = list(drawings("held_out", per_digit=1, seed=9))
    for n, (image, digit) in enumerate(made):
        (folder / str(digit)).mkdir(parents=True, exist_ok=True)
        image.save(folder / str(digit) / f"{n}.png")
    splits = load_splits(data_root(), 0.1, 0)
    config = TrainConfig(drawn=0)
    plain = training_set(splits, config)
    mixed = training_set(splits, config, [folder])
    assert len(mixed.labels) == len(plain.labels) + 10
    assert mixed.extra_counts == {str(folder): 10}
    assert torch.equal(mixed.labels[-10:], torch.tensor([digit for _, digit in made]))
    assert torch.equal(mixed.app_images[-10:], torch.stack([to_mnist(image) for image, _ in made]))
    assert torch.equal(mixed.images[: len(plain.labels)], plain.images)
    # the fat-marker view is of the MNIST rows; the extra drawings are the app's inputs already
    assert torch.equal(plain.marker_images, as_drawn_with_a_marker(splits.train_images, config.seed))
    assert torch.equal(mixed.marker_images[-10:], mixed.app_images[-10:])


def enclosed_background(images: torch.Tensor) -> torch.Tensor:
    """Per (28, 28) image, how many background pixels no background path links to the border:
    the inside of its loops."""
    background = images < 0.3
    outside = torch.zeros_like(background)
    outside[:, [0, -1], :], outside[:, :, [0, -1]] = background[:, [0, -1], :], background[:, :, [0, -1]]
    while True:
        grown = F.max_pool2d(outside[:, None].float(), 3, 1, 1)[:, 0].bool() & background
        if torch.equal(grown, outside):
            return (background & ~outside).sum((1, 2))
        outside = grown


def test_the_marker_view_closes_small_loops_as_a_fat_marker_does():
    splits = load_splits(data_root(), 0.1, 0)
    looped = splits.train_images[torch.isin(splits.train_labels, torch.tensor([0, 4, 6, 8, 9]))][:300]
    app, marker = as_the_app_sees(looped), as_drawn_with_a_marker(looped, seed=0)
    assert marker.shape == app.shape and torch.all(marker.amax((1, 2)) == 1)  # inputs as the app gives them
    holes_app, holes_marker = enclosed_background(app), enclosed_background(marker)
    closed = ((holes_app > 0) & (holes_marker == 0)).sum().item()
    assert closed >= 0.1 * (holes_app > 0).sum().item(), f"only {closed} digits had every loop closed"


def test_a_round_tip_grows_ink_into_a_disc_and_a_square_tip_into_a_square():
    dot = torch.zeros(1, 9, 9)
    dot[0, 4, 4] = 1
    square, disc = marked(dot, 2, round_tip=False)[0], marked(dot, 2, round_tip=True)[0]
    assert square.sum() == 25 and torch.all(square[2:7, 2:7] == 1)
    assert disc.sum() == 13 and disc[4, 2] == disc[2, 4] == 1 and disc[2, 2] == disc[3, 2] == 0  # no corners
