"""The functions behind the app's events, called as the events call them, without a browser."""

import asyncio
import base64
import contextlib
import copy
import hashlib
import itertools
import json
import math
import os
import random
import threading
import zlib
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from gradio.state_holder import SessionState
from PIL import Image, ImageDraw
from starlette.requests import Request

from benchmarks.app_speed import canvas_value, pen_ticks
from demo import canvas, events, inference, live, ui
from demo.canvas import BRUSH, EMPTY, LARGEST, MAX_POINTS, MAX_STROKES, SIZE, TOO_MANY, CanvasValue, InkCanvas, strokes_image, strokes_ink
from demo.guard import Refused
from demo.i18n import text
from demo.inference import MODEL_SLOTS, Reader, blank_each_row
from demo import payload
from demo.payload import first_top_row, lead_rows
from demo.sketches import Style, gallery, render
from model.checkpoint import CheckpointError
from model.network import GATE_NAMES, trace
from model.preprocess import to_mnist
from model.step import unit_steps
from model.strokes import pen_line, pen_stroke, pen_tip


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader()  # on the GPU where there is one, as the app's


@pytest.fixture(scope="module")
def cpu_reader(reader) -> Reader:
    """For what only the CPU does: reading light strokes on the event loop."""
    return reader if reader.device.type == "cpu" else Reader(device="cpu")


def traced(reader: Reader, name: str, image: torch.Tensor):
    """The trace of one image by the reader's model, on its device, brought back to the CPU."""
    return trace(reader.models[name], image[None].to(reader.device)).to("cpu")


def test_models_are_loaded_once_in_eval_mode_on_the_readers_device(reader):
    assert set(reader.models) == {"LSTM", "BiLSTM"}
    assert not reader.models["LSTM"].config.bidirectional and reader.models["BiLSTM"].config.bidirectional
    for model in reader.models.values():
        assert not model.training and next(model.parameters()).device.type == reader.device.type


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_a_reader_on_a_gpu_shows_the_numbers_a_cpu_computes(digits, cpu_reader):
    """The step panel shows the trace's numbers to 4 decimals and writes out h = o tanh(c) with them:
    on a GPU they are the CPU's within 1e-4, and they add up. (On an H200, in cuDNN's default TF32,
    the LSTM's states were up to 5.9e-4 off.) Runs only where there is a GPU, not in CI."""
    on_gpu, images = Reader(device="cuda"), digits[0][:3]
    for name, model in on_gpu.models.items():
        gpu, cpu = trace(model, images.cuda()).to("cpu"), trace(cpu_reader.models[name], images)
        for field, value in vars(cpu).items():
            if value is not None:
                torch.testing.assert_close(getattr(gpu, field), value, atol=1e-4, rtol=1e-4, msg=lambda m: f"{name} {field}: {m}")
        torch.testing.assert_close(gpu.gates[..., 3, :] * gpu.cell.tanh(), gpu.hidden, atol=1e-4, rtol=0)


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts the process's threads in /proc")
@pytest.mark.parametrize("call", ["answers", "read"])
def test_a_model_run_in_another_thread_brings_no_threads_of_its_own(reader, call):
    """Gradio's, anyio's and the event loop's threads run the models. Each runs them alone: the
    LSTM's first matrix product in a new thread would otherwise make a team of OpenMP threads.
    (On a one-core machine there is no team to make, and this cannot fail.)"""
    image = torch.rand(28, 28, generator=torch.Generator().manual_seed(len(call)))  # read by nobody before
    run = {"answers": lambda: reader.answers("LSTM", [image]), "read": lambda: reader.read("LSTM", [image])}[call]
    made = {}

    def in_a_new_thread():
        before = set(os.listdir("/proc/self/task"))
        run()
        made["threads"] = set(os.listdir("/proc/self/task")) - before  # other threads may end meanwhile, none start

    thread = threading.Thread(target=in_a_new_thread)
    thread.start()
    thread.join()
    assert made["threads"] == set()


def test_reader_without_checkpoints_names_the_file(tmp_path):
    with pytest.raises(CheckpointError, match="lstm.pt: checkpoint file not found"):
        Reader(tmp_path)


@pytest.mark.parametrize("mode", ["LSTM", "BiLSTM"])
def test_every_digit_drawn_on_the_canvas_is_read_right(reader, mode):
    for digit in range(10):
        shown, value = events.draw(reader, "canvas", canvas_value(digit), mode)
        reading = value["readings"][mode]
        assert reading["digit"] == digit, f"{mode} read a drawn {digit} as {reading['digit']}"
        assert reading["full"] and value["problem"] is None and shown.image.shape == (28, 28)


def assert_within_step(encoded: dict, expected: np.ndarray) -> None:
    """Decoded codes are the trace's numbers rounded to the encoding's step, a power of ten: within
    half a step of them, and on the step's grid."""
    assert encoded["shape"] == list(expected.shape)
    step = encoded["step"]
    assert step == 10.0 ** round(math.log10(step))
    decoded = payload.decode(encoded)
    assert np.abs(decoded - expected).max() <= step / 2 + 1e-9
    assert np.abs(decoded / step - np.round(decoded / step)).max() < 1e-6


