"""A recurrent classifier that reads a 28x28 image one pixel row per timestep, and its trace.

The trace is what the app draws: every hidden state, cell state and gate of the top layer, and
the class probabilities after each row, from nn.LSTM's own runs (fused by oneDNN or cuDNN), with
the gates rebuilt from its weights.
"""

import functools
from dataclasses import dataclass

import torch
from torch import nn

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

    def final_state(self, images: torch.Tensor) -> torch.Tensor:
        """The top layer's last hidden state of each direction, concatenated.

        For the backward direction that is its state after reading row 0, i.e. after the whole
        image, which `out[:, -1, :]` would miss (there the backward half has seen one row only).
        """
        _, state = self.rnn(images)
        h_n = state[0] if isinstance(state, tuple) else state  # LSTM returns (h_n, c_n)
        top = h_n[-self.config.directions :]  # (directions, batch, hidden)
        return top.transpose(0, 1).reshape(images.shape[0], -1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.final_state(images))

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
def one_direction(rnn: nn.RNNBase, layer: int, backward: bool = False) -> nn.RNNBase:
    """One direction of one layer of a stacked RNN as a one-layer, one-way RNN of its own, holding
    the same parameter objects (so it follows the stack's weights, on any device). Built once:
    running it is cheaper than torch.func.functional_call, which swaps weights in on every call.
    It reads its rows in the order given: a caller hands the backward direction its rows upwards."""
    features = rnn.input_size if layer == 0 else rnn.hidden_size * (2 if rnn.bidirectional else 1)
    single = type(rnn)(features, rnn.hidden_size, batch_first=True, device="meta")
    suffix = f"_l{layer}" + ("_reverse" if backward else "")
    for name, _ in list(single.named_parameters()):
        setattr(single, name, getattr(rnn, name.replace("_l0", suffix)))
    return single.eval()


def read(rnn: nn.RNNBase, sequences: torch.Tensor) -> torch.Tensor:
    """Output sequence of a one-way RNN on (..., rows, features) sequences (eval mode: no dropout)."""
    return rnn(sequences.reshape(-1, *sequences.shape[-2:]))[0].view(*sequences.shape[:-1], rnn.hidden_size)


def lstm_gates(rnn: nn.LSTM, layer: int, inputs: torch.Tensor, output: torch.Tensor,
               lengths: torch.Tensor | None = None):
    """Recompute an LSTM layer's four gates and cell states from its weights and its outputs.

    Every gate at step t depends only on the input at t and on h at the previous step of its
    direction, both known from nn.LSTM's output, so the gates come out of matrix products; only
    the cell state needs its 28-step elementwise recurrence, run for both directions at once.
    With `lengths` (padded sequences, zero output beyond each length) the gates beyond each
    length are zero, so the cells there stay zero and the backward direction starts from a zero
    cell at each sequence's last row.
    Returns gates (batch, rows, directions, 4, hidden) and cells (batch, rows, directions, hidden).
    """
    batch, rows, _ = inputs.shape
    hidden, directions = rnn.hidden_size, 2 if rnn.bidirectional else 1
    h = output.view(batch, rows, directions, hidden)
    # the state read before each step, in its direction's order: forward row t-1, backward row t+1
    h_prev = h.new_zeros(h.shape)
    h_prev[:, 1:, 0] = h[:, :-1, 0]
    h_prev[:, :-1, 1:] = h[:, 1:, 1:]
    # the (sequence, row) pairs within each length, flattened: padding has no gates to compute
    within = torch.arange(batch * rows, device=h.device)
    if lengths is not None:
        within = within[(torch.arange(rows, device=h.device) < lengths[:, None].to(h.device)).flatten()]
    x = inputs.reshape(batch * rows, -1).index_select(0, within)
    h_prev = h_prev.view(batch * rows, directions, hidden).index_select(0, within)
    pre = x.new_empty(len(within), directions, 4 * hidden)
    for direction in range(directions):
        weights = one_direction(rnn, layer, backward=direction == 1)
        pre[:, direction] = torch.addmm(weights.bias_ih_l0 + weights.bias_hh_l0, x, weights.weight_ih_l0.T) \
            .addmm_(h_prev[:, direction], weights.weight_hh_l0.T)
    pre = pre.view(-1, directions, 4, hidden)
    # the candidate gate as tanh(z) = 2 sigmoid(2z) - 1: one sigmoid for all four gates took 40% of the
    # time of a sigmoid and a tanh on a CPU
    pre[:, :, 2] *= 2
    active = pre.sigmoid_()
    active[:, :, 2].mul_(2).sub_(1)
    gates = active.new_zeros(batch * rows, directions, 4, hidden).index_copy_(0, within, active)
    gates = gates.view(batch, rows, directions, 4, hidden)
    i, f, g, _ = gates.unbind(3)
    written = i * g
    if directions == 2:  # the backward direction's rows in its reading order, to run beside the forward's
        f, written = (torch.stack([x[:, :, 0], x[:, :, 1].flip(1)], 2) for x in (f, written))
    cells = torch.empty_like(written)
    c = h.new_zeros(batch, directions, hidden)
    for t in range(rows):
        c = torch.addcmul(written[:, t], f[:, t], c, out=cells[:, t])
    if directions == 2:
        cells[:, :, 1] = cells[:, :, 1].flip(1)
    return gates, cells


