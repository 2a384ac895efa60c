"""Saving and loading classifiers: weights-only files whose SHA-256 is kept in a JSON model card."""

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

import torch

from model.network import ModelConfig, RowClassifier

FORMAT = "rowscan-checkpoint/1"


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be used; the message names the file, the problem and the fix."""


def card_path(checkpoint: Path) -> Path:
    return Path(checkpoint).with_suffix(".json")


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def save(path: Path, model: RowClassifier, card: dict) -> dict:
    """Write the weights and the model card beside them; returns the card with its checksum."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save({"format": FORMAT, "config": asdict(model.config), "state_dict": state}, path)
    card = {**card, "config": asdict(model.config), "checkpoint_sha256": sha256(path)}
    card_path(path).write_text(json.dumps(card, indent=2) + "\n")
    return card


def _fail(path: Path, problem: str) -> CheckpointError:
    """One line: the file, what is wrong with it, and how to get a good one."""
    fix = f"retrain it with `python -m model.train --out {path}` (see README) or restore it with git"
    return CheckpointError(" ".join(f"{path}: {problem}; {fix}.".split()))


def load(path: Path, device: str | torch.device = "cpu") -> tuple[RowClassifier, dict]:
    """The model in eval mode on `device`, and its card. The card must hold the file's SHA-256:
    it catches a corrupt, truncated or swapped file; anyone who can rewrite the file can rewrite
    the card too. What keeps a checkpoint from running code is weights-only loading."""
    path = Path(path)
    card_file = card_path(path)
    if not path.is_file():
        raise _fail(path, "checkpoint file not found")
    if not card_file.is_file():
        raise _fail(path, f"its model card {card_file.name} is missing, so its SHA-256 cannot be checked")
    try:
        card = json.loads(card_file.read_text())
    except (ValueError, UnicodeDecodeError) as error:
        raise _fail(path, f"its model card {card_file.name} is not valid JSON ({error})") from error
    expected = card.get("checkpoint_sha256") if isinstance(card, dict) else None
    if not isinstance(expected, str) or not expected:
        raise _fail(path, f"its model card {card_file.name} has no checkpoint_sha256")
    if sha256(path) != expected:
        raise _fail(path, f"SHA-256 differs from the one in {card_file.name} (truncated or tampered)")
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for corrupt zips and refused pickles
        raise _fail(path, f"not a readable weights-only checkpoint ({type(error).__name__}: {error})") from error
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        raise _fail(path, f"not a rowscan checkpoint (expected format {FORMAT!r})")
    try:
        model = RowClassifier(ModelConfig(**saved["config"]))
        model.load_state_dict(saved["state_dict"])
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        raise _fail(path, f"weights do not match the model config stored with them ({error})") from error
    return model.to(device).eval(), card
