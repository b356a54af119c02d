"""LCMCR sampler: exactness in a solvable case, simulation recovery, reproducibility, diagnostics."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.special import betaln, gammaln

from haven.analytics.estimation import (
    CaptureHistories,
    EstimationInputError,
    EstimationWarning,
    default_classes,
    lcmcr_fit,
    loglinear_fit,
    simulate_histories,
)

from .datasets import hiv

pytestmark = pytest.mark.filterwarnings("ignore::haven.analytics.estimation.EstimationWarning")


def test_it_matches_the_exact_posterior_with_one_class() -> None:
    # With K = 1 the model is Mt with Beta(1, 1) priors and p(N) ∝ 1/N, whose posterior is known in closed form:
    # p(N | data) ∝ (1/N) N!/(N - n)! prod_j B(n_j + 1, N - n_j + 1). This checks steps 2 and 5 and the cap.
    h = simulate_histories([(1000, (0.2, 0.3, 0.25))], np.random.default_rng(3))
    n = h.n
    nj = np.array(list(h.list_totals().values()))
    grid = np.arange(n, 21 * n + 1)
    logp = (
        -np.log(grid)
        + gammaln(grid + 1)
        - gammaln(grid - n + 1)
        + sum(betaln(k + 1, grid - k + 1) for k in nj)
    )
    p = np.exp(logp - logp.max())
    cdf = np.cumsum(p) / p.sum()
    exact = [grid[np.searchsorted(cdf, q)] for q in (0.025, 0.5, 0.975)]
    r = lcmcr_fit(h, K=1, burnin=500, samples=10_000, thinning=1, chains=2, seed=1)
    got = r.quantile([0.025, 0.5, 0.975])
    assert got[1] == pytest.approx(exact[1], rel=0.01)
    assert got[0] == pytest.approx(exact[0], rel=0.02)
    assert got[2] == pytest.approx(exact[2], rel=0.02)


def test_it_is_reproducible_by_seed() -> None:
    h = hiv()
    a = lcmcr_fit(h, burnin=100, samples=50, thinning=2, seed=42)
    b = lcmcr_fit(h, burnin=100, samples=50, thinning=2, seed=42)
    c = lcmcr_fit(h, burnin=100, samples=50, thinning=2, seed=43)
    np.testing.assert_array_equal(a.trace, b.trace)
    assert a.estimate == b.estimate
    assert not np.array_equal(a.trace, c.trace)
    assert a.seed == 42


def test_it_records_a_fresh_seed_that_reproduces_the_run() -> None:
    h = hiv()
    first = lcmcr_fit(h, burnin=50, samples=20, thinning=1)
    again = lcmcr_fit(h, burnin=50, samples=20, thinning=1, seed=first.seed)
    np.testing.assert_array_equal(first.trace, again.trace)


def test_it_keeps_a_trace_per_chain_and_reports_settings() -> None:
    r = lcmcr_fit(hiv(), K=6, burnin=100, samples=40, thinning=3, chains=3, seed=7)
    assert r.trace.shape == (3, 40)
    assert r.alpha_trace.shape == (3, 40)
    assert (r.trace >= r.observed).all()
    assert (r.kstar_trace >= 1).all() and (r.kstar_trace <= 6).all()
    assert (r.K, r.burnin, r.samples, r.thinning, r.chains) == (6, 100, 40, 3, 3)
    assert r.sweeps == 500 + 100 + 40 * 3
    assert r.lower <= r.estimate <= r.upper


def test_it_defaults_k_to_hrdag_rule() -> None:
    # HRDAG co-mse-prox/src/estimate.R: K = min(2^J - 1, 15) (estimation-notes §2.2).
    assert [default_classes(j) for j in (2, 3, 4, 5, 6)] == [3, 7, 15, 15, 15]


def test_it_agrees_with_mt_on_hiv_like_independent_data() -> None:
    # Data with exactly independent lists: the HIV Mt fitted counts, rounded (estimation-notes §1.2). LCMCR,
    # which nests independence, should land near the Mt estimate (10,910 on these counts; 11,124.6 on HIV).
    fitted = loglinear_fit(hiv(), "Mt", interval=False).fitted
    independent = CaptureHistories.from_counts({k: round(v) for k, v in fitted.items()}, lists=hiv().lists)
    mt = loglinear_fit(independent, "Mt")
    # Default settings: shorter runs can sit for thousands of sweeps in a state with several identical
    # occupied classes before collapsing to one (slow mixing of the class count, as in R's LCMCR).
    r = lcmcr_fit(independent, seed=2024)
    assert r.estimate == pytest.approx(mt.estimate, rel=0.06)
    assert r.lower < mt.estimate < r.upper
    assert r.rhat < 1.05


def test_it_recovers_n_on_a_sim1_draw_quickly() -> None:
    # sim1 (estimation-notes §1.8; Manrique-Vallier 2016): N = 2000 with strong heterogeneity; Mt is badly low.
    h = simulate_histories("sim1", np.random.default_rng(11))
    r = lcmcr_fit(h, burnin=2000, samples=500, thinning=5, seed=5)
    assert r.lower < 2000 < r.upper
    assert loglinear_fit(h, "Mt", interval=False).estimate < 1000


@pytest.mark.slow
@pytest.mark.parametrize("draw", [1, 2, 3])
def test_it_covers_n_on_sim1_draws_with_default_settings(draw: int) -> None:
    # estimation-notes §1.8: R's LCMCR covers N = 2000 on each of 3 sim1 draws (1,613-2,665; 1,700-3,045;
    # 1,559-2,360). Our draws come from our own generator (seed 100 + draw), not R's.
    h = simulate_histories("sim1", np.random.default_rng(100 + draw))
    r = lcmcr_fit(h, seed=19481210)
    assert r.lower < 2000 < r.upper
    assert r.rhat < 1.05
    assert r.ess > 200


@pytest.mark.slow
def test_it_agrees_with_mt_on_simulated_independent_hiv_like_population() -> None:
    # Independent lists with HIV's list totals over N = 11,125 (estimation-notes §1.2), default settings.
    probs = tuple(np.array([466, 630, 693, 236]) / 11125)
    h = simulate_histories([(11125, probs)], np.random.default_rng(7))
    mt = loglinear_fit(h, "Mt")
    r = lcmcr_fit(h, seed=19481210)
    assert r.estimate == pytest.approx(mt.estimate, rel=0.06)
    assert r.lower < mt.estimate < r.upper
    assert r.rhat < 1.05


def test_it_survives_data_that_push_n0_against_the_cap() -> None:
    # Two lists with a single overlap: the posterior of N is enormous; LCMCR truncates n0 at 20 n.
    h = CaptureHistories.from_counts({"11": 1, "10": 40, "01": 40})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = lcmcr_fit(h, K=2, burnin=200, samples=200, thinning=1, seed=3)
    assert r.trace.max() <= 21 * h.n
    assert any("two lists" in str(w.message) for w in caught)
    assert any(issubclass(w.category, EstimationWarning) for w in caught)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"K": 0},
        {"samples": 2},
        {"thinning": 0},
        {"chains": 0},
        {"burnin": -1},
        {"a_alpha": 0},
        {"level": 1.5},
    ],
)
def test_it_rejects_invalid_settings(kwargs: dict[str, float]) -> None:
    with pytest.raises(EstimationInputError):
        lcmcr_fit(hiv(), **kwargs)  # type: ignore[arg-type]


def test_it_refuses_stratified_histories() -> None:
    h = CaptureHistories.from_rows([[1, 0], [0, 1], [1, 1]], strata=["a", "a", "b"])
    with pytest.raises(EstimationInputError, match="stratified"):
        lcmcr_fit(h)


def _scalar_reference_sampler(h: CaptureHistories, K: int, sweeps: int, burn: int, seed: int) -> np.ndarray:
    """Transcribe estimation-notes §2.2 steps 1-7 literally, one scalar at a time (no vectorisation)."""
    rng = np.random.default_rng(seed)
    x = h.patterns.astype(int)
    c = h.counts
    n = int(c.sum())
    J = x.shape[1]
    lam = np.tile((c @ x) / n, (K, 1)).T  # J x K, marginal frequencies
    nu = np.full(K, 1 / K)
    alpha = 0.3 / K
    n0k = np.zeros(K, dtype=int)
    kept = []
    for sweep in range(burn + sweeps):
        m = np.zeros((len(c), K), dtype=int)
        for u in range(len(c)):  # 1. allocate each distinct pattern's count
            p = np.array(
                [
                    nu[k] * np.prod([lam[j, k] if x[u, j] else 1 - lam[j, k] for j in range(J)])
                    for k in range(K)
                ]
            )
            m[u] = rng.multinomial(c[u], p / p.sum())
        for j in range(J):  # 2. lambda
            for k in range(K):
                inside = sum(m[u, k] for u in range(len(c)) if x[u, j] == 1)
                total = m[:, k].sum() + n0k[k]
                lam[j, k] = rng.beta(1 + inside, 1 + total - inside)
        nk = m.sum(axis=0) + n0k
        v = np.ones(K)
        for k in range(K - 1):  # 3. stick-breaking
            v[k] = rng.beta(1 + nk[k], alpha + nk[k + 1 :].sum())
        nu = np.array([v[k] * np.prod(1 - v[:k]) for k in range(K)])
        q = np.array([nu[k] * np.prod(1 - lam[:, k]) for k in range(K)])  # 4. P0 by class
        n0 = rng.negative_binomial(n, 1 - q.sum())  # 5. n0, capped
        while n0 > 20 * n:
            n0 = rng.negative_binomial(n, 1 - q.sum())
        n0k = rng.multinomial(n0, q / q.sum())  # 6. allocate the unobserved
        if sweep >= 200:  # 7. alpha (after a warm-up without it)
            alpha = rng.gamma(0.25 + K - 1, 1 / (0.25 - np.log(max(nu[-1], 1e-300))))
        if sweep >= burn:
            kept.append(n + n0)
    return np.array(kept)


@pytest.mark.slow
def test_the_vectorised_sampler_matches_a_literal_scalar_transcription() -> None:
    # Two heterogeneous groups, 3 lists, K = 3: checks steps 1, 3, 6 and 7, which K = 1 leaves untested.
    h = simulate_histories([(300, (0.2, 0.3, 0.25)), (200, (0.7, 0.6, 0.8))], np.random.default_rng(4))
    reference = np.concatenate([_scalar_reference_sampler(h, 3, 40_000, 1000, s) for s in (11, 12)])
    fast = lcmcr_fit(h, K=3, burnin=1000, samples=40_000, thinning=1, chains=4, seed=3)
    assert fast.estimate == pytest.approx(np.median(reference), rel=0.025)
    assert fast.mean == pytest.approx(reference.mean(), rel=0.03)
    assert fast.quantile(0.9) == pytest.approx(np.quantile(reference, 0.9), rel=0.05)
