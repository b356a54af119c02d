"""Keeping clear text of sensitive fields out of the audit log.

An entry's ``details`` may say *that* a sensitive field changed, never *what* it was or became. For such
fields :func:`diff_for_audit` records keyed HMACs (``audit_fingerprint(value, "audit.<field>")``, under a key that is never rotated): an auditor can
see that a value was changed back to an earlier one, or that two entries set the same value, without seeing
it, and someone holding only the database cannot test guesses against them (the key is wrapped under the
master key).

:func:`check_details` is the guard ``audit_record`` applies to every entry: a key named like a sensitive field
may only carry the sealed form that :func:`diff_for_audit` produces.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import models

from haven.audit.chain import canonical_json

# Field names whose values are never written to the audit log in clear. These are the identifying and
# sensitive fields of the events model (names in every script, birth dates, places of origin below the
# province, sensitive notes, relation details, clarification notes). Add to this set, never remove.
SENSITIVE_FIELDS: frozenset[str] = frozenset(
    {
        "full_name",
        "family_name",
        "given_name",
        "birth_date",
        "origin_detail",
        "sensitive_notes",
        "details",
        "note",
    }
)

SEALED_KEYS = frozenset({"changed", "old_hmac", "new_hmac"})
_HMAC_TEXT = re.compile(r"\A[0-9a-f]{32}\Z")
MAX_DETAILS_CHARS = 64 * 1024


def _hmac(field: str, value: Any) -> str | None:
    from haven.crypto.keyring import audit_fingerprint

    if value is None:
        return None
    text = value if isinstance(value, str) else canonical_json(_jsonable(value))
    return audit_fingerprint(text, f"audit.{field}")


def _jsonable(value: Any) -> Any:
    """Return ``value`` as something the audit log can store exactly (see chain.canonical_json)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, enum.Enum):
        return _jsonable(value.value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float | Decimal | uuid.UUID):
        return str(
            value
        )  # floats are not stored as numbers: their JSON form is not the same in every database
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    return str(value)


def diff_for_audit(
    old: Mapping[str, Any], new: Mapping[str, Any], sensitive: set[str] | frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Return the changed fields between ``old`` and ``new``, fit for an audit entry's details.

    A plain field gives ``{"old": ..., "new": ...}``. A sensitive one (named in ``sensitive`` or in
    :data:`SENSITIVE_FIELDS`; both always apply) gives ``{"changed": true, "old_hmac": ..., "new_hmac": ...}``,
    where an HMAC is None for an empty (None) value. A field missing from one side counts as None there;
    unchanged fields are left out.
    """
    hidden = SENSITIVE_FIELDS | frozenset(sensitive)
    out: dict[str, Any] = {}
    for field in sorted(set(old) | set(new)):
        before, after = _jsonable(old.get(field)), _jsonable(new.get(field))
        if before == after:
            continue
        if field in hidden:
            out[field] = {"changed": True, "old_hmac": _hmac(field, before), "new_hmac": _hmac(field, after)}
        else:
            out[field] = {"old": before, "new": after}
    return out


def _is_sealed(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and set(value) <= SEALED_KEYS
        and "changed" in value
        and isinstance(value["changed"], bool)
        and all(
            value.get(k) is None or (isinstance(value[k], str) and _HMAC_TEXT.match(value[k]))
            for k in ("old_hmac", "new_hmac")
        )
    )


def check_details(details: Any, path: str = "details") -> None:
    """Raise ValueError if ``details`` carries a sensitive field's value in clear, or anything not storable exactly.

    Allowed values: str, int, bool, None, lists and str-keyed dicts of them. Floats are refused (their JSON form
    differs between databases, which would break the chain); pass them as strings.
    """
    if isinstance(details, Mapping):
        for key, value in details.items():
            if not isinstance(key, str):
                raise ValueError(f"{path}: keys must be strings, not {key!r}")
            if key in SENSITIVE_FIELDS and not _is_sealed(value):
                raise ValueError(
                    f"{path}.{key}: {key!r} is a sensitive field; record it only through diff_for_audit()"
                )
            check_details(value, f"{path}.{key}")
    elif isinstance(details, list | tuple):
        for i, value in enumerate(details):
            check_details(value, f"{path}[{i}]")
    elif isinstance(details, float):
        raise ValueError(f"{path}: floats are not stored in the audit log; give {details!r} as a string")
    elif not (details is None or isinstance(details, str | int)):  # bool is an int
        raise ValueError(f"{path}: {type(details).__name__} is not a JSON value the audit log stores")
