from __future__ import annotations

import pytest

from haven.config.testing import load_reference_data

pytest_plugins = ["haven.lib.testing.browser"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        load_reference_data()


@pytest.fixture
def committed_db(transactional_db, django_db_blocker):  # type: ignore[no-untyped-def]
    """A database whose writes really commit (for tests of files, processes and locks).

    Django empties every table after each such test (pytest-django runs them after all the others), so the
    reference data is loaded at the start of each.
    """
    with django_db_blocker.unblock():
        load_reference_data()
    return None


@pytest.fixture(autouse=True)
def _empty_cache():  # type: ignore[no-untyped-def]
    """Rate limits live in the cache: one test's failed log-ins must not lock out the next test's user."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
