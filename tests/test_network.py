"""The readout and the trace tell the truth about what nn.LSTM computes, to 1e-5."""

import re

import pytest
import torch
from torch import nn

from model.network import ModelConfig, RowClassifier, trace
from model.step import unit_steps

CONFIGS = [
    ModelConfig(hidden_size=32),
    ModelConfig(hidden_size=24, num_layers=2, dropout=0.3),
    ModelConfig(hidden_size=24, bidirectional=True),
    ModelConfig(hidden_size=16, num_layers=3, bidirectional=True, dropout=0.2),
    ModelConfig(cell="gru", hidden_size=16, num_layers=2, bidirectional=True),
    ModelConfig(cell="rnn", hidden_size=16),
]


def fresh(config: ModelConfig) -> RowClassifier:
    torch.manual_seed(0)
    return RowClassifier(config).eval()


@pytest.fixture(scope="module")
def all_models(shipped_models):
    """Fresh models of every shape, and the trained ones the app ships."""
    return [fresh(c) for c in CONFIGS] + shipped_models


def test_bidirectional_readout_uses_both_final_states(digits):
    model = fresh(ModelConfig(hidden_size=32, bidirectional=True))
    images = digits[0][:16]
    output, _ = model.rnn(images)
    naive = model.head(output[:, -1, :])
    proper = model(images)
    assert (naive - proper).abs().max() > 1e-3
    hidden = model.config.hidden_size
    readout = torch.cat([output[:, -1, :hidden], output[:, 0, hidden:]], 1)
    torch.testing.assert_close(model.head(readout), proper, atol=1e-5, rtol=0)


def test_last_step_of_trace_equals_forward(all_models, digits):
    images = digits[0][:32]
    for model in all_models:
        result = trace(model, images)
        torch.testing.assert_close(result.logits, model(images), atol=1e-5, rtol=0)
        torch.testing.assert_close(result.row_probabilities[:, -1], model(images).softmax(-1), atol=1e-5, rtol=0)


def test_images_read_whole_alongside_get_forwards_answers_and_change_no_trace(all_models, digits):
    images, wholes = digits[0][:3], digits[0][3:8]
    for model in all_models:
        alone, alongside = trace(model, images), trace(model, images, wholes)
        torch.testing.assert_close(alongside.whole_logits, model(wholes), atol=1e-5, rtol=0)
        for name, value in vars(alone).items():
            if value is not None:
                torch.testing.assert_close(getattr(alongside, name), value, atol=1e-6, rtol=0)
        assert alone.whole_logits is None


def test_hidden_states_are_the_top_layer_output(all_models, digits):
    images = digits[0][:8]
    for model in all_models:
        output, _ = model.rnn(images)
        result = trace(model, images)
        torch.testing.assert_close(result.hidden.flatten(2), output, atol=1e-5, rtol=0)


def test_gates_and_cells_reproduce_lstm_states(all_models, digits):
    images = digits[0][:8]
    for model in (m for m in all_models if m.config.cell == "lstm"):
        result = trace(model, images)
        output, (h_n, c_n) = model.rnn(images)
        i, f, g, o = result.gates.unbind(3)
        assert ((i >= 0) & (i <= 1) & (f >= 0) & (f <= 1) & (o >= 0) & (o <= 1)).all()
        assert ((g >= -1) & (g <= 1)).all()
        # h_t = o_t * tanh(c_t) must give back nn.LSTM's own output at every step and direction
        torch.testing.assert_close(o * result.cell.tanh(), result.hidden, atol=1e-5, rtol=0)
        directions = model.config.directions
        torch.testing.assert_close(result.cell[:, -1, 0], c_n[-directions], atol=1e-5, rtol=0)
        if directions == 2:
            torch.testing.assert_close(result.cell[:, 0, 1], c_n[-1], atol=1e-5, rtol=0)


def test_cell_state_after_each_row_matches_lstm_run_on_that_prefix(digits):
    images = digits[0][:4]
    for config in (ModelConfig(hidden_size=24, num_layers=2), ModelConfig(hidden_size=24, bidirectional=True)):
        model = fresh(config)
        result = trace(model, images)
        for t in range(28):
            _, (_, c_forward) = model.rnn(images[:, : t + 1])
            torch.testing.assert_close(result.cell[:, t, 0], c_forward[-config.directions], atol=1e-5, rtol=0)
            if config.bidirectional:  # the backward direction at row t has read rows 27..t
                _, (_, c_backward) = model.rnn(images[:, t:])
                torch.testing.assert_close(result.cell[:, t, 1], c_backward[-1], atol=1e-5, rtol=0)


