"""What the app's events do, as plain functions of plain values: testable without a browser."""

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from demo.canvas import strokes_image
from demo.guard import Refused
from demo.inference import Reader, Reading
from demo.pictures import first_top_row, input_picture, probabilities_table, states_picture
from model.network import GATE_NAMES, ROWS
from model.preprocess import read_image, to_mnist

MODES = {"LSTM": ("LSTM",), "BiLSTM": ("BiLSTM",), "Both side by side": ("LSTM", "BiLSTM")}
QUANTITIES = ("Hidden state", "Cell state", *[f"{gate.capitalize()} gate" for gate in GATE_NAMES])
PANEL_OUTPUTS = ("answer", "input", "probabilities", "states")
NOTHING_DRAWN = "Nothing drawn yet: draw a digit on the canvas, upload an image, or pick an example."
LAST_ROW = ROWS - 1


def canvas_input(value) -> torch.Tensor | None:
    """The canvas's strokes as the network's 28x28 input; None when nothing is drawn."""
    image = strokes_image(value)
    return None if image is None else to_mnist(image)


def image_input(value) -> torch.Tensor | None:
    """An uploaded file's path, a PIL image or an array as the network's 28x28 input; None when blank."""
    return to_mnist(read_image(value) if isinstance(value, (str, Path)) else value)


def prepare(source, value) -> tuple[torch.Tensor | None, str | None]:
    """(input, problem): the 28x28 input of a canvas value or an uploaded image, or why there is none."""
    if value is None:
        return None, NOTHING_DRAWN
    if isinstance(value, Refused):
        return None, f"Could not read that {source}: {value.reason}"
    try:
        image = canvas_input(value) if source == "canvas" else image_input(value)
    except (ValueError, OSError) as error:  # UnreadableImage is a ValueError
        return None, f"Could not read that {source}: {error}"
    return (image, None) if image is not None else (None, NOTHING_DRAWN)


def read(reader: Reader, image: torch.Tensor | None, mode: str) -> dict[str, Reading]:
    """One reading per model shown in `mode` (none when there is no input)."""
    if image is None:
        return {}
    return {name: reader.read(name, [image])[0] for name in MODES[mode]}


def candidates(probabilities: np.ndarray, unsure_below: float) -> list[int]:
    """The answer, or the two likeliest digits when the top probability is under the model's
    threshold (chosen on validation drawings, recorded in its card): the model is unsure."""
    ranked = np.argsort(-probabilities, kind="stable")
    return [int(d) for d in ranked[: 1 if probabilities[ranked[0]] >= unsure_below else 2]]


def unsure_text(choices: list[int]) -> str:
    """ "7 or 1?" for an unsure answer; nothing for a sure one."""
    return f"unsure: **{choices[0]} or {choices[1]}?**" if len(choices) > 1 else ""


def answer(reading: Reading) -> dict[str, float]:
    """The final answer's class probabilities, for gr.Label."""
    return {str(digit): float(p) for digit, p in enumerate(reading.probabilities)}


def states(reading: Reading, quantity: str) -> tuple[np.ndarray, bool] | None:
    """The (rows, directions, units) values of one of QUANTITIES, and whether they are signed;
    None for the cell state and gates of a GRU or plain RNN, which have none."""
    if quantity == "Hidden state":
        return reading.hidden, True
    if reading.gates is None:
        return None
    if quantity == "Cell state":
        return reading.cell, True
    gate = quantity.split()[0].lower()
    return reading.gates[gate], gate == "candidate"


def panel_values(reading: Reading | None, cursor: int, quantity: str = QUANTITIES[0]) -> list:
    """The values of one model's panel (PANEL_OUTPUTS order) with the cursor at row `cursor`."""
    if reading is None:
        return [None] * len(PANEL_OUTPUTS)
    chosen = states(reading, quantity)
    return [
        answer(reading),
        input_picture(reading.image, cursor, reading.importance),
        probabilities_table(reading.row_probabilities, cursor),
        None if chosen is None else states_picture(chosen[0], cursor, signed=chosen[1]),
    ]


def status(readings: dict[str, Reading], problem: str | None, cursor: int, unsure_below: dict[str, float]) -> str:
    """One line that says what the network(s) answered (and whether unsure), and what they thought after row `cursor`."""
    if problem or not readings:
        return problem or NOTHING_DRAWN
    parts = []
    for name, reading in readings.items():
        now = reading.row_probabilities[cursor]
        unsure = unsure_text(candidates(reading.probabilities, unsure_below[name]))
        parts.append(
            f"**{name}** reads a **{reading.digit}** ({reading.probabilities.max():.0%}){', ' + unsure if unsure else ''}; "
            f"after row {cursor} it leans to {int(now.argmax())} ({now.max():.0%}); "
            f"the final answer led from row {first_top_row(reading.row_probabilities)} on"
        )
    return "  \n".join(parts)


