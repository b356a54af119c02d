"""Stratified estimation: per-stratum estimates and their combination."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest

from haven.analytics.estimation import (
    CaptureHistories,
    EstimationInputError,
    LcmcrResult,
    ModelSelection,
    estimate,
    estimate_stratified,
    lcmcr_fit,
    loglinear_fit,
    lognormal_interval,
    read_lists_csv,
    simulate_histories,
)

from .datasets import bruno_diabetes, hiv

pytestmark = pytest.mark.filterwarnings("ignore::haven.analytics.estimation.EstimationWarning")


def two_strata() -> CaptureHistories:
    """HIV (estimation-notes §1.2) and Bruno diabetes (Rcapture testPapersResults.R) as two strata."""
    patterns: list[str] = []
    counts: list[int] = []
    labels: list[str] = []
    for label, data in (("hiv", hiv()), ("diabetes", bruno_diabetes())):
        for pattern, count in data.pattern_counts().items():
            patterns.append(pattern)
            counts.append(count)
            labels.append(label)
    return CaptureHistories.from_counts(patterns, counts, lists=["c1", "c2", "c3", "c4"], strata=labels)


def test_it_sums_loglinear_estimates_and_variances() -> None:
    result = estimate_stratified(two_strata(), "loglinear", model="Mt")
    a = loglinear_fit(hiv(), "Mt")
    b = loglinear_fit(bruno_diabetes(), "Mt")
    assert result.estimate == pytest.approx(a.estimate + b.estimate)
    assert result.se == pytest.approx(math.hypot(a.se, b.se))
    assert result.observed == hiv().n + bruno_diabetes().n
    assert result.lower < result.estimate < result.upper
    assert set(result.strata) == {"diabetes", "hiv"}


def test_it_selects_a_model_per_stratum_by_default() -> None:
    result = estimate_stratified(two_strata(), "loglinear", criterion="bic")
    assert isinstance(result.strata["hiv"], ModelSelection)
    assert result.strata["hiv"].chosen.model == "[1,2,3,4]"  # closedpMS.t BIC choice (estimation-notes §1.2)


def test_it_uses_chaos_lognormal_interval() -> None:
    # Chao (1987): n + f0 / C, n + f0 * C with C = exp(1.96 sqrt(log(1 + se^2 / f0^2))).
    lower, upper = lognormal_interval(1896, 12318.5, 1188.7, 0.95)
    c = math.exp(1.959964 * math.sqrt(math.log(1 + (1188.7 / 10422.5) ** 2)))
    assert lower == pytest.approx(1896 + 10422.5 / c)
    assert upper == pytest.approx(1896 + 10422.5 * c)
    # Close to the profile interval of the same model (10,266-14,992.3).
    assert lower == pytest.approx(10266, rel=0.01)
    assert upper == pytest.approx(14992, rel=0.01)


def test_it_reports_no_total_when_a_stratum_has_no_estimate() -> None:
    text = "s,A,B,count\nx,1,1,5\nx,1,0,20\nx,0,1,30\ny,1,1,0\ny,1,0,10\ny,0,1,12\n"
    h = read_lists_csv(io.StringIO(text), strata="s")
    result = estimate_stratified(h, "loglinear", model="Mt")
    assert not result.exists
    assert math.isnan(result.estimate)
    assert any("'y'" in w and "cannot be formed" in w for w in result.warnings)


def test_it_sums_lcmcr_draws_drawwise_and_is_reproducible() -> None:
    rng = np.random.default_rng(5)
    patterns: list[list[int]] = []
    counts: list[int] = []
    labels: list[str] = []
    for label, size in (("north", 800), ("south", 1200)):
        sub = simulate_histories([(size, (0.3, 0.25, 0.35, 0.2))], rng)
        patterns += sub.patterns.tolist()
        counts += sub.counts.tolist()
        labels += [label] * len(sub.counts)
    h = CaptureHistories.from_counts(patterns, counts, strata=labels)
    settings = {"burnin": 300, "samples": 200, "thinning": 2, "seed": 99}
    result = estimate_stratified(h, "lcmcr", **settings)
    strata = [result.strata["north"], result.strata["south"]]
    assert all(isinstance(s, LcmcrResult) for s in strata)
    assert result.trace is not None
    np.testing.assert_array_equal(result.trace, strata[0].trace + strata[1].trace)  # type: ignore[union-attr]
    assert result.estimate == np.median(result.trace)
    assert result.settings["seed"] == 99
    # Each stratum records its own derived seed and can be rerun alone.
    north = lcmcr_fit(h.stratum("north"), burnin=300, samples=200, thinning=2, seed=strata[0].seed)  # type: ignore[union-attr]
    np.testing.assert_array_equal(north.trace, strata[0].trace)  # type: ignore[union-attr]
    again = estimate_stratified(h, "lcmcr", **settings)
    np.testing.assert_array_equal(again.trace, result.trace)  # type: ignore[arg-type]


def test_it_dispatches_on_strata() -> None:
    assert isinstance(estimate(hiv(), "loglinear"), ModelSelection)
    assert estimate(two_strata(), "loglinear", model="Mt").method == "loglinear"
    with pytest.raises(EstimationInputError, match="no strata"):
        estimate_stratified(hiv(), "loglinear")
    with pytest.raises(EstimationInputError, match="method"):
        estimate(hiv(), "dga")  # type: ignore[arg-type]
