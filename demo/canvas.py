"""A light drawing canvas for Gradio: the browser keeps the strokes and sends them as a compact
list of points, during a stroke and at its end, instead of uploading three PNGs per stroke.
The server redraws the strokes with the same brush; the theme only changes colours on screen.
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
from gradio.data_classes import GradioRootModel
from PIL import Image, ImageDraw
from pydantic import model_validator

from model.strokes import pen_line, pen_stroke, pen_tip

SIZE = 280  # canvas pixels (shown at up to 336 css px)
BRUSH = 18  # brush width in canvas pixels, about an MNIST stroke at this size
SEND_EVERY_MS = 100  # while a stroke is being drawn
LARGEST = SIZE  # canvas pixels a value is redrawn at, at most
# More than any hand draws on one canvas (a digit takes a few hundred points). They bound the
# work per event and what Gradio keeps of the value in each session (CanvasValue): at the bound,
# about 0.33 MB of Python floats.
MAX_STROKES = 200
MAX_POINTS = 5_000
# Drawings in progress remembered as drawn so far (DrawingsInProgress): one per stroke being drawn
# at once. Each holds its image (78 KB at SIZE) and its numbers, kept only up to KEPT_POINTS points.
DRAWINGS_IN_PROGRESS, KEPT_POINTS = 32, 1_000
FARTHEST = 1_000_000  # coordinates, size and brush beyond this are not drawings

NOT_STROKES = ("the canvas value must be an object of size, brush, strokes (each a list of coordinates) "
               "and whether a stroke is being drawn")
NOT_NUMBERS = f"the canvas size, brush and coordinates must be numbers (not text or true/false) within ±{FARTHEST:,}"
TOO_MANY = f"the drawing has over {MAX_STROKES:,} strokes or {MAX_POINTS:,} points: clear the canvas and draw again"
PROBLEMS = (NOT_STROKES, NOT_NUMBERS, TOO_MANY)

EMPTY = {"size": SIZE, "brush": BRUSH, "strokes": []}

STATIC = Path(__file__).resolve().parent / "static"
# `texts` holds each language's texts: those of the page's language (Gradio sets it as <html lang>).
TEMPLATE = """
<div class="ink">
  <canvas width="${size}" height="${size}" role="img"
          aria-label="${(texts[document.documentElement.lang] || texts.en).canvas}"></canvas>
  <div class="tools">
    <button type="button" class="undo">${(texts[document.documentElement.lang] || texts.en).undo}</button>
    <button type="button" class="clear">${(texts[document.documentElement.lang] || texts.en).clear}</button>
  </div>
</div>
"""

CSS = """
.ink { display: flex; flex-direction: column; gap: 6px; align-items: center; }
canvas { width: 100%; max-width: 336px; aspect-ratio: 1; touch-action: none; cursor: crosshair;
         background: var(--background-fill-secondary); border: 1px solid var(--border-color-primary);
         border-radius: var(--radius-lg); }
.tools { display: flex; gap: 8px; }
button { padding: 4px 14px; border-radius: var(--radius-md); border: 1px solid var(--border-color-primary);
         background: var(--button-secondary-background-fill); color: var(--body-text-color); cursor: pointer; }
