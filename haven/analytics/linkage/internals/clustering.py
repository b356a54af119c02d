"""Cluster scored record pairs into people without chaining.

Connected components at a threshold (Splink's ``cluster_pairwise_predictions_at_threshold``) merge A
and C whenever A~B and B~C, even if A and C are plainly different people: with Korean names, where
thousands of people share a name, a record with little information (a name and a birth year) bridges
two namesakes. This module therefore follows connected components with a split step:

1. **Candidate clusters.** Connected components of the edges whose match weight reaches the threshold
   (plus reviewers' accepted pairs; minus rejected pairs).
2. **Complete evidence.** For every component with three or more records, every pair inside it is
   scored by the model, including pairs that blocking never generated (``score_missing``), so the
   split step sees A~C as well as A~B and B~C.
3. **Split.** Inside each component, average-linkage (UPGMA) agglomerative clustering on the match
   weights (log2 Bayes factors including the prior): clusters are merged, best pair first, while the
   mean weight of all pairs across them is at least ``split_weight``. With ``split_weight`` 0 this is the
   greedy agglomerative algorithm for correlation clustering: a merge is made only when it increases
   the sum of log-odds within clusters, i.e. when the evidence across the two groups favours "same
   person" overall. A rejected pair (cannot-link) is given an infinite distance, so its two records are
   never in one cluster; an accepted pair (must-link) distance zero.

Components larger than ``max_component`` are first cut by connected components at successively higher
thresholds (as Splink's multi-threshold clustering does) so that the dense step stays small.

References: Bansal, Blum & Chawla, "Correlation clustering", Machine Learning 56 (2004); Elsner &
Schudy, "Bounding and comparing methods for correlation clustering beyond ILP" (NAACL ILP workshop
2009), which finds greedy average-link agglomeration a strong heuristic; Hassanzadeh, Chiang, Lee &
Miller, "Framework for evaluating clustering algorithms in duplicate detection", PVLDB 2 (2009), which
shows connected components ("partitioning") over-merges; Splink issues #1824 and #2653 and the
complete-linkage proposal in PR #3031.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

__all__ = ["cluster_pairs", "components"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
#: score_missing(left, right) -> match weights of those pairs (record indexes, left < right).
ScoreMissing = Callable[[IntArray, IntArray], FloatArray]

#: Match weights are clipped to +/- this before averaging, so one extreme pair cannot outvote the rest.
WEIGHT_CAP: Final = 30.0
_CANNOT: Final = 1e9


def components(n: int, left: IntArray, right: IntArray) -> IntArray:
    """Return the connected-component label of each of ``n`` nodes for the given edges."""
    if len(left) == 0:
        return np.arange(n, dtype=np.int64)
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)


def _pair_keys(left: IntArray, right: IntArray, n: int) -> IntArray:
    lo = np.minimum(left, right)
    hi = np.maximum(left, right)
    return lo * np.int64(n) + hi


def _within(members: IntArray) -> tuple[IntArray, IntArray]:
    i, j = np.triu_indices(len(members), k=1)
    return members[i], members[j]


def _cut(
    members: IntArray,
    edge_left: IntArray,
    edge_right: IntArray,
    edge_weight: FloatArray,
    threshold: float,
    max_component: int,
) -> list[IntArray]:
    """Split a component too large for the dense step by raising the edge threshold."""
    pending = [(members, threshold)]
    out: list[IntArray] = []
    while pending:
        group, level = pending.pop()
        if len(group) <= max_component or level > WEIGHT_CAP:
            out.append(group)
            continue
        inside = np.isin(edge_left, group) & np.isin(edge_right, group) & (edge_weight >= level + 2.0)
        local = {int(v): k for k, v in enumerate(group)}
        left = np.array([local[int(v)] for v in edge_left[inside]], dtype=np.int64)
        right = np.array([local[int(v)] for v in edge_right[inside]], dtype=np.int64)
        labels = components(len(group), left, right)
        for label in np.unique(labels):
            pending.append((group[labels == label], level + 2.0))
    return out


def cluster_pairs(
    n: int,
    left: IntArray,
    right: IntArray,
    weight: FloatArray,
    *,
    threshold_weight: float,
    split_weight: float = 0.0,
    score_missing: ScoreMissing | None = None,
    must_link: tuple[IntArray, IntArray] | None = None,
    cannot_link: tuple[IntArray, IntArray] | None = None,
    max_component: int = 1500,
) -> IntArray:
    """Return a cluster label for each of ``n`` records (see the module docstring).

    Args:
        n: Number of records; records are 0 .. n-1.
        left: Left record of each scored pair.
        right: Right record of each scored pair.
        weight: Match weight of each pair.
        threshold_weight: Edges at or above this weight form candidate clusters.
        split_weight: Minimum mean weight across two groups for them to stay together.
        score_missing: Scores pairs inside candidate clusters that are not in (left, right). Without
            it, such pairs count as -WEIGHT_CAP (no evidence of a match).
        must_link: Pairs known to be the same person.
        cannot_link: Pairs known to be different people.
        max_component: Largest component passed to the dense average-linkage step.

    Returns:
        Labels: records with equal labels are one person. Labels are 0 .. k-1 numbered in order of
        each cluster's first record, so the result is a deterministic function of the inputs.
    """
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    weight = np.asarray(weight, dtype=np.float64)
    must_l, must_r = must_link if must_link is not None else (np.empty(0, np.int64), np.empty(0, np.int64))
    cannot_l, cannot_r = (
        cannot_link if cannot_link is not None else (np.empty(0, np.int64), np.empty(0, np.int64))
    )
    cannot_keys = np.unique(_pair_keys(np.asarray(cannot_l), np.asarray(cannot_r), n))
    must_keys = np.unique(_pair_keys(np.asarray(must_l), np.asarray(must_r), n))

    strong = weight >= threshold_weight
    edge_l = np.concatenate([left[strong], must_l]).astype(np.int64)
    edge_r = np.concatenate([right[strong], must_r]).astype(np.int64)
    edge_w = np.concatenate([weight[strong], np.full(len(must_l), WEIGHT_CAP)])
    if len(cannot_keys):
        keep = ~np.isin(_pair_keys(edge_l, edge_r, n), cannot_keys)
        edge_l, edge_r, edge_w = edge_l[keep], edge_r[keep], edge_w[keep]
    labels = components(n, edge_l, edge_r)

    sizes = np.bincount(labels)
    big = np.flatnonzero(sizes >= 3)
    if len(big):
        order = np.argsort(labels, kind="stable")
        starts = np.concatenate([[0], np.cumsum(sizes)])
        groups: list[IntArray] = []
        for label in big:
            members = order[starts[label] : starts[label + 1]]
            if len(members) > max_component:
                groups.extend(_cut(members, edge_l, edge_r, edge_w, threshold_weight, max_component))
            else:
                groups.append(members)
        labels = _split_groups(
            n, labels, groups, left, right, weight, split_weight, score_missing, must_keys, cannot_keys
        )
    return _renumber(labels)


def _split_groups(
    n: int,
    labels: IntArray,
    groups: list[IntArray],
    left: IntArray,
    right: IntArray,
    weight: FloatArray,
    split_weight: float,
    score_missing: ScoreMissing | None,
    must_keys: IntArray,
    cannot_keys: IntArray,
) -> IntArray:
    # Every pair inside every group, with the weights already known.
    pair_l = np.concatenate([_within(np.sort(g))[0] for g in groups])
    pair_r = np.concatenate([_within(np.sort(g))[1] for g in groups])
    keys = _pair_keys(pair_l, pair_r, n)
    known_keys = _pair_keys(left, right, n)
    sorter = np.argsort(known_keys)
    pos = np.searchsorted(known_keys, keys, sorter=sorter)
    pos = np.minimum(pos, max(len(known_keys) - 1, 0))
    found = known_keys[sorter[pos]] == keys if len(known_keys) else np.zeros(len(keys), dtype=bool)
    weights = np.full(len(keys), -WEIGHT_CAP)
    if len(known_keys):
        weights[found] = weight[sorter[pos[found]]]
    missing = ~found
    if missing.any() and score_missing is not None:
        weights[missing] = score_missing(pair_l[missing], pair_r[missing])
    weights = np.clip(weights, -WEIGHT_CAP, WEIGHT_CAP)
    if len(must_keys):
        weights[np.isin(keys, must_keys)] = WEIGHT_CAP
    distances = WEIGHT_CAP - weights
    if len(cannot_keys):
        distances[np.isin(keys, cannot_keys)] = _CANNOT

    labels = labels.copy()
    next_label = int(labels.max()) + 1
    offset = 0
    for group in groups:
        members = np.sort(group)
        k = len(members)
        count = k * (k - 1) // 2
        condensed = distances[offset : offset + count]
        offset += count
        if k < 3:  # a piece cut from a large component: one record, or two joined by a strong edge
            labels[members] = next_label
            next_label += 1
            continue
        # triu_indices order (row-major upper triangle) is scipy's condensed order.
        tree = linkage(condensed, method="average")
        sub = fcluster(tree, t=WEIGHT_CAP - split_weight, criterion="distance")
        for s in np.unique(sub):
            labels[members[sub == s]] = next_label
            next_label += 1
    return labels


def _renumber(labels: IntArray) -> IntArray:
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[inverse]
