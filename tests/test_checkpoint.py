"""Checkpoints load weights-only, and every broken one fails with a message naming the file."""

import json
import os
import pickle

import pytest
import torch

from model import checkpoint
from model.network import ModelConfig, RowClassifier
from tests.conftest import CHECKPOINTS


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    model = RowClassifier(ModelConfig(hidden_size=16, bidirectional=True))
    path = tmp_path / "model.pt"
    checkpoint.save(path, model, {"note": "test"})
    return path, model


def carded(path):
    """`path` with a model card that holds its SHA-256, as checkpoint.save writes one."""
    path.with_suffix(".json").write_text(json.dumps({"checkpoint_sha256": checkpoint.sha256(path)}))
    return path


def test_round_trip_keeps_weights_config_and_card(saved):
    path, model = saved
    loaded, card = checkpoint.load(path)
    assert loaded.config == model.config and not loaded.training
    for (name, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(a, b), name
    assert card["note"] == "test" and card["checkpoint_sha256"] == checkpoint.sha256(path)


def test_shipped_checkpoints_match_their_cards():
    for path in CHECKPOINTS.values():
        card = json.loads(path.with_suffix(".json").read_text())
        assert card["checkpoint_sha256"] == checkpoint.sha256(path)
        assert os.path.getsize(path) < 5_000_000


def test_missing_file(tmp_path):
    with pytest.raises(checkpoint.CheckpointError, match=r"nope\.pt: checkpoint file not found; retrain it with"):
        checkpoint.load(tmp_path / "nope.pt")


def test_truncated_file_fails_its_checksum(saved):
    path, _ = saved
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(checkpoint.CheckpointError, match=r"model\.pt: SHA-256 differs .*truncated or tampered"):
        checkpoint.load(path)


def test_truncated_file_with_a_matching_card_is_unreadable(saved):
    path, _ = saved
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(checkpoint.CheckpointError, match=r"model\.pt: not a readable weights-only checkpoint"):
        checkpoint.load(carded(path))


def test_a_checkpoint_without_its_card_is_refused(saved):
    path, _ = saved
    path.with_suffix(".json").unlink()
    with pytest.raises(checkpoint.CheckpointError, match=r"model\.pt: its model card model\.json is missing"):
        checkpoint.load(path)


@pytest.mark.parametrize("card", [{"note": "no hash"}, {"checkpoint_sha256": ""}, {"checkpoint_sha256": 5}, []])
def test_a_card_without_a_sha256_is_refused(saved, card):
    path, _ = saved
    path.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(checkpoint.CheckpointError, match=r"model\.pt: its model card model\.json has no checkpoint_sha256"):
        checkpoint.load(path)


def test_tampered_weights_fail_the_checksum(saved):
    path, model = saved
    state = torch.load(path, weights_only=True)
    state["state_dict"]["head.bias"] += 1
    torch.save(state, path)
    with pytest.raises(checkpoint.CheckpointError, match="SHA-256 differs"):
        checkpoint.load(path)


def test_mismatched_config_and_weights(saved):
    path, _ = saved
    state = torch.load(path, weights_only=True)
    state["config"]["hidden_size"] = 32
    torch.save(state, path)
    with pytest.raises(checkpoint.CheckpointError, match="weights do not match the model config"):
        checkpoint.load(carded(path))


def test_foreign_file_is_not_a_rowscan_checkpoint(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, path)
    with pytest.raises(checkpoint.CheckpointError, match="not a rowscan checkpoint"):
        checkpoint.load(carded(path))


class Exploit:
    """Unpickling it runs code: it creates `marker`."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")  # torch notes the protocol, then refuses
@pytest.mark.parametrize("writer", [pickle.dumps, torch.save], ids=["pickle", "torch.save"])
def test_pickled_code_is_refused_not_run(tmp_path, writer):
    path, marker = tmp_path / "evil.pt", tmp_path / "code-ran"
    payload = {"format": checkpoint.FORMAT, "payload": Exploit(marker)}
    if writer is torch.save:
        torch.save(payload, path)
    else:
        path.write_bytes(pickle.dumps(payload))
    with pytest.raises(checkpoint.CheckpointError, match="not a readable weights-only checkpoint"):
        checkpoint.load(carded(path))  # its card matches: only weights-only loading stands in the way
    assert not marker.exists()


def test_card_that_is_not_json(saved):
    path, _ = saved
    path.with_suffix(".json").write_text("{broken")
    with pytest.raises(checkpoint.CheckpointError, match="model card model.json is not valid JSON"):
        checkpoint.load(path)
