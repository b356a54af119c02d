"""Properties that any correct estimator has (estimation-notes §2.4 "Properties")."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from haven.analytics.estimation import CaptureHistories, loglinear_fit

from .datasets import hiv


@st.composite
def tables(draw: st.DrawFn) -> tuple[CaptureHistories, list[int]]:
    num_lists = draw(st.integers(min_value=2, max_value=5))
    cells = 2**num_lists - 1
    counts = draw(st.lists(st.integers(min_value=0, max_value=300), min_size=cells, max_size=cells))
    patterns = [format(code, f"0{num_lists}b") for code in range(1, 2**num_lists)]
    # Every list needs a capture; guarantee it with one person on all lists.
    counts[-1] = max(counts[-1], 1)
    order = draw(st.permutations(list(range(num_lists))))
    return CaptureHistories.from_counts(patterns, counts), order


def permuted(h: CaptureHistories, order: list[int]) -> CaptureHistories:
    return CaptureHistories.from_counts(
        h.patterns[:, order].tolist(), h.counts.tolist(), lists=[h.lists[i] for i in order]
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_list_order_does_not_change_the_estimate(case: tuple[CaptureHistories, list[int]]) -> None:
    h, order = case
    other = permuted(h, order)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for model in ("Mt", "saturated"):
            a = loglinear_fit(h, model, interval=False)
            b = loglinear_fit(other, model, interval=False)
            assert a.status == b.status
            if a.exists and a.status == "ok":
                assert b.estimate == pytest.approx(a.estimate, rel=1e-6)
                assert b.deviance == pytest.approx(a.deviance, abs=1e-6)
            elif a.status == "unbounded":
                assert math.isinf(b.estimate) or b.estimate > 1e5 * h.n


def test_duplicated_records_inflate_the_estimate() -> None:
    # Unlinked duplicates appear as extra single-list records, which look like people the other lists missed.
    base = hiv()
    counts = base.pattern_counts()
    inflated = dict(counts)
    for single in ("1000", "0100", "0010", "0001"):
        inflated[single] = int(round(counts[single] * 1.1))
    a = loglinear_fit(base, "Mt", interval=False)
    b = loglinear_fit(CaptureHistories.from_counts(inflated, lists=base.lists), "Mt", interval=False)
    assert b.estimate > a.estimate * 1.1


def test_independent_data_give_back_n_under_mt() -> None:
    rng = np.random.default_rng(12)
    n_true = 5000
    captured = rng.random((n_true, 4)) < np.array([0.3, 0.2, 0.25, 0.15])
    h = CaptureHistories.from_rows(captured[captured.any(axis=1)].astype(int).tolist())
    r = loglinear_fit(h, "Mt")
    assert r.lower is not None and r.upper is not None
    assert r.lower < n_true < r.upper
