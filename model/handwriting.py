"""Digits drawn the way people draw them, from stroke paths: for training and for a held-out test.

Each digit has several stroke templates, one per way people write it (round, boxy, open 4,
European 1 and 7 with their bars, one- or two-stroke 8...), in a unit box (x right, y down).
A drawing is one template under random affine jitter (slant, rotation, flat or tall), with
wobbly points and strokes, a pen from a 1 px hairline to a fat brush, on a canvas of any
size at any place, drawn with the app's own pen strokes and read by the app's preprocessing.

The templates are split three ways: `train` ones are mixed into training, `validation` ones
help choose the best epoch, and `held_out` ones are never seen before the final figures, so
that the held-out set measures how well the model generalises to new ways of writing a digit.

    python -m model.handwriting DIR [--split held_out] [--per-digit 200]
writes a folder of drawings (DIR/<digit>/<n>.png) for `python -m model.evaluate --images DIR`.
"""

import argparse
import math
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image, ImageDraw

from model.preprocess import to_mnist
from model.strokes import arc, pen_stroke

SPLITS = ("train", "validation", "held_out")


@dataclass(frozen=True)
class Template:
    digit: int
    style: str
    strokes: list  # of [(x, y), ...] in the unit box
    split: str = "train"


def eight(top=0.5, width=0.4, steps=48):
    """A one-stroke 8: from the top, down through the middle, round the bottom loop and back up.
    `top` is the top loop's share of the height; each loop is as wide as it is tall a share."""
    points = []
    for i in range(steps + 1):
        t = 2 * math.pi * i / steps
        share = top if math.cos(t) >= 0 else 1 - top
        y = top * (1 - math.cos(t)) if math.cos(t) >= 0 else top - (1 - top) * math.cos(t)
        points.append((0.5 + 2 * share * width * math.sin(2 * t), 0.03 + 0.94 * y))
    return points


