"""MNIST as whole tensors, the validation split, and batch augmentation on the training device."""

import os
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torchvision.datasets import MNIST
from torchvision.transforms import v2

from model.preprocess import to_mnist

DEFAULT_ROOT = Path(__file__).resolve().parent.parent / "data"


def data_root(flag: str | None = None) -> Path:
    """--data beats ROWSCAN_DATA beats data/ in the repo."""
    return Path(flag or os.environ.get("ROWSCAN_DATA") or DEFAULT_ROOT)


class DataUnavailable(RuntimeError):
    pass


def load_mnist(root: Path, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Images (N, 28, 28) as floats in 0..1, white ink on black, and labels (N,).

    Uses the files under root/MNIST/raw when present, else downloads them there.
    """
    try:
        dataset = MNIST(str(root), train=train, download=True)  # no network needed when the files are there
    except Exception as error:  # torchvision raises RuntimeError/URLError/OSError depending on what failed
        raise DataUnavailable(
            f"MNIST is not under {root}/MNIST/raw and could not be downloaded ({error}). "
            "Connect to the internet, or point --data or ROWSCAN_DATA at a folder that holds MNIST/raw."
        ) from error
    return dataset.data.float().div(255), dataset.targets.clone()


@dataclass
class Splits:
    train_images: torch.Tensor
    train_labels: torch.Tensor
    val_images: torch.Tensor
    val_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor


def load_splits(root: Path, val_fraction: float, seed: int) -> Splits:
    """Training rows split into train/validation by a seeded permutation; the test set stays whole."""
    images, labels = load_mnist(root, train=True)
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))
    n_val = round(len(images) * val_fraction)
    val, train = order[:n_val], order[n_val:]
    test_images, test_labels = load_mnist(root, train=False)
    return Splits(images[train], labels[train], images[val], labels[val], test_images, test_labels)


def as_the_app_sees(images: torch.Tensor) -> torch.Tensor:
    """Each image passed through the app's preprocessing, which gives every digit MNIST's
    median stroke width: training on these teaches the model the inputs drawings become."""
    return torch.stack([to_mnist(image) for image in images.numpy()])


class Augment:
    """Random affine distortion and stroke-width change for a batch of (N, 28, 28) images.

    v2.RandomAffine draws one set of parameters per call, so it is applied to small groups of
    the batch: every group gets its own rotation, scale, shift and shear. Stroke width changes
    per image by blending towards a 3x3 dilation (thicker) or erosion (thinner).
    """

    def __init__(self, degrees=12.0, translate=0.12, scale=(0.85, 1.15), shear=10.0, width=0.6, group=8):
        self.affine = v2.RandomAffine(degrees, translate=(translate, translate), scale=scale, shear=shear)
        self.width = width
        self.group = group

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        x = images.unsqueeze(1)
        x = torch.cat([self.affine(chunk) for chunk in x.split(self.group)])
        thicker = F.max_pool2d(x, 3, 1, 1)
        thinner = -F.max_pool2d(-x, 3, 1, 1)
        amount = (torch.rand(len(x), 1, 1, 1, device=x.device) * 2 - 1) * self.width
        x = torch.where(amount > 0, x + amount * (thicker - x), x - amount * (thinner - x))
        return x.squeeze(1).clamp(0, 1)
