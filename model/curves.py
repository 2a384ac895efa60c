"""Training curves as a PNG, drawn with matplotlib: python -m model.curves CARD.json redraws one
from a model card's history."""

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator, PercentFormatter  # noqa: E402


def best_epoch(history: dict[str, list[float]]) -> int:
    """The epoch training keeps: the last one with the lowest validation loss (1-based)."""
    losses = history["val_loss"]
    return max(i for i, loss in enumerate(losses, 1) if loss == min(losses))


def curves_figure(history: dict[str, list[float]]) -> Figure:
    """Loss (training, validation) and validation accuracy per epoch, side by side; legends sit
    below the plots, so they never hide a line."""
    epochs = range(1, len(history["train_loss"]) + 1)
    kept = best_epoch(history)
    figure, (loss, accuracy) = plt.subplots(1, 2, figsize=(10, 4.5), dpi=100, layout="constrained")
    loss.plot(epochs, history["train_loss"], label="training loss (augmented batches, smoothed labels)", color="tab:blue")
    loss.plot(epochs, history["val_loss"], label="validation loss", color="tab:red")
    loss.set(title="Loss per epoch", xlabel="epoch", ylabel="cross-entropy", ylim=(0, None))
    accuracy.plot(epochs, history["val_accuracy"], label="validation accuracy", color="tab:green")
    # The first epochs would squash the part worth seeing.
    accuracy.set(title="Validation accuracy per epoch", xlabel="epoch", ylabel="accuracy",
                 ylim=(max(min(history["val_accuracy"]), 0.9), 1.0))
    accuracy.yaxis.set_major_formatter(PercentFormatter(1.0))
    for axes in (loss, accuracy):
        axes.axvline(kept, color="grey", linestyle=":", label=f"kept: epoch {kept} (lowest validation loss)")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(alpha=0.3)
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize="small", frameon=False)
    return figure


def plot_curves(path: Path, history: dict[str, list[float]]) -> None:
    figure = curves_figure(history)
    figure.savefig(path)
    plt.close(figure)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("card", type=Path, help="a model card (.json) written by python -m model.train")
    args = parser.parse_args(argv)
    plot_curves(args.card.with_suffix(".png"), json.loads(args.card.read_text())["history"])
    print(f"wrote {args.card.with_suffix('.png')}")


if __name__ == "__main__":
    main()