T = Template
TEMPLATES = [
    # 0: round, boxy, open at the top, overlapping, pointed, flat
    T(0, "round", [arc(0.5, 0.5, 0.42, 0.48, 270, 630)]),
    T(0, "round, overlapping", [arc(0.52, 0.5, 0.44, 0.47, 250, -140)]),
    T(0, "boxy", [[(0.5, 0.03), (0.1, 0.03), (0.05, 0.5), (0.1, 0.97), (0.9, 0.97), (0.95, 0.5), (0.9, 0.03), (0.5, 0.03)]]),
    T(0, "open top", [arc(0.5, 0.5, 0.42, 0.48, 290, 610)]),
    T(0, "pointed top", [[(0.55, 0.02), (0.22, 0.3), *arc(0.5, 0.62, 0.42, 0.35, 180, 0), (0.8, 0.3), (0.55, 0.02)]]),
    T(0, "flat", [arc(0.5, 0.5, 0.48, 0.3, 270, 630)]),
    T(0, "boxy, rounded corners", [[(0.3, 0.03), (0.1, 0.15), (0.08, 0.85), (0.25, 0.97), (0.75, 0.97), (0.92, 0.85), (0.92, 0.15), (0.75, 0.03), (0.3, 0.03)]], "validation"),
    T(0, "egg, open at the right", [arc(0.5, 0.52, 0.4, 0.46, 300, 650)], "held_out"),
    T(0, "boxy, flat", [[(0.9, 0.2), (0.9, 0.8), (0.05, 0.8), (0.05, 0.2), (0.9, 0.2)]], "held_out"),
    # 1: a stick, short and long (European) flags, with a base
    T(1, "stick", [[(0.5, 0.02), (0.5, 0.98)]]),
    T(1, "short flag", [[(0.3, 0.2), (0.55, 0.02), (0.55, 0.98)]]),
    T(1, "long flag", [[(0.08, 0.4), (0.6, 0.02), (0.6, 0.98)]]),
    T(1, "flag and base", [[(0.25, 0.22), (0.55, 0.02), (0.55, 0.98)], [(0.22, 0.98), (0.88, 0.98)]]),
    T(1, "curved flag", [[(0.12, 0.3), (0.35, 0.18), (0.6, 0.02), (0.6, 0.98)]]),
    T(1, "long flag, slanted stem", [[(0.05, 0.35), (0.7, 0.02), (0.45, 0.98)]], "validation"),
    T(1, "long flag and base", [[(0.12, 0.36), (0.58, 0.02), (0.58, 0.98)], [(0.3, 0.97), (0.85, 0.97)]], "held_out"),
    T(1, "medium flag", [[(0.22, 0.28), (0.52, 0.02), (0.5, 0.98)]], "held_out"),
    # 2: round, with a loop at the base, boxy, Z-like
    T(2, "round", [[*arc(0.5, 0.3, 0.32, 0.25, 200, 380), (0.14, 0.94), (0.9, 0.94)]]),
    T(2, "loop at the base", [[*arc(0.5, 0.28, 0.36, 0.25, 200, 370), (0.35, 0.75), (0.18, 0.9), (0.3, 0.98), (0.42, 0.86), (0.55, 0.93), (0.95, 0.95)]]),
    T(2, "boxy", [[(0.08, 0.05), (0.9, 0.05), (0.9, 0.45), (0.1, 0.95), (0.95, 0.95)]]),
    T(2, "Z-like", [[(0.1, 0.08), (0.88, 0.05), (0.12, 0.95), (0.92, 0.95)]]),
    T(2, "swan neck", [[*arc(0.5, 0.3, 0.38, 0.27, 190, 360), (0.7, 0.6), (0.35, 0.85), (0.1, 0.96), (0.92, 0.96)]]),
    T(2, "boxy, rounded", [[(0.1, 0.12), (0.3, 0.03), (0.8, 0.03), (0.9, 0.15), (0.9, 0.4), (0.1, 0.96), (0.92, 0.96)]], "validation"),
    T(2, "round, curved base", [[*arc(0.48, 0.27, 0.36, 0.24, 180, 370), (0.45, 0.7), (0.12, 0.95), (0.5, 0.9), (0.95, 0.98)]], "held_out"),
    T(2, "boxy, short top", [[(0.25, 0.05), (0.85, 0.05), (0.85, 0.5), (0.1, 0.96), (0.9, 0.96)]], "held_out"),
    # 3: round, flat top, boxy, two strokes, pointed middle
    T(3, "round", [[*arc(0.48, 0.27, 0.3, 0.23, 205, 450), *arc(0.48, 0.73, 0.34, 0.23, 270, 515)]]),
    T(3, "flat top", [[(0.1, 0.04), (0.85, 0.04), (0.4, 0.42), *arc(0.45, 0.7, 0.42, 0.27, 280, 500)]]),
    T(3, "boxy", [[(0.1, 0.04), (0.88, 0.04), (0.88, 0.48), (0.3, 0.48), (0.88, 0.48), (0.88, 0.96), (0.1, 0.96)]]),
    T(3, "two strokes", [arc(0.48, 0.27, 0.3, 0.23, 200, 450), arc(0.48, 0.73, 0.34, 0.23, 270, 520)]),
    T(3, "pointed middle", [[*arc(0.5, 0.25, 0.35, 0.22, 200, 420), (0.35, 0.5), *arc(0.5, 0.72, 0.38, 0.25, 290, 520)]]),
    T(3, "boxy, rounded", [[(0.1, 0.06), (0.8, 0.04), (0.9, 0.2), (0.8, 0.46), (0.35, 0.48), (0.85, 0.52), (0.92, 0.8), (0.8, 0.96), (0.1, 0.94)]], "validation"),
    T(3, "small top, big belly", [[*arc(0.5, 0.2, 0.25, 0.17, 200, 450), *arc(0.5, 0.66, 0.4, 0.3, 270, 510)]], "held_out"),
    T(3, "flat top, boxy belly", [[(0.1, 0.04), (0.9, 0.04), (0.45, 0.45), (0.88, 0.55), (0.88, 0.9), (0.1, 0.95)]], "held_out"),
    # 4: closed (one or two strokes), open (an L and a separate stem), boxy
    T(4, "closed", [[(0.7, 0.98), (0.7, 0.02), (0.05, 0.68), (0.95, 0.68)]]),
    T(4, "closed, two strokes", [[(0.65, 0.02), (0.05, 0.68), (0.95, 0.68)], [(0.68, 0.3), (0.68, 0.98)]]),
    T(4, "open", [[(0.2, 0.02), (0.1, 0.6), (0.9, 0.6)], [(0.7, 0.15), (0.7, 0.98)]]),
    T(4, "open, slanted", [[(0.35, 0.02), (0.05, 0.62), (0.95, 0.62)], [(0.72, 0.05), (0.68, 0.98)]]),
    T(4, "open, boxy", [[(0.15, 0.05), (0.15, 0.55), (0.9, 0.55)], [(0.7, 0.02), (0.7, 0.98)]]),
    T(4, "closed, stem above", [[(0.55, 0.1), (0.05, 0.65), (0.95, 0.65)], [(0.62, 0.02), (0.62, 0.98)]]),
    T(4, "open, short stem", [[(0.12, 0.05), (0.08, 0.5), (0.92, 0.5)], [(0.68, 0.3), (0.7, 0.98)]], "validation"),
    T(4, "open, curved", [[(0.25, 0.02), (0.12, 0.4), (0.15, 0.6), (0.92, 0.58)], [(0.66, 0.1), (0.7, 0.98)]], "held_out"),
    T(4, "closed, narrow", [[(0.55, 0.02), (0.1, 0.6), (0.9, 0.6)], [(0.6, 0.02), (0.6, 0.98)]], "held_out"),
    # 5: round, boxy, top bar drawn last, big belly
    T(5, "round", [[(0.84, 0.05), (0.26, 0.05), (0.22, 0.46), *arc(0.5, 0.69, 0.33, 0.26, 215, 505)]]),
    T(5, "boxy", [[(0.9, 0.03), (0.12, 0.03), (0.12, 0.45), (0.88, 0.45), (0.88, 0.97), (0.1, 0.97)]]),
    T(5, "bar last", [[(0.2, 0.03), (0.16, 0.45), *arc(0.48, 0.68, 0.36, 0.27, 215, 500)], [(0.2, 0.03), (0.9, 0.03)]]),
    T(5, "big belly", [[(0.85, 0.04), (0.25, 0.04), (0.2, 0.42), *arc(0.5, 0.68, 0.38, 0.3, 220, 490)]]),
    T(5, "slanted stem", [[(0.9, 0.04), (0.35, 0.04), (0.15, 0.5), *arc(0.5, 0.7, 0.36, 0.26, 225, 500)]]),
    T(5, "boxy, rounded", [[(0.88, 0.04), (0.15, 0.04), (0.12, 0.45), (0.8, 0.45), (0.9, 0.6), (0.9, 0.85), (0.8, 0.97), (0.1, 0.95)]], "validation"),
    T(5, "boxy, bar last", [[(0.15, 0.04), (0.15, 0.48), (0.85, 0.48), (0.85, 0.96), (0.1, 0.96)], [(0.15, 0.04), (0.9, 0.04)]], "held_out"),
    T(5, "round, small belly", [[(0.85, 0.05), (0.3, 0.05), (0.25, 0.5), *arc(0.5, 0.72, 0.3, 0.22, 210, 500)]], "held_out"),
    # 6: round, boxy (straight sides, square loop), straight stem, small or big loop
    T(6, "round", [[(0.74, 0.04), (0.46, 0.24), (0.27, 0.52), *arc(0.5, 0.72, 0.26, 0.23, 180, 540)]]),
    T(6, "boxy", [[(0.85, 0.03), (0.12, 0.03), (0.12, 0.97), (0.88, 0.97), (0.88, 0.5), (0.12, 0.5)]]),
    T(6, "boxy, tall loop", [[(0.8, 0.02), (0.15, 0.02), (0.15, 0.97), (0.85, 0.97), (0.85, 0.4), (0.15, 0.4)]]),
    T(6, "big round loop", [[(0.8, 0.05), (0.5, 0.1), (0.25, 0.3), (0.12, 0.6), *arc(0.5, 0.7, 0.38, 0.28, 180, 540)]]),
    T(6, "straight stem", [[(0.6, 0.02), (0.15, 0.6), *arc(0.5, 0.72, 0.35, 0.26, 180, 540)]]),
    T(6, "small loop", [[(0.7, 0.02), (0.3, 0.5), *arc(0.45, 0.8, 0.25, 0.18, 180, 540)]]),
    T(6, "boxy, rounded", [[(0.85, 0.05), (0.2, 0.05), (0.1, 0.2), (0.1, 0.85), (0.2, 0.97), (0.8, 0.97), (0.9, 0.85), (0.9, 0.6), (0.8, 0.5), (0.1, 0.5)]], "validation"),
    T(6, "round, curved stem", [[(0.85, 0.1), (0.55, 0.02), (0.25, 0.2), (0.1, 0.55), *arc(0.5, 0.7, 0.4, 0.27, 180, 530)]], "held_out"),
    T(6, "boxy, square loop", [[(0.9, 0.04), (0.1, 0.04), (0.1, 0.96), (0.9, 0.96), (0.9, 0.55), (0.1, 0.55)]], "held_out"),
    # 7: plain, European bar, serif, curved stem, boxy
    T(7, "plain", [[(0.05, 0.05), (0.95, 0.05), (0.4, 0.98)]]),
    T(7, "European bar", [[(0.05, 0.05), (0.95, 0.05), (0.35, 0.98)], [(0.3, 0.52), (0.85, 0.52)]]),
    T(7, "serif", [[(0.05, 0.18), (0.05, 0.05), (0.95, 0.05), (0.45, 0.98)]]),
    T(7, "curved stem", [[(0.05, 0.05), (0.95, 0.05), (0.75, 0.3), (0.6, 0.6), (0.55, 0.98)]]),
    T(7, "boxy", [[(0.05, 0.05), (0.92, 0.05), (0.85, 0.4), (0.8, 0.98)]]),
    T(7, "wavy top", [[(0.05, 0.12), (0.3, 0.04), (0.6, 0.08), (0.95, 0.04), (0.45, 0.98)]], "validation"),
    T(7, "European bar and serif", [[(0.08, 0.2), (0.08, 0.05), (0.92, 0.05), (0.42, 0.98)], [(0.3, 0.5), (0.8, 0.5)]], "held_out"),
    T(7, "steep stem", [[(0.05, 0.06), (0.9, 0.04), (0.65, 0.98)]], "held_out"),
    # 8: two loops, one stroke, boxy, big bottom
    T(8, "two loops", [arc(0.5, 0.26, 0.25, 0.22, 90, 450), arc(0.5, 0.73, 0.3, 0.24, 270, 630)]),
    T(8, "one stroke", [eight()]),
    T(8, "boxy", [[(0.15, 0.04), (0.85, 0.04), (0.85, 0.48), (0.15, 0.48), (0.15, 0.04)], [(0.1, 0.48), (0.9, 0.48), (0.9, 0.97), (0.1, 0.97), (0.1, 0.48)]]),
    T(8, "small top", [eight(0.38, 0.42)]),
    T(8, "snowman", [arc(0.5, 0.22, 0.2, 0.2, 90, 450), arc(0.5, 0.7, 0.4, 0.28, 270, 630)]),
    T(8, "one stroke, wide", [eight(0.45, 0.46)], "validation"),
    T(8, "one stroke, big top", [eight(0.55, 0.36)], "held_out"),
    T(8, "boxy, one stroke", [[(0.9, 0.04), (0.1, 0.04), (0.1, 0.45), (0.9, 0.55), (0.9, 0.96), (0.1, 0.96), (0.1, 0.55), (0.9, 0.45), (0.9, 0.04)]], "held_out"),
    # 9: round loop, boxy (square loop, straight stem), curved tail, stem drawn apart
    T(9, "round", [[*arc(0.5, 0.28, 0.38, 0.26, 0, -360), (0.86, 0.98)]]),
    T(9, "boxy", [[(0.9, 0.5), (0.1, 0.5), (0.1, 0.04), (0.9, 0.04), (0.9, 0.98)]]),
    T(9, "curved tail", [[*arc(0.5, 0.28, 0.38, 0.26, 0, -360), (0.85, 0.6), (0.7, 0.9), (0.4, 0.98), (0.2, 0.9)]]),
    T(9, "stem apart", [arc(0.45, 0.28, 0.38, 0.26, 0, 360), [(0.83, 0.1), (0.8, 0.98)]]),
    T(9, "small loop", [[*arc(0.5, 0.2, 0.32, 0.18, 0, -360), (0.82, 0.98)]]),
    T(9, "boxy, open", [[(0.9, 0.45), (0.12, 0.45), (0.12, 0.04), (0.9, 0.04)], [(0.9, 0.02), (0.88, 0.98)]]),
    T(9, "boxy, rounded", [[(0.9, 0.3), (0.75, 0.5), (0.15, 0.5), (0.1, 0.1), (0.2, 0.03), (0.85, 0.03), (0.9, 0.3), (0.9, 0.98)]], "validation"),
    T(9, "round, slanted stem", [[*arc(0.55, 0.3, 0.36, 0.27, 10, -350), (0.5, 0.98)]], "held_out"),
    T(9, "boxy, square loop", [[(0.88, 0.55), (0.08, 0.55), (0.08, 0.04), (0.88, 0.04), (0.88, 0.55), (0.88, 0.98)]], "held_out"),
]
del T


