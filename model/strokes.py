"""Pen strokes as the app draws them: shared by the canvas, the examples and the drawings generator."""

import math

from PIL import ImageDraw


def arc(cx, cy, rx, ry, start, end, steps=24):
    """Points on an ellipse from angle `start` to `end` in degrees (y down: 270 is the top)."""
    return [
        (cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
        for a in (start + (end - start) * i / steps for i in range(steps + 1))
    ]


def pen_stroke(draw: ImageDraw.ImageDraw, points: list[tuple[float, float]], width: float, ink) -> None:
    """A polyline with round joints and round caps, as a pen or a canvas brush leaves it."""
    radius = width / 2
    draw.line(points, fill=ink, width=max(1, round(width)), joint="curve")
    for x, y in (points[0], points[-1]):
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=ink)
