"""Poisson log-linear regression by IRLS, with detection of non-existent MLEs.

Sparse capture tables often have zero cells. When a zero cell lies on a zero *margin* of
a model term, the Poisson MLE does not exist: some parameters run off to minus infinity
and R's ``glm`` stops wherever its convergence test happens to fire. We instead compute
the *extended* MLE (Fienberg & Rinaldo 2012; the approach behind SparseMSE): a linear
programme finds the cells whose fitted values are zero in the limit, the model is refitted
on the remaining cells (the facial set), and we then know exactly which parameters -- in
particular the intercept, which carries the estimate of the unobserved cell -- are
determined.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linprog
from scipy.special import gammaln

__all__ = ["PoissonFit", "fit_poisson", "poisson_deviance", "poisson_loglik", "zero_limit_cells"]

# A zero cell fitted below this triggers the (slower) linear-programming existence check.
# Finite MLEs with fitted values this small are practically unheard of with count data;
# if one occurs the check merely confirms existence.
_SMALL_FIT = 1e-3
_MAX_ETA = 700.0  # exp(700) is near the float64 limit


@dataclass(frozen=True)
class PoissonFit:
    """Result of :func:`fit_poisson`.

    Attributes:
        beta: Coefficients (minimum-norm where not identified; see ``identified``).
        mu: Fitted means (exactly 0 on ``limit_zero`` cells).
        cov: Generalised inverse of the Fisher information on the facial set.
        deviance: Poisson deviance.
        loglik: Poisson log-likelihood, including the ``-log y!`` terms (as R's AIC).
        rank: Rank of the full design matrix (as R's glm counts parameters).
        converged: Whether IRLS met its tolerance.
        iterations: IRLS iterations of the final fit.
        limit_zero: Cells whose fitted value is 0 in the extended MLE (empty when the
            ordinary MLE exists).
        identified: Per coefficient, whether it is determined by the facial-set fit.
    """

    beta: NDArray[np.float64]
    mu: NDArray[np.float64]
    cov: NDArray[np.float64]
    deviance: float
    loglik: float
    rank: int
    converged: bool
    iterations: int
    limit_zero: NDArray[np.bool_]
    identified: NDArray[np.bool_]

    @property
    def boundary(self) -> bool:
        """Return whether the ordinary MLE does not exist (some parameters at -infinity)."""
        return bool(self.limit_zero.any())


def poisson_deviance(y: NDArray[np.float64], mu: NDArray[np.float64]) -> float:
    """Return the Poisson deviance 2 * sum(y log(y/mu) - (y - mu)), with 0 log 0 = 0."""
    pos = y > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(pos, y * np.log(np.where(pos, y, 1.0) / np.where(pos, mu, 1.0)), 0.0)
    return float(2.0 * np.sum(term - (y - mu)))


def poisson_loglik(y: NDArray[np.float64], mu: NDArray[np.float64]) -> float:
    """Return sum(log dpois(y, mu)) with the log y! constant (R's glm Poisson AIC uses it)."""
    pos = y > 0
    with np.errstate(divide="ignore"):
        ylogmu = np.where(pos, y * np.log(np.where(pos, mu, 1.0)), 0.0)
    return float(np.sum(ylogmu - mu - gammaln(y + 1.0)))


def zero_limit_cells(design: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Return the zero cells whose fitted value is 0 in the extended MLE.

    Solves: maximise sum(s) over zero cells subject to ``X_P d = 0`` on positive cells,
    ``X_Z d + s <= 0`` and ``0 <= s <= 1``. The cells with ``s = 1`` at the optimum are
    exactly those that some direction of recession sends to minus infinity (the set of such
    cells is closed under union, so one LP finds all of them).
    """
    zero = y == 0
    if not zero.any():
        return zero
    positive = ~zero
    n_zero = int(zero.sum())
    p = design.shape[1]
    # Variables: d (p, free), s (n_zero, in [0, 1]). linprog minimises, so use -sum(s).
    c = np.concatenate([np.zeros(p), -np.ones(n_zero)])
    a_ub = np.hstack([design[zero], np.eye(n_zero)])
    b_ub = np.zeros(n_zero)
    a_eq = np.hstack([design[positive], np.zeros((int(positive.sum()), n_zero))]) if positive.any() else None
    b_eq = np.zeros(int(positive.sum())) if positive.any() else None
    bounds = [(None, None)] * p + [(0.0, 1.0)] * n_zero
    res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    out = np.zeros_like(zero)
    if res.status != 0 or res.x is None:
        return out  # LP trouble: fall back to the ordinary fit (reported as unconverged if so)
    s = res.x[p:]
    out[np.flatnonzero(zero)[s > 0.5]] = True
    return out


def _irls(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    beta_start: NDArray[np.float64] | None,
    maxiter: int,
    tol: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64], bool, int]:
    """Run Fisher scoring for the Poisson log-linear model; return beta, mu, converged, its."""
    if beta_start is not None and np.all(np.isfinite(beta_start)):
        eta = np.clip(x @ beta_start, -_MAX_ETA, _MAX_ETA)
        mu = np.exp(eta)
        beta = beta_start.copy()
    else:
        mu = y + 0.1  # R's glm starting values for the Poisson family
        eta = np.log(mu)
        beta = np.zeros(x.shape[1])
    dev_old = poisson_deviance(y, mu)
    converged = False
    iteration = 0
    for iteration in range(1, maxiter + 1):  # noqa: B007 - iteration count is returned
        z = eta + (y - mu) / mu
        w = np.sqrt(mu)
        new_beta = np.linalg.lstsq(x * w[:, None], z * w, rcond=None)[0]
        # Step halving only guards against overflow or a clear deviance increase; for the
        # canonical link the plain Newton step is otherwise the right one.
        step = 1.0
        for _ in range(30):
            cand = beta + step * (new_beta - beta) if iteration > 1 or beta_start is not None else new_beta
            eta_new = x @ cand
            if np.all(eta_new < _MAX_ETA):
                mu_new = np.exp(eta_new)
                dev = poisson_deviance(y, mu_new)
                first_from_mustart = iteration == 1 and beta_start is None
                if np.isfinite(dev) and (first_from_mustart or dev <= dev_old * (1 + 1e-7) + 1e-9):
                    break
            step /= 2.0
        else:
            return beta, mu, False, iteration
        beta, eta, mu = cand, eta_new, mu_new
        if abs(dev - dev_old) / (abs(dev) + 0.1) < tol:
            converged = True
            break
        dev_old = dev
    return beta, mu, converged, iteration


def _cov(x: NDArray[np.float64], mu: NDArray[np.float64]) -> NDArray[np.float64]:
    info = x.T @ (x * mu[:, None])
    return np.linalg.pinv(info, rcond=1e-10, hermitian=True)


def fit_poisson(
    design: NDArray[np.float64],
    y: NDArray[np.float64],
    *,
    beta_start: NDArray[np.float64] | None = None,
    limit_zero: NDArray[np.bool_] | None = None,
    maxiter: int = 100,
    tol: float = 1e-11,
) -> PoissonFit:
    """Fit a Poisson log-linear model, returning the extended MLE when the MLE does not exist.

    Args:
        design: ``(cells, p)`` design matrix with the intercept in column 0.
        y: Cell counts.
        beta_start: Warm start (used when fitting many nearby tables, e.g. a profile).
        limit_zero: Known limit-zero cells (skips the existence check).
        maxiter: IRLS iteration limit.
        tol: Relative deviance change to stop at (R uses 1e-8; tighter here because the
            estimate exp(beta0) is sensitive to the last digits on flat likelihoods).

    Returns:
        The fit; see :class:`PoissonFit`.
    """
    y = np.asarray(y, dtype=np.float64)
    rank = int(np.linalg.matrix_rank(design))
    if limit_zero is None:
        beta, mu, converged, its = _irls(design, y, beta_start, maxiter, tol)
        if not converged and beta_start is not None:
            beta, mu, converged, its = _irls(design, y, None, maxiter, tol)
        suspicious = (y == 0) & (mu < _SMALL_FIT)
        if not (suspicious.any() or not converged):
            cov = _cov(design, mu)
            identified = _identified(design)
            return PoissonFit(
                beta,
                mu,
                cov,
                poisson_deviance(y, mu),
                poisson_loglik(y, mu),
                rank,
                converged,
                its,
                np.zeros(len(y), dtype=bool),
                identified,
            )
        limit_zero = zero_limit_cells(design, y) if (y == 0).any() else np.zeros(len(y), dtype=bool)
        if not limit_zero.any():
            cov = _cov(design, mu)
            return PoissonFit(
                beta,
                mu,
                cov,
                poisson_deviance(y, mu),
                poisson_loglik(y, mu),
                rank,
                converged,
                its,
                limit_zero,
                _identified(design),
            )
    facial = ~limit_zero
    x_f = design[facial]
    beta, mu_f, converged, its = _irls(x_f, y[facial], beta_start, maxiter, tol)
    if not converged and beta_start is not None:
        beta, mu_f, converged, its = _irls(x_f, y[facial], None, maxiter, tol)
    mu = np.zeros(len(y))
    mu[facial] = mu_f
    cov = _cov(x_f, mu_f)
    return PoissonFit(
        beta,
        mu,
        cov,
        poisson_deviance(y, mu),
        poisson_loglik(y, mu),
        rank,
        converged,
        its,
        limit_zero,
        _identified(x_f),
    )


def _identified(x: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Return which coefficients are identified: e_i lies in the row space of ``x``."""
    projector = np.linalg.pinv(x, rcond=1e-10) @ x
    return np.asarray(np.abs(np.diag(projector) - 1.0) < 1e-8, dtype=bool)