def templates(split: str) -> list[Template]:
    return [template for template in TEMPLATES if template.split == split]


def draw(template: Template, rng: random.Random) -> Image.Image:
    """One drawing of a template, as white ink on black, with its own jitter, pen, canvas and place."""
    aspect = 0.62 * math.exp(rng.uniform(-0.4, 0.4))  # flat and wide to tall and narrow
    angle = math.radians(rng.uniform(-12, 12))
    slant = rng.uniform(-0.15, 0.35)
    wobble = rng.uniform(0, 0.015)
    strokes = []
    for stroke in template.strokes:
        shift = (rng.gauss(0, 0.015), rng.gauss(0, 0.015))
        points = []
        for x, y in stroke:
            x = (x - 0.5 + shift[0] + rng.gauss(0, wobble)) * aspect + slant * (0.5 - y)
            y = y - 0.5 + shift[1] + rng.gauss(0, wobble)
            points.append((x * math.cos(angle) - y * math.sin(angle), x * math.sin(angle) + y * math.cos(angle)))
        strokes.append(points)
    canvas = rng.randint(200, 1000)
    height = canvas * rng.uniform(0.06, 0.9)
    height = max(height, 14.0)
    pen = math.exp(rng.uniform(math.log(max(1.0, 0.012 * height)), math.log(0.2 * height)))
    xs = [x for stroke in strokes for x, _ in stroke]
    ys = [y for stroke in strokes for _, y in stroke]
    # A random place on the canvas that keeps the whole digit, pen included, inside it.
    margin = pen / 2 + 1
    left = rng.uniform(margin - min(xs) * height, canvas - margin - max(xs) * height)
    top = rng.uniform(margin - min(ys) * height, canvas - margin - max(ys) * height)
    image = Image.new("L", (canvas, canvas), 0)
    pen_draw = ImageDraw.Draw(image)
    for stroke in strokes:
        # A browser reports whole canvas pixels.
        pen_stroke(pen_draw, [(round(left + x * height), round(top + y * height)) for x, y in stroke], pen, 255)
    return image


