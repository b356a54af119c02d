"""Intake drafts: the form's fields as typed, kept encrypted, readable by their owner only.

A draft is the form's raw fields (every value a string, as posted), so that anything typed, even a date
Haven cannot read yet, is kept exactly. Saving audits nothing (it happens at every change of a field);
creating, opening and discarding a draft are audited, without its content.

A draft neither saved nor opened for ``HAVEN_DRAFT_DAYS`` days is deleted (:func:`drafts_expire`): by the
worker every hour, and whenever a documenter lists their drafts or starts a new one, so that an instance without
a worker (the demo) expires them too.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import Http404, QueryDict
from django.utils import timezone

from haven.audit.models import AuditAction
from haven.audit.services import audit_record, audit_records
from haven.jobs.registry import upkeep
from haven.web.models import IntakeDraft

FORMAT = 1
MAX_BYTES = 256 * 1024  # a long testimony with many acts is well under this
_NOT_SAVED = frozenset({"csrfmiddlewaretoken", "action", "draft", "revision", "page"})


class DraftError(ValueError):
    """The draft cannot be saved as given; the message says why."""


class StaleDraft(DraftError):
    """The draft was saved from another page since this page loaded it."""


class DraftGone(DraftError):
    """The page names a draft the user no longer has: submitted or discarded elsewhere, or expired.

    Raised for another user's draft too, with the same message: whether it exists is not told.
    """


def fields_of(data: QueryDict) -> dict[str, list[str]]:
    """Return the form's fields as typed, without the bookkeeping ones (token, action, draft number)."""
    return {k: [str(v) for v in data.getlist(k)] for k in data if k not in _NOT_SAVED}


def as_querydict(fields: dict[str, list[str]]) -> QueryDict:
    q = QueryDict(mutable=True)
    for key, values in fields.items():
        q.setlist(key, list(values))
    return q


def new_page_token() -> str:
    """Return a token naming one rendering of the form (its saves are not conflicts with each other)."""
    return secrets.token_urlsafe(12)


def _encode(fields: dict[str, list[str]], page: str) -> str:
    doc = {"format": FORMAT, "page": page, "fields": fields}
    text = json.dumps(doc, ensure_ascii=False, sort_keys=True)
    if len(text.encode()) > MAX_BYTES:
        raise DraftError("too large")
    return text


def _doc(draft: IntakeDraft) -> dict[str, Any]:
    doc = json.loads(draft.data)
    return doc if isinstance(doc, dict) else {}


def _decode(draft: IntakeDraft) -> dict[str, list[str]]:
    fields = _doc(draft).get("fields", {})
    if not isinstance(fields, dict):
        return {}
    return {str(k): [str(v) for v in vs] for k, vs in fields.items() if isinstance(vs, list)}


def draft_for_owner(user: Any, pk: Any) -> IntakeDraft:
    """Return the user's draft ``pk``; the same 404 for a draft that does not exist and another user's."""
    try:
        draft = IntakeDraft.objects.get(pk=int(pk), owner_id=user.pk)
    except (IntakeDraft.DoesNotExist, TypeError, ValueError):
        raise Http404("No such draft.") from None
    return draft


def draft_fields(draft: IntakeDraft) -> dict[str, list[str]]:
    return _decode(draft)


def draft_open(*, user: Any, draft: IntakeDraft, request: Any = None) -> dict[str, list[str]]:
    """Return the draft's fields, auditing that its owner opened it (it holds identifying values).

    Opening a draft counts as using it: its time to expiry starts again, so that it is not deleted (by
    :func:`drafts_expire`) while its owner works on it before the first save.
    """
    draft.used_at = timezone.now()
    IntakeDraft.objects.filter(pk=draft.pk).update(used_at=draft.used_at)
    audit_record(
        actor=user,
        action=AuditAction.RECORD_VIEWED,
        target=draft,
        request=request,
        details={"via": "intake", "revision": draft.revision},
    )
    return _decode(draft)


