"""'That's wrong, it's a __': saved only where the host turned it on and the person clicked, in a
folder that evaluation and training read as it is."""

import json

import httpx
import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.datasets import MNIST

from benchmarks.app_speed import canvas_value
from benchmarks.local_app import local_app
from demo import events, feedback
from demo.canvas import strokes_image
from demo.inference import Reader
from demo.sketches import Style, gallery, render
from demo.ui import mnist_examples
from model.data import data_root, load_drawings
from model.evaluate import evaluate_drawings
from model.preprocess import to_mnist
from tests import raw


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

    def explorer_and_events() -> tuple[dict, set]:
        with build(reader) as app:
            [explorer] = [block for block in app.blocks.values() if block.elem_id == "explorer"]
            return explorer.props, {event for dependency in app.fns.values() for _, event in dependency.targets}

    monkeypatch.delenv(feedback.FOLDER_VARIABLE, raising=False)
    props, named = explorer_and_events()
    assert props["feedback"] is False and "correct" not in named
    monkeypatch.setenv(feedback.FOLDER_VARIABLE, str(tmp_path))
    props, named = explorer_and_events()
    assert props["feedback"] is True and "correct" in named
    assert "saves your drawing on this server" in props["texts"]["en"]["feedback_notice"]
    assert not any(tmp_path.iterdir())  # building the page saves nothing


def test_only_the_drawing_the_page_shows_is_saved(reader, logger):
    """The explorer names the drawing it shows (the payload's "drawing"): a correction sent for
    another (a newer upload still on its way to the session) saves nothing."""
    shown, value = events.draw(reader, "canvas", canvas_value(7), "LSTM")
    other = events.draw(reader, "canvas", canvas_value(4), "LSTM")[1]["drawing"]
    assert value["drawing"] == shown.key != other
    assert feedback.correct_asked(logger, shown, {"digit": 1, "drawing": other, "id": 5}) == {
        "id": 5, "text": "Not saved: the drawing on screen changed before this click reached the server"}
    assert not logger.folder.exists()
    for asked, answered_id in (({"digit": 1, "drawing": shown.key, "id": 6}, 6), ({"digit": "1", "drawing": shown.key, "id": 2**70}, None)):
        answer = feedback.correct_asked(logger, shown, asked, "zh-CN")
        assert answer == {"id": answered_id, "text": "已保存为数字 1。谢谢：它会帮助测试和重新训练模型。"}
    assert [path.split("/")[0] for path in files(logger.folder)] == ["1", "1", "1"]
    assert feedback.correct_asked(logger, events.Shown(), {"digit": 1})["text"].startswith("Not saved: draw a digit first")


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
    # A stroke more, then Undo: the same drawing read again (a new Shown) still has one correction.
    again = events.draw(reader, "canvas", canvas_value(7), "LSTM")[0]
    assert again is not shown and logger.flag([again], "3") == 2
    assert sorted(path.split("/")[0] for path in files(logger.folder)) == ["3"] * 3 + ["9"] * 3
    recounted = feedback.ImageFolderLogger()  # the folder counted afresh, as at a server's start
    recounted.setup([], logger.folder)
    assert logger.holding() == recounted.holding() == (2, sum(path.stat().st_size for path in logger.folder.rglob("*.*")))


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
    """A CMYK JPEG, a float TIFF or a 32-bit integer one (values beyond PNG's 16 bits) is read by
    the app, so its correction is saved: as a PNG that reads back as the same input, and never as
    an empty file."""
    seven = render(7, Style(canvas=(300, 300), width=16))
    bolder = render(7, Style(canvas=(300, 300), width=24))  # another input: the same one saved again replaces its correction
    uploads = {"cmyk.jpg": seven.convert("CMYK"), "float.tif": seven.convert("L").convert("F"),
               "int32.tif": Image.fromarray(np.asarray(bolder.convert("L")).astype(np.int32) * 1000 + 100_000)}
    for name, picture in uploads.items():
        picture.save(tmp_path / name)
        shown = events.draw(reader, "image", str(tmp_path / name), "LSTM")[0]
        assert feedback.correct(logger, shown, "7").startswith("Saved as the digit 7"), name
    assert all(path.stat().st_size > 0 for path in logger.folder.rglob("*"))
    images, labels = load_drawings(logger.folder)
    assert labels.tolist() == [7, 7, 7]
    assert sorted(int((image - to_mnist(seven)).abs().max() < 0.05) + 2 * int((image - to_mnist(bolder)).abs().max() < 0.05)
                  for image in images) == [1, 1, 2]


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
        shown, value = events.draw_example(reader, examples, index, "LSTM")
        assert value["drawing"] is None  # nothing for the page's buttons to name: they are off
        assert feedback.correct(logger, shown, "3") == ("Not saved: this is an MNIST test digit: its label is known, "
                                                        "and test digits stay out of training")
        assert feedback.correct_asked(logger, shown, {"digit": 3, "drawing": shown.key})["text"].startswith(
            "Not saved: this is an MNIST test digit")
    assert not logger.folder.exists()
    shown, value = events.draw_example(reader, gallery(), 0, "LSTM")
    assert value["drawing"] == shown.key and feedback.correct(logger, shown, "3").startswith("Saved")


