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