def test_probability_after_each_row_equals_the_model_on_the_cut_image(all_models, digits):
    images = digits[0][:6]
    for model in all_models:
        result = trace(model, images)
        for t in range(28):
            cut = model(images[:, : t + 1]).softmax(-1)
            torch.testing.assert_close(result.row_probabilities[:, t], cut, atol=1e-5, rtol=0)


def test_trace_shapes(digits):
    model = fresh(ModelConfig(hidden_size=20, bidirectional=True))
    result = trace(model, digits[0][:3])
    assert result.hidden.shape == (3, 28, 2, 20)
    assert result.cell.shape == (3, 28, 2, 20)
    assert result.gates.shape == (3, 28, 2, 4, 20)
    assert result.row_probabilities.shape == (3, 28, 10)
    torch.testing.assert_close(result.row_probabilities.sum(-1), torch.ones(3, 28))
    gru = trace(fresh(ModelConfig(cell="gru", hidden_size=8)), digits[0][:3])
    assert gru.gates is None and gru.cell is None


def test_config_rejects_unknown_cell():
    with pytest.raises(ValueError, match="cell must be one of"):
        ModelConfig(cell="transformer")


def test_every_cut_holds_the_network_run_on_that_cut_image(shipped_models, digits):
    """One clock for bidirectional models: at row t, both directions' states, cells and gates
    are those of the network run on rows 0..t alone (the backward direction read rows t..0)."""
    images = digits[0][:3]
    gru = fresh(ModelConfig(cell="gru", hidden_size=16, num_layers=2, bidirectional=True))
    for model in [gru, fresh(ModelConfig(hidden_size=24, num_layers=2, bidirectional=True)), shipped_models[1]]:
        assert model.config.bidirectional
        result = trace(model, images)
        directions, hidden = model.config.directions, model.config.hidden_size
        for t in (0, 5, 13, 27):
            output, state = model.rnn(images[:, : t + 1])
            states = output.view(3, t + 1, directions, hidden)
            torch.testing.assert_close(result.cut_hidden[:, t, : t + 1], states, atol=1e-5, rtol=0)
            assert (result.cut_hidden[:, t, t + 1 :] == 0).all()
            if model is not gru:
                c_n = state[1]
                assert (result.cut_gates[:, t, t + 1 :] == 0).all() and (result.cut_cell[:, t, t + 1 :] == 0).all()
                torch.testing.assert_close(result.cut_cell[:, t, t, 0], c_n[-2], atol=1e-5, rtol=0)  # forward after row t
                torch.testing.assert_close(result.cut_cell[:, t, 0, 1], c_n[-1], atol=1e-5, rtol=0)  # backward after row 0
                o = result.cut_gates[:, t, : t + 1, :, 3]
                torch.testing.assert_close(o * result.cut_cell[:, t, : t + 1].tanh(), states, atol=1e-5, rtol=0)
        # the whole image's states (the last cut's) are nn.LSTM's own on the whole image
        output, state = model.rnn(images)
        torch.testing.assert_close(result.hidden.flatten(2), output, atol=1e-5, rtol=0)
        if model is not gru:
            torch.testing.assert_close(result.cell[:, -1, 0], state[1][-2], atol=1e-5, rtol=0)
            torch.testing.assert_close(result.cell[:, 0, 1], state[1][-1], atol=1e-5, rtol=0)
    assert trace(shipped_models[0], images).cut_hidden is None


