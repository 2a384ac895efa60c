"""The functions behind the app's events, called as the events call them, without a browser."""

import asyncio
import os
import json

import numpy as np
import pytest
import torch
from gradio.state_holder import SessionState
from PIL import Image

from benchmarks.app_speed import canvas_value
from demo import events, ui
from demo.canvas import EMPTY, MAX_POINTS, MAX_STROKES, SIZE, TOO_MANY, CanvasValue, InkCanvas, strokes_image
from demo.guard import Refused
from demo.inference import Reader, blank_each_row
from demo.pictures import first_top_row, probabilities_table, states_picture, unit_order
from demo.sketches import Style, gallery, render
from model.checkpoint import CheckpointError


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader()


def test_models_are_loaded_once_in_eval_mode_on_the_cpu_here(reader):
    assert set(reader.models) == {"LSTM", "BiLSTM"}
    assert not reader.models["LSTM"].config.bidirectional and reader.models["BiLSTM"].config.bidirectional
    for model in reader.models.values():
        assert not model.training and next(model.parameters()).device == reader.device


def test_reader_without_checkpoints_names_the_file(tmp_path):
    with pytest.raises(CheckpointError, match="lstm.pt: checkpoint file not found"):
        Reader(tmp_path)


@pytest.mark.parametrize("mode", ["LSTM", "BiLSTM"])
def test_every_digit_drawn_on_the_canvas_is_read_right(reader, mode):
    for digit in range(10):
        shown, status, *panels = events.draw(reader, "canvas", canvas_value(digit), mode, 27)
        assert shown.readings[mode].digit == digit, f"{mode} read a drawn {digit} as {shown.readings[mode].digit}"
        assert f"reads a **{digit}**" in status


def test_draw_fills_the_shown_panel_and_leaves_the_other_empty(reader):
    shown, status, *values = events.draw(reader, "canvas", canvas_value(4), "LSTM", 10)
    n = len(events.PANEL_OUTPUTS)
    lstm, bilstm = values[:n], values[n:]
    assert all(v is None for v in bilstm)
    answer, seen, rows_table, hidden = lstm
    assert max(answer, key=answer.get) == "4" and sum(answer.values()) == pytest.approx(1, abs=1e-5)
    units = reader.models["LSTM"].config.hidden_size
    assert seen.shape == (28, 2 + 28 + 2 + 14, 3) and seen.dtype == np.uint8
    assert hidden.shape == (28, 2 + units, 3)
    assert rows_table.count("<tr") == 29 and 'class="cursor' in rows_table


def test_every_quantity_has_its_own_heatmap(reader):
    shown = events.draw(reader, "canvas", canvas_value(6), "LSTM", 27)[0]
    reading = shown.readings["LSTM"]
    pictures = {q: events.panel_values(reading, 27, q)[3] for q in events.QUANTITIES}
    assert len({p.tobytes() for p in pictures.values()}) == len(events.QUANTITIES)
    values, signed = events.states(reading, "Forget gate")
    assert values is reading.gates["forget"] and not signed
    assert events.states(reading, "Candidate gate")[1] and events.states(reading, "Cell state")[0] is reading.cell
    # gates in 0..1 are drawn white to violet (blue >= red everywhere), the hidden state red and blue
    forget, hidden = pictures["Forget gate"][:, 2:].astype(int), pictures["Hidden state"][:, 2:].astype(int)
    assert (forget[..., 2] >= forget[..., 0]).all() and (forget[..., 2] > forget[..., 0]).any()
    assert (hidden[..., 0] > hidden[..., 2] + 50).any() and (hidden[..., 2] > hidden[..., 0] + 50).any()


def test_both_side_by_side_reads_with_both_models(reader):
    shown, _, *values = events.draw(reader, "canvas", canvas_value(2), "Both side by side", 27)
    assert set(shown.readings) == {"LSTM", "BiLSTM"}
    assert all(v is not None for v in values)
    bidirectional_hidden = values[len(events.PANEL_OUTPUTS) + 3]  # the BiLSTM panel's heatmap
    units = reader.models["BiLSTM"].config.hidden_size
    assert bidirectional_hidden.shape == (28, 2 * (2 + units) + 2, 3)


