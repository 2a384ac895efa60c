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
    width = max(1, round(width))
    right, bottom = draw.im.size
    reach = right + bottom

    def near(point) -> bool:
        return -reach <= point[0] <= right + reach and -reach <= point[1] <= bottom + reach

    if width == 1 and not all(map(near, points)):
        # PIL steps along a 1-pixel line pixel by pixel, off the image too: a segment 2.8 million
        # pixels long took 2 ms. A segment that reaches that far is cut to the image first (which
        # may move its pixels by one); the others are drawn as they are. (Wider lines are filled
        # polygons, clipped to the image.)
        for segment in zip(points, points[1:]):
            seen = segment if all(map(near, segment)) else within(*segment, right, bottom)
            if seen:
                draw.line(seen, fill=ink, width=1)
        return
    draw.line(points, fill=ink, width=width, joint="curve")


def within(start, end, right: float, bottom: float) -> list[tuple[float, float]] | None:
    """The part of the segment from `start` to `end` inside [-1, right] x [-1, bottom] (Liang and
    Barsky's clipping), or None when none of it is."""
    (x0, y0), (x1, y1) = start, end
    dx, dy = x1 - x0, y1 - y0
    first, last = 0.0, 1.0
    for towards, room in ((-dx, x0 + 1), (dx, right - x0), (-dy, y0 + 1), (dy, bottom - y0)):
        if towards == 0:
            if room < 0:  # parallel to this edge and outside it
                return None
        elif towards < 0:
            first = max(first, room / towards)
        else:
            last = min(last, room / towards)
    return [(x0 + first * dx, y0 + first * dy), (x0 + last * dx, y0 + last * dy)] if first <= last else None


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
