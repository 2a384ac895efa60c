"""The training curves PNG: written, legible, legends clear of the lines."""

import json

import numpy as np
from PIL import Image

from model.curves import best_epoch, curves_figure, plot_curves
from tests.conftest import REPO

HISTORY = json.loads((REPO / "checkpoints" / "lstm.json").read_text())["history"]  # a real 150-epoch run


def test_the_png_holds_both_plots(tmp_path):
    path = tmp_path / "curves.png"
    plot_curves(path, HISTORY)
    pixels = np.asarray(Image.open(path).convert("RGB")).astype(int)
    assert pixels.shape[0] >= 400 and pixels.shape[1] >= 900
    assert (pixels.sum(2) < 600).mean() > 0.02  # ink: lines, ticks, labels, not a blank page
    for colour in ((31, 119, 180), (214, 39, 40), (44, 160, 44)):  # the three curves' colours
        assert (np.abs(pixels - colour).sum(2) < 30).sum() > 300


def test_axes_are_labelled_with_ticks_and_legends_cover_no_line():
    figure = curves_figure(HISTORY)
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    for axes in figure.axes:
        assert axes.get_xlabel() == "epoch" and axes.get_ylabel() and axes.get_title()
        assert len(axes.get_xticks()) >= 4 and len(axes.get_yticks()) >= 4
        legend = axes.get_legend().get_window_extent(renderer)
        assert not legend.overlaps(axes.get_window_extent(renderer))
        assert len(axes.get_legend().get_texts()) == len(axes.get_lines())


def test_the_kept_epoch_is_marked():
    assert best_epoch(HISTORY) == json.loads((REPO / "checkpoints" / "lstm.json").read_text())["best_epoch"]
    assert best_epoch({"val_loss": [3.0, 1.0, 2.0, 1.0, 4.0]}) == 4  # the last of equal lows, as training keeps