def test_lstm_payload_holds_every_state_within_its_precision(reader):
    shown, value = events.draw(reader, "canvas", canvas_value(4), "LSTM")
    sent = value["readings"]["LSTM"]
    result = traced(reader, "LSTM", shown.image)
    units = reader.models["LSTM"].config.hidden_size
    assert (sent["units"], sent["directions"], sent["cuts"]) == (units, 1, False)
    assert set(sent["states"]) == set(payload.QUANTITIES)
    assert_within_step(sent["states"]["hidden"], result.hidden[0].numpy())
    assert_within_step(sent["states"]["cell"], result.cell[0].numpy())
    for k, gate in enumerate(GATE_NAMES):
        assert_within_step(sent["states"][gate], result.gates[0, :, :, k].numpy())
        assert (sent["states"][gate]["step"], sent["states"][gate]["width"]) == (0.01, 1)  # in -1..1: two decimals, a byte
    assert_within_step(sent["image"], shown.image.numpy())
    np.testing.assert_allclose(sent["probabilities"], result.row_probabilities[0].numpy(), atol=5e-5)
    assert len(sent["importance"]) == 28 and max(sent["importance"]) > 0
    assert (sent["digit"], sent["first_led"]) == (4, first_top_row(result.row_probabilities[0].numpy()))
    size = len(json.dumps(value))
    assert size <= 64_000, f"{size} bytes"


