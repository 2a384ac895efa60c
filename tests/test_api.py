"""The app as programs use it: `python app.py`, then gradio_client against the classify endpoint."""

import json
import os
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from benchmarks.app_speed import api_client, canvas_value
from demo import live
from demo.sketches import Style, render
from tests import raw
from tests.conftest import REPO


@pytest.fixture(scope="module")
def client(app_url) -> Client:
    return api_client(app_url)


@pytest.fixture(scope="module")
def drawings(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("drawings")
    files = {}
    for digit in (0, 1, 7):
        files[digit] = folder / f"{digit}.png"
        render(digit, Style(canvas=(500, 400), width=10, slant=0.1)).save(files[digit])
    files["blank"] = folder / "blank.png"
    Image.new("RGB", (300, 300), "white").save(files["blank"])
    files["palette"] = folder / "palette.png"
    render(1, Style(mode="P", ink=(200, 0, 0, 255))).save(files["palette"])
    files["jpeg"] = folder / "seven.jpg"
    render(7, Style(mode="RGB", background=(30, 30, 30, 255), ink=(250, 250, 250, 255))).save(files["jpeg"], quality=70)
    return files


@pytest.mark.parametrize("model", ["LSTM", "BiLSTM"])
def test_classify_reads_drawings(client, drawings, model):
    for digit in (0, 1, 7):
        result = client.predict(handle_file(str(drawings[digit])), model, api_name="/classify")
        assert result["digit"] == digit and result["model"] == model
        assert result["unsure"] is False and result["candidates"] == [digit]
        assert len(result["probabilities"]) == 10 and sum(result["probabilities"]) == pytest.approx(1, abs=1e-4)
        assert len(result["row_probabilities"]) == 28 and all(len(row) == 10 for row in result["row_probabilities"])
        json.dumps(result)


def test_classify_reads_palette_and_jpeg_uploads(client, drawings):
    assert client.predict(handle_file(str(drawings["palette"])), "LSTM", api_name="/classify")["digit"] == 1
    assert client.predict(handle_file(str(drawings["jpeg"])), "BiLSTM", api_name="/classify")["digit"] == 7


def raw_classify(http: httpx.Client, content: bytes, model: str) -> dict | None:
    """One classify call as plain HTTP: upload the file, call the endpoint, read its event stream;
    None when the call is refused (an error event)."""
    [path] = http.post("gradio_api/upload", files={"files": ("drawing.png", content)}).json()
    call = http.post("gradio_api/call/classify",
                     json={"data": [{"path": path, "meta": {"_type": "gradio.FileData"}}, model]})
    stream = http.get(f"gradio_api/call/classify/{call.json()['event_id']}").text
    if "event: complete" not in stream:
        assert "event: error" in stream, stream
        return None
    return json.loads(stream.split("event: complete\ndata: ", 1)[1].splitlines()[0])[0]


def test_the_unsure_flag_over_raw_http(app_url, drawings):
    with httpx.Client(base_url=app_url, timeout=60) as http:
        sure = raw_classify(http, drawings[7].read_bytes(), "BiLSTM")
        assert sure is not None and sure["digit"] == 7 and sure["unsure"] is False and sure["candidates"] == [7]
        # Neither junk, a blank page, nor an unknown model gets an answer, sure or unsure.
        for content, model in [(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "LSTM"),
                               (drawings["blank"].read_bytes(), "LSTM"),
                               (drawings[7].read_bytes(), "LSTM'; unsure=true")]:
            result = raw_classify(http, content, model)
            assert result is None or ("unsure" not in result and "candidates" not in result and result.get("digit") is None)


def test_blank_image_is_a_clear_value_not_an_error(client, drawings):
    result = client.predict(handle_file(str(drawings["blank"])), "LSTM", api_name="/classify")
    assert result["digit"] is None and result["nothing_drawn"] is True and "Nothing drawn" in result["message"]


def test_simultaneous_requests_are_all_answered(app_url, drawings):
    digits = [0, 1, 7] * 6
    clients = [api_client(app_url) for _ in digits]  # 18 people, each with a session
    with ThreadPoolExecutor(len(digits)) as pool:
        jobs = [pool.submit(client.predict, handle_file(str(drawings[d])), "BiLSTM", api_name="/classify")
                for client, d in zip(clients, digits)]
        assert [job.result(timeout=60)["digit"] for job in jobs] == digits


def test_app_refuses_to_start_on_a_corrupt_checkpoint(tmp_path):
    (tmp_path / "lstm.pt").write_bytes(b"not a checkpoint at all")
    done = subprocess.run([sys.executable, "app.py"], cwd=REPO, env={"ROWSCAN_CHECKPOINTS": str(tmp_path), "PATH": ""},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "lstm.pt" in lines[0] and "python -m model.train" in lines[0]


def test_the_readme_example_runs(app_url, tmp_path, monkeypatch, capsys):
    readme = (REPO / "README.md").read_text()
    example = readme.split("```python\n", 1)[1].split("```", 1)[0]
    assert 'api_name="/classify"' in example
    render(7, Style(width=14)).save(tmp_path / "my_digit.png")
    monkeypatch.chdir(tmp_path)
    exec(example.replace("http://127.0.0.1:7860/", app_url), {})
    digit, probability = capsys.readouterr().out.strip().splitlines()[-2].split()[:2]  # after "Loaded as API"
    assert digit == "7" and 0.5 < float(probability) <= 1


def test_uploads_over_10_mb_are_refused_with_a_clear_message(app_url, client, tmp_path):
    big = tmp_path / "big.png"
    big.write_bytes(os.urandom(11_000_000))
    with pytest.raises(ValueError, match="exceeds the maximum file size"):  # gradio_client checks first
        client.predict(handle_file(str(big)), "LSTM", api_name="/classify")
    response = httpx.post(app_url + "gradio_api/upload", files={"files": ("big.png", big.read_bytes())})
    assert response.status_code == 413 and "maximum allowed size" in response.text


def sse_result(response_text: str) -> list[dict]:
    """The JSON messages of a server-sent event stream."""
    return [json.loads(line[6:]) for line in response_text.splitlines() if line.startswith("data: ") and line[6:] != "null"]


def test_stroke_and_the_explorers_inspect_answer_hostile_raw_http(app_url):
    """Raw HTTP, as an attacker sends it: the stroke endpoint and the explorer's private 'inspect'
    event (asked by the page with a model and a unit) answer junk without failing, and the next
    drawing is read right."""
    hostile = ["x", None, 7, {"strokes": "abc", "drawing": True}, {"strokes": [[1, 2, 3, 4]], "drawing": "yes"},
               {"strokes": [[1e308, 5, 6, 7]], "size": 10**9, "drawing": True}]
    with httpx.Client(base_url=app_url, timeout=60) as http:
        for value in hostile:
            event = http.post("gradio_api/call/stroke", json={"data": [value, "LSTM"]}).json()["event_id"]
            messages = http.get(f"gradio_api/call/stroke/{event}").text
            assert "event: complete" in messages, messages
            answer = sse_result(messages)[-1][-1]  # the outputs are [the session's state (null here), the explorer]
            if answer["readings"]:  # a tiny stroke is a drawing; only `drawing: true` asks for the light reading
                assert answer["readings"]["LSTM"]["full"] is (value["drawing"] is not True)
            else:
                assert answer["nothing_drawn"] or answer["problem"].startswith("Could not read"), answer
        config = http.get("config").json()
        inspect = next(d for d in config["dependencies"] if any(t[1] == "inspect" for t in d["targets"]))
        session = "attacker0001"
        requests = [{"model": "LSTM", "unit": 10**12}, {"model": {"$gt": 1}, "unit": 1}, {"unit": -5}, "unit",
                    None, [1, 2], {"model": "LSTM", "unit": 3}]  # the last is fine, but nothing is drawn
        for asked in requests:
            done = raw.queued(app_url, inspect, [None], session, event_data=asked)
            assert done["success"], done
            assert done["output"]["data"][0].get("props", {}).get("steps") is None  # Gradio drops None props
        # 'reread' (a drawing came back for another mode than the radio's): the radio's value is what
        # counts, whatever the event's data; Gradio refuses a value the radio does not offer but null.
        reread = next(d for d in config["dependencies"] if any(t[1] == "reread" for t in d["targets"]))
        stroke = next(d for d in config["dependencies"] if d.get("api_name") == "stroke")
        assert raw.queued(app_url, stroke, [canvas_value(7), "LSTM"], "rereader0001")["success"]
        for mode in ("GRU", ["LSTM"]):
            done = raw.queued(app_url, reread, [None, mode], "rereader0001", event_data={"mode": "LSTM"})
            assert not done["success"] and "not in the list of choices" in done["output"]["error"], done
        answer = raw.queued(app_url, reread, [None, None], "rereader0001", event_data="junk")["output"]["data"][1]
        assert answer["readings"] == {} and answer["problem"].startswith("unknown mode"), answer
        answer = raw.queued(app_url, reread, [None, "Both side by side"], "rereader0001", event_data=[1] * 1000)["output"]["data"][1]
        assert {name: reading["digit"] for name, reading in answer["readings"].items()} == {"LSTM": 7, "BiLSTM": 7}
        # The page's radio sends one of its choices. Gradio refuses any other value but null, which it
        # lets through: the app answers that too.
        for value in (canvas_value(7), None):
            refused = raw.run(app_url, "stroke", [value, None])
            assert refused.status == 200 and refused.data[-1]["readings"] == {}, refused
            assert refused.data[-1]["problem"] == "unknown mode: choose one of LSTM, BiLSTM, Both side by side"
        for mode in (7, ["LSTM"], "GRU"):
            assert "is not in the list of choices" in raw.run(app_url, "stroke", [canvas_value(7), mode]).data
        event = http.post("gradio_api/call/stroke", json={"data": [canvas_value(7), "BiLSTM"]}).json()["event_id"]
        assert sse_result(http.get(f"gradio_api/call/stroke/{event}").text)[-1][-1]["readings"]["BiLSTM"]["digit"] == 7


def test_request_bodies_are_bounded_before_they_are_read(app_url, drawings):
    """Gradio would read a JSON body whole, whatever its size: the app refuses one over its route's
    bound, or one that does not declare its length, before anything reads it."""
    with httpx.Client(base_url=app_url, timeout=60) as http:
        big = b'{"data": [[' + b"1," * 600_000 + b'1], "LSTM"]}'  # 1.2 MB of JSON
        for route in ("gradio_api/call/classify", "gradio_api/call/stroke", "gradio_api/queue/join"):
            refused = http.post(route, content=big, headers={"Content-Type": "application/json"})
            assert refused.status_code == 413 and "request body over 1 MB" in refused.text, route
        unmeasured = http.post("gradio_api/call/classify", content=iter([b'{"data": [null, "LSTM"]}']),
                               headers={"Content-Type": "application/json"})
        assert unmeasured.status_code == 411
        # a canvas at its bound (200 strokes, 5,000 points) is well under the bound, and is answered
        strokes = [[float(140 + i % 7), float(140 + i % 5)] * 25 for i in range(200)]
        event = http.post("gradio_api/call/stroke", json={"data": [{"size": 280, "brush": 18, "strokes": strokes}, "LSTM"]})
        assert event.status_code == 200
        assert "event: complete" in http.get(f"gradio_api/call/stroke/{event.json()['event_id']}").text
    assert api_client(app_url).predict(handle_file(str(drawings[7])), "LSTM", api_name="/classify")["digit"] == 7


def test_request_headers_are_bounded(app_url):
    """uvicorn's own HTTP parser (h11) refuses a request whose headers it has not seen the end of
    after 16 KB, before the app sees it. httptools, which uvicorn would take instead where it is
    installed, reads headers of any size, at a cost that grows faster than their size: it is not
    in requirements.txt."""
    host, port = app_url.split("//")[1].rstrip("/").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        try:
            connection.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nX-Padding: ".encode() + b"a" * 2**20 + b"\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):  # refused before the last byte went out
            pass
        assert connection.recv(100).startswith(b"HTTP/1.1 400 ")


def test_the_live_channel_reads_a_stroke_and_answers_junk_over_raw_http(app_url):
    """The explorer's live channel (demo/live.py), POSTed as an attacker would: the page's request
    gets the light reading; junk, bytes that are not JSON, a value without `drawing: true`, another
    method, an unmeasured or oversized body get a clear answer naming no server path; Gradio's
    component_server serves no such function; and the next stroke is still read."""
    config = httpx.get(app_url + "config").json()
    explorer = next(c for c in config["components"] if c.get("props", {}).get("elem_id") == "explorer")
    assert explorer["props"]["props"]["live"] == live.LIVE_PATH  # where the page asks
    seven = {**canvas_value(7), "drawing": True}
    answer = raw.live(app_url, {"canvas": seven, "mode": "Both side by side"})
    assert answer.status == 200
    readings = answer.data["readings"]
    assert [(name, r["digit"], r["full"]) for name, r in readings.items()] == [("LSTM", 7, False), ("BiLSTM", 7, False)]
    assert "states" not in readings["LSTM"] and len(answer.text) < 8_000  # light: the answer after each row

    hostile = ["x", None, 7, [seven, "LSTM"], {"canvas": seven}, {"canvas": seven, "mode": "GRU"},
               {"canvas": seven, "mode": ["LSTM"]}, {"canvas": seven, "mode": "LSTM", "extra": 1},
               {"canvas": canvas_value(7), "mode": "LSTM"},  # a full reading is the queue's
               {"canvas": {**seven, "drawing": "yes"}, "mode": "LSTM"},
               {"canvas": {"strokes": "abc", "drawing": True}, "mode": "LSTM"},
               {"canvas": {"strokes": [[1e308, 5, 6, 7]], "size": 10**9, "drawing": True}, "mode": "BiLSTM"},
               {"canvas": {"strokes": [[1, 1]] * 201, "drawing": True}, "mode": "LSTM"},
               {"canvas": "/etc/passwd", "mode": "LSTM"}]
    nested = '{"canvas": {"drawing": true, "strokes": ' + "[" * 958 + "]" * 958 + '}, "mode": "LSTM"}'
    junk = [b"", b"{", b"\xff\xfe{}", b'{"canvas": NaN, "mode": "LSTM"}', b"[" * 100_000, nested.encode()]
    for refused in [raw.live(app_url, data) for data in hostile] + [raw.live(app_url, body=body) for body in junk]:
        assert refused.status == 200, refused
        assert refused.data["readings"] == {} and refused.data["problem"].startswith("Could not read that canvas"), refused
        assert "/etc" not in refused.data["problem"] and "/work" not in refused.data["problem"]
    with httpx.Client(base_url=app_url, timeout=60) as http:
        assert http.get(live.LIVE_PATH).status_code == 405
        big = json.dumps({"canvas": {"strokes": [[1] * 400_000], "drawing": True}, "mode": "LSTM"})
        assert http.post(live.LIVE_PATH, content=big).status_code == 413
        unmeasured = http.post(live.LIVE_PATH, content=iter([b'{"canvas": null}']), headers={"Content-Type": "application/json"})
        assert unmeasured.status_code == 411
        server_function = {"data": {"canvas": seven, "mode": "LSTM"}, "component_id": explorer["id"],
                           "fn_name": "read_stroke", "session_hash": "live00001"}
        assert http.post("gradio_api/component_server/", json=server_function).status_code == 404
    # A chunked body with a small Content-Length beside it: its real length is not declared.
    host, port = app_url.split("//")[1].rstrip("/").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        chunk = b"x" * 65536
        connection.sendall(f"POST {live.LIVE_PATH} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 10\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n".encode() + b"10000\r\n" + chunk + b"\r\n0\r\n\r\n")
        assert connection.recv(100).startswith(b"HTTP/1.1 411 ")
    assert raw.live(app_url, {"canvas": seven, "mode": "BiLSTM"}).data["readings"]["BiLSTM"]["digit"] == 7
