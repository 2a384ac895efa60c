"""Digits drawn from stroke paths: the app's example gallery and the tests' canvas drawings.

Each digit is a list of strokes in a unit box (x right, y down), drawn the way a person would
with a pen; `render` puts one on any canvas, in any size, place, stroke width and colours.
"""

import random
from dataclasses import dataclass

from PIL import Image, ImageDraw

from model.strokes import arc, pen_stroke


STROKES = {
    0: [[*arc(0.5, 0.5, 0.34, 0.46, 270, 630)]],
    1: [[(0.55, 0.04), (0.5, 0.96)]],
    2: [[*arc(0.5, 0.3, 0.32, 0.25, 200, 380), (0.14, 0.94), (0.9, 0.94)]],
    3: [[*arc(0.48, 0.27, 0.3, 0.23, 205, 450), *arc(0.48, 0.73, 0.34, 0.23, 270, 515)]],
    4: [[(0.62, 0.96), (0.62, 0.04), (0.08, 0.66), (0.92, 0.66)]],
    5: [[(0.84, 0.05), (0.26, 0.05), (0.22, 0.46), *arc(0.5, 0.69, 0.33, 0.26, 215, 505)]],
    6: [[(0.74, 0.04), (0.46, 0.24), (0.27, 0.52), *arc(0.5, 0.72, 0.26, 0.23, 180, 540)]],
    7: [[(0.1, 0.07), (0.9, 0.07), (0.42, 0.96)]],
    8: [[*arc(0.5, 0.26, 0.25, 0.22, 90, 450)], [*arc(0.5, 0.73, 0.3, 0.24, 270, 630)]],
    9: [[*arc(0.5, 0.3, 0.3, 0.25, 0, 360), (0.78, 0.42), (0.72, 0.96)]],
}


@dataclass(frozen=True)
class Style:
    canvas: tuple[int, int] = (280, 280)
    height: float = 0.7  # digit height as a fraction of the canvas height
    centre: tuple[float, float] = (0.5, 0.5)  # where the digit sits, as fractions of the canvas
    width: float = 18.0  # stroke width in canvas pixels
    ink: tuple = (0, 0, 0, 255)
    background: tuple | None = (255, 255, 255, 255)  # None: transparent
    mode: str = "RGBA"
    slant: float = 0.0  # shear to the right, as a fraction of the height
    wobble: float = 0.0  # random offset of each point, as a fraction of the height
    seed: int = 0


def render(digit: int, style: Style = Style()) -> Image.Image:
    """The digit drawn with round pen strokes in the given style."""
    rng = random.Random(style.seed)
    canvas_w, canvas_h = style.canvas
    height = style.height * canvas_h
    box_w = 0.62 * height
    left = style.centre[0] * canvas_w - box_w / 2
    top = style.centre[1] * canvas_h - height / 2
    image = Image.new("RGBA", style.canvas, style.background or (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    for stroke in STROKES[digit]:
        points = [
            (
                left + x * box_w + style.slant * (0.5 - y) * height + rng.gauss(0, style.wobble) * height,
                top + y * height + rng.gauss(0, style.wobble) * height,
            )
            for x, y in stroke
        ]
        pen_stroke(draw, points, style.width, style.ink)
    if style.mode == "P":  # quantize keeps transparency in the palette, convert would drop it
        return image.quantize(method=Image.Quantize.FASTOCTREE)
    return image if style.mode == "RGBA" else image.convert(style.mode)


def gallery() -> list[tuple[Image.Image, str]]:
    """One example of each digit for the app, drawn like a brush on its canvas."""
    return [(render(d, Style(width=20, slant=0.08, seed=d)), f"drawn {d}") for d in STROKES]


def canvas_strokes(digit: int, size: int, height: float = 0.7) -> list[list[tuple[int, int]]]:
    """The digit's strokes in the pixels of a square canvas, as a hand would draw them there."""
    box_w = 0.62 * height * size
    left, top = (size - box_w) / 2, (1 - height) * size / 2
    return [[(round(left + x * box_w), round(top + y * height * size)) for x, y in stroke] for stroke in STROKES[digit]]
