"""A recurrent classifier that reads a 28x28 image one pixel row per timestep, and its trace.

The trace is what the app draws: every hidden state, cell state and gate of the top layer, and
the class probabilities after each row. In the trace an LSTM's top layer runs step by step from its
weights, as nn.LSTM keeps its gates and cells to itself; every other layer, a GRU's or RNN's top
layer, and the answers alone (row_logits, all the API returns) run in nn.LSTM, nn.GRU or nn.RNN
(fused by oneDNN or cuDNN).
"""

import functools
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

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
    """What the network did on each image; every tensor has the batch first (but whole_logits).

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
    whole_logits: (n, classes) the answers on trace's `wholes`, when it was given any.
    """

    hidden: torch.Tensor
    cell: torch.Tensor | None
    gates: torch.Tensor | None
    row_probabilities: torch.Tensor
    logits: torch.Tensor
    cut_hidden: torch.Tensor | None = None
    cut_cell: torch.Tensor | None = None
    cut_gates: torch.Tensor | None = None
    whole_logits: torch.Tensor | None = None

    def to(self, device) -> "Trace":
        return Trace(**{k: None if v is None else v.to(device) for k, v in vars(self).items()})  # asdict would deep-copy


@functools.cache
def one_layer(rnn: nn.RNNBase, layer: int, direction: str | None = None) -> nn.RNNBase:
    """One layer of a stacked RNN as a one-layer RNN of its own, holding the same parameter objects
    (so it follows the stack's weights, on any device): its "forward" or "backward" direction alone,
    or with direction None all its directions. Built once: running it is cheaper than
    torch.func.functional_call, which swaps weights in on every call. A one-way layer reads its rows
    in the order given: a caller hands the backward direction its rows upwards."""
    assert direction in (None, "forward", "backward"), direction
    features = rnn.input_size if layer == 0 else rnn.hidden_size * (2 if rnn.bidirectional else 1)
    bidirectional = rnn.bidirectional and direction is None
    single = type(rnn)(features, rnn.hidden_size, batch_first=True, bidirectional=bidirectional, device="meta")
    for name, _ in list(single.named_parameters()):
        source = name.replace("_l0", f"_l{layer}") + ("_reverse" if direction == "backward" else "")
        setattr(single, name, getattr(rnn, source))
    return single.eval()


def read(rnn: nn.RNNBase, sequences: torch.Tensor) -> torch.Tensor:
    """Output sequence of a one-way RNN on (..., rows, features) sequences (eval mode: no dropout)."""
    return rnn(sequences.reshape(-1, *sequences.shape[-2:]))[0].view(*sequences.shape[:-1], rnn.hidden_size)


def upwards(lengths: torch.Tensor, rows: int) -> torch.Tensor:
    """[n, k]: the row sequence n's backward direction reads k-th (its last row first); row 0 again
    past its length. The same index maps that reading order back to rows."""
    return (lengths[:, None] - 1 - torch.arange(rows, device=lengths.device)).clamp(min=0)