"""


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and -FARTHEST <= value <= FARTHEST


def canvas_problem(value) -> str | None:
    """Why a canvas value cannot be drawn (one of PROBLEMS), or None when it can."""
    if not isinstance(value, dict):
        return NOT_STROKES
    if len(value) == 1 and value.get("refused") in PROBLEMS:  # what CanvasValue kept of a refused value
        return value["refused"]
    strokes = value.get("strokes") or []
    if not set(value) <= {"size", "brush", "strokes", "drawing"} or not isinstance(strokes, list):
        return NOT_STROKES
    if not isinstance(value.get("drawing", False), bool):  # the pen is still down (a light answer)
        return NOT_STROKES
    if len(strokes) > MAX_STROKES:
        return TOO_MANY
    if not all(isinstance(stroke, list) for stroke in strokes):
        return NOT_STROKES
    if sum(map(len, strokes)) > 2 * MAX_POINTS:
        return TOO_MANY
    numbers = chain((value.get("size", SIZE), value.get("brush", BRUSH)), *strokes)
    return None if all(map(_is_number, numbers)) else NOT_NUMBERS


class CanvasValue(GradioRootModel):
    """The canvas value as Gradio receives it. Gradio keeps each session's last value; a value
    canvas_problem refuses is replaced here, before that, by {"refused": why}, so what a session
    keeps stays within MAX_STROKES and MAX_POINTS whatever a client sends."""

    root: Any

    @model_validator(mode="before")
    @classmethod
    def within_bounds(cls, value):
        problem = canvas_problem(value)
        return value if problem is None else {"refused": problem}


class InkCanvas(gr.HTML):
    """Its value is {"size", "brush", "strokes": [[x0, y0, x1, y1, ...], ...]} in canvas pixels."""

    data_model = CanvasValue

    def __init__(self, texts: dict, **kwargs):
        super().__init__(value=EMPTY, html_template=TEMPLATE, css_template=CSS,
                         js_on_load=(STATIC / "canvas.js").read_text(), size=SIZE, brush=BRUSH,
                         send_every_ms=SEND_EVERY_MS, texts=texts, **kwargs)

    def preprocess(self, payload: CanvasValue | None):
        return None if payload is None else payload.root

    def api_info(self) -> dict:
        return {"type": "object", "description": "strokes as flat [x0, y0, x1, y1, ...] lists in canvas pixels"}


@dataclass
class InProgress:
    earlier: list[list]  # the strokes before the last, as the value sent them
    last: list  # the last stroke's coordinates drawn so far, whole points only
    image: Image.Image  # all of them drawn, but for the last stroke's end tip; never drawn on again


class DrawingsInProgress:
    """The last drawings in progress as drawn so far, so that each send draws only what it adds.

    While the pen moves the canvas sends the whole drawing every 100 ms: the same earlier strokes,
    and the last one longer. PIL draws a curved joint at each point in Python, so redrawing every
    point of every send cost the LSTM's whole stroke about a tenth of its server time (`python -m
    benchmarks.app_speed stroke`, "whole stroke"). A drawing whose earlier strokes equal a
    remembered one's, and whose last stroke goes on from the remembered last stroke, starts from
    that image (pen_line says why the pixels are the same). Only drawings in progress are kept:
    a stroke's end is not drawn on again.
    """

    def __init__(self, most: int = DRAWINGS_IN_PROGRESS):
        self.most = most
        self.kept: OrderedDict[tuple, InProgress] = OrderedDict()  # least recently drawn first
        self.lock = threading.Lock()  # Gradio's threads and the live channel draw at once

    def draw(self, side: int, scale: float, brush: float, strokes: list[list], keep: bool) -> Image.Image:
        """Strokes (flat [x0, y0, x1, y1, ...] lists in canvas pixels, each of one point or more)
        drawn `scale` times as large as white ink on a black side x side image; remembered when
        `keep` (a drawing in progress)."""
        *earlier, last = strokes
        last = last[: len(last) // 2 * 2]
        key = (side, scale, brush, len(strokes), last[0], last[1])  # one drawing's sends share it
        with self.lock:
            kept = self.kept.get(key)
        if kept is not None and kept.earlier == earlier and last[: len(kept.last)] == kept.last:
            image, drawn = kept.image.copy(), len(kept.last) // 2
        else:
            image, drawn = Image.new("L", (side, side), 0), 0
            for stroke in earlier:
                pen_stroke(ImageDraw.Draw(image), points(stroke, scale), brush, 255)
            pen_tip(ImageDraw.Draw(image), points(last[:2], scale)[0], brush, 255)
        added = points(last[max(drawn - 2, 0) * 2 :], scale)  # from the point before the last one drawn: its joint
        if drawn < len(last) // 2:
            pen_line(ImageDraw.Draw(image), added, brush, 255)
        if keep and sum(map(len, strokes)) <= 2 * KEPT_POINTS:
            with self.lock:
                self.kept[key] = InProgress(earlier, last, image)
                self.kept.move_to_end(key)
                while len(self.kept) > self.most:
                    self.kept.popitem(last=False)
            image = image.copy()  # the kept one stays without the end tip
        pen_tip(ImageDraw.Draw(image), added[-1], brush, 255)
        return image


IN_PROGRESS = DrawingsInProgress()


def points(stroke: list, scale: float) -> list[tuple[float, float]]:
    return [(x * scale, y * scale) for x, y in zip(stroke[0::2], stroke[1::2])]


def strokes_image(value) -> Image.Image | None:
    """The canvas's strokes redrawn as white ink on black; None when there are none.

    Raises ValueError (with one of PROBLEMS) for a value canvas_problem refuses.
    """
    problem = canvas_problem(value)
    if problem:
        raise ValueError(problem)
    size = min(max(int(value.get("size", SIZE)), 16), 2048)
    # A larger canvas is drawn scaled down to LARGEST pixels, and the brush is at most an eighth of
    # the canvas: the 28x28 input loses nothing, and a hostile size or brush cannot make a stroke
    # cost hundreds of times a drawing's work.
    scale = min(1.0, LARGEST / size)
    brush = min(max(float(value.get("brush", BRUSH)), 1.0), size / 8) * scale
    strokes = [stroke for stroke in value.get("strokes") or [] if len(stroke) >= 2]  # a stroke of no whole point leaves no ink
    in_progress = value.get("drawing") is True
    return IN_PROGRESS.draw(round(size * scale), scale, brush, strokes, in_progress) if strokes else None


def strokes_ink(value) -> np.ndarray | None:
    """The ink of the canvas's strokes (0 or 1), cut to the box that holds it; None when there are
    no strokes. The canvas's ink is known, so no background has to be guessed from the border, and
    what follows works on the digit's box, not the whole canvas."""
    image = strokes_image(value)
    if image is None:
        return None
    box = image.getbbox()
    return np.asarray(image.crop(box), np.float32) / 255 if box else np.zeros((1, 1), np.float32)