def test_an_mnist_example_uploaded_as_a_file_is_not_saved_either(reader, tmp_path):
    """The page serves its examples as WebP: one saved and uploaded again reads as nearly the same
    input, and is refused as a test digit; the project's sketches are not."""
    logger = feedback.ImageFolderLogger()
    examples = mnist_examples()
    logger.setup([], tmp_path / "feedback", [picture for picture, _ in examples])
    for index, (picture, _) in enumerate(examples):
        picture.convert("RGB").save(tmp_path / f"{index}.webp", quality=50)
        shown = events.draw(reader, "image", str(tmp_path / f"{index}.webp"), "LSTM")[0]
        assert not shown.test_digit and feedback.correct(logger, shown, "3").startswith("Not saved: this is an MNIST test digit")
    assert not (tmp_path / "feedback").exists()
    for picture, _ in gallery():
        assert feedback.correct(logger, events.draw(reader, "image", picture, "LSTM")[0], "3").startswith("Saved")
    # MNIST training digit 8970, shown at 112 px as the page shows its examples, comes within 0.0108
    # of one on average (nearer than some WebP copies), but not pixel by pixel: a person's 1, saved.
    near = Image.fromarray(MNIST(str(data_root()), train=True, download=False).data[8970].numpy())
    near.resize((112, 112), Image.Resampling.NEAREST).save(tmp_path / "near.png")
    assert feedback.correct(logger, events.draw(reader, "image", str(tmp_path / "near.png"), "LSTM")[0], "1").startswith("Saved")
    # Only uploads are compared: a drawing on the canvas is a person's, however close to an example
    # (here one as close as can be: the example is that very drawing).
    one = canvas_value(1)
    logger.setup([], tmp_path / "feedback", [strokes_image(one)])
    assert feedback.correct(logger, events.draw(reader, "canvas", one, "LSTM")[0], "1").startswith("Saved")


@pytest.mark.parametrize("label", [None, "", "10", "-1", "7.0", "../7", "seven", True, 12, "٣"])
def test_a_bad_label_is_refused_and_nothing_saved(reader, logger, label):
    shown = events.draw(reader, "canvas", canvas_value(2), "LSTM")[0]
    message = feedback.correct(logger, shown, label)
    assert message == "Not saved: the right digit must be one of 0 to 9"
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
    monkeypatch.setattr(feedback, "MAX_SAVED", 10)
    monkeypatch.setattr(feedback, "MAX_SAVED_BYTES", logger.holding()[1])  # full by its size now
    assert feedback.correct(logger, drawings[2], "1") == ("Not saved: the feedback folder is full (at most 10 drawings "
                                                          f"and {logger.holding()[1] / 1e9:g} GB); nothing more is saved")


