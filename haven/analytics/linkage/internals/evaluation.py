"""Pairwise precision and recall of a clustering against the truth."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["PairwiseScores", "pairwise_scores"]


@dataclass(frozen=True)
class PairwiseScores:
    """Pairwise agreement between predicted clusters and true entities.

    Attributes:
        true_pairs: Pairs of records that are truly one person.
        predicted_pairs: Pairs of records placed in one cluster.
        correct_pairs: Pairs in both.
        precision: correct / predicted (1.0 when nothing is predicted).
        recall: correct / true (1.0 when there are no true pairs).
        f1: Harmonic mean of precision and recall.
    """

    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    precision: float
    recall: float
    f1: float


def _pairs(counts: np.ndarray) -> int:
    return int((counts * (counts - 1) // 2).sum())


def pairwise_scores(predicted: Sequence[int], truth: Sequence[int]) -> PairwiseScores:
    """Return pairwise precision, recall and F1 of cluster labels ``predicted`` against ``truth``.

    Args:
        predicted: Cluster label of each record.
        truth: True entity of each record (same order).

    Returns:
        The scores.
    """
    pred = np.asarray(predicted, dtype=np.int64)
    true = np.asarray(truth, dtype=np.int64)
    if pred.shape != true.shape:
        raise ValueError("predicted and truth must have the same length")
    _, pred_counts = np.unique(pred, return_counts=True)
    _, true_counts = np.unique(true, return_counts=True)
    joint = np.stack([pred, true], axis=1)
    _, joint_counts = np.unique(joint, axis=0, return_counts=True)
    predicted_pairs, true_pairs, correct = _pairs(pred_counts), _pairs(true_counts), _pairs(joint_counts)
    precision = correct / predicted_pairs if predicted_pairs else 1.0
    recall = correct / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PairwiseScores(true_pairs, predicted_pairs, correct, precision, recall, f1)
