"""MNIST as whole tensors, the validation split, and batch augmentation on the training device."""

import os
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torchvision.datasets import MNIST, ImageFolder
from torchvision.datasets.folder import IMG_EXTENSIONS
from torchvision.transforms import v2

from model import handwriting
from model.preprocess import UnreadableImage, ink_to_mnist, read_image, to_mnist

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


def as_drawn_with_a_marker(images: torch.Tensor, seed: int) -> torch.Tensor:
    """Each image as a fat marker would draw it, then through the app's preprocessing. At 4x
    size the ink is cut at a low level (0.1 to 0.25) and grown by 1-4 px, a quarter to a whole
    MNIST pixel on each side, by a square tip or a round one: that closes small loops and gaps, as
    a marker does, and the app's stroke thinning cannot open them again, so the model has to learn
    the closed shapes."""
    generator = torch.Generator().manual_seed(seed)
    grow = torch.randint(1, 5, (len(images),), generator=generator).tolist()
    cut = 0.1 + 0.15 * torch.rand(len(images), 1, 1, 1, generator=generator)
    round_tip = (torch.rand(len(images), generator=generator) < 0.5).tolist()
    big = (F.interpolate(images[:, None], scale_factor=4, mode="bicubic") > cut).float()
    return torch.stack([ink_to_mnist(marked(ink, r, tip)[0].numpy()) for ink, r, tip in zip(big, grow, round_tip)])


def marked(ink: torch.Tensor, radius: int, round_tip: bool) -> torch.Tensor:
    """(1, h, w) ink grown by `radius` px with a round tip (a disc) or a square one."""
    if not round_tip:
        return F.max_pool2d(ink, 2 * radius + 1, 1, radius)
    y, x = torch.meshgrid(torch.arange(-radius, radius + 1.0), torch.arange(-radius, radius + 1.0), indexing="ij")
    disc = (x**2 + y**2 <= radius**2 + 0.5).float()
    return (F.conv2d(ink[None], disc[None, None], padding=radius)[0] > 0).float()


def validation_set(splits: Splits, drawn_per_digit: int, seed: int, marker: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """What the best epoch and the unsure threshold are chosen on: the validation rows as the app
    would give them, plain and (with `marker`, as model.train has since it had --marker-view) drawn
    with a fat marker, and drawings of the validation templates, which neither training nor the
    held-out figures use."""
    drawn, drawn_labels = handwriting.inputs("validation", drawn_per_digit, seed)
    rows = [as_the_app_sees(splits.val_images), *([as_drawn_with_a_marker(splits.val_images, seed)] if marker else [])]
    return torch.cat([*rows, drawn]), torch.cat([splits.val_labels.repeat(len(rows)), drawn_labels])


INPUT_SUFFIX = ".input.png"  # the 28x28 input saved beside a drawing: not a drawing of its own


def drawing_files(folder: Path) -> list[tuple[Path, int]]:
    """(path, digit) of every drawing in an ImageFolder layout, folder/<digit>/<file>."""
    if not Path(folder).is_dir():
        raise ValueError(f"{folder}: no such folder of drawings")
    try:
        found = ImageFolder(str(folder), loader=str, allow_empty=True,
                            is_valid_file=lambda path: path.lower().endswith(IMG_EXTENSIONS) and not path.endswith(INPUT_SUFFIX))
    except FileNotFoundError as error:  # no subfolders at all
        raise ValueError(f"{folder}: its subfolders must be named by digit (0-9), found none") from error
    if not all(name.isdigit() and len(name) == 1 for name in found.classes):
        raise ValueError(f"{folder}: its subfolders must be named by digit (0-9), found {found.classes}")
    return [(Path(path), int(found.classes[index])) for path, index in found.samples]


def read_drawing(path: Path) -> tuple[torch.Tensor | None, str | None]:
    """(input, problem): a drawing file as the app would see it, or why it has none."""
    try:
        image = to_mnist(read_image(path))
    except UnreadableImage as error:
        return None, str(error)
    return (image, None) if image is not None else (None, "nothing drawn")


def load_drawings(folder: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """Every readable drawing in an ImageFolder layout as the app's 28x28 inputs (N, 28, 28), and labels (N,)."""
    images, labels = [], []
    for path, digit in drawing_files(Path(folder)):
        image, _ = read_drawing(path)
        if image is not None:
            images.append(image)
            labels.append(digit)
    if not images:
        return torch.zeros(0, 28, 28), torch.zeros(0, dtype=torch.long)
    return torch.stack(images), torch.tensor(labels)


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
