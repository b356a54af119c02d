"""Helpers shared by the test suite (imported by the root conftest and by tests)."""

from __future__ import annotations

from django.core.management import call_command


def load_reference_data() -> None:
    """Keys, vocabularies and the gazetteer: what every test relies on.

    The keys are created outside any test's transaction, because the key cache outlives a test and must not
    point at a key that a rolled-back test created.
    """
    from haven.crypto.apps import ensure_keys

    ensure_keys(sender=None)
    call_command("load_vocabularies", verbosity=0)
    call_command("load_gazetteer", verbosity=0)
