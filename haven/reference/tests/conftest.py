from __future__ import annotations

import pytest

from haven.reference.services import reference_load_shipped


@pytest.fixture
def shipped(db):  # type: ignore[no-untyped-def]
    """The shipped datasets, loaded in the test's transaction (idempotent, so cheap when already there)."""
    reference_load_shipped()
