from __future__ import annotations

import pytest

from haven.reference.services import reference_load_shipped


@pytest.fixture
def reference(db):  # type: ignore[no-untyped-def]
    """The shipped reference datasets, loaded into the test database."""
    reference_load_shipped()
