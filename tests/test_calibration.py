"""Calibration figures and the unsure threshold, on answers whose accuracy is known."""

import pytest
import torch

from model.calibration import THRESHOLDS, expected_calibration_error, summary, unsure_threshold


def answers(confidences: list[float], right: list[bool]) -> tuple[torch.Tensor, torch.Tensor]:
    """Probabilities whose top class is 0 with the given confidence; label 0 when right, else 1."""
    probabilities = torch.zeros(len(confidences), 10)
    probabilities[:, 0] = torch.tensor(confidences)
    probabilities[:, 1:] = ((1 - probabilities[:, 0]) / 9)[:, None]
    return probabilities, torch.tensor([0 if r else 1 for r in right])


def test_ece_is_zero_when_confidence_matches_accuracy_and_the_gap_otherwise():
    calibrated = answers([0.8] * 10, [True] * 8 + [False] * 2)
    assert expected_calibration_error(*calibrated) == pytest.approx(0, abs=1e-6)
    underconfident = answers([0.9] * 10, [True] * 10)  # label smoothing's typical answer
    assert expected_calibration_error(*underconfident) == pytest.approx(0.1, abs=1e-6)
    mixed = answers([0.9] * 10 + [0.5] * 10, [True] * 10 + [True] * 5 + [False] * 5)
    assert expected_calibration_error(*mixed) == pytest.approx(0.05, abs=1e-6)  # half the answers 0.1 off


def test_the_threshold_is_where_answers_below_it_are_wrong_one_time_in_five_or_more():
    # 40 answers at 0.55 right half the time, 960 at 0.9 all right: everything under 0.9 is unsure.
    probabilities, labels = answers([0.55] * 40 + [0.9] * 960, [True, False] * 20 + [True] * 960)
    threshold = unsure_threshold(probabilities, labels)
    assert threshold == 0.9
    figures = summary(probabilities, labels, threshold)
    assert figures["flagged"] == pytest.approx(0.04) and figures["mistakes_flagged"] == 1
    assert figures["accuracy_when_sure"] == 1 and figures["accuracy_when_unsure"] == 0.5
    # When the low answers are mostly right, none is worth flagging: the lowest threshold.
    probabilities, labels = answers([0.55] * 40 + [0.9] * 960, [True] * 1000)
    assert unsure_threshold(probabilities, labels) == THRESHOLDS[0]
