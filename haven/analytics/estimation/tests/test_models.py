"""Model enumeration, naming and parsing."""

from __future__ import annotations

import pytest

from haven.analytics.estimation import (
    EstimationInputError,
    TooManyModelsError,
    all_hierarchical_models,
    count_hierarchical_models,
    parse_model,
)


@pytest.mark.parametrize(
    ("num_lists", "max_order", "expected"),
    # Rcapture getAllModels (computed, estimation-notes §2.1): 3 lists -> 8, 4 -> 113, 5 maxorder 2 -> 1,024,
    # 5 maxorder 3 -> 6,212. Two lists have only the independence model.
    [(2, None, 1), (3, None, 8), (4, None, 113), (5, 2, 1024), (5, 3, 6212)],
)
def test_it_counts_hierarchical_models_like_rcapture(
    num_lists: int, max_order: int | None, expected: int
) -> None:
    assert count_hierarchical_models(num_lists, max_order) == expected
    if expected <= 1024:
        models = all_hierarchical_models(num_lists, max_order)
        assert len(models) == expected
        assert len({m.name for m in models}) == expected


def test_it_refuses_model_searches_above_the_limit_and_suggests_an_order() -> None:
    # closedpMS.t stops above ~10,000 models (estimation-notes §2.1, stopiflong).
    # Five lists at the default order J - 1 = 4 stay under the limit (6,893 models, our count).
    assert count_hierarchical_models(5, limit=10_000) == 6893
    with pytest.raises(TooManyModelsError, match=r"more than 6,500 .*max_order=3 gives 6,212 models"):
        all_hierarchical_models(5, max_models=6500)
    with pytest.raises(TooManyModelsError, match="6 lists with max_order=2 give more than 10,000"):
        all_hierarchical_models(6, 2)
    assert len(all_hierarchical_models(6, 1)) == 1


def test_it_names_models_in_rcapture_bracket_notation() -> None:
    names = [m.name for m in all_hierarchical_models(3)]
    assert names[0] == "[1,2,3]"
    assert set(names) == {
        "[1,2,3]",
        "[12,3]",
        "[13,2]",
        "[23,1]",
        "[12,13]",
        "[12,23]",
        "[13,23]",
        "[12,13,23]",
    }
    assert parse_model("[123,4]", 4).name == "[123,4]"
    assert parse_model("[4,21,3]", 4).name == "[12,3,4]"
    assert parse_model("[12,123]", 4).name == "[123,4]"  # sub-terms are implied
    assert parse_model("Mt", 4).name == "[1,2,3,4]"
    assert parse_model("M0", 4).name == "M0"


def test_it_parses_term_sequences_by_number_or_list_name() -> None:
    names = ["amnesty", "church", "ngo"]
    assert parse_model([("amnesty", "church")], 3, names).name == "[12,3]"
    assert parse_model([(2, 3)], 3).name == "[23,1]"
    assert parse_model(["13"], 3).name == "[13,2]"


@pytest.mark.parametrize("spec", ["[1234]", "[15]", "12,3", "[1a]", "[11]"])
def test_it_rejects_bad_model_specs(spec: str) -> None:
    with pytest.raises(EstimationInputError):
        parse_model(spec, 4)


def test_it_rejects_out_of_range_max_order() -> None:
    with pytest.raises(EstimationInputError, match="max_order"):
        count_hierarchical_models(4, 4)
