from __future__ import annotations

import pytest
from django.core.management import call_command


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """Load the reference data every test relies on once per run: keys, vocabularies and the gazetteer.

    The data keys are created here, outside any test's transaction, because the key cache outlives a test and
    must not point at a key that a rolled-back test created.
    """
    from haven.crypto import keyring

    with django_db_blocker.unblock():
        keyring.clear_cache()
        keyring.active_kid("data")
        keyring.active_kid("index")
        call_command("load_vocabularies", verbosity=0)
        call_command("load_gazetteer", verbosity=0)
