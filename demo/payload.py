"""A reading as the numbers the browser draws from: compact JSON, states as scaled bytes in base64.

Each array of states goes as one byte per value, `low + byte * step` with `step = (high - low) / 255`,
so a value comes back within step / 2 of the trace's (about 0.002 for a gate, 0.004 for a hidden
state). Probabilities and row importance go as JSON numbers rounded to 4 decimals.

During a stroke the canvas asks for a light payload (the input and the answer after each row);
at the stroke's end, and for uploads and examples, the full one adds row importance and every
state. For a bidirectional model the states are those of the image cut after each row (one clock,
see model.network.Trace), packed as a triangle: cut t, row s <= t at index t * (t + 1) // 2 + s.
"""

import base64

import numpy as np

from model.network import GATE_NAMES, ROWS

QUANTITIES = ("hidden", "cell", *GATE_NAMES)  # the order the explorer offers them in
DECIMALS = 4
TRIANGLE = np.tril_indices(ROWS)  # (cut, row) pairs with row <= cut, cut by cut


def encode(values: np.ndarray) -> dict:
    """An array as scaled bytes: {"shape", "low", "step", "bytes": base64}."""
    values = np.asarray(values, np.float64)
    low, high = float(values.min()), float(values.max())
    step = (high - low) / 255 or 1.0
    data = np.round((values - low) / step).astype(np.uint8)
    return {"shape": list(values.shape), "low": low, "step": step, "bytes": base64.b64encode(data.tobytes()).decode("ascii")}


def decode(encoded: dict) -> np.ndarray:
    """What the browser reads back from encode's output (the tests use it)."""
    data = np.frombuffer(base64.b64decode(encoded["bytes"]), np.uint8)
    return (encoded["low"] + data.astype(np.float64) * encoded["step"]).reshape(encoded["shape"])


def first_top_row(row_probabilities: np.ndarray) -> int:
    """The first row after which the final answer was already the top class."""
    final = row_probabilities[-1].argmax()
    return int(np.flatnonzero(row_probabilities.argmax(1) == final)[0])


def lead_rows(row_probabilities: np.ndarray) -> tuple[int, int]:
    """(first, for_good): the first row after which the final answer was the top class, and the
    row from which it stayed on top to the end (later than `first` when it lost the lead again)."""
    on_top = row_probabilities.argmax(1) == row_probabilities[-1].argmax()
    lost = np.flatnonzero(~on_top)
    return first_top_row(row_probabilities), int(lost[-1] + 1) if lost.size else 0


def states(reading) -> dict[str, np.ndarray]:
    """Each quantity the model has, (index, directions, units): by row, or by (cut, row) in TRIANGLE
    order for a bidirectional model."""
    if reading.cut_hidden is not None:
        found = {"hidden": reading.cut_hidden, "cell": reading.cut_cell, **(reading.cut_gates or {})}
        return {name: found[name][TRIANGLE] for name in QUANTITIES if found.get(name) is not None}
    found = {"hidden": reading.hidden, "cell": reading.cell, **(reading.gates or {})}
    return {name: found[name] for name in QUANTITIES if found.get(name) is not None}


def candidates(probabilities: np.ndarray, unsure_below: float) -> list[int]:
    """The answer, or the two likeliest digits when the top probability is under the model's
    threshold (chosen on validation drawings, recorded in its card): the model is unsure."""
    ranked = np.argsort(-probabilities, kind="stable")
    return [int(d) for d in ranked[: 1 if probabilities[ranked[0]] >= unsure_below else 2]]


def answers(row_probabilities: np.ndarray, unsure_below: float) -> dict:
    first, for_good = lead_rows(row_probabilities)
    return {
        "digit": int(row_probabilities[-1].argmax()),
        "candidates": candidates(row_probabilities[-1], unsure_below),
        "probabilities": np.round(row_probabilities.astype(float), DECIMALS).tolist(),
        "first_led": first,
        "led_for_good": for_good,
    }


def light(image: np.ndarray, row_probabilities: np.ndarray, config, unsure_below: float) -> dict:
    """What changes on screen during a stroke: the input and the answer after each row; and the
    model's directions, which the explorer lays out its heatmaps for before any full reading."""
    return {"full": False, "image": encode(image), "directions": config.directions, **answers(row_probabilities, unsure_below)}


def full(reading, config, unsure_below: float) -> dict:
    """Everything the explorer draws for one model's reading; `config` is its ModelConfig,
    `unsure_below` the threshold under which it names two candidates."""
    return {
        "full": True,
        "image": encode(reading.image),
        **answers(reading.row_probabilities, unsure_below),
        "importance": np.round(reading.importance.astype(float), DECIMALS).tolist(),
        "units": config.hidden_size,
        "directions": config.directions,
        "layers": config.num_layers,
        "cuts": reading.cut_hidden is not None,
        "states": {name: encode(values) for name, values in states(reading).items()},
    }


def steps_payload(model_name: str, unit: int, steps: dict) -> dict:
    """model.step.unit_steps' terms as JSON numbers (exact to 6 decimals) for the step panel."""
    return {"model": model_name, "unit": unit,
            **{name: np.round(values.double().numpy(), 6).tolist() for name, values in steps.items()}}
