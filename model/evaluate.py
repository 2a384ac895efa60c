"""Evaluate a checkpoint on MNIST test and, optionally, on a folder of drawings, with the
calibration of its top probability (ECE) on the validation set and each of those:
python -m model.evaluate --checkpoint PATH [--data ROOT] [--images DIR] [--json]"""

import argparse
import json
import sys
from pathlib import Path

import torch

from model import checkpoint
from model.calibration import DEFAULT_UNSURE_BELOW, summary
from model.data import (DataUnavailable, data_root, drawing_files, load_mnist, load_splits, read_drawing,
                        validation_set)
from model.network import CLASSES, RowClassifier
from model.train import TrainConfig


@torch.inference_mode()
def probabilities(model: RowClassifier, images: torch.Tensor, batch: int = 1000) -> torch.Tensor:
    device = next(model.parameters()).device
    return torch.cat([model(x.to(device)).softmax(1).cpu() for x in images.split(batch)])


def confusion(labels: torch.Tensor, predictions: torch.Tensor) -> torch.Tensor:
    """Rows: true digit; columns: predicted digit."""
    return torch.bincount(labels * CLASSES + predictions, minlength=CLASSES * CLASSES).view(CLASSES, CLASSES)


def evaluate_drawings(model: RowClassifier, folder: Path, unsure_below: float = DEFAULT_UNSURE_BELOW) -> dict:
    """Accuracy on an ImageFolder layout (folder/<digit>/<file>); blank or unreadable files count as wrong."""
    files = drawing_files(folder)
    if not files:
        raise ValueError(f"{folder}: no drawings found in its digit subfolders")
    paths = [str(path) for path, _ in files]
    labels = [digit for _, digit in files]
    drawings, problems = zip(*[read_drawing(path) for path, _ in files])
    usable = [i for i, x in enumerate(drawings) if x is not None]
    predicted = [None] * len(paths)
    result = {}
    if usable:
        chances = probabilities(model, torch.stack([drawings[i] for i in usable]))
        for i, digit in zip(usable, chances.argmax(1).tolist()):
            predicted[i] = digit
        result["images_calibration"] = summary(chances, torch.tensor([labels[i] for i in usable]), unsure_below)
    wrong = [{"path": path, "label": y, "predicted": p, "problem": problem}
             for path, y, p, problem in zip(paths, labels, predicted, problems) if p != y]
    return {"images_accuracy": 1 - len(wrong) / len(paths), "images_count": len(paths), "images_wrong": wrong} | result


def evaluate_mnist(model: RowClassifier, root: Path, unsure_below: float = DEFAULT_UNSURE_BELOW) -> dict:
    images, labels = load_mnist(root, train=False)
    chances = probabilities(model, images)
    predictions = chances.argmax(1)
    matrix = confusion(labels, predictions)
    return {
        "mnist_test_accuracy": (predictions == labels).float().mean().item(),
        "mnist_test_calibration": summary(chances, labels, unsure_below),
        "mnist_test_count": len(labels),
        "per_class_accuracy": (matrix.diag() / matrix.sum(1)).tolist(),
        "confusion_matrix": matrix.tolist(),
    }


def evaluate_validation(model: RowClassifier, root: Path, card: dict, unsure_below: float) -> dict:
    """Calibration on the validation set the training run chose its epoch and threshold on."""
    training = TrainConfig(**{k: v for k, v in card.get("training", {}).items() if k in vars(TrainConfig())})
    splits = load_splits(root, training.val_fraction, training.seed)
    # a card from before --marker-view was chosen on validation rows without marker drawings
    marker = "marker_view" in card.get("training", {})
    images, labels = validation_set(splits, training.val_drawn_per_digit, training.seed, marker)
    return {"validation_calibration": summary(probabilities(model, images), labels, unsure_below)}


def calibration_line(name: str, figures: dict) -> str:
    sure, unsure, caught = figures["accuracy_when_sure"], figures["accuracy_when_unsure"], figures["mistakes_flagged"]
    return (f"{name}: accuracy {figures['accuracy']:.4f}, ECE {figures['ece']:.4f}; unsure below "
            f"{figures['unsure_below']:.2f}: {figures['flagged']:.1%} flagged, holding "
            f"{'no' if caught is None else f'{caught:.0%} of the'} mistakes; right {'-' if sure is None else f'{sure:.2%}'} when sure, "
            f"{'-' if unsure is None else f'{unsure:.0%}'} when unsure ({figures['count']} images)")


def report(results: dict) -> str:
    lines = [f"MNIST test accuracy: {results['mnist_test_accuracy']:.4f} ({results['mnist_test_count']} images)",
             "per class: " + "  ".join(f"{d}:{a:.3f}" for d, a in enumerate(results["per_class_accuracy"])),
             "confusion matrix (rows: true digit, columns: predicted):",
             "      " + " ".join(f"{d:>5}" for d in range(CLASSES))]
    lines += [f"{d:>5} " + " ".join(f"{n:>5}" for n in row) for d, row in enumerate(results["confusion_matrix"])]
    if "images_accuracy" in results:
        lines.append(f"drawings accuracy: {results['images_accuracy']:.4f} ({results['images_count']} images)")
        lines += [f"  wrong: {w['path']} is a {w['label']}, "
                  + (f"read as {w['predicted']}" if w["problem"] is None else f"not read: {w['problem']}")
                  for w in results["images_wrong"]]
    lines.append("calibration of the top probability:")
    for name, key in [("validation", "validation_calibration"), ("MNIST test", "mnist_test_calibration"),
                      ("drawings", "images_calibration")]:
        if key in results:
            lines.append("  " + calibration_line(name, results[key]))
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--data", help="MNIST root (default: $ROWSCAN_DATA or data/)")
    parser.add_argument("--images", type=Path, help="folder of drawings laid out as DIR/<digit>/<file> "
                        "(such as the app's feedback folder, or python -m model.handwriting DIR)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--update-card", action="store_true",
                        help="record the accuracies and this command in the checkpoint's model card")
    args = parser.parse_args(argv)
    try:
        model, card = checkpoint.load(args.checkpoint)
        unsure_below = card.get("unsure_below", DEFAULT_UNSURE_BELOW)
        results = evaluate_mnist(model, data_root(args.data), unsure_below)
        results |= evaluate_validation(model, data_root(args.data), card, unsure_below)
        if args.images:
            if not args.images.is_dir():
                raise FileNotFoundError(f"{args.images}: no such folder of drawings")
            results |= evaluate_drawings(model, args.images, unsure_below)
    except (checkpoint.CheckpointError, DataUnavailable, FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(results) if args.json else report(results))
    if args.update_card:
        command = "python -m model.evaluate " + " ".join(argv if argv is not None else sys.argv[1:])
        record(args.checkpoint, results, args.images, command)
    return 0


def record(path: Path, results: dict, images: Path | None, command: str) -> None:
    """Keep the measured accuracies, and the command that measured them, in the model card:
    one entry per folder of drawings (or none), the newest replacing an older one."""
    card_file = checkpoint.card_path(path)
    card = json.loads(card_file.read_text())
    entry = {"command": command, "images": str(images) if images else None,
             "mnist_test_accuracy": results["mnist_test_accuracy"]}
    if images:
        entry |= {"images_accuracy": results["images_accuracy"], "images_count": results["images_count"],
                  "images_ece": results.get("images_calibration", {}).get("ece")}
    card["evaluations"] = [e for e in card.get("evaluations", []) if e["images"] != entry["images"]] + [entry]
    card_file.write_text(json.dumps(card, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