def test_bidirectional_payload_holds_the_states_of_every_cut(reader):
    shown, value = events.draw(reader, "canvas", canvas_value(2), "BiLSTM")
    sent = value["readings"]["BiLSTM"]
    result = traced(reader, "BiLSTM", shown.image)
    assert sent["cuts"] and sent["directions"] == 2
    assert_within_step(sent["states"]["hidden"], result.cut_hidden[0].numpy()[payload.TRIANGLE])
    assert_within_step(sent["states"]["forget"], result.cut_gates[0, ..., 1, :].numpy()[payload.TRIANGLE])
    decoded = payload.decode(sent["states"]["cell"])
    for t, row in ((5, 0), (5, 5), (27, 13)):  # cut t, row s at index t * (t + 1) / 2 + s
        expected = result.cut_cell[0, t, row].numpy()
        assert np.abs(decoded[t * (t + 1) // 2 + row] - expected).max() <= sent["states"]["cell"]["step"] / 2 + 1e-9
    np.testing.assert_allclose(sent["probabilities"], result.row_probabilities[0].numpy(), atol=5e-5)
    for encoded in sent["states"].values():  # what the browser's DecompressionStream('deflate-raw') reads: no zlib header
        assert len(zlib.decompress(base64.b64decode(encoded["raw_deflate"]), -15)) == np.prod(encoded["shape"])
    size = len(json.dumps(value))
    assert size <= 256_000, f"{size} bytes"


def test_an_array_beyond_256_tenths_goes_in_16_bit_codes():
    """Codes are bytes while 256 steps of 0.01, then of 0.1, span an array; beyond that 16-bit codes
    at 0.1, and a coarser step only beyond 65,536 tenths. Plain and cut by cut alike."""
    rng = np.random.default_rng(0)
    for span, step, width in ((2, 0.01, 1), (20, 0.1, 1), (60, 0.1, 2), (20_000, 1.0, 2)):
        values = ((rng.random((406, 2, 3)) - 0.5) * span).astype(np.float32)
        for encoded in (payload.encode(values), payload.encode_cuts(values)):
            assert (encoded["step"], encoded["width"]) == (step, width), span
            assert_within_step(encoded, values)


def layout_fingerprint() -> str:
    """What explorer.js's reading of a payload depends on, as a hash: the payloads' keys and value
    types, and the bytes and scale each array is sent as (the cuts' before deflate: zlib's version
    may vary the stream, and its blocks do not change what inflates), for made-up readings of a
    one-way and a bidirectional model."""
    counter = itertools.count()
    def made_up(shape):  # -1..1 by integer arithmetic and one division: the same bits on every machine
        start = next(counter) * 10_007
        return ((np.arange(start, start + np.prod(shape)) * 7919 % 2003) / 1001 - 1).astype(np.float32).reshape(shape)
    def cells(shape):  # -40..40: 16-bit codes at 0.1
        return made_up(shape) * 40
    def reading(directions):  # the candidate gate spans -10..10 here: a byte at 0.1
        states = {name: made_up((28, directions, 3)) * (10 if name == "candidate" else 1) for name in GATE_NAMES}
        cuts = {name: made_up((28, 28, directions, 3)) * (10 if name == "candidate" else 1) for name in GATE_NAMES} if directions == 2 else None
        probabilities = made_up((28, 10)) + 1.5
        return inference.Reading(image=(made_up((28, 28)) + 1) / 2, hidden=made_up((28, directions, 3)),
                                 cell=cells((28, directions, 3)), gates=states,
                                 row_probabilities=probabilities / probabilities.sum(1, keepdims=True),
                                 importance=made_up((28,)),
                                 cut_hidden=None if cuts is None else made_up((28, 28, 2, 3)),
                                 cut_cell=None if cuts is None else cells((28, 28, 2, 3)), cut_gates=cuts)
    def kinds(value):
        if isinstance(value, dict):
            return {key: "raw_deflate" if key == "raw_deflate" else kinds(item) for key, item in sorted(value.items())}
        return [kinds(item) for item in value[:2]] if isinstance(value, list) else type(value).__name__
    seen = []
    for directions in (1, 2):
        made = reading(directions)
        assert {(encoded["step"], encoded["width"]) for encoded in payload.full(made, SimpleNamespace(
            hidden_size=3, directions=directions, num_layers=2), 0.5)["states"].values()} == {(0.01, 1), (0.1, 1), (0.1, 2)}
        config = SimpleNamespace(hidden_size=3, directions=directions, num_layers=2)
        seen += [kinds(payload.full(made, config, 0.5)), kinds(payload.light(made.image, made.row_probabilities, config, 0.5))]
        for values in payload.states(made).values():
            data, scale = payload.scaled_codes(values)
            if directions == 2:  # what encode_cuts deflates
                grid = np.zeros((28, 28, *data.shape[1:]), data.dtype)
                grid[payload.TRIANGLE] = data
                data = payload.differences(grid)[payload.NEAREST_FIRST]
            seen.append([hashlib.sha256(data.tobytes()).hexdigest(), scale])
    return hashlib.sha256(json.dumps(seen, sort_keys=True).encode()).hexdigest()


# payload.LAYOUT -> layout_fingerprint() of that layout
LAYOUTS = {1: "702e8edefb06eaf818d8be572c01b3f5678839580775dfeb9cd4634cdd15aa8d",
           2: "29ef0def38394f6399d0f47911a65d64f436a6e34b0178f658dd8c4adfa98c69",  # the cuts in raw deflate
           # steps of powers of ten, 16-bit codes (the made-up cells span -40..40 and candidates -10..10 since this layout)
           3: "1079a9b4ef2cd421b625c3098a3041260df176dc12d0dc11d81fc7e55eec6b2b"}


def test_a_change_to_the_payloads_layout_raises_its_number():
    """A page left open across an upgrade asks for a reload only if payload.LAYOUT was raised when
    the layout changed: this fails until it is, and the new layout's fingerprint recorded."""
    assert LAYOUTS.get(payload.LAYOUT) == layout_fingerprint(), \
        "the payload's layout changed: raise payload.LAYOUT, read the new layout in explorer.js, and record it in LAYOUTS"


def test_every_digits_full_payload_keeps_to_the_issues_bytes(reader):
    """Issue 9's goals: at most 64 KB for the LSTM's reading and 256 KB for the BiLSTM's with the
    states of every cut, for each of the ten digits as the canvas sends it (JSON with spaces)."""
    sizes = {name: [len(json.dumps(events.draw(reader, "canvas", canvas_value(d), name)[1])) for d in range(10)]
             for name in ("LSTM", "BiLSTM")}
    assert max(sizes["LSTM"]) <= 64_000 and max(sizes["BiLSTM"]) <= 256_000, sizes


def test_light_payload_during_a_stroke_has_the_answers_only(reader):
    drawing = {**canvas_value(7), "drawing": True}
    light = events.draw(reader, "canvas", drawing, "Both side by side")[1]
    full = events.draw(reader, "canvas", canvas_value(7), "Both side by side")[1]
    for name in ("LSTM", "BiLSTM"):
        assert not light["readings"][name]["full"] and "states" not in light["readings"][name]
        for key in ("digit", "first_led", "led_for_good", "image", "directions"):
            assert light["readings"][name][key] == full["readings"][name][key]
        np.testing.assert_allclose(light["readings"][name]["probabilities"], full["readings"][name]["probabilities"], atol=2e-4)
    assert len(json.dumps(light)) < 8_000
    assert light["layout"] == full["layout"] == payload.LAYOUT  # what the page checks before it decodes
    assert "drawing" not in light and len(full["drawing"]) == 16  # a stroke in progress is never saved: no hash
    assert events.draw(reader, "image", drawing, "LSTM")[1] == {  # only the canvas has a pen
        "layout": payload.LAYOUT, "mode": "LSTM", "nothing_drawn": False, "problem": events.prepare("image", drawing)[1],
        "readings": {}}


def test_switch_rereads_the_same_input_with_other_models(reader):
    shown = events.draw(reader, "canvas", canvas_value(8), "LSTM")[0]
    switched, value = events.switch(reader, shown, "Both side by side")
    assert switched is shown and set(value["readings"]) == {"LSTM", "BiLSTM"}
    assert value["readings"]["BiLSTM"]["digit"] == 8


def test_inspect_gives_one_units_exact_step(reader):
    shown = events.draw(reader, "canvas", canvas_value(3), "BiLSTM")[0]
    answer = events.inspect(reader, shown, {"model": "BiLSTM", "unit": 5, "id": 3})
    expected = unit_steps(reader.models["BiLSTM"], shown.image.to(reader.device), 5)
    assert (answer["model"], answer["unit"], answer["id"]) == ("BiLSTM", 5, 3)
    for name, values in expected.items():  # x, shown to 4 decimals, is sent to 4; the terms to 6
        np.testing.assert_allclose(answer[name], values.cpu().numpy(), atol=5e-5 + 1e-7 if name == "x" else 1e-6)
    assert len(json.dumps(answer["x"], separators=(",", ":"))) < 30_000  # 34 KB at 6 decimals
    units = reader.models["LSTM"].config.hidden_size
    for hostile in (None, [], "x", {"model": "GRU", "unit": 1}, {"model": "LSTM", "unit": units}, {"model": "LSTM", "unit": -1},
                    {"model": "LSTM", "unit": "3"}, {"model": "LSTM", "unit": 2.0}, {"model": "LSTM", "unit": True},
                    {"model": ["LSTM"], "unit": 1}, {"model": "__class__", "unit": 1}):
        assert events.inspect(reader, shown, hostile) is None
    assert events.inspect(reader, events.Shown(), {"model": "LSTM", "unit": 1}) is None  # nothing drawn
    assert events.inspect(reader, shown, {"model": "LSTM", "unit": 1, "id": "x"})["id"] is None
    assert events.inspect(reader, shown, {"model": "LSTM", "unit": 1, "id": 2**70})["id"] is None  # orjson's limit


def test_empty_and_cleared_canvas_say_nothing_is_drawn(reader):
    for value in (EMPTY, {"strokes": []}, None, {"size": 280, "brush": 18, "strokes": [[]]}):
        shown, sent = events.draw(reader, "canvas", value, "LSTM")
        assert sent.pop("points", 0) == 0 and shown.image is None
        assert sent == {"layout": payload.LAYOUT, "mode": "LSTM", "nothing_drawn": True, "problem": events.NOTHING_DRAWN,
                        "readings": {}}


def test_a_stroke_that_adds_no_ink_still_changes_the_explorers_value(reader):
    """The page redraws the explorer only for a value unlike the last: retracing part of a stroke
    reads the same, but its value differs (its points), so its full reading replaces the light one."""
    seven = canvas_value(7)
    retraced = {**seven, "strokes": [*seven["strokes"], seven["strokes"][0][:8]]}
    first, again = events.draw(reader, "canvas", seven, "LSTM")[1], events.draw(reader, "canvas", retraced, "LSTM")[1]
    assert first["readings"] == again["readings"] and first != again


@pytest.mark.parametrize(
    "value",
    ["not a dict", {"strokes": "abc"}, {"strokes": [[1, "x"]]}, {"strokes": [[float("nan"), 3]]}, {"size": "big"}],
)
def test_malformed_canvas_values_get_a_message(reader, value):
    shown, sent = events.draw(reader, "canvas", value, "LSTM")
    assert sent["problem"].startswith("Could not read that canvas") and not sent["nothing_drawn"] and sent["readings"] == {}


def test_strokes_image_redraws_the_strokes():
    image = strokes_image(canvas_value(1))
    ink = np.asarray(image) > 0
    assert image.size == (SIZE, SIZE) and ink.any() and ink[:, : SIZE // 3].sum() == 0
    assert strokes_image(EMPTY) is None
    assert strokes_image({"strokes": [[5000, 5000, 6000, 6000]]}) is not None  # off-canvas: drawn, nothing visible


def test_a_one_pixel_brush_far_off_the_canvas_is_drawn_on_the_canvas_only(monkeypatch):
    """PIL steps along a 1-pixel line pixel by pixel, off the image too: 2,500 segments a million
    pixels long would take seconds. They are cut to the canvas before they are drawn."""
    lengths = []
    line = ImageDraw.ImageDraw.line

    def measured(self, xy, fill=None, width=0, joint=None):
        if width == 1:
            lengths.extend(np.hypot(*np.diff(np.asarray(xy, float), axis=0).T))
        return line(self, xy, fill=fill, width=width, joint=joint)

    monkeypatch.setattr(ImageDraw.ImageDraw, "line", measured)
    far = {**EMPTY, "brush": 1, "strokes": [[-1e6, -1e6, 1e6, 1e6] * 1250]}  # 2,500 points across the canvas and back
    ink = np.asarray(strokes_image(far)) > 0
    assert len(lengths) == 2499 and max(lengths) <= SIZE * 2**0.5 + 3  # each segment as far as the canvas shows it
    assert np.array_equal(np.flatnonzero(ink), np.arange(SIZE) * (SIZE + 1))  # the diagonal, every pixel of it
    # a 1-pixel line that leaves the canvas no further than a canvas's size is drawn as PIL draws it
    monkeypatch.setattr(ImageDraw.ImageDraw, "line", line)
    strokes = [[182, 66, 91, 219, 173, 122, 135, 70, 245, 278, -300, -44, 245, 278]]
    picture, points = Image.new("L", (SIZE, SIZE)), list(zip(strokes[0][::2], strokes[0][1::2]))
    ImageDraw.Draw(picture).line(points, fill=255, width=1)
    for end in (points[0], points[-1]):
        pen_tip(ImageDraw.Draw(picture), end, 1, 255)
    assert np.array_equal(np.asarray(picture) > 0, np.asarray(strokes_image({**EMPTY, "brush": 1, "strokes": strokes})) > 0)


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


def test_every_queued_event_that_runs_a_model_shares_one_limit(reader):
    app = ui.build(reader)
    triggers = {fn: {app.blocks[block].elem_id or type(app.blocks[block]).__name__ for block, _ in fn.targets}
                for fn in app.fns.values()}
    shared = sorted(name for fn, names in triggers.items() if fn.concurrency_id == "model" for name in names)
    # classify, example, upload, a unit's exact step and a re-read (the explorer's), model; the canvas's
    # event (a stroke's end) is not queued: it runs in the live channel's slots (the next test)
    assert shared == ["Button", "Gallery", "ImageFile", "explorer", "explorer", "mode"]
    assert all(fn.concurrency_limit == MODEL_SLOTS for fn in app.fns.values() if fn.concurrency_id == "model")
    assert MODEL_SLOTS == len(os.sched_getaffinity(0))
    assert [names for fn, names in triggers.items() if not fn.queue] == [{"draw"}]  # "draw": the canvas


@contextlib.asynccontextmanager
async def full_line(slots: live.Slots):
    """`slots`, of one slot, with the slot held and one ask waiting for the block's time; both have
    run once the block ends."""
    release = threading.Event()
    running = asyncio.ensure_future(slots.run(release.wait))
    try:
        await asyncio.sleep(0.1)
        waiting = asyncio.ensure_future(slots.run(lambda: "ran"))
        await asyncio.sleep(0.1)
        yield
    finally:  # a failed check must not leave the slot's thread waiting for ever
        release.set()
    assert await running and await waiting == "ran"


def test_a_strokes_end_is_read_in_the_live_channels_slots(cpu_reader):
    """demo.live.stroke_end, the canvas's event: it takes one of the live channel's slots, like a
    live ask; when `most_waiting` already wait it is turned away at once, the explorer saying the
    server is busy and the session keeping the drawing unread, which a change of model then reads;
    with a slot, it reads in full. An empty canvas, or a value the canvas refused, is answered
    without a slot."""
    async def scenario():
        slots = live.Slots(slots=1, most_waiting=1)
        async with full_line(slots):
            shown, busy = await asyncio.wait_for(live.stroke_end(cpu_reader, canvas_value(7), "LSTM", "zh-CN", slots), timeout=5)
            assert busy["readings"] == {} and busy["problem"] == text("zh-CN", "busy_stroke_end")
            assert shown.image is None and shown.drawing == canvas_value(7)  # unread, kept for a mode switch
            assert events.switch(cpu_reader, shown, "LSTM")[1]["readings"]["LSTM"]["digit"] == 7
            shown, empty = await asyncio.wait_for(live.stroke_end(cpu_reader, EMPTY, "LSTM", "en", slots), timeout=5)
            assert shown.image is None and empty["nothing_drawn"]
            shown, refused = await asyncio.wait_for(live.stroke_end(cpu_reader, {"refused": TOO_MANY}, "LSTM", "en", slots), timeout=5)
            assert shown.image is None and refused["problem"] == f"Could not read that canvas: {TOO_MANY}"
        shown, read = await live.stroke_end(cpu_reader, canvas_value(7), "BiLSTM", "en", slots)
        assert shown.image is not None and read["readings"]["BiLSTM"]["full"] and read["readings"]["BiLSTM"]["digit"] == 7

    asyncio.run(scenario())


def test_strokes_ends_share_the_live_channels_slots_and_find_room_in_them(cpu_reader, monkeypatch):
    """live.SLOTS serves both of the canvas's channels: with half its line waiting, a live ask is
    turned away ("busy"), while a stroke's end (which keeps the session's drawing) still waits for
    a slot and is read in full."""
    read_stroke = live.stroke_route(cpu_reader).endpoint  # built before SLOTS is replaced: looked up at each ask
    monkeypatch.setattr(live, "SLOTS", live.Slots(slots=1, most_waiting=2))
    seven = {"canvas": {**canvas_value(7), "drawing": True}, "mode": "BiLSTM"}

    async def scenario():
        async with full_line(live.SLOTS):
            busy = await asyncio.wait_for(post_live(read_stroke, seven), timeout=5)
            assert busy["readings"] == {} and busy["problem"].startswith("The server is busy")
            end = asyncio.ensure_future(live.stroke_end(cpu_reader, canvas_value(7), "BiLSTM", "en"))
            await asyncio.sleep(0.2)
            assert live.SLOTS.limiter.statistics().tasks_waiting == 2  # waiting for the slot, not turned away
        shown, read = await asyncio.wait_for(end, timeout=30)
        assert shown.image is not None and read["readings"]["BiLSTM"]["full"] and read["readings"]["BiLSTM"]["digit"] == 7

    asyncio.run(scenario())


@pytest.mark.parametrize("index", [-1, 10**6, "0", True, None, 1.5, [0]])
def test_a_gallery_index_out_of_range_gets_a_message(reader, index):
    examples = gallery()
    shown, sent = events.draw_example(reader, examples, index, "LSTM")
    assert sent["problem"] == f"Could not read that image: there is no such example: pick one of the {len(examples)} shown"
    assert shown.image is None and sent["readings"] == {}
    assert events.draw_example(reader, examples, len(examples) - 1, "LSTM")[1]["readings"]["LSTM"]["digit"] == 9


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
    shown, sent = events.draw(reader, "image", upload, "LSTM")
    assert sent["problem"] == events.NOTHING_DRAWN or sent["readings"]["LSTM"]["digit"] in range(10)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_screenshots_of_either_theme_read_right(reader, theme):
    """A canvas screenshot: dark ink on a light background, or light ink on Gradio's dark grey."""
    ink, background = ((30, 30, 30, 255), (255, 255, 255, 255)) if theme == "light" else ((240, 240, 240, 255), (39, 39, 42, 255))
    for digit in (0, 1, 7):
        upload = render(digit, Style(ink=ink, background=background, width=18))
        assert events.draw(reader, "image", upload, "LSTM")[1]["readings"]["LSTM"]["digit"] == digit


def test_gallery_examples_are_read_right(reader):
    for digit, (image, caption) in enumerate(gallery()):
        assert caption == f"drawn {digit}"
        assert events.draw(reader, "image", image, "BiLSTM")[1]["readings"]["BiLSTM"]["digit"] == digit


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
    assert results[6] == {"digit": None, "nothing_drawn": False, "message": "x"}  # an unreadable request: a refused image's shape


def test_a_picture_too_large_to_read_fails_only_its_own_request(reader, monkeypatch):
    """numpy's MemoryError, reading a picture the bounds let through, is that request's message:
    the others batched with it are answered."""
    too_large = render(4)
    read = events.to_mnist

    def out_of_memory(image):
        if image is too_large:
            raise MemoryError("Unable to allocate 3.1 GiB for an array with shape (3125, 250000)")
        return read(image)

    monkeypatch.setattr(events, "to_mnist", out_of_memory)
    results = events.classify(reader, [render(7), too_large, render(0)], ["LSTM"] * 3)
    assert [results[0]["digit"], results[2]["digit"]] == [7, 0]
    assert results[1] == {"digit": None, "nothing_drawn": False, "message": "Could not read that image: Unable to allocate "
                                                                            "3.1 GiB for an array with shape (3125, 250000)"}


def test_an_answer_under_the_threshold_names_both_candidates():
    probabilities = np.array([0.01, 0.35, 0.02, 0.02, 0.02, 0.02, 0.02, 0.48, 0.03, 0.03])
    assert payload.candidates(probabilities, 0.5) == [7, 1]
    assert payload.candidates(probabilities, 0.48) == [7]


def test_every_model_has_a_threshold_from_its_card(reader):
    for name, card in reader.cards.items():
        assert reader.unsure_below[name] == card["unsure_below"] and 0.3 <= card["unsure_below"] < 1
        assert card["calibration"]["validation"]["unsure_below"] == card["unsure_below"]


def test_unsure_answers_reach_the_explorer_and_the_api(reader, monkeypatch):
    """With a threshold no answer reaches, every answer is unsure: the page's payload (light and
    full, whose candidates the status line names) and the API both say so."""
    monkeypatch.setitem(reader.unsure_below, "LSTM", 1.01)
    for value in ({**canvas_value(7), "drawing": True}, canvas_value(7)):
        readings = events.draw(reader, "canvas", value, "Both side by side")[1]["readings"]
        lstm, bilstm = readings["LSTM"], readings["BiLSTM"]
        assert lstm["digit"] == 7 and len(lstm["candidates"]) == 2 and lstm["candidates"][0] == 7
        final = lstm["probabilities"][-1]  # rounded to 4 decimals: the runner-up may tie with another digit
        assert final[lstm["candidates"][1]] == sorted(final)[-2]
        assert bilstm["digit"] == 7 and bilstm["candidates"] == [7]
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
    start = reader.cards["LSTM"]["started_from"]  # the shipped LSTM is fine-tuned: both steps are told
    assert f"Fine-tuned from a model trained for {start['training']['epochs']} epochs (best: {start['best_epoch']})" in text
    assert start["command"] in text and reader.cards["LSTM"]["command"] in text


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
        drop = reading.probabilities[9] - model(blanked[None].to(reader.device)).softmax(-1)[0, 9].item()
    assert reading.importance[12] == pytest.approx(drop, abs=1e-5)


async def post_live(read_stroke, asked: dict) -> dict:
    """The live route's function `read_stroke`, asked `asked` as Starlette asks it; its JSON answer."""
    async def receive():
        return {"type": "http.request", "body": json.dumps(asked).encode(), "more_body": False}
    request = Request({"type": "http", "method": "POST", "path": live.LIVE_PATH, "headers": [], "query_string": b""}, receive)
    return json.loads((await read_stroke(request)).body)


def test_on_a_gpu_the_live_channel_reads_nothing_on_the_event_loop(cpu_reader):
    """A GPU's reads wait on the device, so even the LSTM's cheap asks go to the slots: with no
    slot to wait for (most_waiting=0) each is turned away, where a CPU reader answers it on the loop.
    The reader only says it is on a GPU: a turned-away ask runs no model."""
    seven = {"canvas": {**canvas_value(7), "drawing": True}, "mode": "LSTM"}

    async def read_once(reader) -> dict:
        return await post_live(live.stroke_route(reader, live.Slots(slots=1, most_waiting=0)).endpoint, seven)

    on_gpu = copy.copy(cpu_reader)
    on_gpu.device = torch.device("cuda")
    assert asyncio.run(read_once(cpu_reader))["readings"]["LSTM"]["digit"] == 7
    busy = asyncio.run(read_once(on_gpu))
    assert busy["readings"] == {} and busy["problem"].startswith("The server is busy")


def test_lead_rows_say_when_the_answer_first_led_and_when_for_good():
    rows = np.full((28, 10), 0.1)
    rows[:, 1] = 0.2
    rows[15:, 4] = 0.5
    assert first_top_row(rows) == 15 and lead_rows(rows) == (15, 15)
    rows[5:9, 4] = 0.5  # led at row 5, lost the lead at 9, led again from 15
    assert lead_rows(rows) == (5, 15)
    rows[:, 4] = 0.5
    assert lead_rows(rows) == (0, 0)


def test_a_drawing_read_lately_is_answered_from_memory_and_the_memory_is_bounded(reader, monkeypatch):
    reader.recent.clear()  # other tests read the same drawings
    image = events.canvas_input(canvas_value(4))
    first = reader.read("LSTM", [image])[0]
    reads = []
    real_read = inference._read
    monkeypatch.setattr(inference, "_read", lambda *args: reads.append(len(args[1])) or real_read(*args))
    assert reader.read("LSTM", [image.clone()])[0] is first and reads == []
    both = reader.read("BiLSTM", [image, image.flip(0)])  # another model, another drawing: read, in one call
    assert reads == [2] and both[0].digit == 4
    with pytest.raises(ValueError, match="read-only"):
        first.hidden[0, 0, 0] = 1.0  # one session cannot change what another is shown
    for _ in range(inference.RECENT_READINGS):
        reader.read("LSTM", [torch.rand(28, 28)])
    assert len(reader.recent) == inference.RECENT_READINGS
    reader.read("LSTM", [image])
    assert reads[-1] == 1 and len(reads) == 2 + inference.RECENT_READINGS  # the first drawing was forgotten


def test_a_canvas_value_seen_lately_is_not_redrawn(monkeypatch):
    value = canvas_value(3)
    first = events.canvas_input(value)
    drawn = []
    monkeypatch.setattr(events, "strokes_ink", lambda v: drawn.append(v) or strokes_ink(v))
    assert events.canvas_input(json.loads(json.dumps(value))) is first and drawn == []
    long_value = {**value, "strokes": [[100.123456, 120.654321] * 400] * 10}  # too long to keep: drawn every time
    assert events.canvas_input(long_value) is not events.canvas_input(long_value) and len(drawn) == 2
    with pytest.raises(ValueError, match="must be numbers"):  # not kept, not hidden by the memory
        events.canvas_input({**value, "strokes": [[1, 2, float("nan"), 4]]})


def test_the_canvas_is_read_from_the_part_its_strokes_cover_with_the_same_input():
    """events.canvas_input reads the strokes as ink cut to their box (strokes_ink): the 28x28 input
    is exactly that of the whole canvas read as a picture, for every send of every digit while it
    is drawn, on the page's canvas and on larger and smaller ones."""
    values = [value for digit in range(10) for _, value in pen_ticks(digit)]
    values += [{"size": size, "brush": 18 * size / SIZE, "strokes": [[c * size / SIZE for c in s] for s in value["strokes"]]}
               for size in (200, 333, 560) for value in values[::7]]
    values += [{"strokes": [[0, 0, 279, 279]]}, {"strokes": [[-50, 140, 400, 140]]}, {"strokes": [[140, 140]]}]
    for value in values:
        assert strokes_ink(value).size < SIZE * SIZE or value["strokes"] == [[0, 0, 279, 279]]
        expected = to_mnist(strokes_image(value))
        assert torch.equal(events._canvas_input(value), expected), value
    assert strokes_ink({"strokes": [[5000, 5000, 6000, 6000]]}).max() == 0  # off the canvas: drawn, nothing visible
    assert events._canvas_input({"strokes": [[5000, 5000, 6000, 6000]]}) is None


def test_a_hostile_canvas_size_or_brush_is_drawn_at_the_canvas_size():
    """A value may claim a 2,048 px canvas and a huge brush: it is redrawn at SIZE pixels with a
    brush of at most an eighth of it, so a stroke costs what a drawing costs, and it is still read."""
    large = {"size": 2048, "brush": 10**6, "strokes": [[x * 2048 / SIZE for x in s] for s in canvas_value(7)["strokes"]]}
    image = strokes_image(large)
    assert image.size == (SIZE, SIZE)
    ink = np.asarray(image) > 0
    assert 0 < ink.mean() < 0.9  # a brush of SIZE/8 at most, not one that paints the whole canvas
    assert events.canvas_input({**large, "brush": 18 * 2048 / SIZE}).shape == (28, 28)


def test_the_live_channel_is_bounded_like_the_queue(cpu_reader):
    """demo.live: at most `slots` asks run at once; when `most_waiting` already wait (on the event
    loop, holding no thread), the next is turned away at once with a 'busy' answer; a slot given
    back lets the waiting one in. The LSTM's reading of a stroke of up to INLINE_POINTS points takes
    no slot: it is answered on the event loop. Only strokes in progress are read there, and only light."""
    seven = {"canvas": {**canvas_value(7), "drawing": True}, "mode": "BiLSTM"}

    async def scenario():
        slots = live.Slots(slots=1, most_waiting=1)
        read_stroke = live.stroke_route(cpu_reader, slots).endpoint
        async with full_line(slots):
            busy = await asyncio.wait_for(post_live(read_stroke, seven), timeout=5)
            assert busy["readings"] == {} and busy["problem"].startswith("The server is busy")
            # The LSTM alone on few points is answered on the event loop, needing no slot; on more, it is not.
            lstm = await asyncio.wait_for(post_live(read_stroke, {**seven, "mode": "LSTM"}), timeout=5)
            assert lstm["readings"]["LSTM"]["digit"] == 7
            many = {**seven["canvas"], "strokes": seven["canvas"]["strokes"] + [[5, 5] * (live.INLINE_POINTS + 1)]}
            busy = await asyncio.wait_for(post_live(read_stroke, {"canvas": many, "mode": "LSTM"}), timeout=5)
            assert busy["readings"] == {} and busy["problem"].startswith("The server is busy")
        light = await post_live(read_stroke, seven)
        assert light["readings"]["BiLSTM"]["digit"] == 7 and not light["readings"]["BiLSTM"]["full"]
        lifted = await post_live(read_stroke, {**seven, "canvas": canvas_value(7)})  # no `drawing: true`
        assert lifted["readings"] == {} and "a live reading needs" in lifted["problem"]

    asyncio.run(scenario())


def test_live_asks_that_come_together_are_read_in_one_call_with_each_ones_own_answers(cpu_reader):
    """demo.live.AnswerBatch: while few asks come, each is read at once, by itself; while `busy`
    or more came in the last 0.1 s, asks wait for each other and one call of the LSTM reads them
    (at most `most` at a time), each getting the answers a read of its drawing alone gives. An ask
    cancelled while it waits spoils none of the others, and a read that fails leaves none waiting.
    The live route reads each of its asks once."""
    sizes = []
    reader = copy.copy(cpu_reader)

    def answers(name, images):
        sizes.append(len(images))
        if any(image.isnan().any() for image in images):
            raise RuntimeError("a read that fails")
        return cpu_reader.answers(name, images)

    reader.answers = answers
    images = [events.canvas_input({**canvas_value(digit), "drawing": True}) for digit in range(10)]
    alone = [cpu_reader.answers("LSTM", [image])[0] for image in images]
    now = [100.0]

    async def scenario():
        batch = live.AnswerBatch(reader, live.LoopBudget(), busy=2, window=2.0, most=4, clock=lambda: now[0])
        first = await asyncio.wait_for(batch.answers(images[0]), 1)  # a wait would take 2 s
        assert sizes == [1]
        now[0] += 0.05  # the second ask in 0.1 s: the asks wait for each other
        together = await asyncio.wait_for(asyncio.gather(*[batch.answers(image) for image in images[:6]]), 5)
        assert sizes == [1, 4, 2]  # four at once (most), then the two left when the window closed
        for got, own in zip([first, *together], [alone[0], *alone[:6]]):
            assert got.argmax(-1).tolist() == own.argmax(-1).tolist() and np.allclose(got, own, atol=1e-5)
        gone = asyncio.ensure_future(batch.answers(images[7]))
        kept = asyncio.ensure_future(batch.answers(images[8]))
        await asyncio.sleep(0)
        gone.cancel()
        assert np.allclose(await asyncio.wait_for(kept, 5), alone[8], atol=1e-5) and sizes[-1] == 2 and gone.cancelled()
        failed = await asyncio.wait_for(asyncio.gather(batch.answers(images[9]), batch.answers(torch.full((28, 28), torch.nan)),
                                                       return_exceptions=True), 5)
        assert [type(error) for error in failed] == [RuntimeError, RuntimeError]
        now[0] += 0.2  # nobody asked for 0.2 s: alone again
        await asyncio.wait_for(batch.answers(images[1]), 1)
        sizes.clear()
        seven = {"canvas": {**canvas_value(7), "drawing": True}, "mode": "LSTM"}
        assert (await post_live(live.stroke_route(reader).endpoint, seven))["readings"]["LSTM"]["digit"] == 7
        assert sizes == [1]

    asyncio.run(scenario())


def test_reads_on_the_event_loop_take_at_most_their_share_of_each_second(cpu_reader):
    """A flood of cheap asks: once LoopBudget's share of the second is spent on the event loop,
    the next ask goes to the slots (here: they turn every ask away, most_waiting=0, so it is
    answered "busy") until the next second. The budget's clock and timer are the test's: an ask
    reads twice on the loop (its input, then its answers), each read taking 0.02 s of a 0.1 s
    share, however fast this machine reads."""
    seven = {"canvas": {**canvas_value(7), "drawing": True}, "mode": "LSTM"}
    now, timer = [100.2], itertools.count(0, 0.02)  # LoopBudget.run reads the timer twice a read

    async def scenario():
        slots = live.Slots(slots=1, most_waiting=0)
        loop = live.LoopBudget(share=0.1, clock=lambda: now[0], timer=lambda: next(timer))
        read_stroke = live.stroke_route(cpu_reader, slots, loop).endpoint

        async def read_some(count):
            return [bool((await post_live(read_stroke, seven))["readings"]) for _ in range(count)]

        assert await read_some(5) == [True, True, True, False, False]  # 0.12 s spent: the rest turned away
        now[0] = 100.9
        assert await read_some(2) == [False, False]  # the same second: still spent
        now[0] = 101.0
        assert await read_some(4) == [True, True, True, False]  # a new second, a new share

    asyncio.run(scenario())


def drawn_whole(value) -> np.ndarray:
    """The canvas value drawn from nothing, every stroke whole, as strokes_image must draw it: at
    most LARGEST pixels a side, with a brush of at most an eighth of the canvas."""
    scale = min(1.0, LARGEST / value["size"])
    brush = min(value["brush"], value["size"] / 8) * scale
    image = Image.new("L", (round(value["size"] * scale),) * 2, 0)
    for stroke in value["strokes"]:
        pen_stroke(ImageDraw.Draw(image), [(x * scale, y * scale) for x, y in zip(stroke[0::2], stroke[1::2])], brush, 255)
    return np.asarray(image)


@pytest.mark.parametrize("size, brush", [(SIZE, BRUSH), (SIZE, 1), (SIZE, 3), (SIZE, 7), (2048, 130), (100, 9)])
def test_a_drawing_in_progress_is_drawn_from_memory_with_the_same_pixels(monkeypatch, size, brush):
    """While the pen moves, each send draws only the points it adds to the last send's drawing
    (demo.canvas.DrawingsInProgress), and its pixels equal the whole drawing drawn afresh: for
    three people drawing at once, sends in their order; a last stroke undone and drawn again
    another way from the same first point; two hands whose strokes start at the same points; a
    wild hand. With pens too thin for joints (under 5 px), with joints but no gap lines (5 to 8
    px) and both, on canvases read at their size and scaled down."""
    monkeypatch.setattr(canvas, "IN_PROGRESS", canvas.DrawingsInProgress())
    lines = []
    monkeypatch.setattr(canvas, "pen_line", lambda draw, points, *rest: lines.append(len(points)) or pen_line(draw, points, *rest))

    def on_canvas(strokes: list, drawing: bool = True) -> dict:
        return {"size": size, "brush": brush, "strokes": [[c * size / SIZE for c in s] for s in strokes], "drawing": drawing}

    hands = [[on_canvas(value["strokes"], value["drawing"]) for _, value in pen_ticks(digit, random.Random(digit))]
             for digit in (8, 4, 5)]
    together = [value for values in itertools.zip_longest(*hands) for value in values if value]
    for value in together:
        assert np.array_equal(np.asarray(strokes_image(value)), drawn_whole(value))
    points = sum(len(value["strokes"][-1]) // 2 for value in together)
    assert sum(lines) < points / 3  # most sends drew only their new points, not the whole stroke again

    eight = hands[0][-2]["strokes"]  # the 8's last send with the pen down
    again = eight[-1][:2] + [c + 9 for c in eight[-1][2:24]]
    tricky = [on_canvas([*eight[:-1], again[:n]]) for n in range(2, len(again) + 1, 2)]
    twin = [{**value, "strokes": [s[:2] + [c + 5 for c in s[2:]] for s in value["strokes"]]} for value in hands[1]]
    tricky += [value for pair in zip(hands[1], twin) for value in pair]
    two = [value for value in hands[0] if len(value["strokes"]) > 1]  # the same last stroke after other ones
    other = [{**value, "strokes": [[c + 30 for c in s] for s in value["strokes"][:-1]] + value["strokes"][-1:]} for value in two]
    tricky += [value for pair in zip(two, other) for value in pair]
    rng = random.Random(3)  # sharp turns, points repeated, off the canvas
    zigzag = [c for _ in range(60) for c in (rng.choice([100, 140, 141, 300, -20]), rng.choice([100, 100.5, 160, 5]))]
    tricky += [on_canvas([zigzag[:n]]) for n in range(2, len(zigzag) + 1, 2)]
    for value in tricky:
        assert np.array_equal(np.asarray(strokes_image(value)), drawn_whole(value))
    assert two and other  # the 8 has two strokes


def test_only_drawings_in_progress_are_remembered(monkeypatch):
    """A stroke's end, an undo or a correction is not drawn on again: DrawingsInProgress keeps
    only values sent while the pen is down."""
    monkeypatch.setattr(canvas, "IN_PROGRESS", canvas.DrawingsInProgress())
    strokes_image({**canvas_value(7), "drawing": False})
    strokes_image(canvas_value(4))
    assert len(canvas.IN_PROGRESS.kept) == 0
    strokes_image({**canvas_value(7), "drawing": True})
    assert len(canvas.IN_PROGRESS.kept) == 1
