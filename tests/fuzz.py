"""Hostile inputs, generated from a seed: what careless people and hostile programs send.

Four kinds: canvas values (what the canvas's event receives as JSON), in-memory images and
arrays (what the demo functions receive), files (what an upload, the API or the evaluation
CLI's --images receives), and whole requests to the classify API naming what was never uploaded.
"""

import base64
import io
import random
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from demo.canvas import EMPTY, MAX_POINTS, MAX_STROKES, NOT_NUMBERS, NOT_STROKES, SIZE, TOO_MANY
from demo.components import INLINE
from demo.guard import NOT_UPLOADED, UNREADABLE_REQUEST
from demo.sketches import Style, render
from model.preprocess import MAX_PIXELS

MODES = ("1", "L", "LA", "P", "RGB", "RGBA", "I;16", "I", "F")


def canvas_values(rng: random.Random, count: int) -> list:
    """JSON-like values that are not what the canvas sends, or are at its limits."""
    fixed = [
        None, {}, [], "strokes", 7, {"strokes": None}, {"strokes": []}, {"strokes": [[]]},
        {"strokes": "1,2,3"}, {"strokes": [1, 2, 3]}, {"strokes": [["a", "b"]]}, {"strokes": [[None, None]]},
        {"strokes": [[{"x": 1}, 2]]}, {"strokes": [[float("nan"), 5, 6, 7]]}, {"strokes": [[float("inf"), 1, 2, 3]]},
        {"strokes": [[1e308, 1e308, -1e308, -1e308]]}, {"strokes": [[140, 140]]}, {"strokes": [[140]]},
        {**EMPTY, "size": "big", "strokes": [[1, 2, 3, 4]]}, {**EMPTY, "size": [280], "strokes": [[1, 2, 3, 4]]},
        {**EMPTY, "size": float("inf"), "strokes": [[1, 2, 3, 4]]}, {**EMPTY, "size": -5, "strokes": [[1, 2, 3, 4]]},
        {**EMPTY, "size": 10**9, "strokes": [[1, 2, 3, 4]]}, {**EMPTY, "brush": float("nan"), "strokes": [[1, 2, 3, 4]]},
        {**EMPTY, "brush": -1, "strokes": [[10, 10, 200, 200]]}, {**EMPTY, "brush": 10**6, "strokes": [[10, 10, 200, 200]]},
        {**EMPTY, "strokes": [[0, 0, 280, 280] * 20_000]},  # far more points than any hand draws
        {**EMPTY, "strokes": [[5, 5, 6, 6]] * 5_000},
        {**EMPTY, "strokes": [[x for i in range(0, 280, 2) for x in (i, 140)]]},  # a full-width line
        {**EMPTY, "strokes": [[x for y in range(0, 280, 9) for x in (0, y, 279, y)]]},  # all ink
    ]
    values = list(fixed)
    while len(values) < count:
        strokes = [[rng.choice([rng.uniform(-500, 800), rng.randint(0, SIZE), rng.random()])
                    for _ in range(2 * rng.randint(0, 30))] for _ in range(rng.randint(0, 5))]
        values.append({**EMPTY, "size": rng.choice([SIZE, 16, 64, 2048, 0]), "brush": rng.choice([1, 18, 70, 0.1]),
                       "strokes": strokes})
    return values


