"""Train a row-by-row classifier on MNIST: python -m model.train --help"""

import argparse
import copy
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from tqdm import tqdm

from model import checkpoint, handwriting
from model.calibration import summary, unsure_threshold
from model.curves import plot_curves
from model.data import (Augment, DataUnavailable, as_drawn_with_a_marker, as_the_app_sees, data_root,
                        load_drawings, load_splits, validation_set)
from model.network import CELLS, ModelConfig, RowClassifier


MODEL_FLAGS = ("cell", "hidden_size", "num_layers", "dropout", "bidirectional")  # ModelConfig's, from the command line


@dataclass
class TrainConfig:
    epochs: int = 60
    batch_size: int = 128
    lr: float = 3e-3
    weight_decay: float = 1e-4
    label_smoothing: float = 0.1
    clip: float = 1.0
    app_view: float = 0.5  # fraction of each batch shown as the app's preprocessing would give it
    marker_view: float = 0.3  # the part of app_view drawn first with a fat marker, which closes small loops
    drawn: float = 0.25  # fraction of each batch taken from drawings of the training templates (0: none)
    drawn_per_digit: int = 800  # drawings per digit rendered once per run for that
    val_drawn_per_digit: int = 100  # drawings per digit of the validation templates
    ema: float = 0.998  # decay of the weights' moving average, which is what is validated and kept (0: none)
    val_fraction: float = 0.1
    seed: int = 0


def pick_device(name: str | None) -> torch.device:
    return torch.device(name or ("cuda" if torch.cuda.is_available() else "cpu"))


@torch.no_grad()
def logits_of(model: RowClassifier, images: torch.Tensor, batch: int = 1000) -> torch.Tensor:
    model.eval()
    return torch.cat([model(x) for x in images.split(batch)])


def probabilities(model: RowClassifier, images: torch.Tensor) -> torch.Tensor:
    return logits_of(model, images).softmax(1)


def evaluate(model: RowClassifier, images: torch.Tensor, labels: torch.Tensor):
    """(accuracy, mean cross-entropy) on a labelled set."""
    logits = logits_of(model, images)
    return (logits.argmax(1) == labels).float().mean().item(), F.cross_entropy(logits, labels).item()


@dataclass
class TrainingSet:
    """What training draws its batches from: MNIST rows, as they are, as the app would give them
    and as drawn with a fat marker, with any extra folders of drawings appended; and the pool of
    generated drawings."""

    images: torch.Tensor
    app_images: torch.Tensor
    marker_images: torch.Tensor
    labels: torch.Tensor
    drawn_images: torch.Tensor
    drawn_labels: torch.Tensor
    extra_counts: dict[str, int]  # drawings read from each extra folder


def training_set(splits, config: TrainConfig, extra_images: list[Path] = ()) -> TrainingSet:
    extras = {str(folder): load_drawings(folder) for folder in extra_images}  # already the app's inputs
    extra = torch.cat([torch.zeros(0, 28, 28), *[images for images, _ in extras.values()]])
    extra_labels = torch.cat([torch.zeros(0, dtype=torch.long), *[labels for _, labels in extras.values()]])
    app_images = as_the_app_sees(splits.train_images)
    marker_images = as_drawn_with_a_marker(splits.train_images, config.seed) if config.marker_view else app_images
    drawn_images, drawn_labels = (handwriting.inputs("train", config.drawn_per_digit, config.seed)
                                  if config.drawn > 0 else (torch.zeros(0, 28, 28), torch.zeros(0, dtype=torch.long)))
    return TrainingSet(torch.cat([splits.train_images, extra]), torch.cat([app_images, extra]),
                       torch.cat([marker_images, extra]), torch.cat([splits.train_labels, extra_labels]),
                       drawn_images, drawn_labels,
                       {folder: len(labels) for folder, (_, labels) in extras.items()})


