"""Training curves as a PNG drawn with PIL (no plotting library needed for two lines)."""

from pathlib import Path

from PIL import Image, ImageDraw

WIDTH, HEIGHT, MARGIN = 360, 240, 40


def _panel(draw: ImageDraw.ImageDraw, left: int, title: str, series: dict[str, list[float]], low, high):
    x0, y0, x1, y1 = left + MARGIN, MARGIN // 2 + 14, left + WIDTH - 12, HEIGHT - MARGIN
    draw.rectangle((x0, y0, x1, y1), outline="#888")
    draw.text((x0, 6), title, fill="black")
    draw.text((4 + left, y0 - 6), f"{high:.3g}", fill="#444")
    draw.text((4 + left, y1 - 6), f"{low:.3g}", fill="#444")
    epochs = max(len(v) for v in series.values())
    draw.text((x0, y1 + 6), "epoch 1", fill="#444")
    draw.text((x1 - 50, y1 + 6), f"epoch {epochs}", fill="#444")
    for (name, values), colour, row in zip(series.items(), ("#1f77b4", "#d62728"), range(2)):
        points = [
            (x0 + (x1 - x0) * i / max(epochs - 1, 1), y1 - (y1 - y0) * (min(max(v, low), high) - low) / (high - low))
            for i, v in enumerate(values)
        ]
        draw.line(points, fill=colour, width=2)
        draw.text((x1 - 130, y0 + 4 + 12 * row), name, fill=colour)


def plot_curves(path: Path, history: dict[str, list[float]]) -> None:
    """Loss (training, validation) and validation accuracy per epoch, side by side."""
    image = Image.new("RGB", (2 * WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    losses = {"train loss": history["train_loss"], "validation loss": history["val_loss"]}
    _panel(draw, 0, "loss per epoch", losses, 0.0, max(max(v) for v in losses.values()))
    accuracy = history["val_accuracy"]
    low = max(min(accuracy), 0.9)  # the first epochs would squash the part worth seeing
    _panel(draw, WIDTH, "validation accuracy per epoch", {"validation accuracy": accuracy}, low, 1.0)
    image.save(path)