def test_switch_rereads_the_same_input_with_other_models(reader):
    shown = events.draw(reader, "canvas", canvas_value(8), "LSTM", 27)[0]
    switched, *_ = events.switch(reader, shown, "BiLSTM", 27)
    assert torch.equal(switched.image, shown.image) and set(switched.readings) == {"BiLSTM"}


def test_scrubbing_moves_the_cursor_in_every_picture(reader):
    shown = events.draw(reader, "canvas", canvas_value(3), "BiLSTM", 27)[0]
    early, late = events.scrub(shown, 5), events.scrub(shown, 20)
    n = len(events.PANEL_OUTPUTS)
    for before, after in zip(early[1 + n : 1 + 2 * n], late[1 + n : 1 + 2 * n]):
        if isinstance(before, np.ndarray):
            assert not np.array_equal(before, after)
    seen = early[1 + n + 1]
    assert (seen[5, :2] == [255, 150, 0]).all() and (seen[20, :2] == 255).all()  # ruler at row 5 only
    assert "after row 5" in early[0] and "after row 20" in late[0]
    assert events.scrub(shown, 99)[0] == events.scrub(shown, 27)[0]  # clamped


def test_empty_and_cleared_canvas_say_nothing_is_drawn(reader):
    for value in (EMPTY, {"strokes": []}, None, {"size": 280, "brush": 18, "strokes": [[]]}):
        shown, status, *values = events.draw(reader, "canvas", value, "LSTM", 27)
        assert status == events.NOTHING_DRAWN and shown.readings == {}
        assert all(v is None for v in values)


@pytest.mark.parametrize(
    "value",
    ["not a dict", {"strokes": "abc"}, {"strokes": [[1, "x"]]}, {"strokes": [[float("nan"), 3]]}, {"size": "big"}],
)
def test_malformed_canvas_values_get_a_message(reader, value):
    shown, status, *_ = events.draw(reader, "canvas", value, "LSTM", 27)
    assert status.startswith("Could not read that canvas") and shown.readings == {}


