"""What the app's events do, as plain functions of plain values: testable without a browser."""

import functools
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from demo import payload
from demo.canvas import canvas_problem, strokes_ink
from demo.guard import Refused
from demo.i18n import ENGLISH, TEXTS, text
from demo.inference import Reader
from demo.payload import candidates, first_top_row
from model.preprocess import ink_to_mnist, read_image, to_mnist

MODES = {"LSTM": ("LSTM",), "BiLSTM": ("BiLSTM",), "Both side by side": ("LSTM", "BiLSTM")}
NOTHING_DRAWN = text(ENGLISH, "nothing_drawn")  # what the API answers for a blank image
TEST_DIGIT = "mnist_test"  # the info key that marks a picture as an MNIST test digit (demo.ui's examples)
NOTHING_DRAWN_ANY = {text(lang, "nothing_drawn") for lang in TEXTS}
RECENT_CANVASES, RECENT_CANVAS_BYTES = 64, 32_000  # canvas values remembered, and the longest one


def canvas_input(value) -> torch.Tensor | None:
    """The canvas's strokes as the network's 28x28 input; None when nothing is drawn.

    A value seen lately is not redrawn: the canvas sends the same strokes again at pen-up when
    the pen has not moved since the last send, and after undo or clear on an empty canvas. A value
    is checked before it is written as a key: a hostile one may be large or deeply nested.
    """
    problem = canvas_problem(value)
    if problem:
        raise ValueError(problem)
    key = json.dumps(value, separators=(",", ":"))  # numbers within bounds only, now
    if len(key) > RECENT_CANVAS_BYTES:
        return _canvas_input(value)
    return _recent_canvas_input(key)


@functools.lru_cache(maxsize=RECENT_CANVASES)
def _recent_canvas_input(key: str) -> torch.Tensor | None:
    return _canvas_input(json.loads(key))


def _canvas_input(value) -> torch.Tensor | None:
    ink = strokes_ink(value)
    return None if ink is None else ink_to_mnist(ink)


def image_input(value) -> torch.Tensor | None:
    """An uploaded file's path, a PIL image or an array as the network's 28x28 input; None when blank."""
    return to_mnist(read_image(value) if isinstance(value, (str, Path)) else value)


def prepare(source, value, lang: str = ENGLISH) -> tuple[torch.Tensor | None, str | None]:
    """(input, problem): the 28x28 input of a canvas value or an uploaded image, or why there is
    none, in language `lang`."""
    nothing = text(lang, "nothing_drawn")
    if value is None:
        return None, nothing
    if isinstance(value, Refused):
        return None, text(lang, "could_not_read", source=text(lang, f"source_{source}"), error=value.reason)
    try:
        image = canvas_input(value) if source == "canvas" else image_input(value)
    except (ValueError, OSError, MemoryError) as error:  # UnreadableImage is a ValueError; numpy says what it could not allocate
        return None, text(lang, "could_not_read", source=text(lang, f"source_{source}"), error=error)
    return (image, None) if image is not None else (None, nothing)


@dataclass
class Shown:
    """What one browser session is looking at: kept in gr.State between events."""

    image: torch.Tensor | None = None
    problem: str | None = NOTHING_DRAWN
    source: str | None = None  # "canvas" or "image": what `drawing` is, for the feedback control
    drawing: object = None  # the canvas value, uploaded file path or example picture it was read from
    answers: dict[str, int] = field(default_factory=dict)  # each shown model's digit, saved with a correction

    @property
    def key(self) -> str | None:
        """A short name of the input read: the explorer sends it back with a correction, so that the
        server saves the drawing the page shows, not a newer one still on its way; and a drawing
        saved again replaces its correction."""
        return None if self.image is None else hashlib.blake2b(self.image.numpy().tobytes(), digest_size=8).hexdigest()

    @property
    def test_digit(self) -> bool:
        """An MNIST test digit (an example): its label is known, and it stays out of training."""
        return isinstance(self.drawing, Image.Image) and bool(self.drawing.info.get(TEST_DIGIT))