def read_upwards(rnn: nn.RNNBase, sequences: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Output of a one-way RNN handed each of the (sequences, rows, features) from its last row
    (its length) up to row 0, put back in row order; past each length, values nothing should read."""
    order = upwards(lengths, sequences.shape[1])[..., None]
    output = read(rnn, sequences.gather(1, order.expand(-1, -1, sequences.shape[-1])))
    return output.gather(1, order.expand(-1, -1, rnn.hidden_size))


def top_layer_input(model: RowClassifier, images: torch.Tensor, wholes: torch.Tensor | None = None
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """(sequences, lengths): what the top layer reads, (sequences, rows, features), and how many rows
    of each it reads.

    A one-way model: each image whole. A model that also reads upwards: the image cut after each
    row t, for all 28 t at once (cut t of image b at index b * rows + t, its rows past t unread).
    Each direction of each lower layer reads the 28 cuts as one plain batch of 28-row sequences,
    which nn.LSTM runs fused (oneDNN, cuDNN); a packed batch of the 28 lengths ran step by step and
    cost more, though it read half the rows. The forward direction reads each cut from row 0 and
    reads on past the cut, output that is never read; the backward direction reads cut t from row t
    up. The lowest layer's forward direction reads the same rows in every cut: each image once.

    `wholes`, more images read whole, come last (their own sequences, read in the same calls): a
    caller that wants only their answers (final_answers) saves a call per lower layer and direction.
    """
    rnn = model.rnn
    batch, rows, _ = images.shape
    all_images = images if wholes is None else torch.cat([images, wholes])
    if not rnn.bidirectional:
        inputs = all_images
        for layer in range(rnn.num_layers - 1):
            inputs = read(one_layer(rnn, layer, "forward"), inputs)
        return inputs, torch.full((len(inputs),), rows, device=images.device)
    lengths = torch.arange(1, rows + 1, device=images.device).repeat(batch)
    lengths = torch.cat([lengths, torch.full((len(all_images) - batch,), rows, device=images.device)])

    def in_every_cut(x: torch.Tensor) -> torch.Tensor:  # each image's 28 times, then the wholes'
        return torch.cat([x[:batch, None].expand(batch, rows, *x.shape[1:]).flatten(0, 1), x[batch:]])

    inputs = in_every_cut(all_images)
    for layer in range(rnn.num_layers - 1):
        forward = in_every_cut(read(one_layer(rnn, 0, "forward"), all_images)) if layer == 0 else read(one_layer(rnn, layer, "forward"), inputs)
        inputs = torch.cat([forward, read_upwards(one_layer(rnn, layer, "backward"), inputs, lengths)], -1)
    return inputs, lengths


def top_layer_output(rnn: nn.RNNBase, inputs: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """The top layer's output on top_layer_input's sequences, (sequences, rows, directions * hidden),
    zero past each length: each direction run fused by nn.LSTM/GRU/RNN, as in top_layer_input."""
    top = rnn.num_layers - 1
    output = read(one_layer(rnn, top, "forward"), inputs)
    if rnn.bidirectional:
        output = torch.cat([output, read_upwards(one_layer(rnn, top, "backward"), inputs, lengths)], -1)
    beyond = torch.arange(inputs.shape[1], device=inputs.device) >= lengths[:, None]
    return output.masked_fill(beyond[..., None], 0)


# GATE_NAMES (nn.LSTM's order) reordered as (input, forget, output, candidate), so that one sigmoid
# serves the first three; the same list puts them back, as it swaps only the last two.
SIGMOID_FIRST = [0, 1, 3, 2]


def sigmoid_first(weight: torch.Tensor) -> torch.Tensor:
    """An LSTM weight or bias with its four gates' rows in SIGMOID_FIRST order."""
    return weight.view(4, -1, *weight.shape[1:])[SIGMOID_FIRST].flatten(0, 1)


def lstm_top_layer(rnn: nn.LSTM, inputs: torch.Tensor, lengths: torch.Tensor
                   ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The top layer of an LSTM run step by step on top_layer_input's sequences, keeping what
    nn.LSTM keeps to itself: the four gates and the cell state at every row, both directions at once.

    Rebuilding them from nn.LSTM's output meant running the layer, then the products of every gate
    and row once more; here each step is one batched product of the state before it, after one
    product of the inputs of every step. torch's packing orders the (sequence, row) pairs to read:
    longest sequence first, so the sequences still reading at step k are the first batch_sizes[k]
    of those read at step k-1. The backward direction reads each sequence upwards. Inference only
    (the products write in place).
    Returns gates (sequences, rows, directions, 4, hidden) in GATE_NAMES order, cells and hidden
    (sequences, rows, directions, hidden), zero past each length.
    """
    sequences, rows, features = inputs.shape
    hidden, directions = rnn.hidden_size, 2 if rnn.bidirectional else 1
    pairs = torch.arange(sequences * rows, device=inputs.device).view(sequences, rows)
    packed = pack_padded_sequence(pairs, lengths.cpu(), batch_first=True, enforce_sorted=False)
    read_at = [packed.data]  # by direction: the flat index of the (sequence, row) pair each step reads
    if directions == 2:
        sequence, step = packed.data // rows, packed.data % rows
        read_at.append(sequence * rows + upwards(lengths, rows)[sequence, step])
    layers = [one_layer(rnn, rnn.num_layers - 1, ("forward", "backward")[d]) for d in range(directions)]
    gates = inputs.new_empty(directions, len(packed.data), 4, hidden)
    for d, layer in enumerate(layers):  # the input's part of every gate, for every step at once
        torch.addmm(sigmoid_first(layer.bias_ih_l0 + layer.bias_hh_l0), inputs.reshape(-1, features)[read_at[d]],
                    sigmoid_first(layer.weight_ih_l0).T, out=gates[d].view(-1, 4 * hidden))
    recurrent = torch.stack([sigmoid_first(layer.weight_hh_l0).T for layer in layers])  # (directions, hidden, 4 * hidden)
    sigmoids, candidates = gates[:, :, :3], gates[:, :, 3]
    cells, states = torch.empty_like(candidates), torch.empty_like(candidates)
    start, before = 0, None  # where the step before began; before the first row the state is zero
    for size in packed.batch_sizes.tolist():
        if before is not None:  # the step before's first `size` sequences: those still reading
            gates.narrow(1, start, size).view(directions, size, 4 * hidden).baddbmm_(states.narrow(1, before, size), recurrent)
        i, f, o = sigmoids.narrow(1, start, size).sigmoid_().unbind(2)
        c = torch.mul(i, candidates.narrow(1, start, size).tanh_(), out=cells.narrow(1, start, size))
        if before is not None:
            c.addcmul_(f, cells.narrow(1, before, size))
        torch.mul(o, c.tanh(), out=states.narrow(1, start, size))
        before, start = start, start + size
    by_row = []
    for values in (gates[:, :, SIGMOID_FIRST], cells, states):  # from reading order to rows, zero past each length
        placed = values.new_zeros(sequences * rows, directions, *values.shape[2:])
        for d in range(directions):
            placed[:, d].index_copy_(0, read_at[d], values[d])
        by_row.append(placed.view(sequences, rows, *placed.shape[1:]))
    return tuple(by_row)


def final_answers(model: RowClassifier, output: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """(sequences, classes): the answer on each of top_layer_input's sequences, from the top layer's
    output there, (sequences, rows, directions * hidden): the forward state after the sequence's
    last row (cut t of a bidirectional model ends on row t) and the backward state after row 0, as
    forward() reads them."""
    hidden = model.config.hidden_size
    last = output[torch.arange(len(output), device=output.device), lengths - 1, :hidden]
    if model.config.bidirectional:
        last = torch.cat([last, output[:, 0, hidden:]], -1)
    return model.head(last)


def row_logits(model: RowClassifier, images: torch.Tensor) -> torch.Tensor:
    """(batch, rows, classes): the answer after rows 0..t have been read, for every t.

    For a model that also reads upwards this is its answer on the image cut after row t;
    otherwise the head applied to the top layer's output at row t.
    """
    if not model.config.bidirectional:
        return model.head(model.rnn(images)[0])
    inputs, lengths = top_layer_input(model, images)
    return final_answers(model, top_layer_output(model.rnn, inputs, lengths), lengths).view(*images.shape[:2], CLASSES)


@torch.no_grad()
def trace(model: RowClassifier, images: torch.Tensor, wholes: torch.Tensor | None = None) -> Trace:
    """Run `model` on (batch, 28, 28) images once and return everything the app shows.

    A bidirectional model runs once on every cut image (top_layer_input): the last cut is the image.
    `wholes`, more (n, 28, 28) images, are read in the same calls for their answers alone
    (Trace.whole_logits): the app's row importance reads copies of a drawing, a row blanked in each.
    """
    model.eval()
    config, rnn = model.config, model.rnn
    batch, rows, _ = images.shape
    inputs, lengths = top_layer_input(model, images, wholes)
    traced = batch * rows if config.bidirectional else batch  # the sequences traced; the wholes' follow
    whole_logits = None
    if wholes is not None:  # read whole, all their rows: the top layer runs fused, both directions at once
        whole_logits = final_answers(model, one_layer(rnn, rnn.num_layers - 1)(inputs[traced:])[0], lengths[traced:])
    inputs, lengths = inputs[:traced], lengths[:traced]
    gates = cell = None
    if config.cell == "lstm":
        gates, cell, hidden = lstm_top_layer(rnn, inputs, lengths)
    else:
        hidden = top_layer_output(rnn, inputs, lengths).view(-1, rows, config.directions, config.hidden_size)
    if config.bidirectional:  # one clock: at row t, everything is the model on the image cut after row t
        answers = final_answers(model, hidden.flatten(2), lengths).view(batch, rows, CLASSES)
    else:
        answers = model.head(hidden.flatten(2))
    answered = {"row_probabilities": answers.softmax(-1), "logits": answers[:, -1], "whole_logits": whole_logits}
    if not config.bidirectional:
        return Trace(hidden, cell, gates, **answered)
    by_cut = [None if x is None else x.view(batch, rows, *x.shape[1:]) for x in (hidden, cell, gates)]
    whole = [None if x is None else x[:, -1] for x in by_cut]  # the last cut is the whole image
    return Trace(*whole, **answered, cut_hidden=by_cut[0], cut_cell=by_cut[1], cut_gates=by_cut[2])