def test_strokes_image_redraws_the_strokes():
    image = strokes_image(canvas_value(1))
    ink = np.asarray(image) > 0
    assert image.size == (SIZE, SIZE) and ink.any() and ink[:, : SIZE // 3].sum() == 0
    assert strokes_image(EMPTY) is None
    assert strokes_image({"strokes": [[5000, 5000, 6000, 6000]]}) is not None  # off-canvas: drawn, nothing visible


def test_the_canvas_takes_values_up_to_its_bounds_and_refuses_past_them(reader):
    from tests.fuzz import over_bounds

    at_bounds = [{**EMPTY, "strokes": [[1, 1]] * MAX_STROKES},
                 {**EMPTY, "strokes": [[140.5, 140] * (MAX_POINTS // 2)] * 2},
                 {**EMPTY, "size": 280.0, "brush": 18, "strokes": [[-5, 0.5, 300, 1e6]]}]
    for value in at_bounds:
        assert strokes_image(value) is not None and CanvasValue.model_validate(value).root == value
    for value, problem in over_bounds():
        with pytest.raises(ValueError) as refused:
            strokes_image(value)
        assert str(refused.value) == problem
        kept = CanvasValue.model_validate(value).root  # what Gradio keeps of it in the session
        assert kept == {"refused": problem} and events.prepare("canvas", kept)[1] == f"Could not read that canvas: {problem}"


def test_gradio_keeps_a_bounded_canvas_value_per_session(reader):
    app = ui.build(reader)
    stroke = next(fn for fn in app.fns.values() if fn.api_name == "stroke")
    canvas = next(block for block in stroke.inputs if isinstance(block, InkCanvas))
    state = SessionState(app)
    huge = {**EMPTY, "strokes": [[7, 7] * 2_000_000]}
    values = asyncio.run(app.preprocess_data(stroke, [huge, "LSTM", 27, "Hidden state"], state))
    assert values[0] == {"refused": TOO_MANY}
    assert state.config_values[canvas._id]["props"]["value"] == {"refused": TOO_MANY}
    drawn = canvas_value(3)
    assert asyncio.run(app.preprocess_data(stroke, [drawn, "LSTM", 27, "Hidden state"], state))[0] == drawn


def test_every_event_that_runs_a_model_shares_one_limit(reader):
    app = ui.build(reader)
    triggers = {fn: {app.blocks[block].elem_id or type(app.blocks[block]).__name__ for block, _ in fn.targets}
                for fn in app.fns.values()}
    shared = sorted(name for fn, names in triggers.items() if fn.concurrency_id == "model" for name in names)
    assert shared == ["Button", "Gallery", "ImageFile", "InkCanvas", "mode"]  # classify, example, upload, stroke, model
    assert all(fn.concurrency_limit == ui.MODEL_SLOTS for fn in app.fns.values() if fn.concurrency_id == "model")
    assert ui.MODEL_SLOTS == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("index", [-1, 10**6, "0", True, None, 1.5, [0]])
def test_a_gallery_index_out_of_range_gets_a_message(reader, index):
    examples = gallery()
    shown, status, *values = events.draw_example(reader, examples, index, "LSTM", 27)
    assert status == f"Could not read that image: there is no such example: pick one of the {len(examples)} shown"
    assert shown.readings == {} and all(v is None for v in values)
    assert events.draw_example(reader, examples, len(examples) - 1, "LSTM", 27)[0].readings["LSTM"].digit == 9


@pytest.mark.parametrize(
    "upload",
    [
        render(5, Style(canvas=(1, 1), height=1.0, width=1)),
        render(5, Style(canvas=(4000, 300), height=0.8, width=9)),
        render(5, Style(mode="P")),
        render(5, Style(mode="LA", background=None)),
        render(5, Style(mode="1")),
        render(5, Style()).convert("L").convert("I;16"),
        Image.new("RGBA", (600, 600), (0, 0, 0, 0)),
    ],
    ids=["1x1", "4000x300", "P", "LA-transparent", "1-bit", "I;16", "blank-transparent"],
)
def test_uploads_of_odd_sizes_and_modes_never_fail(reader, upload):
    shown, status, *_ = events.draw(reader, "image", upload, "LSTM", 27)
    assert status == events.NOTHING_DRAWN or shown.readings["LSTM"].digit in range(10)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_screenshots_of_either_theme_read_right(reader, theme):
    """A canvas screenshot: dark ink on a light background, or light ink on Gradio's dark grey."""
    ink, background = ((30, 30, 30, 255), (255, 255, 255, 255)) if theme == "light" else ((240, 240, 240, 255), (39, 39, 42, 255))
    for digit in (0, 1, 7):
        upload = render(digit, Style(ink=ink, background=background, width=18))
        shown = events.draw(reader, "image", upload, "LSTM", 27)[0]
        assert shown.readings["LSTM"].digit == digit


def test_gallery_examples_are_read_right(reader):
    for digit, (image, caption) in enumerate(gallery()):
        assert caption == f"drawn {digit}"
        assert events.draw(reader, "image", image, "BiLSTM", 27)[0].readings["BiLSTM"].digit == digit


def test_classify_answers_a_batch_in_json(reader):
    images = [render(7), Image.new("RGB", (50, 50), "white"), render(0), render(3)]
    models = ["BiLSTM", "LSTM", "LSTM", "GRU"]
    images, models = images + [render(1), Refused("not an uploaded image"), render(2)], models + [5, "LSTM", Refused("x")]
    results = events.classify(reader, images, models)
    json.dumps(results)
    assert results[0]["digit"] == 7 and results[2]["digit"] == 0
    assert np.array(results[0]["row_probabilities"]).shape == (28, 10)
    assert sum(results[0]["probabilities"]) == pytest.approx(1, abs=1e-4)
    assert results[0]["row_probabilities"][-1] == results[0]["probabilities"]
    assert results[0]["unsure"] is False and results[0]["candidates"] == [7]
    assert results[1] == {"digit": None, "nothing_drawn": True, "message": events.NOTHING_DRAWN}
    assert results[3] == results[4] == {"error": "unknown model: choose one of LSTM, BiLSTM"}
    assert results[5] == {"digit": None, "nothing_drawn": False, "message": "Could not read that image: not an uploaded image"}
    assert results[6] == {"error": "x"}


def test_an_answer_under_the_threshold_names_both_candidates():
    probabilities = np.array([0.01, 0.35, 0.02, 0.02, 0.02, 0.02, 0.02, 0.48, 0.03, 0.03])
    assert events.candidates(probabilities, 0.5) == [7, 1]
    assert events.candidates(probabilities, 0.48) == [7]
    assert events.unsure_text([7, 1]) == "unsure: **7 or 1?**" and events.unsure_text([7]) == ""


def test_every_model_has_a_threshold_from_its_card(reader):
    for name, card in reader.cards.items():
        assert reader.unsure_below[name] == card["unsure_below"] and 0.3 <= card["unsure_below"] < 1
        assert card["calibration"]["validation"]["unsure_below"] == card["unsure_below"]


def test_unsure_answers_reach_the_status_line_and_the_api(reader, monkeypatch):
    """With a threshold no answer reaches, every answer is unsure: the page and the API both say so."""
    monkeypatch.setitem(reader.unsure_below, "LSTM", 1.01)
    status = events.draw(reader, "canvas", canvas_value(7), "Both side by side", 27)[1]
    lstm, bilstm = status.split("  \n")
    assert "**LSTM** reads a **7**" in lstm and "unsure: **7 or " in lstm
    assert "**BiLSTM** reads a **7**" in bilstm and "unsure" not in bilstm
    [unsure, sure] = events.classify(reader, [render(7), render(7)], ["LSTM", "BiLSTM"])
    assert unsure["unsure"] is True and unsure["digit"] == 7 and len(unsure["candidates"]) == 2
    assert unsure["candidates"][0] == 7 and unsure["candidates"][1] == int(np.argsort(unsure["probabilities"])[-2])
    assert sure["unsure"] is False and sure["candidates"] == [7]


def test_about_states_size_shapes_and_accuracy(reader):
    text = events.about(reader, "LSTM")
    hidden = reader.models["LSTM"].config.hidden_size
    assert f"{reader.models['LSTM'].parameter_count():,} parameters" in text
    assert f"| `rnn.weight_ih_l0` | {4 * hidden} x 28 |" in text
    assert f"{reader.cards['LSTM']['mnist_test_accuracy']:.2%}" in text


def test_blank_each_row_blanks_exactly_one_row():
    images = torch.rand(2, 28, 28) + 0.1
    copies = blank_each_row(images)
    assert copies.shape == (2, 28, 28, 28)
    for r in (0, 13, 27):
        assert (copies[:, r, r] == 0).all()
        assert torch.equal(copies[:, r, (r + 1) % 28], images[:, (r + 1) % 28])


def test_row_importance_is_the_probability_drop(reader):
    image = events.canvas_input(canvas_value(9))
    reading = reader.read("LSTM", [image])[0]
    model = reader.models["LSTM"]
    blanked = image.clone()
    blanked[12] = 0
    with torch.no_grad():
        drop = reading.probabilities[9] - model(blanked[None]).softmax(-1)[0, 9].item()
    assert reading.importance[12] == pytest.approx(drop, abs=1e-5)


def test_units_are_sorted_by_peak_row_and_pictures_fade_unread_rows():
    states = np.zeros((28, 1, 3))
    states[20, 0, 0], states[3, 0, 1], states[10, 0, 2] = 1.0, -1.0, 0.5
    assert unit_order(states[:, 0]).tolist() == [1, 2, 0]
    picture = states_picture(states, cursor=10)
    assert (picture[10, :2] == [255, 150, 0]).all()
    # rows 5, 8 and 15 hold the same values: the two read by row 10 look alike, the unread one fainter
    states[[5, 8, 15], 0] = [0.7, -0.4, 0.2]
    picture = states_picture(states, cursor=10)
    assert picture[5, 2:].tolist() == picture[8, 2:].tolist() != picture[15, 2:].tolist()
    assert (np.abs(picture[15, 2:].astype(int) - 255) < np.abs(picture[5, 2:].astype(int) - 255)).all()


def test_first_top_row_and_table():
    rows = np.full((28, 10), 0.1)
    rows[:, 1] = 0.2
    rows[15:, 4] = 0.5
    assert first_top_row(rows) == 15
    table = probabilities_table(rows, cursor=15)
    assert "15 ◀ leads" in table and "50%" in table and table.count("<tr") == 29
