"""JSON views of results."""

from __future__ import annotations

import json

import pytest

from haven.analytics.estimation import (
    CaptureHistories,
    estimate_stratified,
    lcmcr_fit,
    loglinear_fit,
    loglinear_select,
    result_to_dict,
    result_to_json,
)

from .datasets import hiv

pytestmark = pytest.mark.filterwarnings("ignore::haven.analytics.estimation.EstimationWarning")

REQUIRED = {"method", "observed", "estimate", "lower", "upper", "strata", "warnings"}


def test_it_serialises_a_model_selection() -> None:
    data = json.loads(result_to_json(loglinear_select(hiv(), "aic")))
    assert REQUIRED <= data.keys()
    assert data["method"] == "loglinear"
    assert data["model"] == "[12,3,4]"
    assert data["observed"] == 1896
    assert data["estimate"] == pytest.approx(12318.5, abs=0.06)
    assert data["lower"] == pytest.approx(10266.0, abs=0.1)
    assert data["selection"]["models_fitted"] == 113
    assert data["strata"] is None


def test_it_serialises_lcmcr_sampler_settings_and_diagnostics() -> None:
    r = lcmcr_fit(hiv(), burnin=50, samples=20, thinning=1, seed=8)
    data = result_to_dict(r)
    assert REQUIRED <= data.keys()
    assert data["sampler"].keys() >= {"K", "burnin", "samples", "thinning", "chains", "seed", "rhat", "ess"}
    assert data["sampler"]["seed"] == 8


def test_it_writes_null_for_unbounded_estimates() -> None:
    r = loglinear_fit(CaptureHistories.from_counts({"10": 5, "01": 6, "11": 0}), "Mt")
    text = result_to_json(r)
    data = json.loads(text)
    assert data["estimate"] is None
    assert data["status"] == "unbounded"
    assert "Infinity" not in text and "NaN" not in text


def test_it_nests_strata() -> None:
    h = CaptureHistories.from_rows(
        [[1, 1], [1, 0], [0, 1], [1, 1], [1, 0], [0, 1], [1, 0]], strata=["a", "a", "a", "b", "b", "b", "b"]
    )
    data = result_to_dict(estimate_stratified(h, "loglinear", model="Mt"))
    assert set(data["strata"]) == {"a", "b"}
    assert data["strata"]["a"]["model"] == "[1,2]"
    assert REQUIRED <= data.keys()
    with pytest.raises(TypeError):
        result_to_dict(object())  # type: ignore[arg-type]
