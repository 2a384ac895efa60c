"""A reading as the numbers the browser draws from: compact JSON, states as scaled codes in base64.

Each array of states goes as one code per value, `low + code * step`: the value rounded to `step`, a
power of ten. The page shows each value to its step's decimals, so the digits it shows are the
trace's, rounded (an 8-bit scale from the minimum to the maximum came within 0.004 of a hidden state,
and one tooltip of five showed a wrong second decimal). A code is a byte: the step is 0.01 for a gate
or a hidden state (in -1..1) and 0.1 for a cell state (most span under 25.5; at 0.01 it would take two
bytes a value, about 39 KB more for the BiLSTM as sent). A cell state that 256 tenths do not span
(up to 28 seen) goes in 16-bit codes (`width` 2, little-endian) at 0.1. The input picture goes the
same way, at 0.01. Probabilities and row importance go as JSON numbers rounded to 4 decimals.

During a stroke the canvas asks for a light payload (the input and the answer after each row);
at the stroke's end, and for uploads and examples, the full one adds row importance and every
state. For a bidirectional model the states are those of the image cut after each row (one clock,
see model.network.Trace), packed as a triangle: cut t, row s <= t at index t * (t + 1) // 2 + s.
Those are 406 (cut, row) pairs, 0.3 MB of bytes, so they travel deflated (encode_cuts): raw deflate,
without zlib's header and checksum, which cost 3% of the encoding's time.
"""

import base64
import zlib

import numpy as np

from model.network import GATE_NAMES, ROWS

# The layout explorer.js reads: raise it with any change to how the script must read a payload. A page
# left open across a server upgrade then asks to be reloaded rather than misreading the numbers.
LAYOUT = 3
QUANTITIES = ("hidden", "cell", *GATE_NAMES)  # the order the explorer offers them in
DECIMALS = 4
TRIANGLE = np.tril_indices(ROWS)  # (cut, row) pairs with row <= cut, cut by cut
# encode_cuts sends the pairs nearest the cut first (by distance t - s, then cut t), in groups of
# distances under each of these, a deflate block each: differences near the cut are larger. Twelve
# blocks (each direction apart, six groups) saved 4% of the bytes and took 30% longer to deflate.
_nearest_first = np.lexsort((TRIANGLE[0], TRIANGLE[0] - TRIANGLE[1]))
NEAREST_FIRST = TRIANGLE[0][_nearest_first], TRIANGLE[1][_nearest_first]  # (cut, row) pairs in sending order
DISTANCE_GROUPS = np.searchsorted(NEAREST_FIRST[0] - NEAREST_FIRST[1], (2, 8, ROWS))


# (decimals, bytes a code) in the order tried: two decimals, then one, in a byte; then 16 bits
STEPS = ((2, 1), (1, 1), *((decimals, 2) for decimals in range(1, -39, -1)))


def scaled_codes(values: np.ndarray) -> tuple[np.ndarray, dict]:
    """(codes, {"shape", "low", "step", "width"}): each value rounded to `step` (see above), as
    `low + code * step`; codes of `width` bytes, uint8 or little-endian uint16."""
    values = np.asarray(values)
    low, high = float(values.min()), float(values.max())
    for decimals, width in STEPS:
        step = 10.0 ** -decimals
        if round(high / step) - round(low / step) < 256 ** width:
            break
    steps = np.divide(values, step, dtype=np.float64)  # in float64: each value's own rounding, not a hair off
    np.rint(steps, out=steps)
    first = steps.min()
    codes = (steps - first).astype(np.uint8 if width == 1 else "<u2")
    return codes, {"shape": list(values.shape), "low": float(first * step), "step": step, "width": width}


def encode(values: np.ndarray) -> dict:
    """An array as scaled codes: {"shape", "low", "step", "width", "bytes": base64}."""
    data, scale = scaled_codes(values)
    return {**scale, "bytes": base64.b64encode(data.tobytes()).decode("ascii")}


def decode(encoded: dict) -> np.ndarray:
    """What the browser reads back from encode's or encode_cuts' output (the tests use it)."""
    data = np.frombuffer(base64.b64decode(encoded["bytes"]), code_type(encoded)) if "bytes" in encoded else cut_codes(encoded)
    return (encoded["low"] + data.astype(np.float64) * encoded["step"]).reshape(encoded["shape"])


def code_type(encoded: dict) -> np.dtype:
    return np.dtype(np.uint8 if encoded["width"] == 1 else "<u2")


def differences(grid: np.ndarray) -> np.ndarray:
    """(cuts, rows, 2 directions, units) codes, zero below each cut, as differences (mod 256 or 65536): first
    from the same row of the previous cut, then of those from the row the same direction read
    before (s - 1 forwards, s + 1 backwards). Neighbouring cuts differ little, most of all far
    from the cut, and neighbouring rows change alike."""
    across_cuts = grid.copy()
    across_cuts[1:] -= grid[:-1]
    result = across_cuts.copy()
    result[:, 1:, 0] -= across_cuts[:, :-1, 0]
    result[:, :-1, 1] -= across_cuts[:, 1:, 1]
    return result


def encode_cuts(values: np.ndarray) -> dict:
    """(pairs in TRIANGLE order, 2 directions, units) as encode's scaled codes, sent as their
    `differences`, nearest the cut first, raw-deflated in base64: {"shape", "low", "step", "width", "raw_deflate"}.
    Deflate's Huffman codes give the small differences few bits; each group of distances gets
    codes of its own (a block)."""
    data, scale = scaled_codes(values)
    grid = np.zeros((ROWS, ROWS, *data.shape[1:]), data.dtype)
    grid[TRIANGLE] = data
    sent = differences(grid)[NEAREST_FIRST]  # (pairs, directions, units)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_HUFFMAN_ONLY)  # LZ77 finds few repeats here
    blocks = [packer.compress(sent[start:end]) + packer.flush(zlib.Z_BLOCK)
              for start, end in zip((0, *DISTANCE_GROUPS), DISTANCE_GROUPS)]
    return {**scale, "raw_deflate": base64.b64encode(b"".join(blocks) + packer.flush()).decode("ascii")}


def cut_codes(encoded: dict) -> np.ndarray:
    """encode_cuts' codes back in TRIANGLE order, summed up as the browser does (decodeCuts)."""
    pairs, directions, units = encoded["shape"]
    codes = code_type(encoded)
    sent = np.frombuffer(zlib.decompress(base64.b64decode(encoded["raw_deflate"]), -15), codes)
    grid = np.zeros((ROWS, ROWS, directions, units), codes)
    grid[NEAREST_FIRST] = sent.reshape(pairs, directions, units)
    grid[:, :, 0] = np.cumsum(grid[:, :, 0], axis=1, dtype=codes)
    grid[:, :, 1] = np.cumsum(grid[:, ::-1, 1], axis=1, dtype=codes)[:, ::-1]
    grid[np.triu_indices(ROWS, 1)] = 0  # the forward sums ran on below the cut
    return np.cumsum(grid, axis=0, dtype=codes)[TRIANGLE]


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
        "states": {name: (encode_cuts if reading.cut_hidden is not None else encode)(values)
                   for name, values in states(reading).items()},
    }


def steps_payload(model_name: str, unit: int, steps: dict) -> dict:
    """model.step.unit_steps' terms as JSON numbers for the step panel, exact to 6 decimals; x (28
    rows of the layer below's outputs, which the panel shows to 4 decimals) to 4: 27 KB, not 34."""
    return {"model": model_name, "unit": unit,
            **{name: np.round(values.double().numpy(), 4 if name == "x" else 6).tolist() for name, values in steps.items()}}
