"""A light drawing canvas for Gradio: the browser keeps the strokes and sends them as a compact
list of points, during a stroke and at its end, instead of uploading three PNGs per stroke.
The server redraws the strokes with the same brush; the theme only changes colours on screen.
"""

from itertools import chain
from typing import Any

import gradio as gr
from gradio.data_classes import GradioRootModel
from PIL import Image, ImageDraw
from pydantic import model_validator

from model.strokes import pen_stroke

SIZE = 280  # canvas pixels (shown at up to 336 css px)
BRUSH = 18  # brush width in canvas pixels, about an MNIST stroke at this size
SEND_EVERY_MS = 100  # while a stroke is being drawn
# More than any hand draws on one canvas (a digit takes a few hundred points). They bound the
# work per event and what Gradio keeps of the value in each session (CanvasValue): at the bound,
# about 0.33 MB of Python floats.
MAX_STROKES = 200
MAX_POINTS = 5_000
FARTHEST = 1_000_000  # coordinates, size and brush beyond this are not drawings

NOT_STROKES = "the canvas value must be an object of size, brush and strokes, each stroke a list of coordinates"
NOT_NUMBERS = f"the canvas size, brush and coordinates must be numbers (not text or true/false) within ±{FARTHEST:,}"
TOO_MANY = f"the drawing has over {MAX_STROKES:,} strokes or {MAX_POINTS:,} points: clear the canvas and draw again"
PROBLEMS = (NOT_STROKES, NOT_NUMBERS, TOO_MANY)

EMPTY = {"size": SIZE, "brush": BRUSH, "strokes": []}

TEMPLATE = f"""
<div class="ink">
  <canvas width="{SIZE}" height="{SIZE}" aria-label="drawing canvas"></canvas>
  <div class="tools">
    <button type="button" class="undo">Undo</button>
    <button type="button" class="clear">Clear</button>
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

JS = f"""
const canvas = element.querySelector('canvas');
const context = canvas.getContext('2d');
let strokes = [];
let current = null;
let lastSent = 0;

function redraw() {{
  context.clearRect(0, 0, {SIZE}, {SIZE});
  context.strokeStyle = getComputedStyle(element).getPropertyValue('--body-text-color') || '#000';
  context.lineWidth = {BRUSH};
  context.lineCap = 'round';
  context.lineJoin = 'round';
  for (const stroke of current ? strokes.concat([current]) : strokes) {{
    context.beginPath();
    context.moveTo(stroke[0], stroke[1]);
    for (let i = 2; i < stroke.length; i += 2) context.lineTo(stroke[i], stroke[i + 1]);
    if (stroke.length === 2) context.lineTo(stroke[0] + 0.1, stroke[1]);
    context.stroke();
  }}
}}

function send() {{
  const all = current ? strokes.concat([current]) : strokes;
  props.value = {{ size: {SIZE}, brush: {BRUSH}, strokes: all.map((stroke) => stroke.slice()) }};
  lastSent = performance.now();
}}

function point(event) {{
  const box = canvas.getBoundingClientRect();
  return [Math.round((event.clientX - box.left) * {SIZE} / box.width),
          Math.round((event.clientY - box.top) * {SIZE} / box.height)];
}}

function finish() {{
  if (!current) return;
  strokes.push(current);
  current = null;
  redraw();
  send();
}}

canvas.addEventListener('pointerdown', (event) => {{
  canvas.setPointerCapture(event.pointerId);
  current = point(event);
  redraw();
}});
canvas.addEventListener('pointermove', (event) => {{
  if (!current) return;
  current.push(...point(event));
  redraw();
  if (performance.now() - lastSent > {SEND_EVERY_MS}) send();
}});
canvas.addEventListener('pointerup', finish);
canvas.addEventListener('pointercancel', finish);
element.querySelector('.undo').addEventListener('click', () => {{ strokes.pop(); redraw(); send(); }});
element.querySelector('.clear').addEventListener('click', () => {{ strokes = []; redraw(); send(); }});
canvas.dataset.ready = 'true';  // listeners attached: strokes from here on are seen
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
    if not set(value) <= {"size", "brush", "strokes"} or not isinstance(strokes, list):
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

    def __init__(self, **kwargs):
        super().__init__(value=EMPTY, html_template=TEMPLATE, css_template=CSS, js_on_load=JS, **kwargs)

    def preprocess(self, payload: CanvasValue | None):
        return None if payload is None else payload.root

    def api_info(self) -> dict:
        return {"type": "object", "description": "strokes as flat [x0, y0, x1, y1, ...] lists in canvas pixels"}


def strokes_image(value) -> Image.Image | None:
    """The canvas's strokes redrawn as white ink on black; None when there are none.

    Raises ValueError (with one of PROBLEMS) for a value canvas_problem refuses.
    """
    problem = canvas_problem(value)
    if problem:
        raise ValueError(problem)
    size = min(max(int(value.get("size", SIZE)), 16), 2048)
    brush = min(max(float(value.get("brush", BRUSH)), 1.0), size / 4)
    image = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(image)
    drawn = 0
    for stroke in value.get("strokes") or []:
        points = list(zip(stroke[0::2], stroke[1::2]))
        if points:
            pen_stroke(draw, points, brush, 255)
            drawn += len(points)
    return image if drawn else None
