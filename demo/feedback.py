""""That's wrong, it's a __": a person's correction saved where the host turned it on, for
`python -m model.evaluate --images DIR` and `python -m model.train --extra-images DIR`.

Nothing is saved unless the host sets ROWSCAN_FEEDBACK_DIR and the person clicks; saving the
same input again (from any session, while the server runs) replaces its correction. Each
correction is one drawing in an ImageFolder layout:

    DIR/<digit>/<time>.png        the drawing (the canvas redrawn, or the uploaded picture)
    DIR/<digit>/<time>.json       its strokes (canvas drawings) and what each model answered
    DIR/<digit>/<time>.input.png  the 28x28 input the network read
"""

import io
import json
import os
import threading
from datetime import datetime, timezone
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from demo.canvas import MAX_POINTS, strokes_image
from demo.events import Shown, asked_id
from demo.i18n import ENGLISH, text
from model.data import INPUT_SUFFIX
from model.preprocess import read_image, to_mnist, unit_scaled

FOLDER_VARIABLE = "ROWSCAN_FEEDBACK_DIR"
# A public page cannot fill the host's disk: a folder takes this many drawings, or bytes, at most
# (a canvas drawing's correction took 1.7 KB). An uploaded picture is saved scaled down to
# LARGEST_SAVED px on its longer side (4096x4096 of colour noise was a 50 MB PNG), unless the
# smaller copy reads as nothing (a thin pen on a huge picture): then whole, up to MAX_PICTURE_BYTES.
MAX_SAVED = 10_000
MAX_SAVED_BYTES = 1_000_000_000
LARGEST_SAVED = 560
MAX_PICTURE_BYTES = 8_000_000
# How close an upload's input must come to one of the page's MNIST examples, as the mean and the
# largest absolute difference, to be that example: those saved as WebP (as the page serves them)
# at quality 20 to 90 and read again came within 0.0115 and 0.262 of their own input; of 5,000
# MNIST training digits shown at 112 px as the page shows them, the nearest came within 0.0108
# but 0.349 at its largest, and no other within 0.0146.
TEST_DIGIT_DISTANCE = (0.015, 0.3)
PNG_MODES = {"1", "L", "LA", "P", "I;16", "I;16B", "RGB", "RGBA"}  # what PIL writes as PNG as it is


class NotSaved(ValueError):
    """Why a correction was not saved: a server text (demo/locales) and its values."""

    def __init__(self, key: str, **values):
        super().__init__(text(ENGLISH, key, **values))
        self.key, self.values = key, values

    def said_in(self, lang: str) -> str:
        return text(lang, self.key, **self.values)


def folder() -> Path | None:
    """Where corrections go, or None (the default: nothing is ever saved)."""
    value = os.environ.get(FOLDER_VARIABLE, "").strip()
    return Path(value) if value else None


def digit_of(label) -> int:
    """The correct digit a person chose; a ValueError for anything but 0-9."""
    chosen = str(label).strip() if isinstance(label, (str, int)) and not isinstance(label, bool) else ""
    if len(chosen) != 1 or chosen not in "0123456789":
        raise NotSaved("feedback_choose_digit")
    return int(chosen)


def drawing_of(shown: Shown) -> tuple[Image.Image, list | None]:
    """The picture the input came from, and its strokes when it was drawn on the canvas."""
    if shown.source == "canvas":
        numbers, strokes = 0, []
        for stroke in shown.drawing["strokes"]:  # the same points the canvas drew, no more
            kept = [float(c) for c in stroke[: 2 * MAX_POINTS - numbers]]
            numbers += len(kept)
            strokes.append(kept)
        return strokes_image(shown.drawing), strokes
    if isinstance(shown.drawing, (str, Path)):  # a file Gradio received as an upload
        picture = read_image(shown.drawing)
    else:
        picture = shown.drawing if isinstance(shown.drawing, Image.Image) else Image.fromarray(np.asarray(shown.drawing))
    if max(picture.size) > LARGEST_SAVED:  # the app's input is 28x28: a smaller copy is the same digit
        smaller = picture.copy()
        smaller.thumbnail((LARGEST_SAVED, LARGEST_SAVED))
        if to_mnist(smaller) is not None:
            picture = smaller
    return picture, None


def as_png(picture: Image.Image) -> bytes:
    """The picture as PNG bytes: a float or 32-bit integer picture scaled to 0-255 as the app reads
    it (PIL would write 32-bit values as 16-bit ones, cut at 65535), one in another colour model
    (CMYK, YCbCr, ...) as RGB."""
    if picture.mode in ("F", "I"):
        picture = Image.fromarray((unit_scaled(np.asarray(picture)) * 255).round().astype(np.uint8))
    elif picture.mode not in PNG_MODES:
        picture = picture.convert("RGBA" if picture.has_transparency_data else "RGB")
    data = io.BytesIO()
    picture.save(data, format="PNG")
    return data.getvalue()