def test_one_unit_step_written_out_equals_the_trace(shipped_models, digits):
    """The step panel's terms add up to the trace's gates, cell and hidden state, at every cursor row."""
    image = digits[0][0]
    others = [fresh(ModelConfig(hidden_size=12, num_layers=layers, bidirectional=bidirectional))
              for layers, bidirectional in ((1, True), (3, True), (3, False))]
    for model in [*shipped_models, *others]:
        result = trace(model, image[None])
        hidden = model.config.hidden_size
        for unit in (0, hidden // 2, hidden - 1):
            steps = unit_steps(model, image, unit)
            torch.testing.assert_close(steps["pre"], steps["input"] + steps["recurrent"] + steps["bias"])
            i, f, g, o = steps["gates"].unbind(-1)
            torch.testing.assert_close(steps["cell"], f * steps["c_prev"] + i * g)
            rows = torch.arange(28)
            if model.config.bidirectional:  # the cut after row t, at row t
                gates, cell, state = (result.cut_gates[0, rows, rows, :, :, unit], result.cut_cell[0, rows, rows, :, unit],
                                      result.cut_hidden[0, rows, rows, :, unit])
                assert (steps["c_prev"][:, 1] == 0).all()  # backward starts at the cut's last row
            else:
                gates, cell, state = result.gates[0, :, :, :, unit], result.cell[0, ..., unit], result.hidden[0, ..., unit]
            torch.testing.assert_close(steps["gates"], gates, atol=1e-5, rtol=0)
            torch.testing.assert_close(steps["cell"], cell, atol=1e-5, rtol=0)
            torch.testing.assert_close(steps["hidden"], state, atol=1e-5, rtol=0)


def stack_part(rnn: nn.RNNBase, first: int, count: int) -> nn.RNNBase:
    """Layers first .. first + count - 1 of a stacked RNN as an RNN of their own, with the same weights."""
    features = rnn.input_size if first == 0 else rnn.hidden_size * (2 if rnn.bidirectional else 1)
    part = type(rnn)(features, rnn.hidden_size, num_layers=count, bidirectional=rnn.bidirectional, batch_first=True)
    part.load_state_dict({name: getattr(rnn, re.sub(r"_l(\d+)", lambda m: f"_l{int(m[1]) + first}", name))
                          for name in part.state_dict()})
    return part.eval()


def gates_from_weights(rnn: nn.LSTM, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(gates, cells, hidden) of the top layer of `rnn` reading `images` whole, as its weights give
    them from what nn.LSTM itself computed: the lower layers' output and the top layer's states."""
    layers, hidden, directions = rnn.num_layers, rnn.hidden_size, 2 if rnn.bidirectional else 1
    x = stack_part(rnn, 0, layers - 1)(images)[0] if layers > 1 else images
    h = stack_part(rnn, layers - 1, 1)(x)[0].view(*x.shape[:2], directions, hidden)
    gates, cells = [], []
    for d in range(directions):
        suffix = f"_l{layers - 1}" + ("_reverse" if d else "")
        h_prev = torch.zeros_like(h[:, :, d])  # the state read before each row, in the direction's order
        if d == 0:
            h_prev[:, 1:] = h[:, :-1, 0]
        else:
            h_prev[:, :-1] = h[:, 1:, 1]
        z = (x @ getattr(rnn, "weight_ih" + suffix).T + h_prev @ getattr(rnn, "weight_hh" + suffix).T
             + getattr(rnn, "bias_ih" + suffix) + getattr(rnn, "bias_hh" + suffix)).view(*x.shape[:2], 4, hidden)
        i, f, g, o = z[:, :, 0].sigmoid(), z[:, :, 1].sigmoid(), z[:, :, 2].tanh(), z[:, :, 3].sigmoid()
        c, cell = torch.zeros_like(i[:, 0]), torch.zeros_like(i)
        for row in range(x.shape[1]) if d == 0 else reversed(range(x.shape[1])):
            c = cell[:, row] = f[:, row] * c + i[:, row] * g[:, row]
        gates.append(torch.stack([i, f, g, o], 2))
        cells.append(cell)
    return torch.stack(gates, 2), torch.stack(cells, 2), h


@torch.no_grad()
def test_every_gate_is_the_weights_applied_to_what_nn_lstm_computed(digits):
    """Each gate and cell of the trace, at every row of every cut (every row of a one-way model),
    equals its own formula applied to the inputs and states nn.LSTM computed on that image alone."""
    images = digits[0][:2]
    for config in (ModelConfig(hidden_size=12, num_layers=3, bidirectional=True), ModelConfig(hidden_size=12, bidirectional=True),
                   ModelConfig(hidden_size=12, num_layers=3)):
        model = fresh(config)
        result = trace(model, images)
        for t in (0, 6, 27) if config.bidirectional else (27,):
            gates, cells, hidden = gates_from_weights(model.rnn, images[:, : t + 1])
            found = ((result.cut_gates[:, t, : t + 1], result.cut_cell[:, t, : t + 1], result.cut_hidden[:, t, : t + 1])
                     if config.bidirectional else (result.gates, result.cell, result.hidden))
            for mine, theirs in zip(found, (gates, cells, hidden)):
                torch.testing.assert_close(mine, theirs, atol=1e-5, rtol=0)