@dataclass
class Shown:
    """What one browser session is looking at: kept in gr.State between events."""

    image: torch.Tensor | None = None
    problem: str | None = NOTHING_DRAWN
    readings: dict[str, Reading] = field(default_factory=dict)
    unsure_below: dict[str, float] = field(default_factory=dict)  # each model's threshold, from its card
    source: str | None = None  # "canvas" or "image": what `drawing` is, for the feedback control
    drawing: object = None  # the canvas value, uploaded file path or example picture it was read from


def scrub(shown: Shown, cursor: int, quantity: str = QUANTITIES[0]) -> list:
    """Every picture with the cursor at row `cursor`: status, then each model's panel (empty when not shown)."""
    cursor = min(max(int(cursor), 0), LAST_ROW)
    values = [status(shown.readings, shown.problem, cursor, shown.unsure_below)]
    for name in ("LSTM", "BiLSTM"):
        values += panel_values(shown.readings.get(name), cursor, quantity)
    return values


def draw(reader: Reader, source: str, value, mode: str, cursor: int, quantity: str = QUANTITIES[0]) -> list:
    """A new canvas drawing or upload: [Shown, *scrub outputs]."""
    image, problem = prepare(source, value)
    shown = Shown(image, problem, read(reader, image, mode), reader.unsure_below, source, value)
    return [shown, *scrub(shown, cursor, quantity)]


def draw_example(reader: Reader, examples: list, index, mode: str, cursor: int, quantity: str = QUANTITIES[0]) -> list:
    """A click on example number `index` of `examples` ((image, caption) pairs): [Shown, *scrub outputs]."""
    if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(examples):
        return draw(reader, "image", examples[index][0], mode, cursor, quantity)
    return draw(reader, "image", Refused(f"there is no such example: pick one of the {len(examples)} shown"),
                mode, cursor, quantity)


def switch(reader: Reader, shown: Shown, mode: str, cursor: int, quantity: str = QUANTITIES[0]) -> list:
    """The same input read by the model(s) of another mode: [Shown, *scrub outputs]."""
    shown = replace(shown, readings=read(reader, shown.image, mode), unsure_below=reader.unsure_below)
    return [shown, *scrub(shown, cursor, quantity)]


def classify(reader: Reader, images: list, models: list[str]) -> list[dict]:
    """The API's answer for each (image, model) pair; pairs for one model share one batched call."""
    results: list[dict | None] = [None] * len(images)
    prepared = {}
    for i, (image, model) in enumerate(zip(images, models)):
        if isinstance(model, Refused):  # a request whose values could not be read at all
            results[i] = {"error": model.reason}
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


def about(reader: Reader, name: str) -> str:
    """Architecture, size, weight shapes and measured accuracy of one model, as Markdown."""
    model, card = reader.models[name], reader.cards[name]
    config = model.config
    lines = [
        f"**{config.describe()}**, read {'top-down and bottom-up' if config.bidirectional else 'top-down'}, "
        f"{model.parameter_count():,} parameters. The classifier reads the top layer's final hidden state"
        + (" of both directions (forward after row 27, backward after row 0)." if config.bidirectional else "."),
        "",
        "| weight | shape |",
        "|---|---|",
        *[f"| `{param}` | {' x '.join(map(str, shape))} |" for param, shape in model.weight_shapes().items()],
        "",
    ]
    if config.cell == "lstm":
        lines.append(
            f"`weight_ih_l0` stacks the four gates (input, forget, candidate, output): "
            f"4 x {config.hidden_size} = {4 * config.hidden_size} rows, one column per pixel of a row (28)."
        )
    if "mnist_test_accuracy" in card:
        lines.append(
            f"\nMNIST test accuracy **{card['mnist_test_accuracy']:.2%}** (10,000 images), validation "
            f"{card['validation_accuracy']:.2%}, trained on {card['data']['train_images']:,} images for "
            f"{card['epochs']} epochs (best: {card['best_epoch']}) in {card['training_seconds']:.0f} s on "
            f"{card['device']}: `{card['command']}`"
        )
    return "\n".join(lines)
