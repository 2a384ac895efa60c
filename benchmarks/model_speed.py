"""Speed of the model code, printed (never asserted):

    python -m benchmarks.model_speed trace [--device cuda]      digits/s of trace() at batch 1, 32, 256
    python -m benchmarks.model_speed training [--device cuda]   samples/s: this project's loop against
                                                                the tutorials' recipe, as a ratio

The default device is cuda when there is one, else the CPU with torch's default threads.
"""

import argparse
import time

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader
from torchvision.datasets import MNIST
from torchvision.transforms import ToTensor

from model import checkpoint
from model.data import Augment, data_root, load_mnist, load_splits, validation_set
from model.network import ModelConfig, RowClassifier, trace
from model.train import TrainConfig, pick_device, train, training_set

SHIPPED = {"LSTM": "checkpoints/lstm.pt", "BiLSTM": "checkpoints/bilstm.pt"}
HIDDEN, BATCH = 64, 64  # the tutorials' model and batch, used by both loops


def synchronise(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def trace_speed(device: torch.device, seconds: float = 3.0) -> None:
    images, _ = load_mnist(data_root(), train=False)
    print(f"trace() on {device} ({torch.get_num_threads()} CPU threads), real MNIST test digits")
    for name, path in SHIPPED.items():
        model, _ = checkpoint.load(path, device)
        for batch in (1, 32, 256):
            x = images[:batch].to(device)
            trace(model, x)  # warm-up
            synchronise(device)
            done, start = 0, time.perf_counter()
            while time.perf_counter() - start < seconds:
                trace(model, x)
                synchronise(device)
                done += batch
            print(f"  {name:6s} batch {batch:3d}: {done / (time.perf_counter() - start):8.0f} digits/s")


class TutorialLSTM(nn.Module):
    """The tutorials' model: one LSTM layer, read out at the last timestep's output."""

    def __init__(self, hidden: int = HIDDEN):
        super().__init__()
        self.lstm = nn.LSTM(28, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x)  # h0 and c0 default to zeros
        return self.fc(out[:, -1, :])


def tutorial_loader() -> DataLoader:
    """The tutorials' data path; load_mnist (run first, by the project's loop) has fetched the files
    where there is a network and said clearly what is missing where there is none."""
    dataset = MNIST(str(data_root()), train=True, transform=ToTensor(), download=False)
    return DataLoader(dataset, batch_size=BATCH, shuffle=True)


def tutorial_epoch(device: torch.device) -> float:
    """One epoch of the tutorials' recipe (per-sample ToTensor through a DataLoader, Adam); samples/s."""
    loader = tutorial_loader()
    model = TutorialLSTM().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    start = time.perf_counter()
    for images, labels in loader:
        images, labels = images.view(-1, 28, 28).to(device), labels.to(device)
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    synchronise(device)
    return len(loader.dataset) / (time.perf_counter() - start)


def project_epochs(device: torch.device, epochs: int = 2) -> float:
    """This project's loop (batches on the device, augmentation, AdamW, one-cycle, clipping,
    validation each epoch) on the same model and batch; samples/s of its fastest epoch."""
    splits = load_splits(data_root(), TrainConfig.val_fraction, seed=0)
    # The shipped recipe's mix of generated drawings, from a small pool: rendering the pool is
    # preparation, not the loop timed here.
    config = TrainConfig(epochs=epochs, batch_size=BATCH, drawn_per_digit=20, val_drawn_per_digit=2)
    data = training_set(splits, config)
    model = RowClassifier(ModelConfig("lstm", HIDDEN, 1, 0.0, False)).to(device)
    result = train(model, data, validation_set(splits, config.val_drawn_per_digit, config.seed), config, device)
    return len(data.labels) / min(result["history"]["epoch_seconds"])


def training_speed(device: torch.device) -> None:
    print(f"training on {device} ({torch.get_num_threads()} CPU threads): LSTM-{HIDDEN}, batch {BATCH}")
    ours = project_epochs(device)
    theirs = tutorial_epoch(device)
    print(f"  this project's loop: {ours:7.0f} samples/s")
    print(f"  tutorials' recipe:   {theirs:7.0f} samples/s")
    print(f"  ratio: {ours / theirs:.2f}x")
    images = load_mnist(data_root(), train=True)[0][:BATCH].to(device)
    augment = Augment()
    start = time.perf_counter()
    for _ in range(len(tutorial_loader().dataset) // BATCH):
        augment(images)
    synchronise(device)
    augmenting = time.perf_counter() - start
    start = time.perf_counter()
    for images, _ in tutorial_loader():
        images.to(device)
    synchronise(device)
    print(f"  one epoch's augmentation alone takes {augmenting:.2f} s in the project's loop; "
          f"one epoch of the tutorials' DataLoader alone {time.perf_counter() - start:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["trace", "training"])
    parser.add_argument("--device", help="cuda or cpu (default: cuda when available)")
    args = parser.parse_args()
    device = pick_device(args.device)
    trace_speed(device) if args.what == "trace" else training_speed(device)


if __name__ == "__main__":
    main()
