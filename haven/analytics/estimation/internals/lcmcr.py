"""Bayesian latent-class capture-recapture (LCMCR; Manrique-Vallier 2016, Biometrics 72:1246).

People belong to latent classes; within a class, lists capture independently with
probability lambda[j, k]. Class weights follow a truncated stick-breaking (Dirichlet
process) prior with K classes and concentration alpha ~ Gamma(a, b); lambda ~ Beta(1, 1);
p(N) ∝ 1/N. The Gibbs sampler follows the R package LCMCR (``NPLCM_CR_Basic_Freq.cpp``)
step for step, as summarised in estimation-notes §2.2:

1. allocate each distinct observed pattern's count to classes (multinomial);
2. draw lambda ~ Beta(1 + in, 1 + out) per list and class, unobserved people included;
3. draw the stick-breaking fractions V_k ~ Beta(1 + n_k, alpha + sum_{l>k} n_l), V_K = 1;
4. P0 = sum_k nu_k prod_j (1 - lambda[j, k]);
5. n0 ~ NegBin(n, 1 - P0), rejected while n0 > 20 n (LCMCR's hard cap);
6. allocate n0 to classes ∝ nu_k prod_j (1 - lambda[j, k]);
7. alpha ~ Gamma(a + K - 1, b - log nu_K).

Everything runs in log space. All chains advance together as one vectorised state, so the
cost of a sweep depends on the number of distinct patterns and classes, not on n, and
extra chains are nearly free.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.stats import nbinom

from .data import CaptureHistories
from .diagnostics import ess_bulk, rhat
from .errors import EstimationInputError, EstimationWarning

__all__ = ["LcmcrResult", "default_classes", "lcmcr_fit"]

#: Upper limit of the default number of latent classes (HRDAG's production choice).
MAX_DEFAULT_CLASSES = 15
#: LCMCR's hard cap: n0 is redrawn while it exceeds this multiple of n.
N0_CAP_FACTOR = 20
#: Sweeps before burn-in without the alpha update (LCMCR's initialisation).
WARMUP_SWEEPS = 500
_MAX_REJECTIONS = 50
RHAT_WARNING = 1.05
ESS_WARNING = 100.0


def default_classes(num_lists: int) -> int:
    """Return the default truncation K = min(2**J - 1, 15).

    HRDAG's production code uses this rule; a latent-class model cannot use more distinct
    classes than there are observable patterns, and the Dirichlet-process prior leaves
    unneeded classes empty, so a generous K costs time but not accuracy.
    """
    return min(2**num_lists - 1, MAX_DEFAULT_CLASSES)


@dataclass(frozen=True, eq=False)
class LcmcrResult:
    """Posterior summary of N from the LCMCR sampler.

    Attributes:
        lists: List names.
        observed: n.
        estimate: Posterior median of N.
        mean: Posterior mean of N.
        lower: 2.5% posterior quantile (for ``level`` 0.95).
        upper: 97.5% posterior quantile.
        level: Probability of the equal-tailed interval.
        trace: ``(chains, samples)`` kept draws of N (after burn-in and thinning).
        alpha_trace: Matching draws of the Dirichlet-process concentration alpha.
        kstar_trace: Matching number of occupied latent classes.
        rhat: Rank-normalised split R-hat of N over the chains.
        ess: Bulk effective sample size of N.
        K, burnin, samples, thinning, chains, seed, a_alpha, b_alpha: Sampler settings
            (``seed`` is the one actually used, so any run can be repeated).
        cap_hits: Sweeps whose first n0 draw exceeded the 20 n cap.
        sweeps: Sweeps per chain, warm-up included.
        elapsed_seconds: Wall time of the sampler.
        warnings: Messages about the data or convergence.
    """

    lists: tuple[str, ...]
    observed: int
    estimate: float
    mean: float
    lower: float
    upper: float
    level: float
    trace: NDArray[np.int64]
    alpha_trace: NDArray[np.float64]
    kstar_trace: NDArray[np.int64]
    rhat: float
    ess: float
    K: int
    burnin: int
    samples: int
    thinning: int
    chains: int
    seed: int
    a_alpha: float
    b_alpha: float
    cap_hits: int
    sweeps: int
    elapsed_seconds: float
    warnings: tuple[str, ...] = field(default=())
    method: str = "lcmcr"

    @property
    def draws(self) -> NDArray[np.int64]:
        """Return all kept draws of N, chains concatenated."""
        return self.trace.reshape(-1)

    def quantile(self, q: float | list[float]) -> NDArray[np.float64]:
        """Return posterior quantile(s) of N."""
        return np.asarray(np.quantile(self.draws, q), dtype=np.float64)


def _log_gamma(rng: np.random.Generator, shape: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return log of Gamma(shape, 1) draws, without underflow for small shapes.

    For shape < 1, G(a) = G(a + 1) * U**(1/a), so log G(a) = log G(a + 1) + log(U) / a;
    this is how the sticks with tiny alpha stay finite in log space.
    """
    small = shape < 1.0
    draws = np.log(rng.standard_gamma(np.where(small, shape + 1.0, shape)))
    if small.any():
        u = rng.random(shape.shape)
        draws = draws + np.where(small, np.log(u) / np.where(small, shape, 1.0), 0.0)
    return np.asarray(draws, dtype=np.float64)


