"""One LSTM step of one unit, written out term by term: the numbers the app's step panel shows.

At the cursor row t the app shows the model on the image cut after row t (for a one-way LSTM that
is its state after row t). Its step at row t reads x_t, the input of the top layer at row t (the
pixel row for a one-layer model, the layer below's output otherwise):

    z = W_ih[k, j] . x_t + W_hh[k, j] . h_prev + b_ih[k, j] + b_hh[k, j]   for each gate k
    i, f, o = sigmoid(z),  g = tanh(z),  c_t = f * c_prev + i * g,  h_t = o * tanh(c_t)

Forward, h_prev and c_prev are the state after row t-1. Backward, row t is the cut image's last
row, the first the backward direction reads, so it starts from zero.
"""

import torch

from model.network import ROWS, RowClassifier, lstm_top_layer, one_layer, top_layer_input

TERMS = ("input", "recurrent", "bias", "pre")  # per gate, (rows, directions, 4): z = input + recurrent + bias


@torch.no_grad()
def unit_steps(model: RowClassifier, image: torch.Tensor, unit: int) -> dict[str, torch.Tensor]:
    """Every term of unit `unit`'s update at row t of the cut after row t, for every t and direction.

    Returns input, recurrent, bias, pre and gates (rows, directions, 4) in GATE_NAMES order,
    c_prev, cell, hidden (rows, directions), and x (rows, features): the x_t each row's step reads.
    """
    model.eval()
    rnn, config = model.rnn, model.config
    if config.cell != "lstm":
        raise ValueError("only LSTM cells have gates to write out")
    hidden_size, layer = config.hidden_size, config.num_layers - 1
    top_input, lengths = top_layer_input(model, image[None])
    _, cells, states = lstm_top_layer(rnn, top_input, lengths)  # (sequences, rows, directions, units)
    t = torch.arange(ROWS, device=image.device)
    cut = t if config.bidirectional else torch.zeros_like(t)  # a one-way model's one sequence is the image
    x = top_input[cut, t]  # the row each cut ends on
    gate_rows = torch.arange(4, device=image.device) * hidden_size + unit
    terms = {name: [] for name in (*TERMS, "gates", "c_prev", "cell", "hidden")}
    for direction in range(config.directions):
        weights = one_layer(rnn, layer, ("forward", "backward")[direction])
        h_prev = x.new_zeros(ROWS, hidden_size)
        c_prev = x.new_zeros(ROWS)
        if direction == 0:  # the state after row t-1 of the same cut
            h_prev[1:] = states[cut[1:], t[:-1], 0]
            c_prev[1:] = cells[cut[1:], t[:-1], 0, unit]
        w_ih, w_hh = weights.weight_ih_l0[gate_rows], weights.weight_hh_l0[gate_rows]
        bias = weights.bias_ih_l0[gate_rows] + weights.bias_hh_l0[gate_rows]
        from_input, from_state = x @ w_ih.T, h_prev @ w_hh.T
        pre = from_input + from_state + bias
        i, f, g, o = pre.sigmoid()[:, 0], pre.sigmoid()[:, 1], pre.tanh()[:, 2], pre.sigmoid()[:, 3]
        cell = f * c_prev + i * g
        for name, value in (("input", from_input), ("recurrent", from_state), ("bias", bias.expand(ROWS, 4)),
                            ("pre", pre), ("gates", torch.stack([i, f, g, o], 1)), ("c_prev", c_prev),
                            ("cell", cell), ("hidden", o * cell.tanh())):
            terms[name].append(value)
    return {**{name: torch.stack(values, 1) for name, values in terms.items()}, "x": x}