def train(model: RowClassifier, data: TrainingSet, validation, config: TrainConfig, device: torch.device) -> dict:
    """Train with augmentation and a one-cycle schedule; keep the epoch with the lowest validation loss,
    which two thousand validation images measure far more steadily than accuracy. With config.ema the
    weights validated and kept are an exponential moving average of the trained ones, which smooths
    away the last steps' noise on a 9,000-image training split."""
    torch.manual_seed(config.seed)
    images, app_images, labels = data.images.to(device), data.app_images.to(device), data.labels.to(device)
    marker_images = data.marker_images.to(device)
    drawn_images, drawn_labels = data.drawn_images.to(device), data.drawn_labels.to(device)
    val_images, val_labels = validation[0].to(device), validation[1].to(device)
    augment = Augment()
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    steps = config.epochs * -(-len(images) // config.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, config.lr, total_steps=steps)
    averaged = (AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(config.ema)) if config.ema else None)
    kept = averaged.module if averaged else model
    history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "epoch_seconds": []}
    best = (float("inf"), 0, None)
    for epoch in range(1, config.epochs + 1):
        start = time.perf_counter()
        model.train()
        total = 0.0
        batches = tqdm(torch.randperm(len(images), device=device).split(config.batch_size),
                       desc=f"epoch {epoch}/{config.epochs}", unit="batch", leave=False)
        for batch in batches:
            view = torch.rand(len(batch), 1, 1, device=device)
            x = torch.where(view < config.app_view, app_images[batch], images[batch])
            x = torch.where(view < config.app_view * config.marker_view, marker_images[batch], x)
            y = labels[batch]
            if len(drawn_images):
                drawn = torch.rand(len(batch), device=device) < config.drawn
                pick = torch.randint(len(drawn_images), (len(batch),), device=device)
                x = torch.where(drawn[:, None, None], drawn_images[pick], x)
                y = torch.where(drawn, drawn_labels[pick], y)
            loss = F.cross_entropy(model(augment(x)), y, label_smoothing=config.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip)
            optimizer.step()
            schedule.step()
            if averaged:
                averaged.update_parameters(model)
            total += loss.item() * len(batch)
            batches.set_postfix(loss=f"{loss.item():.4f}", refresh=False)
        val_accuracy, val_loss = evaluate(kept, val_images, val_labels)
        seconds = time.perf_counter() - start
        for key, value in zip(history, (total / len(images), val_loss, val_accuracy, seconds)):
            history[key].append(value)
        if val_loss <= best[0]:
            best = (val_loss, epoch, copy.deepcopy(kept.state_dict()))
        print(f"epoch {epoch:3d}/{config.epochs}  train loss {total / len(images):.4f}  "
            f"val loss {val_loss:.4f}  val acc {val_accuracy:.4f}  {seconds:.1f}s", flush=True)
    model.load_state_dict(best[2])
    return {"history": history, "best_epoch": best[1], "val_accuracy": history["val_accuracy"][best[1] - 1]}


def provenance(path: Path, card: dict) -> dict:
    """What a fine-tuned model's card says of the checkpoint it started from: that file may be
    replaced by the fine-tuned one, so its checksum, its data and how it was trained are kept."""
    kept = ("command", "training", "data", "training_seconds", "best_epoch", "started_from")
    return {"checkpoint": str(path), "sha256": card["checkpoint_sha256"], **{key: card[key] for key in kept if key in card}}