class ImageFolderLogger(gr.FlaggingCallback):
    """Gradio's flagging interface, writing the ImageFolder layout above instead of a CSV:
    flag([shown], "7") saves what `shown` holds as a 7."""

    def setup(self, components, flagging_dir: str | Path, test_digits: list[Image.Image] = ()):
        """`test_digits`: the MNIST test digits the page shows, refused also when one comes back as
        an upload of its picture (its input then within TEST_DIGIT_DISTANCE of theirs)."""
        self.folder = Path(flagging_dir)
        self.test_inputs = [to_mnist(picture) for picture in test_digits]
        self.held: tuple[int, int] | None = None  # (drawings, bytes) in the folder: counted at the first save, then kept
        self.saved: dict[str, list[Path]] = {}  # each input's (Shown.key) saved files, which saving it again replaces
        self.lock = threading.Lock()  # Gradio runs events in several threads: two clicks save one correction

    def flag(self, flag_data: list, flag_option: str | None = None, username: str | None = None) -> int:
        """Saves one correction and returns how many drawings the folder holds; raises ValueError
        (with a message for the page) for a bad label, nothing drawn, or a full folder."""
        [shown] = flag_data
        digit = digit_of(flag_option)
        if shown is None or shown.image is None:
            raise NotSaved("feedback_nothing_drawn")
        if shown.test_digit or shown.source == "image" and any(self.is_example(shown.image, known) for known in self.test_inputs):
            raise NotSaved("feedback_test_digit")  # its label is known, and test digits stay out of training
        picture, strokes = drawing_of(shown)  # the slow part, outside the lock: other sessions' clicks do not wait for it
        drawing = as_png(picture)  # before any file is made: a picture that cannot be written leaves none
        if len(drawing) > MAX_PICTURE_BYTES:
            raise NotSaved("feedback_too_large", megabytes=MAX_PICTURE_BYTES / 1e6)
        with self.lock:
            return self.write(shown, digit, drawing, strokes)

    @staticmethod
    def is_example(image, example) -> bool:
        difference = (image - example).abs()
        return difference.mean() < TEST_DIGIT_DISTANCE[0] and difference.max() < TEST_DIGIT_DISTANCE[1]

    def write(self, shown: Shown, digit: int, drawing: bytes, strokes: list | None) -> int:
        """flag's writing of the drawing's PNG bytes, under its lock."""
        key = shown.key
        count, size = self.holding()
        if key not in self.saved and (count >= MAX_SAVED or size >= MAX_SAVED_BYTES):  # a drawing saved again replaces its files
            raise NotSaved("feedback_full", count=f"{MAX_SAVED:,}", gigabytes=MAX_SAVED_BYTES / 1e9)
        target = self.folder / str(digit)
        target.mkdir(parents=True, exist_ok=True)
        stem = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        for n in range(100):  # two corrections in the same microsecond get their own names
            name = stem if n == 0 else f"{stem}-{n}"
            try:
                file = open(target / f"{name}.png", "xb")
                break
            except FileExistsError:
                continue
        else:
            raise FileExistsError("no free name")  # an OSError: "the server could not store the drawing"
        written = [target / f"{name}{suffix}" for suffix in (".png", ".json", INPUT_SUFFIX)]
        try:
            with file:
                file.write(drawing)
            record = {"digit": digit, "source": shown.source, "strokes": strokes, "answers": shown.answers}
            written[1].write_text(json.dumps(record))
            Image.fromarray((shown.image.numpy() * 255).round().astype(np.uint8)).save(written[2])
        except BaseException:  # a full disk, say: no half-saved correction for evaluation to count as wrong
            for path in written:
                path.unlink(missing_ok=True)
            raise
        replaced = self.saved.pop(key, [])  # the same input saved before (a double click, another digit, Undo): one correction
        size += sum(path.stat().st_size for path in written) - sum(path.stat().st_size for path in replaced if path.exists())
        for path in replaced:
            path.unlink(missing_ok=True)
        self.saved[key] = written
        self.held = (count + (not replaced), size)
        return self.held[0]

    def holding(self) -> tuple[int, int]:
        """(drawings, bytes) in the folder: counted at the first save, then kept as corrections come
        and go (a count of 30,000 files at every save took 0.2 s)."""
        if self.held is None:
            files = list(self.folder.glob("[0-9]/*")) if self.folder.is_dir() else []
            self.held = (sum(path.name.endswith(INPUT_SUFFIX) for path in files), sum(path.stat().st_size for path in files))
        return self.held


def correct(logger: ImageFolderLogger, shown: Shown, label, lang: str = ENGLISH) -> str:
    """Saves `shown` as the digit `label` and says so, or says why not, in language `lang`."""
    try:
        logger.flag([shown], label)
    except NotSaved as error:
        return text(lang, "feedback_not_saved", reason=error.said_in(lang))
    except ValueError as error:  # an unreadable upload is an UnreadableImage, a ValueError naming no path
        return text(lang, "feedback_not_saved", reason=error)
    except OSError:  # a full disk or a removed upload: its message would name server paths
        return text(lang, "feedback_not_saved", reason=text(lang, "feedback_not_stored"))
    return text(lang, "feedback_saved", digit=digit_of(label))


def correct_asked(logger: ImageFolderLogger, shown: Shown, asked, lang: str = ENGLISH) -> dict:
    """The explorer's correction, {"digit": 0-9, "drawing": the Shown.key of the drawing the page
    shows, "id": n}: {"id": n, "text": what `correct` says}. Only the drawing the page shows is
    saved: while a newer one is on its way (an upload still in the queue), nothing is."""
    asked = asked if isinstance(asked, dict) else {}
    if shown is not None and shown.image is not None and not shown.test_digit and asked.get("drawing") != shown.key:
        said = text(lang, "feedback_not_saved", reason=text(lang, "feedback_drawing_changed"))
    else:
        said = correct(logger, shown, asked.get("digit"), lang)
    return {"id": asked_id(asked), "text": said}