def explorer_value(reader: Reader, shown: Shown, mode: str, light: bool = False,
                   answered: dict[str, np.ndarray] | None = None) -> dict:
    """The explorer's payload: each shown model's reading (see demo.payload), or why there is none,
    and, for a full reading, "drawing": the Shown.key that a correction of it names (null for an
    MNIST test digit, which is never saved; a stroke in progress is never saved, so the live
    channel's light readings skip the hash). `answered` holds, by model, the light reading's answers after each row
    where the caller has them already (the live channel reads several users' asks in one call)."""
    value = {"layout": payload.LAYOUT, "mode": mode, "nothing_drawn": shown.image is None and shown.problem in NOTHING_DRAWN_ANY,
             "problem": shown.problem, "readings": {}}
    if mode not in MODES:  # sent by a caller, not the page's radio, which Gradio lets send null
        return {**value, "nothing_drawn": False, "problem": f"unknown mode: choose one of {', '.join(MODES)}"}
    if shown.image is None:
        return value
    if not light:
        value["drawing"] = None if shown.test_digit else shown.key
    for name in MODES[mode]:
        if light:
            rows = (answered or {}).get(name)
            if rows is None:
                rows = reader.answers(name, [shown.image])[0]
            value["readings"][name] = payload.light(shown.image.numpy(), rows, reader.models[name].config,
                                                       reader.unsure_below[name])
        else:
            reading = reader.read(name, [shown.image])[0]
            value["readings"][name] = payload.full(reading, reader.models[name].config, reader.unsure_below[name])
    return value


def shown_with(reader: Reader, shown: Shown, mode: str, light: bool = False,
               answered: dict[str, np.ndarray] | None = None) -> list:
    """[Shown with the answers of `mode`'s models, explorer payload]."""
    value = explorer_value(reader, shown, mode, light, answered)
    shown.answers = {name: reading["digit"] for name, reading in value["readings"].items()}
    return [shown, value]


def pen_down(value) -> bool:
    """True while a stroke is being drawn: the canvas then asks for the light payload."""
    return isinstance(value, dict) and value.get("drawing") is True


def draw(reader: Reader, source: str, value, mode: str, lang: str = ENGLISH) -> list:
    """A new canvas drawing or upload: [Shown, explorer payload]; light while the pen is down."""
    return drawn(reader, source, value, mode, *prepare(source, value, lang))


def drawn(reader: Reader, source: str, value, mode: str, image: torch.Tensor | None, problem: str | None,
          answered: dict[str, np.ndarray] | None = None) -> list:
    """draw's answer for the (input, problem) that prepare gave for `value`; see explorer_value
    for `answered`."""
    shown, sent = shown_with(reader, Shown(image, problem, source, value), mode,
                             light=source == "canvas" and pen_down(value), answered=answered)
    if source == "canvas" and image is not None:  # a canvas value that was read, so valid
        # The explorer redraws only a value unlike the last one: a stroke that adds no ink still
        # adds points, so the full reading at its end replaces the light ones shown while drawing.
        sent["points"] = sum(map(len, value.get("strokes") or [])) // 2
    return [shown, sent]


def draw_example(reader: Reader, examples: list, index, mode: str, lang: str = ENGLISH) -> list:
    """A click on example number `index` of `examples` ((image, caption) pairs): [Shown, explorer payload]."""
    if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(examples):
        return draw(reader, "image", examples[index][0], mode, lang)
    return draw(reader, "image", Refused(f"there is no such example: pick one of the {len(examples)} shown"), mode, lang)


def switch(reader: Reader, shown: Shown, mode: str) -> list:
    """The same input read by the model(s) of another mode: [Shown, explorer payload]. A canvas
    drawing left unread (the server was busy at the stroke's end) is read now."""
    if shown.image is None and shown.source == "canvas" and shown.drawing is not None:
        return draw(reader, "canvas", shown.drawing, mode)
    return shown_with(reader, shown, mode)


def inspect(reader: Reader, shown: Shown, request) -> dict | None:
    """Exact numbers of one unit's LSTM step at every row (the step panel), for a request
    {"model": name, "unit": j, "id": n} from the explorer (n comes back, so that asking twice
    is answered twice); None for anything else."""
    if shown is None or shown.image is None or not isinstance(request, dict):
        return None
    name, unit = request.get("model"), request.get("unit")
    model = reader.models.get(name) if isinstance(name, str) else None
    if model is None or model.config.cell != "lstm" or type(unit) is not int or not 0 <= unit < model.config.hidden_size:
        return None
    return {**payload.steps_payload(name, unit, reader.steps(name, shown.image, unit)), "id": asked_id(request)}


