from __future__ import annotations

import pytest

from haven.estimation.tests.world import EstimationWorld, build


@pytest.fixture
def world(db) -> EstimationWorld:  # type: ignore[no-untyped-def]
    return build()