@transaction.atomic
def draft_save(
    *,
    user: Any,
    fields: dict[str, list[str]],
    draft_id: Any = None,
    revision: Any = None,
    page: str = "",
    request: Any = None,
) -> IntakeDraft:
    """Create or update the user's draft with ``fields``; return it with its new revision.

    ``page`` names the rendering of the form the fields come from: a save whose ``revision`` is behind is
    refused only if another page saved in between (the same page's own autosave racing its "submit" is
    not a conflict: its fields are the newer ones).

    Raises:
        DraftGone: ``draft_id`` is not one of the user's drafts (any more).
        StaleDraft: another page saved the draft since this one loaded or last saved it.
        DraftError: the fields are too large to keep.
    """
    text = _encode(fields, page)
    if draft_id in (None, ""):
        drafts_expire()
        draft = IntakeDraft.objects.create(owner=user, data=text)
        audit_record(
            actor=user,
            action=AuditAction.RECORD_CREATED,
            target=draft,
            request=request,
            details={"via": "intake"},
        )
        return draft
    try:
        pk = int(draft_id)
    except (TypeError, ValueError):
        raise DraftGone("no such draft") from None
    # Locked: a concurrent save of the same draft waits for this one, and an expiry that deleted it is seen.
    draft = _locked(user, pk)
    if revision not in (None, "") and str(revision) != str(draft.revision):
        if not page or _doc(draft).get("page") != page:
            raise StaleDraft("saved elsewhere")
    draft.data = text
    draft.revision += 1
    draft.used_at = timezone.now()
    draft.save(update_fields=["data", "revision", "updated_at", "used_at"])
    return draft


def draft_lock(*, user: Any, draft: IntakeDraft) -> None:
    """Lock the user's ``draft`` until the caller's transaction ends (its testimony is being submitted); Django
    refuses select_for_update outside a transaction.

    A second request submitting the same draft (a double click, another window) waits here, then finds it gone,
    instead of recording the testimony twice.

    Raises:
        DraftGone: the draft was submitted or discarded meanwhile.
    """
    _locked(user, draft.pk)


def _locked(user: Any, pk: int) -> IntakeDraft:
    """The user's draft ``pk``, locked until the transaction ends; DraftGone if the user has no such draft."""
    draft = IntakeDraft.objects.select_for_update().filter(pk=pk, owner_id=user.pk).first()
    if draft is None:
        raise DraftGone("no such draft")
    return draft


@transaction.atomic
def draft_discard(*, user: Any, draft: IntakeDraft, reason: str = "discarded", request: Any = None) -> None:
    """Delete a draft (discarded, or its testimony submitted): what it held is not kept anywhere else."""
    audit_record(
        actor=user,
        action=AuditAction.RECORD_DELETED,
        target=draft,
        request=request,
        details={"via": "intake", "reason": reason},
    )
    draft.delete()


def drafts_of(user: Any) -> list[IntakeDraft]:
    drafts_expire()
    return list(IntakeDraft.objects.filter(owner_id=user.pk).order_by("-updated_at", "-pk"))


def kept_until(draft: IntakeDraft) -> datetime:
    """When the draft is deleted if it is neither saved nor opened again before."""
    return draft.used_at + timedelta(days=settings.HAVEN_DRAFT_DAYS)


@upkeep("expire intake drafts")
def drafts_expire(now: datetime | None = None) -> int:
    """Delete every user's drafts neither saved nor opened for ``HAVEN_DRAFT_DAYS`` days; return how many.

    Each deletion is audited as the system's, with the draft's owner, never its content.
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.HAVEN_DRAFT_DAYS)
    expiring = IntakeDraft.objects.filter(used_at__lt=cutoff)
    # Looked at first, before a transaction of its own: on SQLite a transaction takes the write lock at once,
    # and most calls (each listing of drafts) find nothing to delete.
    if not expiring.exists():
        return 0
    with transaction.atomic():
        # Locked, so that a save racing the expiry either lands first (and the draft is kept, being no longer
        # old) or waits and then finds the draft gone. In the order of their keys, so that two expiries at once
        # wait for each other instead of deadlocking.
        expired = list(expiring.select_for_update().order_by("pk").only("pk", "owner_id"))
        audit_records(
            actor=None,
            action=AuditAction.RECORD_DELETED,
            targets=[
                (
                    draft,
                    {
                        "via": "intake",
                        "reason": "expired",
                        "owner": draft.owner_id,
                        "days": settings.HAVEN_DRAFT_DAYS,
                    },
                )
                for draft in expired
            ],
        )
        IntakeDraft.objects.filter(pk__in=[d.pk for d in expired]).delete()
    return len(expired)