def plan(split: str, per_digit: int) -> list[Template]:
    """Which template each drawing comes from: `per_digit` per digit, spread evenly over its templates."""
    made = []
    for digit in range(10):
        own = [template for template in templates(split) if template.digit == digit]
        made += [own[n % len(own)] for n in range(per_digit)]
    return made


def drawings(split: str, per_digit: int, seed: int):
    """(image, digit) for each template of plan(), drawn one at a time (a thousand large canvases
    held at once would take gigabytes)."""
    rng = random.Random(f"{split}-{seed}")
    for template in plan(split, per_digit):
        yield draw(template, rng), template.digit


def inputs(split: str, per_digit: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The drawings as the app's 28x28 inputs (N, 28, 28) and their labels (N,)."""
    images, labels = zip(*[(to_mnist(image), digit) for image, digit in drawings(split, per_digit, seed)])
    return torch.stack(images), torch.tensor(labels)


def write_folder(root: Path, split: str, per_digit: int, seed: int) -> int:
    for n, (image, digit) in enumerate(drawings(split, per_digit, seed)):
        (root / str(digit)).mkdir(parents=True, exist_ok=True)
        image.save(root / str(digit) / f"{n:05d}.png")
    return 10 * per_digit


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--split", choices=SPLITS, default="held_out")
    parser.add_argument("--per-digit", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    count = write_folder(args.folder, args.split, args.per_digit, args.seed)
    print(f"wrote {count} drawings of the {args.split} templates under {args.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
