"""R-hat and effective sample size on chains with known behaviour."""

from __future__ import annotations

import math

import numpy as np
import pytest

from haven.analytics.estimation import ess_bulk, rhat
from haven.analytics.estimation.internals.diagnostics import split_rhat


def test_it_gives_rhat_near_one_and_full_ess_for_independent_draws() -> None:
    draws = np.random.default_rng(0).normal(size=(4, 2000))
    assert rhat(draws) == pytest.approx(1.0, abs=0.01)
    assert split_rhat(draws) == pytest.approx(1.0, abs=0.01)
    assert ess_bulk(draws) == pytest.approx(8000, rel=0.15)


def test_it_flags_chains_that_disagree() -> None:
    rng = np.random.default_rng(1)
    draws = rng.normal(size=(2, 1000)) + np.array([[0.0], [1.0]])
    assert rhat(draws) > 1.1


def test_it_flags_a_trending_single_chain() -> None:
    draws = np.linspace(0, 10, 1000)[None, :] + np.random.default_rng(2).normal(size=(1, 1000))
    assert rhat(draws) > 1.5


def test_it_shrinks_ess_for_autocorrelated_draws() -> None:
    # AR(1) with phi = 0.9: ESS ≈ n (1 - phi) / (1 + phi).
    rng = np.random.default_rng(3)
    phi, n = 0.9, 20_000
    x = np.zeros((2, n))
    noise = rng.normal(size=(2, n))
    for t in range(1, n):
        x[:, t] = phi * x[:, t - 1] + noise[:, t]
    expected = 2 * n * (1 - phi) / (1 + phi)
    assert ess_bulk(x) == pytest.approx(expected, rel=0.25)


def test_it_returns_nan_for_constant_draws() -> None:
    assert math.isnan(rhat(np.ones((2, 10))))
    assert math.isnan(ess_bulk(np.ones((2, 10))))
