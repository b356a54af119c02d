"""Shared fixtures: a model trained once per session on synthetic lists."""

from __future__ import annotations

import pytest

from haven.analytics.linkage import generate_lists, train_model


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Override the project-wide fixture that clears Django's cache: these tests run without Django."""


@pytest.fixture(scope="session")
def model_json() -> str:
    """Return a Korean-settings model trained on 3,000 synthetic records (about 5 s)."""
    data = generate_lists(3000, seed=11)
    return train_model(data.rows, seed=0)


def record(source: str, record_id: str, **fields: str) -> dict[str, str]:
    """Return a raw record with empty defaults."""
    row = dict.fromkeys(("name", "name_hangul", "sex", "birth_year", "origin", "exit_year"), "")
    row.update(fields)
    return {"source": source, "record_id": record_id, **row}
