"""Both shipped models, loaded once onto the GPU when there is one, and one call that reads drawings."""

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from model import checkpoint
from model.calibration import DEFAULT_UNSURE_BELOW
from model.network import GATE_NAMES, RowClassifier, row_logits, trace
from model.step import unit_steps

CHECKPOINTS = Path(os.environ.get("ROWSCAN_CHECKPOINTS", Path(__file__).resolve().parent.parent / "checkpoints"))
MODEL_FILES = {"LSTM": "lstm.pt", "BiLSTM": "bilstm.pt"}
# Model work runs in one slot per core, each with one torch thread: the queue's events share these
# (demo.ui), and the explorer's live channel has as many (demo.live).
MODEL_SLOTS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
RECENT_READINGS = 16  # readings kept in memory: 0.1 MB each for the LSTM, 2.5 MB for the BiLSTM (its every cut)

try:  # Hugging Face ZeroGPU: the GPU is attached only inside functions marked with spaces.GPU
    import spaces

    on_gpu = spaces.GPU
except ImportError:

    def on_gpu(function):
        return function


@dataclass
class Reading:
    """One drawing read by one model, as numpy arrays for the pictures and the API."""

    image: np.ndarray  # (28, 28) what the network sees
    hidden: np.ndarray  # (28, directions, units)
    cell: np.ndarray | None  # (28, directions, units), LSTM only
    gates: dict[str, np.ndarray] | None  # name -> (28, directions, units), LSTM only
    row_probabilities: np.ndarray  # (28, 10) the answer after each row
    importance: np.ndarray  # (28,) drop in the final answer's probability when that row is blank
    # Bidirectional models: the same states on the image cut after each row, (cuts, rows, directions, units),
    # rows below the cut zero: what the answer after row t used (model.network.Trace).
    cut_hidden: np.ndarray | None = None
    cut_cell: np.ndarray | None = None
    cut_gates: dict[str, np.ndarray] | None = None

    @property
    def probabilities(self) -> np.ndarray:
        return self.row_probabilities[-1]

    @property
    def digit(self) -> int:
        return int(self.probabilities.argmax())


def blank_each_row(images: torch.Tensor) -> torch.Tensor:
    """(batch, 28, 28) -> (batch, 28, 28, 28): copy r of each image has row r blanked."""
    rows = images.shape[1]
    copies = images.unsqueeze(1).repeat(1, rows, 1, 1)
    copies[:, torch.arange(rows), torch.arange(rows)] = 0
    return copies


class Reader:
    """Holds the models resident on one device; a request moves only its 28x28 inputs."""

    def __init__(self, folder: Path = CHECKPOINTS, device: str | None = None):
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        if self.device.type == "cuda":
            # cuDNN runs an LSTM in TF32 unless told not to: on an H200 its states came out up to 6e-4
            # off the CPU's, and the step panel shows 4 decimals. The trace's top layer reads them.
            torch.backends.cudnn.allow_tf32 = False
        self.torch_threads_set = threading.local()
        self.one_torch_thread()
        self.models: dict[str, RowClassifier] = {}
        self.cards: dict[str, dict] = {}
        for name, file in MODEL_FILES.items():
            self.models[name], self.cards[name] = checkpoint.load(Path(folder) / file, self.device)
        # Below its own threshold (chosen on validation drawings) a model's answer is flagged as unsure.
        self.unsure_below = {name: float(card.get("unsure_below", DEFAULT_UNSURE_BELOW)) for name, card in self.cards.items()}
        self.recent: OrderedDict[tuple[str, bytes], Reading] = OrderedDict()  # least recently used first
        self.recent_lock = threading.Lock()  # Gradio runs events in several threads

    def one_torch_thread(self) -> None:
        """On a CPU, torch's work in the calling thread runs on that thread alone. A request's
        tensors are tiny: extra intra-op threads only wait on each other (measured 4.5x slower per
        stroke beside a training run); Gradio's workers serve requests in parallel.

        Called in every thread that runs a model. torch passes its thread count on to a new
        thread only at that thread's first parallel operation of its own; the LSTM's first matrix
        product (MKL's) can come before it, and runs with OpenMP's default, one thread per core.
        Each of Gradio's, anyio's and the event loop's threads then made a team of OpenMP threads
        of its own (the server had 6 threads instead of 4), and its first calls cost more CPU.
        """
        if self.device.type == "cpu" and not getattr(self.torch_threads_set, "done", False):
            torch.set_num_threads(1)
            self.torch_threads_set.done = True

    def read(self, name: str, images: list[torch.Tensor]) -> list[Reading]:
        """Trace and row importance for a batch of (28, 28) inputs, in one call per model.

        An input read lately is not read again: the canvas sends the same drawing more than once
        (at pen-up, after undo and redo), a mode switch re-reads it, and examples are clicked by
        many. Readings are read-only, so sessions can share them.
        """
        keys = [(name, image.cpu().numpy().tobytes()) for image in images]
        with self.recent_lock:
            found = {key: self.recent[key] for key in keys if key in self.recent}
            for key in found:
                self.recent.move_to_end(key)
        missing = [i for i, key in enumerate(keys) if key not in found]
        if missing:
            self.one_torch_thread()
            new = _read(self.models[name], torch.stack([images[i] for i in missing]), self.device)
            with self.recent_lock:
                for i, reading in zip(missing, new):
                    found[keys[i]] = self.recent[keys[i]] = reading
                while len(self.recent) > RECENT_READINGS:
                    self.recent.popitem(last=False)
        return [found[key] for key in keys]

    def answers(self, name: str, images: list[torch.Tensor]) -> np.ndarray:
        """(batch, rows, classes): the answer after each row, all the API returns, without the
        states and row importance that only the pictures need."""
        self.one_torch_thread()
        return _answers(self.models[name], torch.stack(images), self.device)

    def steps(self, name: str, image: torch.Tensor, unit: int) -> dict[str, torch.Tensor]:
        """model.step.unit_steps of LSTM model `name` on one (28, 28) input."""
        self.one_torch_thread()  # untested: unit_steps does a parallel op before its first matrix product
        return _steps(self.models[name], image, unit, self.device)


