"""The admin works for every model, and shows Korean names readably."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from haven.accounts.models import User
from haven.records.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    user = User.objects.create_superuser("root", "", "a-long-test-password")
    client.force_login(user)
    return client


def test_every_model_has_a_working_list_and_add_page(staff_client):
    person = f.person(hangul="최룡해", roman="Choe Ryong Hae")
    ev = f.event()
    f.act(ev, person)
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert staff_client.get(changelist).status_code == 200, changelist
        if model_admin.has_add_permission(type("R", (), {"user": User.objects.get(username="root")})()):
            add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
            assert staff_client.get(add).status_code == 200, add


def test_person_pages_show_korean_names(staff_client):
    person = f.person(hangul="최룡해", roman="Choe Ryong Hae")
    listing = staff_client.get(reverse("admin:records_person_changelist")).content.decode()
    assert "최룡해" in listing and "Choe Ryong Hae" in listing
    page = staff_client.get(reverse("admin:records_person_change", args=[person.pk])).content.decode()
    assert "최룡해" in page
