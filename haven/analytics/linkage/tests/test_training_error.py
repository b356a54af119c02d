"""Too few records to train on give a TrainingError that says so, and a model trained elsewhere still links them."""

from __future__ import annotations

import pytest

from haven.analytics.linkage import TrainingError, generate_lists, link_records, train_model

from .conftest import record


# (records, seed): EM finds no pairs in a training block (2, 10), or a level with none at all (20).
@pytest.mark.parametrize(("n", "seed"), [(2, 1), (10, 3), (20, 4)])
def test_it_says_when_a_model_cannot_be_trained(n: int, seed: int) -> None:
    rows = generate_lists(n, seed=seed)
    with pytest.raises(TrainingError, match=f"cannot be trained on these {n} records"):
        link_records(rows.rows, seed=1)
    with pytest.raises(TrainingError):
        train_model(rows.rows, seed=1)


def test_a_training_error_is_a_value_error() -> None:
    assert issubclass(TrainingError, ValueError)


def test_a_model_trained_elsewhere_links_a_tiny_list(model_json: str) -> None:
    rows = [
        record("a", "1", name_hangul="리설주", sex="F", birth_year="1989", origin="회령"),
        record("a", "2", name="Lee Seol-ju", sex="F", birth_year="1989", origin="Hoeryong"),
    ]
    assert len(set(link_records(rows, model=model_json, seed=0).cluster_ids)) == 1
