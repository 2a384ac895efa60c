"""Any drawing -> one 28x28 image in MNIST's convention, shared by evaluation and the app.

MNIST digits were cropped to their ink, scaled so the longer side is 20 px with antialiasing,
and placed in 28x28 by their centre of mass. Drawings also differ from MNIST in stroke
width (a 1 px pen on a 1000 px canvas, a fat brush on a small one), so the width is brought
to MNIST's before the final downscale.
"""

from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

SIDE = 28
BOX = 20  # MNIST's longer side of the ink's bounding box
# MNIST's constants are measured on the training split (model.data.load_splits, seed 0), never
# on the test set; tests/test_preprocess.py re-measures both there.
CENTRE = 14.0  # mean centre of mass of the training digits: row 13.995, column 14.004
WORK = 4 * BOX  # longer side at which stroke width is adjusted
MNIST_STROKE = 10.7  # median stroke width of the training digits at WORK px, as stroke_width() measures it (10.65)
MIN_CONTRAST = 0.1  # less ink contrast than this (0..1) counts as nothing drawn
# The largest picture read, 4096x4096: a 12-megapixel phone photo fits, and an RGB file at the
# limit takes seconds and about 0.7 GB to read. A compressed file can claim far more pixels than
# it has bytes, so files are checked against it before they are decoded.
MAX_PIXELS = 4096 * 4096
# The formats drawings and screenshots come in. Files are opened with only these formats' readers,
# so no other decoder ever runs (EPS, for one, hands the file to Ghostscript).
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF")


class UnreadableImage(ValueError):
    """The input cannot be read as a picture at all (as opposed to a picture with nothing drawn)."""


def _too_large(size: str) -> UnreadableImage:
    return UnreadableImage(f"the image is {size}; the limit is {MAX_PIXELS / 1e6:.0f} megapixels, so scale it down first")


