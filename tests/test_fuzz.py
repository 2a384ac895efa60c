"""Over a thousand hostile inputs through every entry point: each gets a result or a clear
message, no exception escapes, and a normal drawing is read right after the barrage."""

import io
import json
import random
import socket
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from gradio_client import handle_file
from torchvision.datasets.folder import IMG_EXTENSIONS

from benchmarks.app_speed import api_client, canvas_value
from benchmarks.local_app import local_app
from demo import events
from demo.guard import NOT_UPLOADED, WRONG_COUNT
from demo.inference import Reader
from demo.sketches import Style, render
from tests import fuzz, raw
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
    assert by_name["seven.eps"]["message"].endswith("not a readable image file: it must be PNG, JPEG, GIF, BMP, WEBP, TIFF")
    assert by_name["seven-I16.tiff"]["digit"] == 7 and by_name["seven-F.tiff"]["digit"] == 7
    client = api_client(app_url)
    for value in filter(json_compliant, fuzz.canvas_values(random.Random(3), 60)):
        assert_read(client.predict(value, "LSTM", api_name="/stroke"))
        pen_down = {**value, "drawing": True} if isinstance(value, dict) else value
        answer = raw.live(app_url, {"canvas": pen_down, "mode": "BiLSTM"})
        assert answer.status == 200, (value, answer)
        assert_read(answer.data)
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