def test_a_large_upload_is_saved_scaled_down_unless_that_reads_as_nothing(reader, logger, tmp_path, monkeypatch):
    """A 4096x4096 upload is saved at LARGEST_SAVED px on its longer side: one of a 7 reads back as
    nearly the same input, one of noise around it (8.8 MB as a PNG at full size) takes under 1 MB. A
    2-px 7 on a picture 16,384 px wide, which at 560 px reads as nothing, is kept whole, up to
    MAX_PICTURE_BYTES."""
    seven = render(7, Style(canvas=(4096, 4096), width=200)).convert("L")
    noise = np.random.default_rng(0).normal(0, 20, (4096, 4096))
    uploads = {"1": seven, "2": Image.fromarray(np.clip(np.asarray(seven) + noise, 0, 255).astype(np.uint8))}
    for digit, picture in uploads.items():
        picture.save(tmp_path / f"{digit}.png")
        shown = events.draw(reader, "image", str(tmp_path / f"{digit}.png"), "LSTM")[0]
        assert feedback.correct(logger, shown, digit).startswith("Saved")
        [saved] = logger.folder.glob(f"{digit}/*[0-9]Z.png")
        assert Image.open(saved).size == (feedback.LARGEST_SAVED,) * 2 and saved.stat().st_size < 1e6
    assert (load_drawings(logger.folder)[0][0] - to_mnist(seven)).abs().max() < 0.05

    thin = Image.new("L", (16384, 1024), 255)
    thin.paste(render(7, Style(canvas=(1024, 1024), width=2)).convert("L"), (8000, 0))
    thin.save(tmp_path / "thin.png")
    shown = events.draw(reader, "image", str(tmp_path / "thin.png"), "LSTM")[0]
    assert feedback.correct(logger, shown, "3").startswith("Saved")
    [saved] = logger.folder.glob("3/*[0-9]Z.png")
    assert Image.open(saved).size == (16384, 1024)
    images, labels = load_drawings(logger.folder)
    assert labels.tolist() == [1, 2, 3] and (images[2] - shown.image).abs().max() < 1e-6
    monkeypatch.setattr(feedback, "MAX_PICTURE_BYTES", saved.stat().st_size - 1)
    assert feedback.correct(logger, shown, "4") == ("Not saved: the picture is too large to keep (over "
                                                    f"{(saved.stat().st_size - 1) / 1e6:g} MB as a PNG): crop it to the digit and upload it again")


def test_the_save_event_over_raw_http_refuses_junk_and_speaks_the_pages_language(tmp_path):
    """The explorer's 'correct' event, POSTed to Gradio's queue as an attacker would: junk and a
    session with nothing drawn save nothing and get a clear message, in Chinese for a Chinese
    browser; a real correction in a session that drew a 7 is saved once."""
    where = tmp_path / "feedback"
    with local_app(env={feedback.FOLDER_VARIABLE: str(where)}) as (url, _), httpx.Client(base_url=url, timeout=60) as http:
        config = http.get("config").json()
        save = next(d for d in config["dependencies"] if any(event == "correct" for _, event in d["targets"]))
        stroke = next(d for d in config["dependencies"] if d.get("api_name") == "stroke")

        def said(asked, session, language="en") -> dict:
            done = raw.queued(url, save, [None], session, event_data=asked, language=language)
            assert done["success"], done
            return done["output"]["data"][0]["props"]["said"]

        assert said({"digit": 7, "id": 1}, "nothing00001") == {"id": 1, "text": "Not saved: draw a digit first: there is nothing to save"}
        drawing = raw.queued(url, stroke, [canvas_value(7), "LSTM"], "drawn0000001")["output"]["data"][1]["drawing"]
        for asked in (None, "7", [7], {"digit": 7}, {"digit": 7, "drawing": drawing[::-1]}, {"digit": 7, "drawing": {"$ne": 1}}):
            assert said(asked, "drawn0000001")["text"] == "Not saved: the drawing on screen changed before this click reached the server"
        for digit in (None, "", "10", "../7", ["7"], {"digit": 7}, 7.5, True, "7; rm -rf /"):
            answer = said({"digit": digit, "drawing": drawing, "id": "x"}, "drawn0000001")
            assert answer == {"id": None, "text": "Not saved: the right digit must be one of 0 to 9"}, digit
        assert said({"digit": None, "drawing": drawing}, "drawn0000001", "zh-CN")["text"] == "未保存：正确的数字必须是 0 到 9 之一"
        assert not where.exists() or files(where) == []
        assert said({"digit": 7, "drawing": drawing, "id": 3}, "drawn0000001") == {
            "id": 3, "text": "Saved as the digit 7. Thank you: it will help test and retrain the models."}
        assert [name.split("/")[0] for name in files(where)] == ["7"] * 3
