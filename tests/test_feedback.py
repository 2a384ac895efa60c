"""'That's wrong, it's a __': saved only where the host turned it on and the person clicked, in a
folder that evaluation and training read as it is."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from benchmarks.app_speed import canvas_value
from demo import events, feedback
from demo.inference import Reader
from demo.sketches import Style, render
from model.data import load_drawings
from model.evaluate import evaluate_drawings


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


def test_uploads_and_examples_are_saved_as_pictures_without_strokes(reader, logger, tmp_path):
    upload = tmp_path / "upload.png"
    render(3, Style(canvas=(400, 300), width=8)).save(upload)
    for value in (str(upload), render(5)):
        shown = events.draw(reader, "image", value, "LSTM")[0]
        assert feedback.correct(logger, shown, 8).startswith("Saved as the digit 8")
    records = [json.loads(path.read_text()) for path in logger.folder.rglob("*.json")]
    assert len(records) == 2 and all(r["strokes"] is None and r["source"] == "image" for r in records)
    assert load_drawings(logger.folder)[1].tolist() == [8, 8]


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
    shown = events.draw(reader, "canvas", canvas_value(4), "LSTM")[0]
    assert [feedback.correct(logger, shown, "4")[:5] for _ in range(3)] == ["Saved", "Saved", "Not s"]
    assert len(load_drawings(logger.folder)[1]) == 2
