"""Multiple systems estimation (capture-recapture) for Haven, free of Django.

Estimate how many people an event affected, documented or not, from the overlap between
several lists (sources) of documented people.

Import rule: code outside this package imports only the names below; everything under
``internals/`` may change without notice.

Typical use::

    from haven.analytics.estimation import read_lists_csv, estimate, result_to_json

    histories = read_lists_csv("lists.csv", strata="region")
    result = estimate(histories, method="lcmcr", seed=19481210)
    print(result_to_json(result))

Methods:

* Log-linear models (Rcapture's closedp/closedpCI/closedpMS): :func:`loglinear_fit` for
  one model, :func:`loglinear_select` to fit every hierarchical model and choose by AIC or
  BIC. Validated against Rcapture's published numbers (see ``tests/``).
* LCMCR, the Bayesian latent-class model of Manrique-Vallier (2016) used by HRDAG:
  :func:`lcmcr_fit`.
* :func:`estimate_stratified` estimates each stratum and combines them; :func:`estimate`
  dispatches on method and on whether the data are stratified.
"""

from __future__ import annotations

from .internals.data import CaptureHistories, read_lists_csv
from .internals.diagnostics import ess_bulk, rhat
from .internals.errors import (
    CaptureDataError,
    CaptureDataWarning,
    EstimateUnavailableError,
    EstimationInputError,
    EstimationWarning,
    TooManyModelsError,
)
from .internals.lcmcr import LcmcrResult, default_classes, lcmcr_fit
from .internals.loglinear import LoglinearResult, ModelFit, ModelSelection, loglinear_fit, loglinear_select
from .internals.models import (
    DEFAULT_MAX_MODELS,
    LoglinearModel,
    all_hierarchical_models,
    count_hierarchical_models,
    parse_model,
)
from .internals.serialize import result_to_dict, result_to_json
from .internals.simulate import SIMULATION_DESIGNS, simulate_histories
from .internals.stratified import StratifiedResult, estimate, estimate_stratified, lognormal_interval

__all__ = [
    "DEFAULT_MAX_MODELS",
    "SIMULATION_DESIGNS",
    "CaptureDataError",
    "CaptureDataWarning",
    "CaptureHistories",
    "EstimateUnavailableError",
    "EstimationInputError",
    "EstimationWarning",
    "LcmcrResult",
    "LoglinearModel",
    "LoglinearResult",
    "ModelFit",
    "ModelSelection",
    "StratifiedResult",
    "TooManyModelsError",
    "all_hierarchical_models",
    "count_hierarchical_models",
    "default_classes",
    "ess_bulk",
    "estimate",
    "estimate_stratified",
    "lcmcr_fit",
    "loglinear_fit",
    "loglinear_select",
    "lognormal_interval",
    "parse_model",
    "read_lists_csv",
    "result_to_dict",
    "result_to_json",
    "rhat",
    "simulate_histories",
]
