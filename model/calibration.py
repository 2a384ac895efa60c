"""How far a model's top probability can be trusted, and below which one it should say it is unsure."""

import torch

DEFAULT_UNSURE_BELOW = 0.5  # for a card that records no threshold of its own
BINS = 15
UNSURE_ACCURACY = 0.8  # an unsure answer is one that validation shows wrong at least 1 time in 5
THRESHOLDS = [t / 100 for t in range(30, 100)]


def expected_calibration_error(probabilities: torch.Tensor, labels: torch.Tensor, bins: int = BINS) -> float:
    """The gap between confidence and accuracy, averaged over equal-width confidence bins weighted
    by how many answers fall in each (Guo et al., 2017): 0 for a perfectly calibrated model."""
    confidence, predicted = probabilities.max(1)
    right = (predicted == labels).float()
    which = (confidence * bins).long().clamp(max=bins - 1)
    error = torch.zeros(())
    for b in range(bins):
        inside = which == b
        if inside.any():
            error += inside.float().mean() * (confidence[inside].mean() - right[inside].mean()).abs()
    return float(error)


def unsure_threshold(probabilities: torch.Tensor, labels: torch.Tensor) -> float:
    """The highest top probability below which validation answers are right at most UNSURE_ACCURACY
    of the time. Answers below it are flagged; above it they are right far more often.
    With too few low answers to tell (a model that is never unsure) the lowest threshold is used."""
    confidence, predicted = probabilities.max(1)
    right = (predicted == labels).float()
    chosen = THRESHOLDS[0]
    for threshold in THRESHOLDS:
        below = confidence < threshold
        if below.sum() >= 10 and right[below].mean() <= UNSURE_ACCURACY:
            chosen = threshold
    return chosen


def summary(probabilities: torch.Tensor, labels: torch.Tensor, threshold: float) -> dict:
    """ECE, and what flagging answers under `threshold` does: how many are flagged, how many of the
    mistakes they hold, and how often the rest and the flagged ones are right."""
    confidence, predicted = probabilities.max(1)
    right = predicted == labels
    flagged = confidence < threshold
    return {
        "ece": expected_calibration_error(probabilities, labels),
        "accuracy": right.float().mean().item(),
        "unsure_below": threshold,
        "flagged": flagged.float().mean().item(),
        "mistakes_flagged": (flagged & ~right).sum().item() / (~right).sum().item() if (~right).any() else None,
        "accuracy_when_sure": right[~flagged].float().mean().item() if (~flagged).any() else None,
        "accuracy_when_unsure": right[flagged].float().mean().item() if flagged.any() else None,
        "count": len(labels),
    }
