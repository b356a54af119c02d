"""Simulated populations with known size, for validation and coverage studies.

The designs are HRDAG's ``StanLCMCR`` ``simulations.yaml`` (estimation-notes §1.8): each
stratum has a size and one capture probability per list, lists independent within a
stratum. ``sim1`` is the simulation of Manrique-Vallier (2016). All have N = 2000.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .data import CaptureHistories

__all__ = ["SIMULATION_DESIGNS", "simulate_histories"]

Design = tuple[tuple[int, tuple[float, ...]], ...]

SIMULATION_DESIGNS: dict[str, Design] = {
    "sim1": ((1800, (0.033, 0.033, 0.099, 0.132, 0.033)), (200, (0.660, 0.825, 0.759, 0.990, 0.693))),
    "sim2": ((1600, (0.013, 0.013, 0.099, 0.132, 0.033)), (400, (0.560, 0.825, 0.759, 0.990, 0.593))),
    "sim3": ((1600, (0.113, 0.113, 0.199, 0.232, 0.133)), (400, (0.860, 0.925, 0.859, 0.990, 0.793))),
    "sim4": (
        (1600, (0.1, 0.05, 0.15, 0.2, 0.1)),
        (200, (0.5, 0.4, 0.6, 0.4, 0.5)),
        (200, (0.8, 0.9, 0.6, 0.7, 0.7)),
    ),
    # Negative list dependence: lists 4-5 favour the people lists 1-3 miss.
    "sim5": ((1600, (0.113, 0.113, 0.199, 0.832, 0.733)), (400, (0.860, 0.925, 0.859, 0.190, 0.193))),
}


def simulate_histories(
    design: str | Sequence[tuple[int, Sequence[float]]],
    rng: np.random.Generator,
    lists: Sequence[str] | None = None,
) -> CaptureHistories:
    """Draw one capture-history table from a design of homogeneous strata.

    Args:
        design: A name in :data:`SIMULATION_DESIGNS` or ``[(size, [p_1, ..., p_J]), ...]``.
        rng: Random generator (pass a seeded one for reproducible draws).
        lists: List names.

    Returns:
        The observed histories (people on no list are, by definition, not included).
    """
    strata = SIMULATION_DESIGNS[design] if isinstance(design, str) else design
    blocks = [rng.random((size, len(probs))) < np.asarray(probs) for size, probs in strata]
    captured = np.vstack(blocks).astype(np.int64)
    captured = captured[captured.sum(axis=1) > 0]
    weights = 2 ** np.arange(captured.shape[1] - 1, -1, -1)
    codes, counts = np.unique(captured @ weights, return_counts=True)
    patterns = ((codes[:, None] // weights[None, :]) % 2).tolist()
    return CaptureHistories.from_counts(patterns, counts.tolist(), lists=lists)
