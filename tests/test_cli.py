"""The training and evaluation commands, run as a learner runs them."""

import json
import os
import subprocess
import sys

from PIL import Image

from demo.sketches import Style, render
from model.checkpoint import sha256
from model.data import data_root
from tests.conftest import REPO


def run(*args) -> subprocess.CompletedProcess:
    # tqdm redraws its bar at most every 0.1 s: at 0 every batch shows, however fast the machine.
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "TQDM_MININTERVAL": "0"})


def test_train_then_evaluate(tmp_path):
    out = tmp_path / "tiny.pt"
    corrections = tmp_path / "corrections"  # as the app's feedback folder lays them out
    for digit in (4, 9):
        (corrections / str(digit)).mkdir(parents=True)
        render(digit, Style(canvas=(500, 500), width=4)).save(corrections / str(digit) / "20261127T000000Z.png")
        Image.new("L", (28, 28)).save(corrections / str(digit) / "20261127T000000Z.input.png")  # not a drawing
    trained = run("model.train", "--cell", "gru", "--hidden-size", "16", "--num-layers", "2", "--dropout", "0.1",
                  "--bidirectional", "--epochs", "2", "--batch-size", "256", "--lr", "0.01", "--seed", "3",
                  "--drawn-per-digit", "20", "--val-drawn-per-digit", "5", "--extra-images", str(corrections),
                  "--extra-images", str(corrections / "9"), "--device", "cpu", "--out", str(out))
    assert trained.returncode == 2, trained.stdout  # 9/ holds drawings, not digit folders
    refused = run("model.train", "--ema", "1", "--epochs", "1", "--out", str(out))
    assert refused.returncode == 2 and "--ema 1.0: the moving average's decay is 0 (none) or more, and under 1" in refused.stderr
    assert trained.stderr.startswith(f"error: {corrections / '9'}: its subfolders must be named by digit")
    trained = run("model.train", "--cell", "gru", "--hidden-size", "16", "--num-layers", "2", "--dropout", "0.1",
                  "--bidirectional", "--epochs", "2", "--batch-size", "256", "--lr", "0.01", "--seed", "3",
                  "--drawn-per-digit", "20", "--val-drawn-per-digit", "5", "--extra-images", str(corrections),
                  "--device", "cpu", "--out", str(out))
    assert trained.returncode == 0, trained.stderr
    assert "epoch   2/2" in trained.stdout and "val acc" in trained.stdout
    assert "9000 MNIST + 2 extra training images, 200 generated drawings; 2050 validation images" in trained.stdout
    assert "epoch 2/2: " in trained.stderr and "batch" in trained.stderr and "loss=" in trained.stderr  # tqdm's bar
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["data"]["extra_images"] == {str(corrections): 2} and card["data"]["generated_drawings"] == 200
    assert card["training"]["drawn"] == 0.25 and card["training"]["ema"] == 0.998 and 0.3 <= card["unsure_below"] < 1
    assert card["config"] == {"cell": "gru", "hidden_size": 16, "num_layers": 2, "dropout": 0.1, "bidirectional": True}
    assert card["epochs"] == 2 and len(card["history"]["train_loss"]) == 2
    assert 0.1 < card["mnist_test_accuracy"] <= 1 and card["data"]["test_images"] == 10_000
    for key in ("parameter_count", "training_seconds", "device", "torch_version", "validation_accuracy"):
        assert key in card
    assert Image.open(out.with_suffix(".png")).size[0] > 100

    # fine-tuning: another split would validate on images the weights were trained on
    other_split = run("model.train", "--init", str(out), "--seed", "4", "--out", str(tmp_path / "tuned.pt"))
    assert other_split.returncode == 2 and "was trained with --seed 3 and --val-fraction 0.1" in other_split.stderr
    resized = run("model.train", "--init", str(out), "--seed", "3", "--hidden-size", "99", "--out", str(tmp_path / "tuned.pt"))
    assert resized.returncode == 2 and "fixes the architecture (bidirectional GRU, 2 layer(s) of 16 units" in resized.stderr
    assert "drop --hidden-size" in resized.stderr
    tuned = run("model.train", "--init", str(out), "--epochs", "1", "--batch-size", "256", "--lr", "1e-12", "--seed", "3",
                "--drawn-per-digit", "20", "--val-drawn-per-digit", "5", "--device", "cpu", "--out", str(tmp_path / "tuned.pt"))
    assert tuned.returncode == 0, tuned.stderr
    tuned_card = json.loads((tmp_path / "tuned.json").read_text())
    assert tuned_card["config"] == card["config"]  # the checkpoint's architecture
    assert tuned_card["started_from"] == {"checkpoint": str(out), "sha256": card["checkpoint_sha256"],
                                          **{key: card[key] for key in ("command", "training", "data", "training_seconds", "best_epoch")}}
    # a step of 1e-12 leaves the weights as loaded: the same answers as the starting checkpoint
    assert abs(tuned_card["mnist_test_accuracy"] - card["mnist_test_accuracy"]) < 1e-4

    drawings = tmp_path / "drawings"
    for digit in (3, 8):
        (drawings / str(digit)).mkdir(parents=True)
        render(digit, Style(canvas=(640, 480), width=6)).save(drawings / str(digit) / "a.png")
    (drawings / "8" / "broken.png").write_bytes(b"\x89PNG not really")
    evaluated = run("model.evaluate", "--checkpoint", str(out), "--images", str(drawings), "--json", "--update-card")
    assert evaluated.returncode == 0, evaluated.stderr
    result = json.loads(evaluated.stdout)
    assert result["mnist_test_accuracy"] == card["mnist_test_accuracy"]
    assert "ece" in result["validation_calibration"] and result["validation_calibration"]["count"] == 2050
    assert result["images_calibration"]["unsure_below"] == card["unsure_below"]
    assert result["images_count"] == 3 and 0 <= result["images_accuracy"] <= 2 / 3
    assert any(w["path"].endswith("broken.png") and w["predicted"] is None for w in result["images_wrong"])
    assert len(result["confusion_matrix"]) == 10 and sum(map(sum, result["confusion_matrix"])) == 10_000
    [recorded] = json.loads(out.with_suffix(".json").read_text())["evaluations"]
    assert recorded["images"] == str(drawings) and recorded["images_accuracy"] == result["images_accuracy"]
    assert recorded["command"].startswith("python -m model.evaluate --checkpoint")
    # a card from before --marker-view is evaluated on the validation set it was chosen on: no marker rows
    old = json.loads(out.with_suffix(".json").read_text())
    del old["training"]["marker_view"]
    out.with_suffix(".json").write_text(json.dumps(old))
    evaluated = run("model.evaluate", "--checkpoint", str(out), "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["validation_calibration"]["count"] == 1050


def test_evaluate_reports_a_corrupt_checkpoint_clearly(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x00" * 100)
    bad.with_suffix(".json").write_text(json.dumps({"checkpoint_sha256": sha256(bad)}))  # the card matches
    result = run("model.evaluate", "--checkpoint", str(bad))
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {bad}: not a readable weights-only checkpoint")


def test_missing_data_gives_a_clear_message(tmp_path):
    result = subprocess.run([sys.executable, "-m", "model.evaluate", "--checkpoint", "checkpoints/lstm.pt",
                             "--data", str(tmp_path / "empty")], cwd=REPO, capture_output=True, text=True,
                            timeout=300, env={"PATH": "", "no_proxy": "", "https_proxy": "http://127.0.0.1:9"})
    assert result.returncode == 2
    assert "MNIST is not under" in result.stderr and "ROWSCAN_DATA" in result.stderr


def test_data_root_order(monkeypatch):
    monkeypatch.setenv("ROWSCAN_DATA", "/from/env")
    assert str(data_root("/from/flag")) == "/from/flag" and str(data_root()) == "/from/env"
    monkeypatch.delenv("ROWSCAN_DATA")
    assert data_root() == REPO / "data"
