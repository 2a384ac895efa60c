"""Over a thousand hostile inputs through every entry point: each gets a result or a clear
message, no exception escapes, and a normal drawing is read right after the barrage."""

import json
import random
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from gradio_client import handle_file
from torchvision.datasets.folder import IMG_EXTENSIONS

from benchmarks.app_speed import api_client, canvas_value
from demo import events
from demo.inference import Reader
from tests import fuzz
from tests.conftest import CHECKPOINTS, REPO

@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader()


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory) -> list:
    return fuzz.files(tmp_path_factory.mktemp("hostile"), random.Random(2), 200)


def json_compliant(value) -> bool:
    """Whether a client can send it: JSON has no NaN or infinity (the demo functions get those)."""
    try:
        json.dumps(value, allow_nan=False)
    except ValueError:
        return False
    return True


def assert_read(value: dict) -> None:
    """The explorer's payload: each model's reading of a digit, or no reading and a clear message why."""
    if not value["readings"]:
        assert value["problem"] == events.NOTHING_DRAWN or value["problem"].startswith("Could not read that"), value
    else:
        assert value["problem"] is None and all(r["digit"] in range(10) for r in value["readings"].values())


def assert_answered(result: list) -> None:
    """What one event returned: a Shown, then the explorer's payload."""
    shown, value = result
    assert (shown.image is None) == (not value["readings"])
    assert_read(value)


def assert_classified(result: dict) -> None:
    assert isinstance(result, dict), result
    if result["digit"] is None:
        assert isinstance(result["message"], str) and result["message"], result
    else:
        assert result["digit"] in range(10) and len(result["row_probabilities"]) == 28


def test_demo_functions_answer_every_hostile_input(reader, hostile_files):
    rng = random.Random(1)
    inputs = ([("canvas", value) for value in fuzz.canvas_values(rng, 300)]
              + [("image", value) for value in fuzz.images(rng, 300)]
              + [("image", str(path)) for path in hostile_files])
    assert len(inputs) >= 800
    modes = list(events.MODES)
    readable = 0
    for i, (source, value) in enumerate(inputs):
        if source == "canvas" and i % 3 == 0 and isinstance(value, dict):
            value = {**value, "drawing": True}  # a stroke in progress: the light reading
        result = events.draw(reader, source, value, modes[i % len(modes)])
        assert_answered(result)
        readable += result[0].image is not None
        assert_answered(events.switch(reader, result[0], modes[(i + 1) % len(modes)]))
    assert 50 < readable < len(inputs)  # the barrage holds both drawings and junk
    for start in range(0, len(inputs), 16):
        batch = [value for source, value in inputs[start : start + 16] if source == "image"]
        for result in events.classify(reader, batch, ["LSTM", "BiLSTM"] * 8):
            assert_classified(result)
    assert events.draw(reader, "canvas", canvas_value(7), "Both side by side")[1]["readings"]["BiLSTM"]["digit"] == 7


def test_the_api_answers_every_hostile_upload_and_canvas(app_url, hostile_files):
    sessions = threading.local()

    def classify(number, path):
        # One client per sender, as people are: a gradio_client Client with several events in
        # flight at once can lose an answer to a CancelledError (see the README).
        if not hasattr(sessions, "client"):
            sessions.client = api_client(app_url)
        return sessions.client.predict(handle_file(str(path)), ["LSTM", "BiLSTM"][number % 2], api_name="/classify")

    with ThreadPoolExecutor(8) as pool:  # together, so that bad files share batches with good ones
        uploads = list(pool.map(classify, range(len(hostile_files)), hostile_files))
    for result in uploads:
        assert_classified(result)
    by_name = {path.name: result for path, result in zip(hostile_files, uploads)}
    assert "megapixels" in by_name["bomb.png"]["message"] and "megapixels" in by_name["past-bound.png"]["message"]
    assert "not a readable image file" in by_name["text.png"]["message"]
    assert by_name["seven-I16.tiff"]["digit"] == 7 and by_name["seven-F.tiff"]["digit"] == 7
    client = api_client(app_url)
    for value in filter(json_compliant, fuzz.canvas_values(random.Random(3), 60)):
        assert_read(client.predict(value, "LSTM", api_name="/stroke"))
    assert client.predict(canvas_value(7), "BiLSTM", api_name="/stroke")["readings"]["BiLSTM"]["digit"] == 7
    seven_file = next(path for path in hostile_files if path.name == "seven-RGB.png")
    assert client.predict(handle_file(str(seven_file)), "LSTM", api_name="/classify")["digit"] == 7


def test_evaluate_reports_every_hostile_file(tmp_path, hostile_files):
    folder = tmp_path / "drawings"
    for i, path in enumerate(hostile_files):
        (folder / str(i % 10)).mkdir(parents=True, exist_ok=True)
        (folder / str(i % 10) / path.name).write_bytes(path.read_bytes())
    done = subprocess.run([sys.executable, "-m", "model.evaluate", "--checkpoint", str(CHECKPOINTS["lstm"]),
                           "--images", str(folder), "--json"], cwd=REPO, capture_output=True, text=True, timeout=600,
                          check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["images_count"] == sum(path.suffix in IMG_EXTENSIONS for path in hostile_files)  # not .gif
    wrong = {entry["path"].rsplit("/", 1)[-1]: entry for entry in result["images_wrong"]}
    assert "megapixels" in wrong["bomb.png"]["problem"] and "not a readable" in wrong["empty.png"]["problem"]
    for entry in wrong.values():
        assert entry["predicted"] in range(10) or entry["problem"], entry