def _check_size(width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise _too_large(f"{width}x{height} pixels ({width * height / 1e6:.0f} megapixels)")


def read_image(path: str | Path) -> Image.Image:
    """An image file in one of FORMATS, decoded only once its header shows it is within MAX_PIXELS,
    and turned upright by its EXIF orientation. Raises UnreadableImage with the reason otherwise;
    the reason never names the file (it may be a server's cache path)."""
    try:
        with Image.open(path, formats=FORMATS) as image:
            _check_size(*image.size)
            image.load()
            return ImageOps.exif_transpose(image)
    except UnreadableImage:
        raise
    except Image.DecompressionBombError as error:  # PIL's own, far larger, bound stops it first
        raise _too_large(f"over {2 * Image.MAX_IMAGE_PIXELS / 1e6:.0f} megapixels") from error
    except Image.UnidentifiedImageError as error:
        raise UnreadableImage(f"not a readable image file: it must be {', '.join(FORMATS)}") from error
    except Exception as error:  # PIL's decoders raise many types on broken files; each means "not readable"
        reason = str(error).replace(str(path), "the file")
        raise UnreadableImage(f"not a readable image file ({type(error).__name__}: {reason})") from error


def unit_scaled(array: np.ndarray) -> np.ndarray:
    """Values as float32 in 0..1: uint8 and bool by their natural scale, anything else by its range."""
    if array.dtype == np.bool_:
        return array.astype(np.float32)
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255
    values = np.nan_to_num(array.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    low, high = values.min(), values.max()
    if high <= low:
        return np.zeros(values.shape, np.float32)
    if low >= 0 and high <= 1:
        return values.astype(np.float32)
    return ((values - low) / (high - low)).astype(np.float32)


def _channels(image) -> tuple[np.ndarray, np.ndarray | None]:
    """Colour (H, W, channels) and alpha (H, W) or None, of a PIL image or an (H, W[, C]) array, in 0..1."""
    if isinstance(image, Image.Image):
        _check_size(*image.size)
        if image.mode in ("L", "I", "I;16", "I;16B", "I;16L", "F", "1") and not image.has_transparency_data:
            return unit_scaled(np.asarray(image))[..., None], None
        array = np.asarray(image.convert("RGBA" if image.has_transparency_data else "RGB"))
    else:
        array = np.asarray(image)
    if array.ndim == 2:
        array = array[..., None]
    if array.size == 0 or array.ndim != 3 or array.shape[2] > 4:
        raise UnreadableImage(f"Cannot read an image of shape {array.shape}: expected (H, W) or (H, W, 1-4).")
    _check_size(array.shape[1], array.shape[0])
    values = unit_scaled(array)
    if array.shape[2] in (2, 4):  # grey or colour, then alpha
        return values[..., :-1], values[..., -1]
    return values, None


def _border(values: np.ndarray) -> np.ndarray:
    return np.concatenate([values[0], values[-1], values[:, 0], values[:, -1]])


def _from_border(colour: np.ndarray) -> np.ndarray:
    """How far each pixel's colour is from the border's typical colour, in its most different channel."""
    distance = np.abs(colour - np.median(_border(colour), axis=0))
    # ndarray.max(-1) over a 3-long axis is 20x slower
    return np.maximum.reduce([distance[..., channel] for channel in range(distance.shape[-1])])


def ink_map(image) -> np.ndarray | None:
    """Where the ink is, 0..1, whatever the polarity, colours or mode; None when nothing is drawn.

    On a (mostly) transparent background ink is how far the alpha, or the colour as it shows, is
    from the border's. Otherwise the background is the border's typical colour and ink is how far
    a pixel's colour is from it, in its most different channel: dark on light, light on dark, blue
    on grey.
    """
    colour, alpha = _channels(image)
    if alpha is not None and np.median(_border(alpha)) < 0.5:
        # Ink is how far a pixel's alpha, or its colour as it shows (times its alpha), is from the
        # border's: a background only partly transparent is no ink, and ink in another colour at the
        # background's alpha still shows.
        ink = np.maximum(np.abs(alpha - np.median(_border(alpha))), _from_border(colour * alpha[..., None]))
    else:
        ink = _from_border(colour)
    peak = float(ink.max())
    if peak < MIN_CONTRAST:
        return None
    return ink / peak


def _bounding_box(ink: np.ndarray, threshold: float = 0.2) -> tuple[slice, slice]:
    rows = np.flatnonzero((ink > threshold).any(1))
    columns = np.flatnonzero((ink > threshold).any(0))
    return slice(rows[0], rows[-1] + 1), slice(columns[0], columns[-1] + 1)


def stroke_width(ink: np.ndarray) -> float:
    """Typical stroke width in pixels: twice the ink area over its boundary length.

    A stroke of width w and length L has area w*L and about 2*L boundary pixels.
    """
    solid = ink > 0.5
    area = int(solid.sum())
    if area == 0:
        return 0.0
    padded = np.pad(solid, 1)
    interior = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:] & solid
    boundary = max(area - int(interior.sum()), 1)
    return 2 * area / boundary


def _resize(ink: np.ndarray, height: int, width: int) -> np.ndarray:
    """Antialiased resize of a float map: area averaging down, bicubic up."""
    picture = Image.fromarray(ink.astype(np.float32), mode="F")
    shrinking = height < ink.shape[0] or width < ink.shape[1]
    resample = Image.Resampling.BOX if shrinking else Image.Resampling.BICUBIC
    return np.clip(np.asarray(picture.resize((width, height), resample)), 0, 1)


def _fit(ink: np.ndarray, longer: int) -> np.ndarray:
    height, width = ink.shape
    scale = longer / max(height, width)
    return _resize(ink, max(1, round(height * scale)), max(1, round(width * scale)))


def _square_pass(values: np.ndarray, reduce: np.ufunc) -> np.ndarray:
    """One 3x3 max (reduce=np.maximum) or min (np.minimum) filter, its window clipped at the edges,
    as a pass of three along each axis: PIL's MaxFilter and MinFilter sort every window, slower."""
    for axis in (0, 1):
        before, values = values, values.copy()
        new, old = np.swapaxes(values, 0, axis), np.swapaxes(before, 0, axis)  # views: the pass runs along axis 0
        reduce(new[1:], old[:-1], out=new[1:])
        reduce(new[:-1], old[1:], out=new[:-1])
    return values


def _morph(ink: np.ndarray, radius: int) -> np.ndarray:
    """Grow (radius > 0) or shrink (radius < 0) strokes by |radius| pixels on each side: |radius|
    passes of a 3x3 max or min filter, the same as one (2|radius|+1)-square filter."""
    picture = np.pad(ink, abs(radius) + 1).astype(np.float32)
    for _ in range(abs(radius)):
        picture = _square_pass(picture, np.maximum if radius > 0 else np.minimum)
    return picture


def _safe_erosion(ink: np.ndarray, most: int) -> int:
    """The largest erosion, up to `most` px, that keeps 40% of the solid ink: a drawing is never
    eroded away, however wide its strokes look (a lone dot scaled up looks like one wide stroke)."""
    solid = np.pad(ink, 1) > 0.5
    keep = 0.4 * solid.sum()
    for radius in range(most):
        solid = _square_pass(solid, np.minimum)
        if solid.sum() < keep:
            return radius
    return most


def _max_pool(ink: np.ndarray, factor: int) -> np.ndarray:
    """The maximum of each factor x factor block, the last ones partial. Padded to whole blocks
    instead, a picture 1 pixel high and 250,000 wide took 3.1 GB (tracemalloc; a block is `factor` rows)."""
    def starts(length: int) -> np.ndarray:
        return np.arange(0, length, factor)

    return np.maximum.reduceat(np.maximum.reduceat(ink, starts(ink.shape[0]), axis=0), starts(ink.shape[1]), axis=1)


def normalise_stroke(ink: np.ndarray) -> np.ndarray:
    """Crop to the ink, bring its longer side to WORK px, and its stroke width to MNIST's."""
    ink = ink[_bounding_box(ink)]
    expected = stroke_width(ink) * WORK / max(ink.shape)  # stroke width once at WORK px
    if expected < 1.5:
        # A hairline would average down to a faint line whose brightness depends on how it
        # falls on the pixel grid; max-pooling keeps every pixel it touches at full ink.
        ink = _max_pool(ink, -(-max(ink.shape) // WORK))
    ink = _fit(ink, WORK)
    radius = round((MNIST_STROKE - max(expected, 1.0)) / 2)
    ink = _morph(ink, radius if radius >= 0 else -_safe_erosion(ink, -radius))
    return ink[_bounding_box(ink)]


def centre_by_mass(digit: np.ndarray) -> np.ndarray:
    """Place a digit of at most 20x20 into 28x28 so its centre of mass lands on MNIST's."""
    canvas = np.zeros((SIDE, SIDE), np.float32)
    mass = digit.sum()
    rows, columns = np.indices(digit.shape)
    shift = [
        round(CENTRE - (rows * digit).sum() / mass),
        round(CENTRE - (columns * digit).sum() / mass),
    ]
    for axis in (0, 1):  # keep the whole digit inside the frame
        shift[axis] = min(max(shift[axis], 0), SIDE - digit.shape[axis])
    canvas[shift[0] : shift[0] + digit.shape[0], shift[1] : shift[1] + digit.shape[1]] = digit
    return canvas


def to_mnist(image) -> torch.Tensor | None:
    """A drawing (PIL image or array, any mode or polarity) as a (28, 28) float tensor, or None
    when nothing is drawn. Raises UnreadableImage when the input is not a picture."""
    ink = ink_map(image)
    return None if ink is None else ink_to_mnist(ink)


def ink_to_mnist(ink: np.ndarray) -> torch.Tensor | None:
    """An ink map (2-D, 0..1, the ink's peak at 1, as ink_map gives it) as the (28, 28) input, or
    None when it holds no ink. The canvas's strokes come as ink already (demo.canvas.strokes_ink)."""
    if ink.max() < MIN_CONTRAST:
        return None
    digit = _fit(normalise_stroke(ink), BOX)
    if digit.sum() <= 0:
        return None
    return torch.from_numpy(centre_by_mass(digit / digit.max()))
