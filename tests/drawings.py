"""Drawings made the ways people draw on canvases, for preprocessing and accuracy tests.

Two families: real MNIST test digits redrawn at other sizes, places, colours and polarities
(their strokes keep MNIST's shape; thresholding them much thinner would break faint strokes
and change the digit), and the stroke-path digits of demo.sketches drawn with any pen, from a
1 px line on a 1000 px canvas to a fat brush.
"""

import argparse
import math
import random
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageFilter

from demo.sketches import STROKES, Style, render
from model import checkpoint
from model.data import DataUnavailable, data_root, load_mnist
from model.evaluate import probabilities
from model.preprocess import ink_to_mnist, to_mnist


def enlarged(digit: np.ndarray, height: float) -> np.ndarray:
    """The box of a 28x28 digit's ink, resized (bicubic) to `height` px tall."""
    rows = np.flatnonzero(digit.max(1) > 0.1)
    columns = np.flatnonzero(digit.max(0) > 0.1)
    crop = digit[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1]
    scale = height / crop.shape[0]
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    return np.asarray(Image.fromarray(crop.astype(np.float32), "F").resize(size, Image.Resampling.BICUBIC))


def redraw(digit: np.ndarray, canvas=(280, 280), height=0.7, centre=(0.5, 0.5), core=0.5, grow=0,
           ink=(0, 0, 0), background=(255, 255, 255), alpha=False) -> Image.Image:
    """A 28x28 MNIST digit as a drawing: scaled to `height` of the canvas, placed at `centre`,
    its stroke thinned (core near 1) or thickened (core near 0, `grow` px more) and coloured."""
    big = enlarged(digit, height * canvas[1])
    size = big.shape[::-1]
    mask = Image.fromarray(((big > core) * 255).astype(np.uint8))
    if grow:
        mask = mask.filter(ImageFilter.MaxFilter(2 * grow + 1))
    image = Image.new("RGBA", canvas, (*background, 0 if alpha else 255))
    left = round(centre[0] * canvas[0] - size[0] / 2)
    top = round(centre[1] * canvas[1] - size[1] / 2)
    image.paste(Image.new("RGBA", size, (*ink, 255)), (left, top), mask)
    return image


# Each style is one way real drawings differ from MNIST.
STYLES = {
    "brush on a small canvas": dict(canvas=(280, 280), core=0.3),
    "pen on a large white canvas": dict(canvas=(1000, 1000), height=0.5, core=0.6),
    "fat marker": dict(canvas=(300, 300), core=0.2, grow=5),
    "off-centre corner": dict(canvas=(800, 600), height=0.3, centre=(0.8, 0.25), core=0.6),
    "tiny": dict(canvas=(900, 900), height=0.05, centre=(0.3, 0.6)),
    "huge": dict(canvas=(400, 400), height=0.98),
    "white on black": dict(ink=(255, 255, 255), background=(0, 0, 0), core=0.6),
    "red on yellow": dict(ink=(200, 20, 20), background=(250, 240, 120)),
    "ink on transparent": dict(alpha=True, ink=(30, 30, 30), background=(0, 0, 0)),
}


