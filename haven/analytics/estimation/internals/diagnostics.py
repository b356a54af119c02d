"""MCMC convergence diagnostics: rank-normalised split R-hat and bulk effective sample size.

Both follow Vehtari, Gelman, Simpson, Carpenter & Bürkner (2021), "Rank-normalization,
folding, and localization: an improved R-hat", Bayesian Analysis 16(2). Rank-normalising
matters for N: its posterior is skewed with a long right tail, where plain R-hat is
unreliable.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtri
from scipy.stats import rankdata

__all__ = ["ess_bulk", "rhat", "split_rhat"]


def _split(draws: NDArray[np.float64]) -> NDArray[np.float64]:
    """Split each chain in two halves (dropping the middle draw of odd-length chains)."""
    n = draws.shape[1]
    half = n // 2
    return np.vstack([draws[:, :half], draws[:, n - half :]])


def _basic_rhat(chains: NDArray[np.float64]) -> float:
    n = chains.shape[1]
    within = float(np.mean(np.var(chains, axis=1, ddof=1)))
    between = float(n * np.var(np.mean(chains, axis=1), ddof=1))
    if within <= 0.0:
        return math.nan
    var_plus = (n - 1) / n * within + between / n
    return math.sqrt(var_plus / within)


def _rank_normal(draws: NDArray[np.float64]) -> NDArray[np.float64]:
    ranks = rankdata(draws, method="average").reshape(draws.shape)
    return np.asarray(ndtri((ranks - 0.375) / (draws.size + 0.25)), dtype=np.float64)


def _as_chains(draws: NDArray[np.floating] | NDArray[np.integer]) -> NDArray[np.float64]:
    x = np.asarray(draws, dtype=np.float64)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape[1] < 4:
        raise ValueError("draws must be (chains, draws) with at least 4 draws per chain")
    return x


def split_rhat(draws: NDArray[np.floating] | NDArray[np.integer]) -> float:
    """Return the classic split R-hat (Gelman et al. BDA3) of ``(chains, draws)``."""
    return _basic_rhat(_split(_as_chains(draws)))


def rhat(draws: NDArray[np.floating] | NDArray[np.integer]) -> float:
    """Return the rank-normalised split R-hat: the larger of its bulk and tail (folded) forms.

    Args:
        draws: ``(chains, draws)`` array; a single chain is split in halves.

    Returns:
        R-hat (``nan`` when all draws are equal).
    """
    x = _as_chains(draws)
    if np.ptp(x) == 0:
        return math.nan
    bulk = _basic_rhat(_split(_rank_normal(x)))
    folded = np.abs(x - np.median(x))
    tail = _basic_rhat(_split(_rank_normal(folded))) if np.ptp(folded) > 0 else bulk
    return max(bulk, tail)


def _autocovariance(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return the (biased) autocovariance of each row, by FFT."""
    n = x.shape[1]
    centred = x - x.mean(axis=1, keepdims=True)
    size = 1 << (2 * n - 1).bit_length()
    spectrum = np.fft.rfft(centred, n=size, axis=1)
    acov = np.fft.irfft(spectrum * np.conj(spectrum), n=size, axis=1)[:, :n]
    return np.asarray(acov / n, dtype=np.float64)


def _ess(chains: NDArray[np.float64]) -> float:
    """Return the multi-chain ESS with Geyer's initial monotone sequence estimator."""
    m, n = chains.shape
    acov = _autocovariance(chains)
    mean_var = float(np.mean(acov[:, 0])) * n / (n - 1)
    var_plus = mean_var * (n - 1) / n
    if m > 1:
        var_plus += float(np.var(np.mean(chains, axis=1), ddof=1))
    if var_plus <= 0.0:
        return math.nan
    mean_acov = acov.mean(axis=0)
    rho = np.zeros(n)
    rho[0] = 1.0
    rho_even, rho_odd = 1.0, 1.0 - (mean_var - mean_acov[1]) / var_plus
    rho[1] = rho_odd
    t = 1
    # Sum autocorrelations in pairs while the pair sums stay positive (Geyer 1992).
    while t < n - 3 and rho_even + rho_odd > 0.0:
        rho_even = 1.0 - (mean_var - mean_acov[t + 1]) / var_plus
        rho_odd = 1.0 - (mean_var - mean_acov[t + 2]) / var_plus
        if rho_even + rho_odd >= 0.0:
            rho[t + 1] = rho_even
            rho[t + 2] = rho_odd
        t += 2
    max_t = t - 2
    if rho_odd > 0.0:
        rho[max_t + 1] = rho_odd
    # Make the pair sums monotone non-increasing.
    t = 1
    while t <= max_t - 2:
        if rho[t + 1] + rho[t + 2] > rho[t - 1] + rho[t]:
            rho[t + 1] = rho[t + 2] = (rho[t - 1] + rho[t]) / 2.0
        t += 2
    total = m * n
    tau = -1.0 + 2.0 * float(np.sum(rho[: max_t + 1])) + float(rho[max_t + 1])
    tau = max(tau, 1.0 / math.log10(total))
    return total / tau


def ess_bulk(draws: NDArray[np.floating] | NDArray[np.integer]) -> float:
    """Return the bulk effective sample size (rank-normalised, split chains).

    Args:
        draws: ``(chains, draws)`` array.

    Returns:
        The ESS (``nan`` when all draws are equal).
    """
    x = _as_chains(draws)
    if np.ptp(x) == 0:
        return math.nan
    return _ess(_split(_rank_normal(x)))
