"""The system checks guard the transaction settings the chain's serialisation relies on."""

from __future__ import annotations

from psycopg import IsolationLevel

from haven.audit.checks import check_transaction_settings, problems

SQLITE = {"ENGINE": "django.db.backends.sqlite3", "NAME": "x"}
PG = {"ENGINE": "django.db.backends.postgresql", "NAME": "x"}


def _ids(db: dict) -> list[str]:  # type: ignore[type-arg]
    return [m.id for m in problems({"default": db})]


def test_it_accepts_havens_settings():
    assert check_transaction_settings() == []


def test_it_requires_immediate_transactions_on_sqlite():
    assert _ids(SQLITE) == ["haven.audit.E001"]
    assert _ids(SQLITE | {"OPTIONS": {"transaction_mode": "IMMEDIATE"}}) == []


def test_it_requires_read_committed_on_postgresql():
    assert _ids(PG) == []
    assert _ids(PG | {"OPTIONS": {"isolation_level": IsolationLevel.READ_COMMITTED}}) == []
    assert _ids(PG | {"OPTIONS": {"isolation_level": IsolationLevel.REPEATABLE_READ}}) == ["haven.audit.E002"]
    assert _ids(PG | {"OPTIONS": {"isolation_level": IsolationLevel.SERIALIZABLE}}) == ["haven.audit.E002"]
