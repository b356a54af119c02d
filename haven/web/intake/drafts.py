"""Intake drafts: the form's fields as typed, kept encrypted, readable by their owner only.

A draft is the form's raw fields (every value a string, as posted), so that anything typed, even a date
Haven cannot read yet, is kept exactly. Saving audits nothing (it happens at every change of a field);
creating, opening and discarding a draft are audited, without its content.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from django.db import transaction
from django.http import Http404, QueryDict

from haven.audit.models import AuditAction
from haven.audit.services import audit_record
from haven.web.models import IntakeDraft

FORMAT = 1
MAX_BYTES = 256 * 1024  # a long testimony with many acts is well under this
_NOT_SAVED = frozenset({"csrfmiddlewaretoken", "action", "draft", "revision", "page"})


class DraftError(ValueError):
    """The draft cannot be saved as given; the message says why."""


class StaleDraft(DraftError):
    """The draft was saved from another page since this page loaded it."""


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
    """Return the draft's fields, auditing that its owner opened it (it holds identifying values)."""
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
        Http404: ``draft_id`` is not one of the user's drafts.
        StaleDraft: another page saved the draft since this one loaded or last saved it.
        DraftError: the fields are too large to keep.
    """
    text = _encode(fields, page)
    if draft_id in (None, ""):
        draft = IntakeDraft.objects.create(owner=user, data=text)
        audit_record(
            actor=user,
            action=AuditAction.RECORD_CREATED,
            target=draft,
            request=request,
            details={"via": "intake"},
        )
        return draft
    draft = draft_for_owner(user, draft_id)
    draft = IntakeDraft.objects.select_for_update().get(pk=draft.pk)
    if revision not in (None, "") and str(revision) != str(draft.revision):
        if not page or _doc(draft).get("page") != page:
            raise StaleDraft("saved elsewhere")
    draft.data = text
    draft.revision += 1
    draft.save(update_fields=["data", "revision", "updated_at"])
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
    return list(IntakeDraft.objects.filter(owner_id=user.pk).order_by("-updated_at", "-pk"))