def load_start(parser: argparse.ArgumentParser, args) -> tuple[RowClassifier, dict]:
    """The checkpoint --init names and its card, or a parser error: it must have been trained on
    the same split, and the model flags, which it fixes, must not be given."""
    try:
        model, card = checkpoint.load(args.init)
    except checkpoint.CheckpointError as error:
        parser.error(str(error))
    given = [flag for flag in MODEL_FLAGS if getattr(args, flag) != parser.get_default(flag)]
    if given:
        parser.error(f"--init {args.init} fixes the architecture ({model.config.describe()}, dropout "
                     f"{model.config.dropout}): drop " + ", ".join("--" + flag.replace("_", "-") for flag in given))
    trained = card.get("training")
    if not isinstance(trained, dict) or "seed" not in trained or "val_fraction" not in trained:
        parser.error(f"--init {args.init}: its card does not record the seed and validation fraction it was trained "
                     "with, so its validation rows cannot be kept unseen")
    if (trained["seed"], trained["val_fraction"]) != (args.seed, args.val_fraction):
        # another split would validate on images the starting weights were trained on
        parser.error(f"--init {args.init} was trained with --seed {trained['seed']} and --val-fraction "
                     f"{trained['val_fraction']}: use the same, so its validation images stay unseen")
    return model, card


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    defaults_model, defaults_train = ModelConfig(), TrainConfig()
    parser.add_argument("--cell", choices=sorted(CELLS), default=defaults_model.cell)
    parser.add_argument("--hidden-size", type=int, default=defaults_model.hidden_size)
    parser.add_argument("--num-layers", type=int, default=defaults_model.num_layers)
    parser.add_argument("--dropout", type=float, default=defaults_model.dropout)
    parser.add_argument("--bidirectional", action="store_true")
    for name, value in vars(defaults_train).items():
        parser.add_argument("--" + name.replace("_", "-"), type=type(value), default=value)
    parser.add_argument("--device", help="cuda or cpu (default: cuda when available)")
    parser.add_argument("--threads", type=int, help="CPU threads for torch")
    parser.add_argument("--data", help="MNIST root (default: $ROWSCAN_DATA or data/)")
    parser.add_argument("--extra-images", type=Path, action="append", default=[], metavar="DIR",
                        help="a folder of drawings laid out as DIR/<digit>/<file> (such as the app's feedback "
                        "folder) to mix into training; repeatable")
    parser.add_argument("--init", type=Path, metavar="CHECKPOINT",
                        help="start from this checkpoint's weights and architecture (give no model flags): to "
                        "fine-tune a shipped model, e.g. on feedback folders, in minutes")
    parser.add_argument("--out", type=Path, default=Path("checkpoints/model.pt"))
    args = parser.parse_args(argv)
    if not 0 <= args.ema < 1:
        parser.error(f"--ema {args.ema}: the moving average's decay is 0 (none) or more, and under 1")
    if not 0 <= args.marker_view <= 1:
        parser.error(f"--marker-view {args.marker_view}: a share of the app-view rows, from 0 to 1")
    initial = load_start(parser, args) if args.init else None
    if args.threads:
        torch.set_num_threads(args.threads)

    model_config = (initial[0].config if initial else
                    ModelConfig(args.cell, args.hidden_size, args.num_layers, args.dropout, args.bidirectional))
    train_config = TrainConfig(**{k: getattr(args, k) for k in vars(defaults_train)})
    device = pick_device(args.device)
    root = data_root(args.data)
    start = time.perf_counter()
    try:
        splits = load_splits(root, train_config.val_fraction, train_config.seed)
        data = training_set(splits, train_config, args.extra_images)
    except (DataUnavailable, FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    validation = validation_set(splits, train_config.val_drawn_per_digit, train_config.seed)
    prepared = time.perf_counter() - start
    torch.manual_seed(train_config.seed)
    model = RowClassifier(model_config).to(device)
    if initial:  # built from the seed all the same: the run then draws the same random numbers as any other
        model.load_state_dict(initial[0].state_dict())
    print(f"{model_config.describe()}: {model.parameter_count():,} parameters on {device}; "
          f"{len(splits.train_labels)} MNIST + {len(data.labels) - len(splits.train_labels)} extra training images, "
          f"{len(data.drawn_labels)} generated drawings; {len(validation[1])} validation images "
          f"(prepared in {prepared:.0f}s)", flush=True)
    result = train(model, data, validation, train_config, device)
    seconds = time.perf_counter() - start
    test, _ = evaluate(model, splits.test_images.to(device), splits.test_labels.to(device))
    val_probabilities = probabilities(model, validation[0].to(device)).cpu()
    threshold = unsure_threshold(val_probabilities, validation[1])
    print(f"best epoch {result['best_epoch']}: validation {result['val_accuracy']:.4f}, "
          f"MNIST test {test:.4f}, unsure below {threshold:.2f}, {seconds:.0f}s")
    card = {
        "model": model_config.describe(),
        "parameter_count": model.parameter_count(),
        "training": vars(train_config),
        **({"started_from": provenance(args.init, initial[1])} if initial else {}),
        "data": {
            "root": str(root),
            "train_images": len(splits.train_labels),
            "extra_images": data.extra_counts,
            "generated_drawings": len(data.drawn_labels),
            "validation_images": len(splits.val_labels),
            "validation_marker_images": len(splits.val_labels),  # the same rows drawn with a fat marker
            "validation_drawings": len(validation[1]) - 2 * len(splits.val_labels),
            "test_images": len(splits.test_labels),
        },
        "epochs": train_config.epochs,
        "best_epoch": result["best_epoch"],
        "validation_accuracy": result["val_accuracy"],
        "mnist_test_accuracy": test,
        "unsure_below": threshold,
        "calibration": {"validation": summary(val_probabilities, validation[1], threshold)},
        "training_seconds": round(seconds, 1),  # preparing the data included
        "preparation_seconds": round(prepared, 1),
        "device": str(device) if device.type != "cpu" else f"cpu ({torch.get_num_threads()} threads, {platform.machine()})",
        "torch_version": torch.__version__,
        "command": "python -m model.train " + " ".join(argv if argv is not None else sys.argv[1:]),
        "history": result["history"],
    }
    checkpoint.save(args.out, model, card)
    plot_curves(args.out.with_suffix(".png"), result["history"])
    print(f"wrote {args.out}, {checkpoint.card_path(args.out)} and {args.out.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
