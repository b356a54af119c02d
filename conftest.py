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
def _empty_cache(request):  # type: ignore[no-untyped-def]
    """Rate limits live in the cache: one test's failed log-ins must not lock out the next test's user.

    The cache is a table of the database (settings.CACHES), so only tests that use the database can touch it;
    a test that cannot reach the database cannot have filled it either.
    """
    names = set(request.fixturenames)
    if not (
        names & {"db", "transactional_db", "django_db_reset_sequences"}
        or request.node.get_closest_marker("django_db")
    ):
        yield
        return
    from django.core.cache import cache

    request.getfixturevalue("transactional_db" if "transactional_db" in names else "db")
    # Cleared before each test only: what a test leaves is rolled back with it, or cleared before the next one
    # (a test may end with the connection closed, e.g. by the `haven` command it ran).
    cache.clear()
    yield