def digit_image(mode: str, size: int = 200) -> Image.Image:
    """A 7 drawn dark on light, in `mode`."""
    return render(7, Style(canvas=(size, size), width=max(2, size // 14))).convert("L").convert(mode)


def images(rng: random.Random, count: int) -> list:
    """PIL images in every mode and numpy arrays of every awkward kind, drawn or not."""
    side = int(MAX_PIXELS**0.5)
    fixed = [
        *[digit_image(mode) for mode in MODES],
        *[Image.new(mode, (64, 64)) for mode in MODES],  # blank in every mode
        Image.new("RGBA", (300, 300), (0, 0, 0, 0)),  # transparent, nothing drawn
        Image.new("L", (1, 1), 255), Image.new("RGB", (1, 1)), Image.new("L", (1, 4000), 128),
        Image.new("L", (300, 300), 0), Image.new("L", (300, 300), 255),  # all ink, either polarity
        np.zeros((0, 0)), np.zeros((5,)), np.zeros((2, 2, 2, 2)), np.zeros((10, 10, 7)), np.array("text"),
        np.array([["a", "b"]]), np.full((50, 50), np.nan), np.full((50, 50), np.inf), np.full((50, 50), -np.inf),
        np.zeros((side + 1, side + 1), np.uint8),  # past the pixel bound
        np.asarray(digit_image("L")).astype(np.float16), np.asarray(digit_image("L")).astype(np.uint16) * 257,
        np.asarray(digit_image("L")).astype(np.int64) - 1000, np.asarray(digit_image("L")) > 128,
    ]
    with_nan = np.asarray(digit_image("F")).copy()
    with_nan[:20] = np.nan
    with_nan[-20:] = np.inf
    fixed.append(with_nan)
    values = list(fixed)
    while len(values) < count:
        height, width = rng.choice([1, 2, 28, 97, 300]), rng.choice([1, 3, 28, 64, 400])
        kind = rng.randrange(5)
        if kind == 0:  # noise
            values.append(np.random.default_rng(rng.randrange(10**6)).integers(0, 256, (height, width, 3), np.uint8))
        elif kind == 1:  # a single dot
            dot = np.zeros((height, width), np.float32)
            dot[rng.randrange(height), rng.randrange(width)] = rng.choice([1.0, np.nan, 1e30, -1e30])
            values.append(dot)
        elif kind == 2:
            values.append(Image.new(rng.choice(MODES), (width, height), rng.randrange(256)))
        elif kind == 3:
            values.append(digit_image(rng.choice(MODES), rng.choice([20, 28, 150])))
        else:
            values.append(np.random.default_rng(rng.randrange(10**6)).normal(0, 1e6, (height, width)))
    return values


def claimed_size_png(width: int, height: int) -> bytes:
    """A valid 1x1 PNG whose header claims width x height pixels: tiny on disk, huge decoded."""
    with io.BytesIO() as out:
        Image.new("L", (1, 1)).save(out, format="PNG")
        data = bytearray(out.getvalue())
    data[16:24] = struct.pack(">II", width, height)  # IHDR width and height
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))  # IHDR chunk type + data
    return bytes(data)


def files(folder: Path, rng: random.Random, count: int) -> list[Path]:
    """Files written into `folder`: images in every mode and format, and files that only look like images."""
    folder.mkdir(parents=True, exist_ok=True)
    good = io.BytesIO()
    digit_image("RGB").save(good, format="PNG")
    png = good.getvalue()
    contents = {
        "empty.png": b"", "text.png": b"this is not an image\n", "html.png": b"<html><body>7</body></html>",
        "truncated.png": png[: len(png) // 2], "header-only.png": png[:33], "bomb.png": claimed_size_png(100_000, 100_000),
        "past-bound.png": claimed_size_png(5000, 5000), "zero.png": claimed_size_png(0, 0),
        "flipped-byte.png": png[:60] + bytes([png[60] ^ 0xFF]) + png[61:],
        "svg.png": b'<svg xmlns="http://www.w3.org/2000/svg"><text>7</text></svg>',
    }
    with io.BytesIO() as eps:  # a format PIL reads by handing it to Ghostscript: refused unread
        digit_image("RGB").save(eps, format="EPS")
        contents["seven.eps"] = eps.getvalue()
    paths = []
    for name, data in contents.items():
        paths.append(folder / name)
        paths[-1].write_bytes(data)
    for mode in MODES:  # TIFF keeps 16-bit and float modes, PNG the rest
        for fmt in ("PNG", "TIFF", "WEBP", "JPEG", "GIF", "BMP"):
            image = digit_image(mode)
            try:
                with io.BytesIO() as out, warnings.catch_warnings(action="error", category=DeprecationWarning):
                    image.save(out, format=fmt)
                    data = out.getvalue()
            except (OSError, ValueError, KeyError, DeprecationWarning):
                continue  # a mode this format cannot (or soon will not) hold
            paths.append(folder / f"seven-{mode.replace(';', '')}.{fmt.lower()}")
            paths[-1].write_bytes(data)
    while len(paths) < count:
        kind = rng.randrange(3)
        path = folder / f"random-{len(paths)}.png"
        if kind == 0:  # random bytes
            path.write_bytes(rng.randbytes(rng.randrange(1, 5000)))
        elif kind == 1:  # a real PNG with a few bytes changed
            data = bytearray(png)
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            path.write_bytes(bytes(data))
        else:  # noise
            size = (rng.choice([1, 5, 300]), rng.choice([1, 7, 300]))
            noise = np.random.default_rng(rng.randrange(10**6)).integers(0, 256, (*size, 3), np.uint8)
            Image.fromarray(noise).save(path)
        paths.append(path)
    return paths


def over_bounds() -> list[tuple[dict, str]]:
    """Canvas values past the bounds or not made of numbers, each with the problem it must get."""
    return [
        ({**EMPTY, "strokes": [[1, 1]] * (MAX_STROKES + 1)}, TOO_MANY),
        ({**EMPTY, "strokes": [[140, 140] * (MAX_POINTS + 1)]}, TOO_MANY),
        ({**EMPTY, "strokes": [[10, 10, 20, 20]] * 2 + [[5, 5] * MAX_POINTS]}, TOO_MANY),  # the points of all strokes count
        ({**EMPTY, "strokes": [[True, 10, 200, 200]]}, NOT_NUMBERS),
        ({**EMPTY, "strokes": [["10", "10", "200", "200"]]}, NOT_NUMBERS),
        ({**EMPTY, "size": True, "strokes": [[10, 10, 200, 200]]}, NOT_NUMBERS),
        ({**EMPTY, "brush": "18", "strokes": [[10, 10, 200, 200]]}, NOT_NUMBERS),
        ({**EMPTY, "strokes": [[10, 10, 2e6, 200]]}, NOT_NUMBERS),
        ({**EMPTY, "strokes": [[10, 10, 200, 200]], "extra": "x" * 100_000}, NOT_STROKES),
        ({"refused": "anything a client likes"}, NOT_STROKES),
    ]


def inline_png(width: int, height: int) -> str:
    """A data: URL holding a PNG that claims width x height pixels."""
    return "data:image/png;base64," + base64.b64encode(claimed_size_png(width, height)).decode()


def classify_attacks(outside: Path, link: Path, listener: str) -> list[tuple[list, str]]:
    """Requests to the classify endpoint, each with what its answer must contain. `outside` is a
    readable drawing of a 7 outside Gradio's upload folder, `link` a symlink inside that folder
    pointing at it, `listener` an http URL that records any connection made to it."""
    names = ["/etc/passwd", "/dev/zero", "/proc/self/environ", str(outside), str(link), "checkpoints/lstm.pt",
             "../../../../../etc/passwd", f"{link.parent}/../{'../' * 8}{str(outside).lstrip('/')}",
             f"{listener}/seven.png", "https://huggingface.co/seven.png", "http://10.1.2.3/seven.png",
             "file:///etc/passwd", "", "\0", str(link.parent), f"{link.parent}/never-uploaded.png"]
    requests = []
    for name in names:
        requests.append(([{"path": name}, "LSTM"], NOT_UPLOADED))
        requests.append(([{"path": name, "meta": {"_type": "gradio.FileData"}}, "BiLSTM"], NOT_UPLOADED))
    requests += [
        ([{"path": "/etc/passwd", "meta": "gradio.FileData"}, "LSTM"], NOT_UPLOADED),
        ([{"url": f"{listener}/seven.png"}, "LSTM"], NOT_UPLOADED),
        ([{"url": inline_png(5000, 5000)}, "LSTM"], INLINE),  # 25 megapixels in a few hundred bytes
        ([{"url": inline_png(1, 1)}, "BiLSTM"], INLINE),
        ([{"url": "data:image/png;base64,not base64 at all"}, "LSTM"], INLINE),
        (["/etc/passwd", "LSTM"], UNREADABLE_REQUEST),
        ([7, "LSTM"], UNREADABLE_REQUEST),
        ([{"path": 5}, "LSTM"], UNREADABLE_REQUEST),
        ([[{"path": "/etc/passwd"}], "LSTM"], UNREADABLE_REQUEST),
    ]
    return requests


def unknown_models(image: dict) -> list[tuple[list, str]]:
    """Requests with a good image and a model that is not one, each with what its answer must contain."""
    return [([image, model], "unknown model: choose one of LSTM, BiLSTM")
            for model in ["GRU", "", "lstm", None, 5, ["LSTM"], {"path": "/etc/passwd"}]]
