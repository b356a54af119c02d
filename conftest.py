from __future__ import annotations

import pytest
from django.core.management import call_command


def load_reference_data() -> None:
    """Keys, vocabularies and the gazetteer: what every test relies on.

    The data keys are created here, outside any test's transaction, because the key cache outlives a test and
    must not point at a key that a rolled-back test created.
    """
    from haven.crypto import keyring

    keyring.clear_cache()
    keyring.active_kid("data")
    keyring.active_kid("index")
    call_command("load_vocabularies", verbosity=0)
    call_command("load_gazetteer", verbosity=0)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        load_reference_data()


@pytest.fixture
def committed_db(transactional_db, django_db_blocker):  # type: ignore[no-untyped-def]
    """A database whose writes really commit (for tests of files, processes and locks).

    Django empties every table after such a test, so the reference data is loaded again afterwards.
    """
    yield
    with django_db_blocker.unblock():
        load_reference_data()


@pytest.fixture(autouse=True)
def _empty_cache():  # type: ignore[no-untyped-def]
    """Rate limits live in the cache: one test's failed log-ins must not lock out the next test's user."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