def every_cut(model: RowClassifier, images: torch.Tensor):
    """The model on each image cut after row t, for all 28 t at once.

    Each direction of each layer reads the 28 cuts as one plain batch of 28-row sequences, which
    nn.LSTM runs fused (oneDNN, cuDNN); a packed batch of the 28 lengths ran step by step and cost
    more, though it read half the rows. The forward direction reads each cut from row 0 and reads
    on past the cut, output that is dropped; the backward direction is handed cut t's rows upwards,
    t, t-1, ..., 0 (then row 0 again, dropped). While every cut reads the same rows (the lowest
    layer's forward direction, and every layer of a one-way model), each image is read once.

    Returns the top layer's input (past each cut, values nothing uses) and output (zero past
    each cut), (batch * cuts, rows, features) with cut t at index batch_index * rows + t,
    the cut lengths, and the answer of each cut (batch, cuts, classes).
    """
    rnn, hidden = model.rnn, model.config.hidden_size
    batch, rows, _ = images.shape
    cut = torch.arange(rows, device=images.device)
    upwards = (cut[:, None] - cut).clamp(min=0)  # [t, k]: row t - k, read k-th in cut t; also [t, s]: where row s was read
    inputs = images  # (batch, rows, features) while every cut reads the same rows, then (batch, cuts, rows, features)
    for layer in range(model.config.num_layers):
        output = read(one_direction(rnn, layer), inputs)
        if rnn.bidirectional:
            if inputs.dim() == 3:
                inputs, output = (x[:, None].expand(batch, rows, *x.shape[1:]) for x in (inputs, output))
            read_up = read(one_direction(rnn, layer, backward=True), inputs[:, cut[:, None], upwards])
            output = torch.cat([output, read_up[:, cut[:, None], upwards]], -1)
        top_input, inputs = inputs, output
    if output.dim() == 3:  # a one-way model: every cut read the same rows
        top_input, output = (x[:, None].expand(batch, rows, *x.shape[1:]) for x in (top_input, output))
    output = output.masked_fill((cut > cut[:, None])[..., None], 0)  # [t, s]: row s is past cut t
    final = [output[:, cut, cut, :hidden], *([output[:, :, 0, hidden:]] if rnn.bidirectional else [])]  # after row t; row 0
    logits = model.head(torch.cat(final, -1))
    return top_input.flatten(0, 1), output.flatten(0, 1), (cut + 1).repeat(batch), logits


def row_logits(model: RowClassifier, images: torch.Tensor, top_output: torch.Tensor | None = None) -> torch.Tensor:
    """(batch, rows, classes): the answer after rows 0..t have been read, for every t.

    For a model that also reads upwards this is its answer on the image cut after row t
    (every_cut); otherwise the head applied to the top layer's output at row t, which a caller
    that already ran the network passes as `top_output`.
    """
    if model.config.bidirectional:
        return every_cut(model, images)[3]
    return model.head(model.rnn(images)[0] if top_output is None else top_output)


def layer_by_layer(rnn: nn.RNNBase, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(top layer's input, top layer's output) of a stacked one-way RNN, each layer run once."""
    top_input = images
    for layer in range(rnn.num_layers - 1):
        top_input = read(one_direction(rnn, layer), top_input)
    return top_input, read(one_direction(rnn, rnn.num_layers - 1), top_input)


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
