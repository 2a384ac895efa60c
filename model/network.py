"""A recurrent classifier that reads a 28x28 image one pixel row per timestep, and its trace.

The trace is what the app draws: every hidden state, cell state and gate of the top layer, and
the class probabilities after each row, all computed from one call of the cuDNN/packed paths.
"""

import functools
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

ROWS = 28  # timesteps: one per pixel row
COLUMNS = 28  # features per timestep
CLASSES = 10
GATE_NAMES = ("input", "forget", "candidate", "output")  # the order nn.LSTM stacks them in
CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


@dataclass
class ModelConfig:
    cell: str = "lstm"  # lstm | gru | rnn
    hidden_size: int = 128
    num_layers: int = 1
    dropout: float = 0.0  # between recurrent layers, as nn.LSTM applies it
    bidirectional: bool = False

    def __post_init__(self):
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {sorted(CELLS)}, not {self.cell!r}")

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    def describe(self) -> str:
        kind = f"bidirectional {self.cell.upper()}" if self.bidirectional else self.cell.upper()
        return f"{kind}, {self.num_layers} layer(s) of {self.hidden_size} units"


class RowClassifier(nn.Module):
    """Reads rows top to bottom (and bottom to top when bidirectional), classifies the final state."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.rnn = CELLS[config.cell](
            input_size=COLUMNS,
            hidden_size=config.hidden_size,
            num_layers=config.num_layers,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
            bidirectional=config.bidirectional,
            batch_first=True,
        )
        self.head = nn.Linear(config.hidden_size * config.directions, CLASSES)

    def final_state(self, images: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """The top layer's last hidden state of each direction, concatenated.

        For the backward direction that is its state after reading row 0, i.e. after the whole
        image, which `out[:, -1, :]` would miss (there the backward half has seen one row only).
        With `lengths`, each image counts as cut after its first `length` rows.
        """
        if lengths is None:
            _, state = self.rnn(images)
        else:
            packed = pack_padded_sequence(images, lengths.cpu(), batch_first=True, enforce_sorted=False)
            _, state = self.rnn(packed)
        h_n = state[0] if isinstance(state, tuple) else state  # LSTM returns (h_n, c_n)
        top = h_n[-self.config.directions :]  # (directions, batch, hidden)
        return top.transpose(0, 1).reshape(images.shape[0], -1)

    def forward(self, images: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.final_state(images, lengths))

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def weight_shapes(self) -> dict[str, list[int]]:
        return {name: list(p.shape) for name, p in self.named_parameters()}


@dataclass
class Trace:
    """What the network did on each image; every tensor has the batch first.

    hidden, cell: (batch, rows, directions, hidden) top-layer states after each row; for the
        backward direction, the state at row t has read rows 27..t.
    gates: (batch, rows, directions, 4, hidden) activations in GATE_NAMES order (LSTM only).
    row_probabilities: (batch, rows, classes) the answer after rows 0..t have been read.
    logits: (batch, classes) the answer after the whole image, equal to forward().
    cut_hidden, cut_cell, cut_gates: bidirectional models only, the same as hidden, cell and gates
        for the image cut after each row: (batch, cuts, rows, directions, ...), where cut t holds
        rows 0..t (zeros below). Its answer is row_probabilities[:, t]; its backward direction
        starts at row t. Above one layer its forward states differ from the whole image's too:
        the top layer reads the lower layer's backward states, which the cut changes.
    """

    hidden: torch.Tensor
    cell: torch.Tensor | None
    gates: torch.Tensor | None
    row_probabilities: torch.Tensor
    logits: torch.Tensor
    cut_hidden: torch.Tensor | None = None
    cut_cell: torch.Tensor | None = None
    cut_gates: torch.Tensor | None = None

    def to(self, device) -> "Trace":
        return Trace(**{k: None if v is None else v.to(device) for k, v in vars(self).items()})  # asdict would deep-copy


@functools.cache
def single_layer(rnn: nn.RNNBase, layer: int) -> nn.RNNBase:
    """Layer `layer` of a stacked RNN as a one-layer RNN of its own, holding the same parameter
    objects (so it follows the stack's weights, on any device). Built once per layer: running it is
    cheaper than torch.func.functional_call, which swaps weights in and out on every call."""
    features = rnn.input_size if layer == 0 else rnn.hidden_size * (2 if rnn.bidirectional else 1)
    single = type(rnn)(features, rnn.hidden_size, bidirectional=rnn.bidirectional, batch_first=True, device="meta")
    for name, _ in list(single.named_parameters()):
        setattr(single, name, getattr(rnn, name.replace("_l0", f"_l{layer}")))
    return single.eval()


def run_layer(rnn: nn.RNNBase, layer: int, inputs: torch.Tensor | PackedSequence):
    """(output, state) of one layer of a stacked RNN, run on its own (eval mode: no dropout)."""
    return single_layer(rnn, layer)(inputs)


def layer_output(rnn: nn.RNNBase, layer: int, inputs: torch.Tensor) -> torch.Tensor:
    """Output sequence of one layer of a stacked RNN, run on its own (eval mode: no dropout)."""
    return run_layer(rnn, layer, inputs)[0]


def lstm_gates(rnn: nn.LSTM, layer: int, inputs: torch.Tensor, output: torch.Tensor,
               lengths: torch.Tensor | None = None):
    """Recompute an LSTM layer's four gates and cell states from its weights and its outputs.

    Every gate at step t depends only on the input at t and on h at the previous step of its
    direction, both known from nn.LSTM's output, so the gates come out of one matmul; only
    the cell state needs its 28-step elementwise recurrence, run for both directions at once.
    With `lengths` (padded sequences, zero output beyond each length) the gates beyond each
    length are zero, so the cells there stay zero and the backward direction starts from a zero
    cell at each sequence's last row.
    Returns gates (batch, rows, directions, 4, hidden) and cells (batch, rows, directions, hidden).
    """
    batch, rows, _ = inputs.shape
    hidden, directions = rnn.hidden_size, 2 if rnn.bidirectional else 1
    h = output.view(batch, rows, directions, hidden)
    zero = h.new_zeros(batch, 1, hidden)
    # the (sequence, row) pairs within each length, flattened: padding has no gates to compute
    within = torch.arange(batch * rows, device=h.device)
    if lengths is not None:
        within = within[(torch.arange(rows, device=h.device) < lengths[:, None].to(h.device)).flatten()]
    x = inputs.reshape(batch * rows, -1).index_select(0, within)
    pre = []
    for direction in range(directions):
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        # previous state in reading order: forward reads t-1 before t, backward reads t+1.
        h_prev = torch.cat([zero, h[:, :-1, 0]], 1) if direction == 0 else torch.cat([h[:, 1:, 1], zero], 1)
        pre.append(F.linear(x, getattr(rnn, "weight_ih" + suffix), getattr(rnn, "bias_ih" + suffix))
                   + F.linear(h_prev.view(batch * rows, hidden).index_select(0, within),
                              getattr(rnn, "weight_hh" + suffix), getattr(rnn, "bias_hh" + suffix)))
    pre = torch.stack(pre, 1).view(-1, directions, 4, hidden)
    active = pre.sigmoid()
    active[:, :, 2] = pre[:, :, 2].tanh()  # the candidate gate
    gates = active.new_zeros(batch * rows, directions, 4, hidden).index_copy_(0, within, active)
    gates = gates.view(batch, rows, directions, 4, hidden)
    i, f, g, _ = gates.unbind(3)
    written = i * g
    if directions == 2:  # the backward direction's rows in its reading order, to run beside the forward's
        f, written = (torch.stack([x[:, :, 0], x[:, :, 1].flip(1)], 2) for x in (f, written))
    c = h.new_zeros(batch, directions, hidden)
    cells = []
    for f_t, written_t in zip(f.unbind(1), written.unbind(1)):
        c = f_t * c + written_t
        cells.append(c)
    cells = torch.stack(cells, 1)
    if directions == 2:
        cells = torch.stack([cells[:, :, 0], cells[:, :, 1].flip(1)], 2)
    return gates, cells


def prefix_batch(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Every image repeated once per prefix length 1..28, with those lengths, for one packed call."""
    batch, rows, columns = images.shape
    repeated = images.unsqueeze(1).expand(batch, rows, rows, columns).reshape(batch * rows, rows, columns)
    lengths = torch.arange(1, rows + 1).repeat(batch)
    return repeated, lengths


def every_cut(model: RowClassifier, images: torch.Tensor):
    """The model on each image cut after row t, for all 28 t in one packed call per layer.

    Returns the top layer's input and output, padded with zeros below each cut,
    (batch * cuts, rows, features) with cut t at index batch_index * rows + t, the cut lengths,
    and the answer of each cut (batch, cuts, classes).
    """
    layers = model.config.num_layers
    prefixes, lengths = prefix_batch(images)
    packed = pack_padded_sequence(prefixes, lengths, batch_first=True, enforce_sorted=False)
    for layer in range(layers - 1):
        packed, _ = run_layer(model.rnn, layer, packed)
    top_input = pad_packed_sequence(packed, batch_first=True, total_length=ROWS)[0]
    output, state = run_layer(model.rnn, layers - 1, packed)
    h_n = state[0] if isinstance(state, tuple) else state  # (directions, batch * cuts, hidden), unsorted back
    logits = model.head(h_n.transpose(0, 1).reshape(prefixes.shape[0], -1))
    top_output = pad_packed_sequence(output, batch_first=True, total_length=ROWS)[0]
    return top_input, top_output, lengths, logits.view(*images.shape[:2], CLASSES)


def row_logits(model: RowClassifier, images: torch.Tensor, top_output: torch.Tensor | None = None) -> torch.Tensor:
    """(batch, rows, classes): the answer after rows 0..t have been read, for every t.

    For a model that also reads upwards this is its answer on the image cut after row t (all 28
    cuts in one packed call); otherwise the head applied to the top layer's output at row t,
    which a caller that already ran the network passes as `top_output`.
    """
    if model.config.bidirectional:
        prefixes, lengths = prefix_batch(images)
        return model(prefixes, lengths.to(images.device)).view(*images.shape[:2], CLASSES)
    return model.head(model.rnn(images)[0] if top_output is None else top_output)


def layer_by_layer(rnn: nn.RNNBase, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(top layer's input, top layer's output) of a stacked RNN, each layer run once."""
    top_input = images
    for layer in range(rnn.num_layers - 1):
        top_input = layer_output(rnn, layer, top_input)
    return top_input, layer_output(rnn, rnn.num_layers - 1, top_input)


@torch.no_grad()
def trace(model: RowClassifier, images: torch.Tensor) -> Trace:
    """Run `model` on (batch, 28, 28) images once and return everything the app shows.

    A bidirectional model runs once on every cut image (every_cut): the last cut is the image.
    """
    model.eval()
    config, rnn = model.config, model.rnn
    batch, rows, _ = images.shape
    if config.bidirectional:  # one clock: at row t, everything is the model on the image cut after row t
        top_input, top_output, lengths, answers = every_cut(model, images)
    else:
        top_input, top_output = layer_by_layer(rnn, images)
        lengths, answers = None, row_logits(model, images, top_output)
    hidden = top_output.view(-1, rows, config.directions, config.hidden_size)
    gates = cell = None
    if config.cell == "lstm":
        gates, cell = lstm_gates(rnn, config.num_layers - 1, top_input, top_output, lengths)
    answered = {"row_probabilities": answers.softmax(-1), "logits": answers[:, -1]}
    if not config.bidirectional:
        return Trace(hidden, cell, gates, **answered)
    by_cut = [None if x is None else x.view(batch, rows, *x.shape[1:]) for x in (hidden, cell, gates)]
    whole = [None if x is None else x[:, -1] for x in by_cut]  # the last cut is the whole image
    return Trace(*whole, **answered, cut_hidden=by_cut[0], cut_cell=by_cut[1], cut_gates=by_cut[2])
