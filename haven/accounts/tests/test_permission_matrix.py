"""Every role × every page × own and other compartment: allowed or refused, and nothing identifying leaks.

The web interface, API and exports will add their URLs here as they land; today the pages are the home and
security pages, the admin (the fallback interface for records) and the audit browser.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from haven.accounts.models import Role
from haven.accounts.tests.personas import World

pytestmark = pytest.mark.django_db

ALL = set(Role.values)
RECORD_READERS = {
    Role.ADMINISTRATOR,
    Role.DOCUMENTER,
    Role.ANALYST,
    Role.VIEWER,
}  # admin users with VIEW_RECORDS
CONFIDENTIAL_READERS = {
    Role.DOCUMENTER,
    Role.ANALYST,
}  # clearance includes "confidential" and may use the admin
WEB_READERS = {
    Role.ADMINISTRATOR,
    Role.DOCUMENTER,
    Role.CASE_WORKER,
    Role.ANALYST,
    Role.VIEWER,
}  # VIEW_RECORDS
WEB_CONFIDENTIAL = {Role.DOCUMENTER, Role.CASE_WORKER, Role.ANALYST}  # ...cleared for "confidential"
IDENTIFYING_ROLES = {
    Role.DOCUMENTER,
    Role.CASE_WORKER,
}  # VIEW_IDENTIFYING: names may show where they may look


def _pages(w: World) -> list[tuple[str, str, set[str], tuple[str, ...]]]:
    """(name, url, roles allowed, identifying values that may appear only for IDENTIFYING_READERS)."""
    return [
        ("home", reverse("home"), ALL, ()),
        ("security", reverse("accounts:security"), ALL, ()),
        ("admin index", reverse("admin:index"), RECORD_READERS | {Role.AUDITOR}, ()),
        ("person list", reverse("admin:records_person_changelist"), RECORD_READERS, w.IDENTIFYING_A),
        (
            "person A",
            reverse("admin:records_person_change", args=[w.person_a.pk]),
            CONFIDENTIAL_READERS,
            w.IDENTIFYING_A,
        ),
        ("person B", reverse("admin:records_person_change", args=[w.person_b.pk]), set(), w.IDENTIFYING_B),
        ("event A", reverse("admin:records_event_change", args=[w.event_a.pk]), CONFIDENTIAL_READERS, ()),
        ("event B", reverse("admin:records_event_change", args=[w.event_b.pk]), set(), ()),
        ("act A", reverse("admin:records_act_change", args=[w.act_a.pk]), CONFIDENTIAL_READERS, ()),
        ("act B", reverse("admin:records_act_change", args=[w.act_b.pk]), set(), ()),
        ("users", reverse("admin:accounts_user_changelist"), {Role.ADMINISTRATOR}, ()),
        ("keys", reverse("admin:crypto_datakey_changelist"), {Role.ADMINISTRATOR}, ()),
        ("audit", reverse("admin:audit_auditentry_changelist"), {Role.ADMINISTRATOR, Role.AUDITOR}, ()),
        ("web person A", reverse("web:person", args=[w.person_a.pk]), WEB_CONFIDENTIAL, w.IDENTIFYING_A),
        ("web person B", reverse("web:person", args=[w.person_b.pk]), set(), w.IDENTIFYING_B),
        ("web event A", reverse("web:event", args=[w.event_a.pk]), WEB_CONFIDENTIAL, ()),
        ("web event B", reverse("web:event", args=[w.event_b.pk]), set(), ()),
        ("web act A", reverse("web:act", args=[w.act_a.pk]), WEB_CONFIDENTIAL, ()),
        ("web act B", reverse("web:act", args=[w.act_b.pk]), set(), ()),
        # Searched for in another spelling, so that a stored form showing up would be a result, not an echo.
        ("search by name A", reverse("web:search") + "?q=Choe+Ye-rin", WEB_READERS, ()),
        ("search by name B", reverse("web:search") + "?q=Mun+Ha-ram", WEB_READERS, ()),
    ]


def _allowed(response, url: str) -> bool:  # type: ignore[no-untyped-def]
    # A refused admin page redirects (to the admin index or login) or answers 403/404; an allowed one is 200 at
    # the URL asked for, without the admin's "not authorized" login form.
    if response.status_code != 200:
        return False
    body = response.content.decode()
    return 'id="login-form"' not in body


@pytest.mark.parametrize("role", Role.values)
def test_every_page_for_every_role(client, role):
    w = World()
    user = w.users[role]
    client.force_login(user)
    failures: list[str] = []
    for name, url, allowed_roles, identifying in _pages(w):
        response = client.get(url)
        got = _allowed(response, url)
        if got != (role in allowed_roles):
            failures.append(f"{name}: {'allowed' if got else 'refused'} (status {response.status_code})")
        body = response.content.decode()
        for value in w.IDENTIFYING_B:  # compartment B is never granted: nothing of it may show anywhere
            if value in body:
                failures.append(f"{name}: shows {value!r} from another compartment")
        if not (got and role in IDENTIFYING_ROLES):
            for value in (*w.IDENTIFYING_A, *identifying):
                if value in body:
                    failures.append(f"{name}: shows identifying {value!r} to {role}")
    assert not failures, "\n".join(failures)


def test_a_missing_record_and_a_forbidden_one_look_the_same(client):
    w = World()
    client.force_login(w.users[Role.DOCUMENTER])
    forbidden = client.get(reverse("admin:records_person_change", args=[w.person_b.pk]), follow=True)
    missing = client.get(reverse("admin:records_person_change", args=[999_999]), follow=True)
    assert forbidden.status_code == missing.status_code
    assert forbidden.redirect_chain and missing.redirect_chain
    import re

    def strip(response):  # type: ignore[no-untyped-def]
        body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
        body = re.sub(r'"X-CSRFToken": "[^"]+"', "", body)
        return body.replace(str(w.person_b.pk), "ID").replace("999999", "ID")

    assert strip(forbidden) == strip(missing)


def test_documenters_see_names_and_analysts_see_the_mask(client):
    w = World()
    client.force_login(w.users[Role.DOCUMENTER])
    assert (
        "최예린" in client.get(reverse("admin:records_person_change", args=[w.person_a.pk])).content.decode()
    )
    client.force_login(w.users[Role.ANALYST])
    listing = client.get(reverse("admin:records_person_changelist")).content.decode()
    assert "최예린" not in listing and "•••" in listing