@on_gpu
def _answers(model: RowClassifier, images: torch.Tensor, device: torch.device) -> np.ndarray:
    with torch.inference_mode():
        return row_logits(model, images.to(device)).softmax(-1).cpu().numpy()


@on_gpu
def _steps(model: RowClassifier, image: torch.Tensor, unit: int, device: torch.device) -> dict[str, torch.Tensor]:
    steps = unit_steps(model, image.to(device), unit)
    return {term: values.cpu() for term, values in steps.items()}


@on_gpu
def _read(model: RowClassifier, images: torch.Tensor, device: torch.device) -> list[Reading]:
    with torch.inference_mode():
        x = images.to(device)
        # Row importance: blanking a row that is blank already changes nothing (importance 0), so
        # only copies with an inked row blanked are read, in the same calls as the trace.
        inked = (images != 0).any(2)
        image_of = inked.nonzero()[:, 0]  # the image each copy was made of
        result = trace(model, x, blank_each_row(x)[inked.to(device)] if len(image_of) else None).to("cpu")
        batch, rows, _ = x.shape
        final = result.logits.argmax(1)
        kept = result.row_probabilities[:, -1].gather(1, final[:, None])
        importance = torch.zeros(batch, rows)
        if len(image_of):
            blanked = result.whole_logits.softmax(-1)
            importance[inked] = kept[image_of, 0] - blanked.gather(1, final[image_of, None]).squeeze(1)
    readings = [
        Reading(
            image=images[i].numpy(),
            hidden=result.hidden[i].numpy(),
            cell=None if result.cell is None else result.cell[i].numpy(),
            gates=None if result.gates is None else {
                gate: values.numpy() for gate, values in zip(GATE_NAMES, result.gates[i].unbind(2))
            },
            row_probabilities=result.row_probabilities[i].numpy(),
            importance=importance[i].numpy(),
            cut_hidden=None if result.cut_hidden is None else result.cut_hidden[i].numpy(),
            cut_cell=None if result.cut_cell is None else result.cut_cell[i].numpy(),
            cut_gates=None if result.cut_gates is None else {
                gate: values.numpy() for gate, values in zip(GATE_NAMES, result.cut_gates[i].unbind(3))
            },
        )
        for i in range(batch)
    ]
    for reading in readings:
        for array in [reading.image, reading.hidden, reading.cell, reading.row_probabilities, reading.importance,
                      *(reading.gates or {}).values()]:
            if array is not None:
                array.flags.writeable = False
    return readings
