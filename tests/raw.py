"""The app's API in plain HTTP, as any program (or attacker) can call it without gradio_client:
POST /gradio_api/call/<endpoint>, then read the answer from its event stream; an event sent
outside the queue, one POST to /gradio_api/run/<endpoint>; and the canvas's live channel, one POST."""

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from demo.live import LIVE_PATH


@dataclass
class Answer:
    """What came back: `status` is the HTTP status of the POST; `event` is "complete" or "error"
    (None when the POST was refused); `data` the answer's values, or the error's payload."""

    status: int
    event: str | None
    data: object

    @property
    def text(self) -> str:
        return json.dumps(self.data)


def call(url: str, endpoint: str, data: list, timeout: float = 120) -> Answer:
    request = urllib.request.Request(f"{url}gradio_api/call/{endpoint}", data=json.dumps({"data": data}).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            event_id = json.load(response)["event_id"]
    except urllib.error.HTTPError as error:
        return Answer(error.code, None, json.loads(error.read() or b"null"))
    with urllib.request.urlopen(f"{url}gradio_api/call/{endpoint}/{event_id}", timeout=timeout) as response:
        lines = response.read().decode().strip().splitlines()
    event = lines[-2].removeprefix("event: ")  # the last message: "event: complete|error", "data: ..."
    return Answer(200, event, json.loads(lines[-1].removeprefix("data: ")))


def run(url: str, endpoint: str, data: list | None = None, body: bytes | None = None, timeout: float = 120) -> Answer:
    """An event that is not queued (queue=False), as the page sends one: a POST of {"data": data}
    (or of the raw `body`) to /gradio_api/run/<endpoint>, answered at once."""
    request = urllib.request.Request(f"{url}gradio_api/run/{endpoint}", data=json.dumps({"data": data}).encode() if body is None else body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Answer(response.status, "complete", json.load(response)["data"])
    except urllib.error.HTTPError as error:
        return Answer(error.code, None, error.read().decode(errors="replace"))


def upload(url: str, name: str, content: bytes) -> dict:
    """A file uploaded as the page and gradio_client upload it: its file dict for a request."""
    boundary = "rowscan-boundary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(f"{url}gradio_api/upload", data=body,
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        path = json.load(response)[0]
    return {"path": path, "meta": {"_type": "gradio.FileData"}}


def live(url: str, data: object = None, body: bytes | None = None, timeout: float = 60) -> Answer:
    """The explorer's live channel (demo/live.py) as the page asks it: a POST of `data` as JSON (or
    of the raw `body`) to the route LIVE_PATH."""
    request = urllib.request.Request(f"{url}{LIVE_PATH.lstrip('/')}", data=json.dumps(data).encode() if body is None else body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Answer(response.status, "complete", json.load(response))
    except urllib.error.HTTPError as error:
        return Answer(error.code, None, error.read().decode(errors="replace"))


def queued(url: str, dependency: dict, data: list, session: str, event_data: object = None, language: str = "en",
           timeout: float = 120) -> dict:
    """An event through Gradio's queue as the page sends one, named by its `dependency` in the app's
    /config (a custom event of a gr.HTML carries `event_data`): POST /gradio_api/queue/join, then
    the session's messages from /gradio_api/queue/data. Returns the last "process_completed"
    message ({"success", "output"}); an AssertionError when the join is refused or none came."""
    join = urllib.request.Request(f"{url}gradio_api/queue/join", headers={"Content-Type": "application/json", "Accept-Language": language},
                                  data=json.dumps({"data": data, "event_data": event_data, "fn_index": dependency["id"],
                                                   "trigger_id": dependency["targets"][0][0], "session_hash": session}).encode())
    with urllib.request.urlopen(join, timeout=timeout) as response:
        assert response.status == 200
    with urllib.request.urlopen(f"{url}gradio_api/queue/data?session_hash={session}", timeout=timeout) as response:
        lines = response.read().decode().splitlines()
    messages = [json.loads(line[6:]) for line in lines if line.startswith("data: ") and line[6:] != "null"]
    done = [message for message in messages if message.get("msg") == "process_completed"]
    assert done, messages
    return done[-1]
