"""A light drawing canvas for Gradio: the browser keeps the strokes and sends them as a compact
list of points, during a stroke and at its end, instead of uploading three PNGs per stroke.
The server redraws the strokes with the same brush; the theme only changes colours on screen.
"""

import math
from pathlib import Path

import gradio as gr
from PIL import Image, ImageDraw

from demo.sketches import pen_stroke

SIZE = 280  # canvas pixels (shown at up to 336 css px)
BRUSH = 18  # brush width in canvas pixels, about an MNIST stroke at this size
SEND_EVERY_MS = 100  # while a stroke is being drawn
MAX_POINTS = 20_000  # more than any hand draws; longer inputs are cut

EMPTY = {"size": SIZE, "brush": BRUSH, "strokes": []}

STATIC = Path(__file__).resolve().parent / "static"
TEMPLATE = """
<div class="ink">
  <canvas width="${size}" height="${size}" role="img" aria-label="${texts.canvas}"></canvas>
  <div class="tools">
    <button type="button" class="undo">${texts.undo}</button>
    <button type="button" class="clear">${texts.clear}</button>
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


class InkCanvas(gr.HTML):
    """Its value is {"size", "brush", "strokes": [[x0, y0, x1, y1, ...], ...]} in canvas pixels."""

    def __init__(self, texts: dict, **kwargs):
        super().__init__(value=EMPTY, html_template=TEMPLATE, css_template=CSS,
                         js_on_load=(STATIC / "canvas.js").read_text(), size=SIZE, brush=BRUSH,
                         send_every_ms=SEND_EVERY_MS, texts=texts, **kwargs)

    def api_info(self) -> dict:
        return {"type": "object", "description": "strokes as flat [x0, y0, x1, y1, ...] lists in canvas pixels"}


def strokes_image(value) -> Image.Image | None:
    """The canvas's strokes redrawn as white ink on black; None when there are none.

    Raises ValueError for a value that is not a list of strokes of numbers.
    """
    if not isinstance(value, dict):
        raise ValueError("the canvas value must be an object with a list of strokes")
    strokes = value.get("strokes") or []
    if not isinstance(strokes, list) or not all(isinstance(s, list) for s in strokes):
        raise ValueError("the canvas strokes must be lists of coordinates")
    try:
        size = min(max(int(value.get("size", SIZE)), 16), 2048)
        brush = min(max(float(value.get("brush", BRUSH)), 1.0), size / 4)
        image = Image.new("L", (size, size), 0)
        draw = ImageDraw.Draw(image)
        drawn = 0
        for stroke in strokes:
            coordinates = [float(c) for c in stroke[: 2 * (MAX_POINTS - drawn)]]
            if not all(math.isfinite(c) for c in coordinates):
                raise ValueError("the canvas coordinates must be finite numbers")
            points = list(zip(coordinates[0::2], coordinates[1::2]))
            if points:
                pen_stroke(draw, points, brush, 255)
                drawn += len(points)
    except (TypeError, OverflowError) as error:  # a size, brush or coordinate that is not a number
        raise ValueError(f"the canvas size, brush and coordinates must be numbers ({error})") from error
    return image if drawn else None
