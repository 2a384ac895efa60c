"""A light drawing canvas for Gradio: the browser keeps the strokes and sends them as a compact
list of points, during a stroke and at its end, instead of uploading three PNGs per stroke.
The server redraws the strokes with the same brush; the theme only changes colours on screen.
"""

import math

import gradio as gr
from PIL import Image, ImageDraw

from demo.sketches import pen_stroke

SIZE = 280  # canvas pixels (shown at up to 336 css px)
BRUSH = 18  # brush width in canvas pixels, about an MNIST stroke at this size
SEND_EVERY_MS = 100  # while a stroke is being drawn
MAX_POINTS = 20_000  # more than any hand draws; longer inputs are cut

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


class InkCanvas(gr.HTML):
    """Its value is {"size", "brush", "strokes": [[x0, y0, x1, y1, ...], ...]} in canvas pixels."""

    def __init__(self, **kwargs):
        super().__init__(value=EMPTY, html_template=TEMPLATE, css_template=CSS, js_on_load=JS, **kwargs)

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
