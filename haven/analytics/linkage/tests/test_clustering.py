"""cluster_pairs: connected components followed by average-linkage splitting."""

from __future__ import annotations

import numpy as np

from haven.analytics.linkage.internals.clustering import cluster_pairs


def _run(n: int, edges: list[tuple[int, int, float]], **kwargs: object) -> list[int]:
    left = np.array([e[0] for e in edges], dtype=np.int64)
    right = np.array([e[1] for e in edges], dtype=np.int64)
    weight = np.array([e[2] for e in edges], dtype=np.float64)
    return cluster_pairs(n, left, right, weight, threshold_weight=0.0, **kwargs).tolist()  # type: ignore[arg-type]


def test_it_splits_a_chain_whose_ends_disagree() -> None:
    # A~B and B~C are likely, A~C is strongly against: connected components would merge all three.
    labels = _run(3, [(0, 1, 6.0), (1, 2, 4.0), (0, 2, -12.0)])
    assert labels == [0, 0, 1]


def test_it_keeps_a_cluster_whose_pairs_mostly_agree() -> None:
    labels = _run(4, [(0, 1, 9.0), (0, 2, 8.0), (1, 2, 7.0), (2, 3, 5.0), (0, 3, 2.0), (1, 3, -1.0)])
    assert labels == [0, 0, 0, 0]


def test_it_scores_pairs_that_blocking_never_compared() -> None:
    calls: list[tuple[list[int], list[int]]] = []

    def score(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        calls.append((left.tolist(), right.tolist()))
        return np.full(len(left), -20.0)

    labels = _run(3, [(0, 1, 3.0), (1, 2, 3.0)], score_missing=score)
    assert calls == [([0], [2])]
    assert labels[0] != labels[2]


def test_it_honours_reviewers_decisions() -> None:
    edges = [(0, 1, 8.0), (2, 3, -5.0)]
    labels = _run(
        4,
        edges,
        must_link=(np.array([2]), np.array([3])),
        cannot_link=(np.array([0]), np.array([1])),
    )
    assert labels[0] != labels[1]
    assert labels[2] == labels[3]


def test_it_numbers_clusters_in_order_of_first_record() -> None:
    assert _run(5, [(3, 4, 5.0), (1, 2, 5.0)]) == [0, 1, 1, 2, 2]


def test_it_cuts_oversized_components_before_splitting() -> None:
    # A chain of 6 records with weak links (5) and strong links (9): with max_component 3, the weak links
    # are cut first (threshold raised), leaving pieces of one and two records.
    edges = [(0, 1, 9.0), (1, 2, 5.0), (2, 3, 9.0), (3, 4, 5.0), (4, 5, 5.0)]
    labels = _run(6, edges, max_component=3)
    assert labels == [0, 0, 1, 1, 2, 3]
