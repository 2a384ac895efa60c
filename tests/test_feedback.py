"""'That's wrong, it's a __': saved only where the host turned it on and the person clicked, in a
folder that evaluation and training read as it is."""

import json

import httpx
import numpy as np
import pytest
import torch
from PIL import Image

from benchmarks.app_speed import canvas_value
from benchmarks.local_app import local_app
from demo import events, feedback
from demo.inference import Reader
from demo.sketches import Style, gallery, render
from demo.ui import mnist_examples
from model.data import load_drawings
from model.evaluate import evaluate_drawings
from model.preprocess import to_mnist


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader()


@pytest.fixture
def logger(tmp_path) -> feedback.ImageFolderLogger:
    logger = feedback.ImageFolderLogger()
    logger.setup([], tmp_path / "feedback")
    return logger


def files(root) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def test_saving_is_off_unless_the_host_sets_the_folder(monkeypatch, tmp_path):
    monkeypatch.delenv(feedback.FOLDER_VARIABLE, raising=False)
    assert feedback.folder() is None
    monkeypatch.setenv(feedback.FOLDER_VARIABLE, "  ")
    assert feedback.folder() is None
    monkeypatch.setenv(feedback.FOLDER_VARIABLE, str(tmp_path))
    assert feedback.folder() == tmp_path


def test_the_page_has_the_control_and_says_so_only_when_on(monkeypatch, reader, tmp_path):
    from demo.ui import build

    def page_ids() -> set:
        with build(reader) as app:
            return {block.elem_id for block in app.blocks.values()}

    monkeypatch.delenv(feedback.FOLDER_VARIABLE, raising=False)
    assert "feedback-save" not in page_ids() and "feedback-notice" not in page_ids()
    monkeypatch.setenv(feedback.FOLDER_VARIABLE, str(tmp_path))
    assert {"feedback-save", "feedback-notice", "feedback-digit"} <= page_ids()
    assert not any(tmp_path.iterdir())  # building the page saves nothing


def test_a_correction_is_saved_in_the_image_folder_layout(reader, logger):
    shown = events.draw(reader, "canvas", canvas_value(7), "Both side by side")[0]
    assert feedback.correct(logger, shown, "1").startswith("Saved as the digit 1")
    [seen, record, drawing] = files(logger.folder)  # sorted: <time>.input.png, <time>.json, <time>.png
    stem = drawing.removesuffix(".png")
    assert drawing.startswith("1/") and record == f"{stem}.json" and seen == f"{stem}.input.png"
    saved = json.loads((logger.folder / record).read_text())
    assert saved["digit"] == 1 and saved["source"] == "canvas" and saved["answers"] == {"LSTM": 7, "BiLSTM": 7}
    assert saved["strokes"] == [[float(c) for c in stroke] for stroke in canvas_value(7)["strokes"]]
    assert Image.open(logger.folder / drawing).size == (canvas_value(7)["size"],) * 2
    network_input = np.asarray(Image.open(logger.folder / seen), np.float32) / 255
    assert network_input.shape == (28, 28) and np.abs(network_input - shown.image.numpy()).max() <= 1 / 255

    # What evaluation and training read: the drawing once (not its 28x28 input beside it), as the person's digit.
    images, labels = load_drawings(logger.folder)
    assert labels.tolist() == [1] and torch.allclose(images[0], shown.image)
    result = evaluate_drawings(reader.models["LSTM"], logger.folder)
    assert result["images_count"] == 1 and result["images_wrong"][0]["predicted"] == 7


def test_saving_a_drawing_again_replaces_its_correction(reader, logger):
    shown = events.draw(reader, "canvas", canvas_value(7), "LSTM")[0]
    assert logger.flag([shown], "1") == 1
    assert logger.flag([shown], "1") == 1  # a double click: still one correction
    assert [path.split("/")[0] for path in files(logger.folder)] == ["1", "1", "1"]
    assert logger.flag([shown], "2") == 1  # the person picked another digit: the correction moves
    assert [path.split("/")[0] for path in files(logger.folder)] == ["2", "2", "2"]
    other = events.draw(reader, "canvas", canvas_value(4), "LSTM")[0]
    assert logger.flag([other], "9") == 2 and len(files(logger.folder)) == 6  # a new drawing adds its own


def test_uploads_and_examples_are_saved_as_pictures_without_strokes(reader, logger, tmp_path):
    upload = tmp_path / "upload.png"
    render(3, Style(canvas=(400, 300), width=8)).save(upload)
    for value in (str(upload), render(5)):
        shown = events.draw(reader, "image", value, "LSTM")[0]
        assert feedback.correct(logger, shown, 8).startswith("Saved as the digit 8")
    records = [json.loads(path.read_text()) for path in logger.folder.rglob("*.json")]
    assert len(records) == 2 and all(r["strokes"] is None and r["source"] == "image" for r in records)
    assert load_drawings(logger.folder)[1].tolist() == [8, 8]


def test_uploads_in_any_mode_the_app_reads_are_saved_whole(reader, logger, tmp_path):
    """A CMYK JPEG or a float TIFF is read by the app, so its correction is saved: as a PNG that
    reads back as the same input, and never as an empty file."""
    seven = render(7, Style(canvas=(300, 300), width=16))
    uploads = {"cmyk.jpg": seven.convert("CMYK"), "float.tif": seven.convert("L").convert("F")}
    for name, picture in uploads.items():
        picture.save(tmp_path / name)
        shown = events.draw(reader, "image", str(tmp_path / name), "LSTM")[0]
        assert feedback.correct(logger, shown, "7").startswith("Saved as the digit 7"), name
    assert all(path.stat().st_size > 0 for path in logger.folder.rglob("*"))
    images, labels = load_drawings(logger.folder)
    assert labels.tolist() == [7, 7] and (images - to_mnist(seven)).abs().max() < 0.05