class Listener:
    """A socket on loopback that records every connection made to it (and answers none)."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.connections = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                connection, address = self.socket.accept()
            except OSError:
                return
            self.connections.append(address)
            connection.close()


@pytest.fixture(scope="module")
def guarded_app(tmp_path_factory):
    """`python app.py` with a cache folder of its own, whose every outbound HTTP request reaches
    `listener`: directly for loopback URLs (the app's own start-up check among them, which is why
    loopback is not proxied), through the proxy settings for any other host (Gradio asks dns.google
    about a host it will not fetch from, and fetches from whitelisted ones)."""
    cache = tmp_path_factory.mktemp("cache")
    listener = Listener()
    proxy = {name: listener.url for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")}
    with local_app(env={"GRADIO_TEMP_DIR": str(cache), **proxy, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}) as (url, _):
        yield url, cache, listener


def cache_files(cache: Path) -> list[Path]:
    return sorted(path for path in cache.rglob("*") if path.is_file())


def png(digit: int) -> bytes:
    with io.BytesIO() as out:
        render(digit, Style(canvas=(300, 300), width=20)).save(out, format="PNG")
        return out.getvalue()


def test_the_api_refuses_every_attack_alone_and_in_batches(guarded_app, tmp_path):
    url, cache, listener = guarded_app
    outside = tmp_path / "seven.png"  # a readable 7 the server may not open: not an upload
    outside.write_bytes(png(7))
    link = cache / "planted" / "seven.png"  # inside the upload folder, pointing out of it
    link.parent.mkdir()
    link.symlink_to(outside)
    uploads = {digit: raw.upload(url, f"{digit}.png", png(digit)) for digit in range(10)}
    attacks = fuzz.classify_attacks(outside, link, listener.url) + fuzz.unknown_models(uploads[7])
    before, connections = cache_files(cache), len(listener.connections)

    # Each attack alone, in plain HTTP: its own clear answer, naming no server path.
    for data, expected in attacks:
        answer = raw.call(url, "classify", data)
        assert answer.event == "complete" and expected in answer.text, (data, answer)
        result = answer.data[0]
        if expected.startswith("unknown model"):
            assert set(result) == {"error"}, (data, result)
        else:  # the shape the README gives a refused image, so that a caller's result["digit"] works
            assert result["digit"] is None and result["nothing_drawn"] is False and expected in result["message"], (data, result)
        for place in (str(cache), str(tmp_path), "/etc", "/proc", "/dev", "checkpoints", "huggingface"):
            assert place not in answer.text, (data, answer)
    short = raw.call(url, "classify", [uploads[7]])
    assert short.status == 400 and short.data["detail"] == WRONG_COUNT.format(2, 1)
    assert raw.call(url, "classify", []).data["detail"] == WRONG_COUNT.format(2, 0)

    # Bursts of 8 good and 8 bad requests sent together, so that they share batches: every good
    # one is answered right, every bad one gets its own message.
    bad = attacks + [([uploads[1]], WRONG_COUNT.format(2, 1))]
    for burst in range(3):
        good = [([uploads[d], ["LSTM", "BiLSTM"][d % 2]], d) for d in random.Random(burst).sample(range(10), 8)]
        chosen = random.Random(burst).sample(bad, 8)
        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(lambda request: raw.call(url, "classify", request[0]), good + chosen))
        for (data, digit), answer in zip(good, answers):
            assert answer.event == "complete" and answer.data[0]["digit"] == digit, (burst, data, answer)
        for (data, expected), answer in zip(chosen, answers[8:]):
            assert expected in answer.text, (burst, data, answer)

    # The same through gradio_client: a path dict, and a URL as handle_file gives it.
    client = api_client(url)
    assert NOT_UPLOADED in client.predict({"path": str(outside)}, "LSTM", api_name="/classify")["message"]
    assert NOT_UPLOADED in client.predict(handle_file(f"{listener.url}/seven.png"), "LSTM", api_name="/classify")["message"]

    # Nothing was fetched, nothing written to the cache; no way round the queue; still reads right.
    assert len(listener.connections) == connections, listener.connections
    assert cache_files(cache) == before
    assert raw.call(url, "classify", [uploads[7], "LSTM"]).data[0]["digit"] == 7
    assert "unknown model" in client.predict(handle_file(str(outside)), "GRU", api_name="/classify")["error"]
    assert client.predict(handle_file(str(outside)), "BiLSTM", api_name="/classify")["digit"] == 7  # uploaded now
    run = raw.urllib.request.Request(f"{url}gradio_api/run/classify", data=b'{"data": [null, "LSTM"]}',
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(raw.urllib.error.HTTPError, match="404"):
        raw.urllib.request.urlopen(run, timeout=30)


def test_the_canvas_event_refuses_values_over_its_bounds(guarded_app):
    url, _, _ = guarded_app
    for value, problem in fuzz.over_bounds():
        answer = raw.call(url, "stroke", [value, "LSTM"])
        assert answer.event == "complete" and answer.data[1]["problem"] == f"Could not read that canvas: {problem}", value
        assert answer.data[1]["readings"] == {}
        pen_down = {**value, "drawing": True} if isinstance(value, dict) else value
        answer = raw.live(url, {"canvas": pen_down, "mode": "LSTM"})  # the explorer's live channel: the same bounds
        assert answer.status == 200 and answer.data["problem"] == f"Could not read that canvas: {problem}", value
        assert answer.data["readings"] == {}
        answer = raw.run(url, "stroke", [value, "LSTM"])  # as the page sends it: outside the queue
        assert answer.status == 200 and answer.data[1]["problem"] == f"Could not read that canvas: {problem}", value
        assert answer.data[1]["readings"] == {}
    with raw.urllib.request.urlopen(f"{url}config", timeout=30) as response:
        classify = next(fn["id"] for fn in json.load(response)["dependencies"] if fn.get("api_name") == "classify")
    for body, status, says in ((b"not json", 422, "JSON decode error"), (b'{"data": "not a list"}', 422, "valid list"),
                               (b'{"data": [1, 2, 3, 4, 5]}', 500, "not in the list of choices"),
                               (b"[" * 100_000, 400, "error parsing the body"),
                               (json.dumps({"data": [canvas_value(7), "LSTM"], "fn_index": classify}).encode(), 404, "join the queue")):
        answer = raw.run(url, "stroke", body=body)  # Gradio's own answers, naming no path
        assert answer.status == status and says in answer.data and "Traceback" not in answer.data, body[:30]
    assert raw.call(url, "stroke", [canvas_value(7), "BiLSTM"]).data[1]["readings"]["BiLSTM"]["digit"] == 7
    assert raw.run(url, "stroke", [canvas_value(7), "BiLSTM"]).data[1]["readings"]["BiLSTM"]["digit"] == 7
