"""The audit log in the admin: auditors and administrators browse it; nobody can change it; browsing is audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from haven.accounts.models import Role, User
from haven.audit.models import AuditAction, AuditEntry
from haven.audit.tests.helpers import make_entries

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor(client):  # type: ignore[no-untyped-def]
    user = User.objects.create_user("auditor-1", role=Role.AUDITOR)
    client.force_login(user)
    return user


def test_an_auditor_browses_and_filters_the_log(client, auditor):
    make_entries(3)  # after the login's own entry
    entry = AuditEntry.objects.get(target_id="1001")
    url = reverse("admin:audit_auditentry_changelist")
    assert client.get(url).status_code == 200
    response = client.get(url, {"action__exact": AuditAction.RECORD_VIEWED, "q": "1001"})
    assert response.status_code == 200 and list(response.context["cl"].result_list) == [entry]
    assert client.get(reverse("admin:audit_auditentry_change", args=[entry.pk])).status_code == 200
    viewed = list(AuditEntry.objects.filter(action=AuditAction.AUDIT_VIEWED).order_by("seq"))
    assert [(e.actor_id, e.details.get("view")) for e in viewed] == [(auditor.pk, "list")] * 2 + [
        (auditor.pk, "entry")
    ]
    assert viewed[1].details == {"view": "list", "search": True, "filtered": True}


def test_nobody_can_add_change_or_delete_an_entry(client, auditor):
    entry = make_entries(1)[0]
    assert client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:audit_auditentry_change", args=[entry.pk]), {"actor_label": "x"}
        ).status_code
        == 403
    )
    assert (
        client.post(reverse("admin:audit_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert AuditEntry.objects.get(pk=entry.pk).actor_label == ""


def test_a_user_without_the_audit_capability_is_refused(client):
    client.force_login(User.objects.create_user("viewer-1", role=Role.VIEWER))
    response = client.get(reverse("admin:audit_auditentry_changelist"))
    assert response.status_code in (302, 403)