def test_a_correction_the_disk_cannot_hold_leaves_no_part_of_it(reader, logger, monkeypatch):
    shown = events.draw(reader, "canvas", canvas_value(7), "LSTM")[0]

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(type(logger.folder), "write_text", disk_full)  # the record, after the drawing
    assert feedback.correct(logger, shown, "1") == "Not saved: the server could not store the drawing."
    assert files(logger.folder) == []


def test_an_mnist_test_digit_is_not_saved_as_a_correction(reader, logger):
    """The page's MNIST examples are test digits: saved, they could be trained on."""
    examples = mnist_examples()
    assert len(examples) == 10
    for index in (0, 9):
        shown = events.draw_example(reader, examples, index, "LSTM")[0]
        assert feedback.correct(logger, shown, "3") == ("Not saved: this is an MNIST test digit: its label is known, "
                                                        "and test digits stay out of training")
    assert not logger.folder.exists()
    assert feedback.correct(logger, events.draw_example(reader, gallery(), 0, "LSTM")[0], "3").startswith("Saved")


@pytest.mark.parametrize("label", [None, "", "10", "-1", "7.0", "../7", "seven", True, 12, "٣"])
def test_a_bad_label_is_refused_and_nothing_saved(reader, logger, label):
    shown = events.draw(reader, "canvas", canvas_value(2), "LSTM")[0]
    message = feedback.correct(logger, shown, label)
    assert message.startswith("Not saved: choose the right digit")
    assert not logger.folder.exists() or files(logger.folder) == []


def test_nothing_drawn_is_refused(reader, logger):
    for shown in (events.Shown(), events.draw(reader, "canvas", {"strokes": []}, "LSTM")[0], None):
        assert feedback.correct(logger, shown, "3") == "Not saved: draw a digit first: there is nothing to save"
    assert not logger.folder.exists()


def test_a_full_folder_takes_no_more(reader, logger, monkeypatch):
    monkeypatch.setattr(feedback, "MAX_SAVED", 2)
    drawings = [events.draw(reader, "canvas", canvas_value(digit), "LSTM")[0] for digit in (4, 7, 1)]  # three drawings
    assert [feedback.correct(logger, shown, "4")[:5] for shown in drawings] == ["Saved", "Saved", "Not s"]
    assert feedback.correct(logger, drawings[0], "9")[:5] == "Saved"  # a saved drawing's new digit replaces, adds nothing
    assert len(load_drawings(logger.folder)[1]) == 2


def sse_messages(text: str) -> list[dict]:
    return [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ") and line[6:] != "null"]


def test_the_save_event_over_raw_http_refuses_junk_and_speaks_the_pages_language(tmp_path):
    """The page's Save event, POSTed to Gradio's queue as an attacker would: junk labels and a
    session with nothing drawn save nothing and get a clear message, in Chinese for a Chinese
    browser; a real correction in a session that drew a 7 is saved once."""
    where = tmp_path / "feedback"
    with local_app(env={feedback.FOLDER_VARIABLE: str(where)}) as (url, _), httpx.Client(base_url=url, timeout=60) as http:
        config = http.get("config").json()
        ids = {c["id"]: c.get("props", {}).get("elem_id") for c in config["components"]}
        save = next(d for d in config["dependencies"] if any(ids.get(t[0]) == "feedback-save" for t in d["targets"]))
        stroke = next(d for d in config["dependencies"] if d.get("api_name") == "stroke")

        def run(dependency, data, session, language="en"):
            join = http.post("gradio_api/queue/join", headers={"Accept-Language": language},
                             json={"data": data, "fn_index": dependency["id"], "session_hash": session,
                                   "trigger_id": dependency["targets"][0][0]})
            assert join.status_code == 200, join.text
            done = [m for m in sse_messages(http.get("gradio_api/queue/data", params={"session_hash": session}).text)
                    if m.get("msg") == "process_completed"]
            assert done, join.text
            return done[-1]

        def said(dependency, data, session, language="en") -> str:
            done = run(dependency, data, session, language)
            assert done["success"], done
            return done["output"]["data"][0]

        assert said(save, [None, "7"], "nothing00001") == "Not saved: draw a digit first: there is nothing to save"
        said(stroke, [canvas_value(7), "LSTM"], "drawn0000001")
        for label in (None, "", "10", "../7", ["7"], {"digit": 7}, 7.5, "7; rm -rf /"):
            # Gradio's dropdown refuses a value it does not offer; what it lets through, the app refuses
            done = run(save, [None, label], "drawn0000001")
            assert ("not in the list of choices" in done["output"]["error"] if not done["success"]
                    else done["output"]["data"][0].startswith("Not saved: choose the right digit")), done
        assert said(save, [None, None], "drawn0000001", "zh-CN").startswith("未保存：保存前请先选出正确的数字")
        assert not where.exists() or files(where) == []
        assert said(save, [None, "7"], "drawn0000001").startswith("Saved as the digit 7")
        assert [name.split("/")[0] for name in files(where)] == ["7"] * 3
