"""Two people editing the same record: the second save is refused and shows both versions (no lost update)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from haven.accounts.models import Role
from haven.accounts.tests.personas import make_user
from haven.records.models import Event
from haven.records.tests import factories as f

pytestmark = pytest.mark.django_db


def _form_data(response) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """What the browser would post back unchanged: the main form and every inline formset."""
    data: dict[str, object] = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms.append(formset.management_form)
        forms.extend(formset.forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None:
                continue
            if isinstance(value, list | tuple):
                data[form.add_prefix(name)] = [str(v) for v in value]
            elif isinstance(value, bool):
                if value:
                    data[form.add_prefix(name)] = "on"
            else:
                data[form.add_prefix(name)] = value
    return data


def test_the_second_of_two_concurrent_admin_edits_is_refused_with_both_versions(client) -> None:  # type: ignore[no-untyped-def]
    event = f.event("2010", "alpha")
    event.title = "Arrest in Onsong"
    event.save()
    first, _ = make_user(Role.DOCUMENTER, [event.compartment])
    url = reverse("admin:records_event_change", args=[event.pk])

    client.force_login(first)
    page = client.get(url)
    assert page.status_code == 200
    mine = _form_data(page)
    theirs = dict(mine)
    assert mine["version_seen"] == event.version

    # Someone else saves first ...
    theirs["title"] = "Arrest in Onsong county"
    saved = client.post(url, theirs)
    assert saved.status_code == 302, saved.context["adminform"].form.errors if saved.context else saved
    event.refresh_from_db()
    assert (event.title, event.version) == ("Arrest in Onsong county", 2)

    # ... then this editor saves from the version they started with: refused, nothing overwritten.
    mine["title"] = "Detention at Onsong"
    refused = client.post(url, mine)
    assert refused.status_code == 200
    errors = " ".join(refused.context["adminform"].form.non_field_errors())
    assert "version 1" in errors and "version 2" in errors
    assert "yours “Detention at Onsong”" in errors and "saved “Arrest in Onsong county”" in errors
    event.refresh_from_db()
    assert (event.title, event.version) == ("Arrest in Onsong county", 2)

    # Reloading gives the current version, and saving from it works.
    again = _form_data(client.get(url))
    again["title"] = "Detention at Onsong"
    assert client.post(url, again).status_code == 302
    event.refresh_from_db()
    assert (event.title, event.version) == ("Detention at Onsong", 3)


def test_a_form_without_the_version_it_started_from_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    event = f.event("2010", "alpha")
    user, _ = make_user(Role.DOCUMENTER, [event.compartment])
    client.force_login(user)
    url = reverse("admin:records_event_change", args=[event.pk])
    data = _form_data(client.get(url))
    del data["version_seen"]
    data["title"] = "changed"
    assert client.post(url, data).status_code == 200
    assert Event.objects.get(pk=event.pk).version == 1