def _log_beta(
    rng: np.random.Generator, a: NDArray[np.float64], b: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return (log X, log(1 - X)) for X ~ Beta(a, b), via two log-gamma draws."""
    la = _log_gamma(rng, a)
    lb = _log_gamma(rng, b)
    total = np.logaddexp(la, lb)
    return la - total, lb - total


def _softmax(logits: NDArray[np.float64]) -> NDArray[np.float64]:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return np.asarray(shifted / shifted.sum(axis=-1, keepdims=True), dtype=np.float64)


class _Sampler:
    """Vectorised Gibbs state for ``chains`` independent chains."""

    def __init__(
        self,
        patterns: NDArray[np.int8],
        counts: NDArray[np.int64],
        K: int,
        chains: int,
        rng: np.random.Generator,
        a_alpha: float,
        b_alpha: float,
    ) -> None:
        keep = counts > 0  # zero-count patterns contribute nothing to the likelihood
        self.x = patterns[keep].astype(np.float64)
        self.xt = self.x.T.copy()
        self.counts = counts[keep].astype(np.int64)
        self.n = int(self.counts.sum())
        self.cap = N0_CAP_FACTOR * self.n
        self.K = K
        self.C = chains
        self.rng = rng
        self.a_alpha = a_alpha
        self.b_alpha = b_alpha
        self.cap_hits = 0
        j = self.x.shape[1]
        # Initialisation as LCMCR's Initializes(): lambda at the marginal list frequencies
        # (clipped so a list holding everyone keeps finite logs), alpha = 0.3/K, weights
        # 0.9 spread over four classes and 0.1 over the rest, and no imputed people yet.
        freq = (self.counts @ self.x) / self.n
        freq = np.clip(freq, 0.5 / self.n, 1.0 - 0.5 / self.n)
        lam = np.broadcast_to(freq[None, :, None], (chains, j, K))
        self.log_lam = np.log(lam).copy()
        self.log_1m = np.log1p(-lam).copy()
        if K > 4:
            nu = np.concatenate([np.full(4, 0.9 / 4), np.full(K - 4, 0.1 / (K - 4))])
        else:
            nu = np.full(K, 1.0 / K)
        self.log_nu = np.broadcast_to(np.log(nu), (chains, K)).copy()
        self.alpha = np.full(chains, 0.3 / K)
        self.n0 = np.zeros(chains, dtype=np.int64)
        self.n0_k = np.zeros((chains, K), dtype=np.int64)
        self.kstar = np.zeros(chains, dtype=np.int64)

    def sweep(self, update_alpha: bool) -> None:
        rng = self.rng
        # 1. Allocate the observed patterns' counts to classes.
        # x @ log(lam) + (1 - x) @ log(1 - lam), written with one matrix product.
        log_miss_all = self.log_1m.sum(axis=1)  # (C, K): log P(on no list | class)
        logits = (self.log_nu + log_miss_all)[:, None, :] + np.matmul(self.x, self.log_lam - self.log_1m)
        alloc = rng.multinomial(self.counts, _softmax(logits))  # (C, U, K)
        # 2. lambda | allocations (the unobserved are "out" of every list).
        inside = np.matmul(self.xt, alloc).astype(np.float64)  # (C, J, K)
        totals = alloc.sum(axis=1) + self.n0_k  # (C, K)
        outside = totals[:, None, :] - inside
        self.log_lam, self.log_1m = _log_beta(rng, 1.0 + inside, 1.0 + outside)
        # 3. Stick-breaking fractions.
        if self.K > 1:
            tail = np.cumsum(totals[:, ::-1], axis=1)[:, ::-1]  # sum_{l >= k}
            after = tail[:, 1:]  # sum_{l > k}, for k = 1..K-1
            log_v, log_1mv = _log_beta(
                rng, 1.0 + totals[:, :-1].astype(np.float64), self.alpha[:, None] + after.astype(np.float64)
            )
            before = np.concatenate([np.zeros((self.C, 1)), np.cumsum(log_1mv, axis=1)], axis=1)
            self.log_nu = before + np.concatenate([log_v, np.zeros((self.C, 1))], axis=1)
        self.kstar = (totals > 0).sum(axis=1)
        # 4. Probability of the all-zero pattern.
        log_p0_k = self.log_nu + self.log_1m.sum(axis=1)
        top = log_p0_k.max(axis=1)
        log_p0 = top + np.log(np.exp(log_p0_k - top[:, None]).sum(axis=1))
        # 5. n0 ~ NegBin(n, 1 - P0), truncated at the cap.
        success = np.clip(-np.expm1(log_p0), 1e-300, 1.0)
        self.n0 = self._draw_n0(success)
        # 6. Allocate the unobserved to classes.
        self.n0_k = rng.multinomial(self.n0, _softmax(log_p0_k))
        # 7. alpha | nu_K.
        if update_alpha and self.K > 1:
            rate = self.b_alpha - self.log_nu[:, -1]
            self.alpha = rng.gamma(self.a_alpha + self.K - 1, 1.0 / rate)

    def _draw_n0(self, success: NDArray[np.float64]) -> NDArray[np.int64]:
        rng = self.rng
        # Guard numpy's Poisson limit: such a tiny success probability is far past the cap.
        safe = np.maximum(success, self.n / (self.n + 1e15))
        n0 = rng.negative_binomial(self.n, safe)
        over = n0 > self.cap
        if over.any():
            self.cap_hits += int(over.sum())
            for _ in range(_MAX_REJECTIONS):
                idx = np.flatnonzero(over)
                n0[idx] = rng.negative_binomial(self.n, safe[idx])
                over = n0 > self.cap
                if not over.any():
                    break
            else:
                # Same truncated distribution, by inverse CDF, once rejection gets slow.
                for i in np.flatnonzero(over):
                    top = nbinom.cdf(self.cap, self.n, success[i])
                    n0[i] = int(nbinom.ppf(rng.random() * top, self.n, success[i]))
                    n0[i] = min(max(n0[i], 0), self.cap)
        return np.asarray(n0, dtype=np.int64)

    def reorder_classes(self) -> None:
        """Relabel classes by decreasing weight (LCMCR does this after warm-up)."""
        order = np.argsort(-self.log_nu, axis=1)
        rows = np.arange(self.C)[:, None]
        self.log_nu = self.log_nu[rows, order]
        self.n0_k = self.n0_k[rows, order]
        self.log_lam = np.take_along_axis(self.log_lam, order[:, None, :], axis=2)
        self.log_1m = np.take_along_axis(self.log_1m, order[:, None, :], axis=2)


def lcmcr_fit(
    histories: CaptureHistories,
    K: int | None = None,
    burnin: int = 10_000,
    samples: int = 1_000,
    thinning: int = 10,
    chains: int = 2,
    seed: int | None = None,
    *,
    a_alpha: float = 0.25,
    b_alpha: float = 0.25,
    level: float = 0.95,
    warmup: int = WARMUP_SWEEPS,
    progress: Callable[[int, int], None] | None = None,
) -> LcmcrResult:
    """Run the LCMCR Gibbs sampler and summarise the posterior of N.

    Defaults follow the LCMCR package (``burnin=10000, samples=1000, thinning=10``,
    ``a_alpha = b_alpha = 0.25``), with K = min(2**J - 1, 15) as in HRDAG's production
    code and two chains for R-hat.

    Args:
        histories: Unstratified capture histories.
        K: Number of latent classes (truncation of the stick-breaking prior).
        burnin: Sweeps discarded after the warm-up.
        samples: Draws kept per chain.
        thinning: Sweeps per kept draw.
        chains: Independent chains (run together, vectorised).
        seed: Seed of the numpy Generator; ``None`` draws one (recorded in the result).
        a_alpha: Shape of the Gamma prior on alpha.
        b_alpha: Rate of the Gamma prior on alpha.
        level: Probability of the equal-tailed posterior interval.
        warmup: Initial sweeps without the alpha update, followed by class reordering.
        progress: Called as ``progress(done, total)`` with sweeps per chain done and in all,
            about every 1% of the run and once at the end with ``done == total``. It does
            not touch the random stream, so results do not depend on it; an exception it
            raises (a cancelled job, say) stops the sampler.

    Returns:
        The posterior summary with traces and diagnostics.

    Raises:
        EstimationInputError: On stratified histories or invalid settings.
    """
    if not isinstance(histories, CaptureHistories):
        raise EstimationInputError("expected CaptureHistories")
    if histories.is_stratified:
        raise EstimationInputError(
            "histories are stratified: use estimate_stratified(), or histories.pooled() to ignore strata"
        )
    k = default_classes(histories.num_lists) if K is None else int(K)
    for name, value, minimum in (
        ("K", k, 1),
        ("burnin", burnin, 0),
        ("samples", samples, 4),
        ("thinning", thinning, 1),
        ("chains", chains, 1),
        ("warmup", warmup, 0),
    ):
        if int(value) != value or value < minimum:
            raise EstimationInputError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if a_alpha <= 0 or b_alpha <= 0:
        raise EstimationInputError("a_alpha and b_alpha must be positive")
    if not 0.0 < level < 1.0:
        raise EstimationInputError("level must be between 0 and 1")
    if seed is None:
        seed = int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
    rng = np.random.default_rng(seed)

    started = time.perf_counter()
    sweeps = warmup + burnin + samples * thinning
    every = max(1, sweeps // 100)
    done = 0

    def swept(count: int) -> None:
        nonlocal done
        before, done = done, done + count
        if progress is not None and done < sweeps and done // every != before // every:
            progress(done, sweeps)

    sampler = _Sampler(histories.patterns, histories.counts, k, chains, rng, a_alpha, b_alpha)
    for _ in range(warmup):
        sampler.sweep(update_alpha=False)
        swept(1)
    sampler.reorder_classes()
    for _ in range(burnin):
        sampler.sweep(update_alpha=True)
        swept(1)
    trace = np.empty((chains, samples), dtype=np.int64)
    alpha_trace = np.empty((chains, samples))
    kstar_trace = np.empty((chains, samples), dtype=np.int64)
    for s in range(samples):
        for _ in range(thinning):
            sampler.sweep(update_alpha=True)
            swept(1)
        trace[:, s] = sampler.n + sampler.n0
        alpha_trace[:, s] = sampler.alpha
        kstar_trace[:, s] = sampler.kstar
    elapsed = time.perf_counter() - started
    if progress is not None:
        progress(sweeps, sweeps)

    n = histories.n
    tail = (1.0 - level) / 2.0
    lower, median, upper = np.quantile(trace, [tail, 0.5, 1.0 - tail])
    r_hat = rhat(trace)
    ess = ess_bulk(trace)
    messages = list(histories.warnings)
    if histories.num_lists == 2:
        messages.append(
            "with two lists the latent-class model is not identified: the result mostly reflects the prior"
        )
    if chains > 1 and math.isfinite(r_hat) and r_hat > RHAT_WARNING:
        messages.append(f"R-hat of N is {r_hat:.3f} > {RHAT_WARNING}: chains disagree; run longer")
    if math.isfinite(ess) and ess < ESS_WARNING:
        messages.append(f"effective sample size of N is only {ess:.0f}; increase samples or thinning")
    if sampler.cap_hits > 0.01 * sweeps * chains:
        messages.append(
            f"n0 exceeded the {N0_CAP_FACTOR}*n cap in {sampler.cap_hits} of {sweeps * chains} sweeps: "
            "the posterior of N is truncated there and the estimate is unreliable"
        )
    for message in messages[len(histories.warnings) :]:
        warnings.warn(message, EstimationWarning, stacklevel=2)
    trace.setflags(write=False)
    return LcmcrResult(
        lists=histories.lists,
        observed=n,
        estimate=float(median),
        mean=float(trace.mean()),
        lower=float(lower),
        upper=float(upper),
        level=level,
        trace=trace,
        alpha_trace=alpha_trace,
        kstar_trace=kstar_trace,
        rhat=float(r_hat),
        ess=float(ess),
        K=k,
        burnin=int(burnin),
        samples=int(samples),
        thinning=int(thinning),
        chains=int(chains),
        seed=int(seed),
        a_alpha=float(a_alpha),
        b_alpha=float(b_alpha),
        cap_hits=sampler.cap_hits,
        sweeps=sweeps,
        elapsed_seconds=elapsed,
        warnings=tuple(messages),
    )
