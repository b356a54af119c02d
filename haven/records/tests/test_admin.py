"""The admin works for every model for the role that manages it, and shows Korean names readably."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from haven.accounts.models import Role
from haven.accounts.tests.personas import make_user
from haven.records.tests import factories as f

pytestmark = pytest.mark.django_db


def test_every_model_has_a_working_list_page_and_add_page_for_the_role_that_manages_it(client):
    person = f.person(hangul="최룡해", roman="Choe Ryong Hae")
    f.act(f.event(), person)
    _, comp = f.organisation()
    users = {role: make_user(role, [comp])[0] for role in Role.values}
    unreachable = []
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
        reached = False
        for user in users.values():
            client.force_login(user)
            if client.get(changelist).status_code == 200:
                reached = True
                request = type("R", (), {"user": user})()
                if model_admin.has_add_permission(request) and model is not type(user):
                    assert client.get(add).status_code == 200, (add, user.role)
        if not reached:
            unreachable.append(changelist)
    assert not unreachable


def test_person_pages_show_korean_names_to_documenters(client):
    person = f.person(hangul="최룡해", roman="Choe Ryong Hae")
    user, _ = make_user(Role.DOCUMENTER, [person.compartment])
    client.force_login(user)
    listing = client.get(reverse("admin:records_person_changelist")).content.decode()
    assert "최룡해" in listing and "Choe Ryong Hae" in listing
    page = client.get(reverse("admin:records_person_change", args=[person.pk])).content.decode()
    assert "최룡해" in page


def test_editing_a_name_in_the_admin_updates_its_index_and_is_audited_without_clear_text(client):
    from haven.audit.models import AuditAction, AuditEntry
    from haven.records.models import PersonName
    from haven.records.services import persons_find_by_name

    person = f.person(hangul="최룡해", roman="Choe Ryong Hae")
    user, _ = make_user(Role.DOCUMENTER, [person.compartment])
    client.force_login(user)
    url = reverse("admin:records_person_change", args=[person.pk])
    page = client.get(url)
    assert page.status_code == 200
    names = list(PersonName.objects.filter(person=person).order_by("pk"))
    form = {
        "sex": "F",
        "confidentiality": "confidential",
        "organisation": person.organisation_id,
        "compartment": person.compartment_id,
        "external_id": "",
        "birth_date": "1984",
        "origin_detail": "",
        "exit_year": "",
        "group_description": "",
        "number_of_persons_in_group": "",
        "sensitive_notes": "",
        "counting_unit": "",
        "origin_province": "",
        "version_seen": person.version,
        "names-TOTAL_FORMS": "2",
        "names-INITIAL_FORMS": "2",
        "names-MIN_NUM_FORMS": "0",
        "names-MAX_NUM_FORMS": "1000",
    }
    for i, n in enumerate(names):
        form.update(
            {
                f"names-{i}-id": n.pk,
                f"names-{i}-person": person.pk,
                f"names-{i}-kind": n.kind,
                f"names-{i}-system": n.system,
                f"names-{i}-full_name": n.full_name,
                f"names-{i}-family_name": n.family_name or "",
                f"names-{i}-given_name": n.given_name or "",
                f"names-{i}-is_primary": "on" if n.is_primary else "",
            }
        )
    form["names-0-full_name"] = "한은별"
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert persons_find_by_name("한은별") == [person.pk]
    assert persons_find_by_name("최룡해") == [person.pk]  # still found through "Choe Ryong Hae"
    entry = AuditEntry.objects.filter(action=AuditAction.RECORD_CHANGED).latest("seq")
    text = str(entry.details)
    assert "한은별" not in text and "최룡해" not in text and "old_hmac" in text
