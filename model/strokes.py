"""Pen strokes as the app draws them: shared by the canvas, the examples and the drawings generator."""

import math

from PIL import ImageDraw


def arc(cx, cy, rx, ry, start, end, steps=24):
    """Points on an ellipse from angle `start` to `end` in degrees (y down: 270 is the top)."""
    return [
        (cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
        for a in (start + (end - start) * i / steps for i in range(steps + 1))
    ]


def pen_line(draw: ImageDraw.ImageDraw, points: list[tuple[float, float]], width: float, ink) -> None:
    """A polyline with round joints, without its caps. PIL draws each segment, and the joint at
    each point, from that point and its two neighbours alone: the line through points[k - 2:]
    adds to the line through points[:k] exactly what the whole line would have."""
    draw.line(points, fill=ink, width=max(1, round(width)), joint="curve")


def pen_tip(draw: ImageDraw.ImageDraw, point: tuple[float, float], width: float, ink) -> None:
    """The round mark the pen's tip leaves at a stroke's end."""
    x, y = point
    radius = width / 2
    draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=ink)


def pen_stroke(draw: ImageDraw.ImageDraw, points: list[tuple[float, float]], width: float, ink) -> None:
    """A polyline with round joints and round caps, as a pen or a canvas brush leaves it."""
    pen_line(draw, points, width, ink)
    for point in (points[0], points[-1]):
        pen_tip(draw, point, width, ink)