def round_marker(digit: np.ndarray, canvas: int = 400, height: float = 0.6, core: float = 0.1, blur: int = 6) -> Image.Image:
    """A marker with a round tip: the ink cut lower than `fat marker` cuts it, then grown by a blur
    and a threshold (about half an MNIST pixel), so a stroke's ends and corners come out round."""
    big = enlarged(digit, height * canvas)
    mask = Image.new("L", (big.shape[1] + 4 * blur, big.shape[0] + 4 * blur))
    mask.paste(Image.fromarray(((big > core) * 255).astype(np.uint8)), (2 * blur, 2 * blur))
    ink = Image.fromarray(((np.asarray(mask.filter(ImageFilter.GaussianBlur(blur))) > 40) * 255).astype(np.uint8))
    image = Image.new("L", (canvas, canvas), 255)
    image.paste(0, ((canvas - ink.size[0]) // 2, (canvas - ink.size[1]) // 2), ink)
    return image


def chisel_marker(digits: torch.Tensor, along: float = 4.0, across: float = 1.2, angle: float = 35.0) -> torch.Tensor:
    """(n, 28, 28) MNIST digits as a chisel-tip marker draws them, as the app's inputs: at 4x, the
    ink grown by a flat nib held at `angle` degrees (an ellipse, `along` by `across` px)."""
    r = math.ceil(along)
    y, x = torch.meshgrid(torch.arange(-r, r + 1.0), torch.arange(-r, r + 1.0), indexing="ij")
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    nib = (((x * c + y * s) / along) ** 2 + ((-x * s + y * c) / across) ** 2 <= 1).float()
    inputs = []
    for start in range(0, len(digits), 500):
        big = (F.interpolate(digits[start : start + 500, None], scale_factor=4, mode="bicubic") > 0.15).float()
        grown = F.conv2d(big, nib[None, None], padding=r) > 0
        inputs += [ink_to_mnist(ink[0].float().numpy()) for ink in grown]
    return torch.stack(inputs)


# Markers drawn otherwise than training's (model.data.as_drawn_with_a_marker cuts the ink at 0.1-0.25
# at 4x and grows it by 1-4 px with a square or a disc-shaped tip): a round tip grown by a blur, close
# to training's disc, and a chisel nib, which no training transform has: --styles scores them apart.
OTHER_MARKERS = {
    "round marker, cut lower": lambda digits: torch.stack([to_mnist(round_marker(x.numpy())) for x in digits]),
    "chisel marker": chisel_marker,
}


# Pens for the stroke-path digits: width is in canvas pixels.
PENS = {
    "thin pen on a large white canvas": dict(canvas=(1000, 1000), height=0.5, width=2),
    "hairline, off-centre": dict(canvas=(1200, 900), height=0.3, centre=(0.75, 0.3), width=1),
    "fat brush": dict(canvas=(280, 280), height=0.7, width=34),
    "tiny on a big canvas": dict(canvas=(900, 900), height=0.04, width=3),
    "huge, touching the edges": dict(canvas=(300, 300), height=1.0, width=20),
    "light ink on dark": dict(ink=(230, 230, 230, 255), background=(39, 39, 42, 255), width=14),
    "blue on grey": dict(ink=(20, 40, 200, 255), background=(30, 30, 30, 255), width=10),
    "transparent, palette mode": dict(background=None, mode="P", width=8),
}


def pen_drawings(pen: str, per_digit: int = 4) -> list[tuple[Image.Image, int]]:
    """Every digit drawn `per_digit` times with one pen, each time with its own slant and wobble."""
    rng = random.Random(pen)
    return [
        (render(digit, Style(**PENS[pen], slant=rng.uniform(-0.1, 0.25), wobble=rng.uniform(0, 0.015),
                             seed=rng.randrange(10**6))), digit)
        for digit in STROKES
        for _ in range(per_digit)
    ]


def write_folder(root: Path, mnist_digits: int = 300) -> int:
    """Every pen drawing and the last `mnist_digits` MNIST test digits in every style, as
    root/<digit>/<style>-<n>.png for `python -m model.evaluate --images root`."""
    count = 0
    drawings = [(f"{pen}-{n}", image, digit) for pen in PENS for n, (image, digit) in enumerate(pen_drawings(pen))]
    images, labels = load_mnist(data_root(), train=False)
    drawings += [
        (f"mnist {style}-{n}", redraw(x.numpy(), **STYLES[style]), int(label))
        for style in STYLES
        for n, (x, label) in enumerate(zip(images[-mnist_digits:], labels[-mnist_digits:]))
    ]
    for name, image, digit in drawings:
        (root / str(digit)).mkdir(parents=True, exist_ok=True)
        image.save(root / str(digit) / f"{name.replace(' ', '_').replace(',', '')}.png")
        count += 1
    return count


def accuracy_per_style(checkpoints: list[Path], mnist_digits: int) -> None:
    """Print each checkpoint's accuracy on the last `mnist_digits` MNIST test digits redrawn in
    each style, then with each of OTHER_MARKERS: 300 a style (write_folder's) tell one style
    from another only to about 1%."""
    models = {path: checkpoint.load(path)[0] for path in checkpoints}
    images, labels = load_mnist(data_root(), train=False)
    images, labels = images[-mnist_digits:], labels[-mnist_digits:]
    drawn_as = {style: lambda digits, style=style: torch.stack([to_mnist(redraw(x.numpy(), **STYLES[style])) for x in digits])
                for style in STYLES}
    for style, draw in {**drawn_as, **{f"other marker: {name}": draw for name, draw in OTHER_MARKERS.items()}}.items():
        inputs = draw(images)
        for path, model in models.items():
            right = (probabilities(model, inputs).argmax(1) == labels).sum().item()
            print(f"{path}  {style:33s} {right / len(labels):.2%} ({len(labels) - right} of {len(labels)} wrong)", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Write the project's drawings, or score checkpoints per style.")
    parser.add_argument("folder", nargs="?", type=Path, help="write every drawing under this folder")
    parser.add_argument("--styles", nargs="+", type=Path, metavar="CHECKPOINT",
                        help="instead, print each checkpoint's accuracy per redrawn style")
    parser.add_argument("--mnist-digits", type=int, default=10_000, help="MNIST test digits per style for --styles")
    args = parser.parse_args()
    if (args.folder is None) == (args.styles is None):
        parser.error("give a folder to write, or --styles CHECKPOINT..., not both")
    if not 1 <= args.mnist_digits <= 10_000:
        parser.error(f"--mnist-digits {args.mnist_digits}: MNIST has 1 to 10,000 test digits")
    if args.styles:
        try:
            accuracy_per_style(args.styles, args.mnist_digits)
        except (checkpoint.CheckpointError, DataUnavailable) as error:
            parser.error(str(error))
    else:
        print(f"wrote {write_folder(args.folder)} drawings under {args.folder}")