def asked_id(request: dict) -> int | None:
    """The number an explorer request carries, sent back with its answer so that the page knows it
    (asking twice is answered twice); None unless it is an integer JSON numbers hold exactly."""
    asked = request.get("id")
    return asked if type(asked) is int and 0 <= asked < 2**31 else None


def classify(reader: Reader, images: list, models: list[str]) -> list[dict]:
    """The API's answer for each (image, model) pair; pairs for one model share one batched call."""
    results: list[dict | None] = [None] * len(images)
    prepared = {}
    for i, (image, model) in enumerate(zip(images, models)):
        if isinstance(model, Refused):  # a request whose values could not be read at all: answered as a refused image
            results[i] = {"digit": None, "nothing_drawn": False, "message": model.reason}
            continue
        if not isinstance(model, str) or model not in reader.models:
            results[i] = {"error": f"unknown model: choose one of {', '.join(reader.models)}"}
            continue
        tensor, problem = prepare("image", image)
        if tensor is None:
            results[i] = {"digit": None, "nothing_drawn": problem == NOTHING_DRAWN, "message": problem}
        else:
            prepared.setdefault(model, []).append((i, tensor))
    for model, items in prepared.items():
        for (i, _), rows in zip(items, reader.answers(model, [t for _, t in items])):
            choices = candidates(rows[-1], reader.unsure_below[model])
            results[i] = {
                "digit": choices[0],
                "unsure": len(choices) > 1,
                "candidates": choices,
                "nothing_drawn": False,
                "model": model,
                "probabilities": np.round(rows[-1].astype(float), 6).tolist(),
                "row_probabilities": np.round(rows.astype(float), 6).tolist(),
                "first_top_row": first_top_row(rows),
            }
    return results


def describe(config, lang: str = ENGLISH) -> str:
    """A model's architecture in a few words, e.g. "LSTM, 2 layer(s) of 128 units"."""
    cell = config.cell.upper()
    kind = text(lang, "bidirectional", cell=cell) if config.bidirectional else cell
    return text(lang, "describe", kind=kind, layers=config.num_layers, units=config.hidden_size)


def about(reader: Reader, name: str, lang: str = ENGLISH) -> str:
    """Architecture, size, weight shapes and measured accuracy of one model, as Markdown."""
    model, card = reader.models[name], reader.cards[name]
    config = model.config
    lines = [
        text(lang, "about_summary", describe=describe(config, lang), parameters=f"{model.parameter_count():,}",
             direction=text(lang, "read_both_ways" if config.bidirectional else "read_top_down"),
             of_both=text(lang, "of_both") if config.bidirectional else ""),
        "",
        f"| {text(lang, 'weight')} | {text(lang, 'shape')} |",
        "|---|---|",
        *[f"| `{param}` | {' x '.join(map(str, shape))} |" for param, shape in model.weight_shapes().items()],
        "",
    ]
    if config.cell == "lstm":
        lines.append(text(lang, "gates_note", units=config.hidden_size, rows=4 * config.hidden_size))
    if "mnist_test_accuracy" in card:
        lines.append("\n" + text(
            lang, "accuracy", test=f"{card['mnist_test_accuracy']:.2%}", validation=f"{card['validation_accuracy']:.2%}",
            images=f"{card['data']['train_images']:,}", epochs=card["epochs"], best=card["best_epoch"],
            seconds=f"{card['training_seconds']:.0f}", device=card["device"], command=card["command"]))
    start = card.get("started_from")
    if isinstance(start, dict) and {"training", "best_epoch", "training_seconds", "command"} <= start.keys():
        lines.append("\n" + text(lang, "fine_tuned", epochs=start["training"]["epochs"], best=start["best_epoch"],
                                  seconds=f"{start['training_seconds']:.0f}", command=start["command"]))
    return "\n".join(lines)
