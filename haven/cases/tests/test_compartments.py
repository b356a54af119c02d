"""A case worker in one compartment cannot see, find or count another compartment's cases."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from haven.audit.models import AuditAction, AuditEntry
from haven.cases import access, services, stats
from haven.cases.models import Case
from haven.cases.selectors import due_for
from haven.cases.tests.world import CaseWorld

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> CaseWorld:
    world = CaseWorld()
    # Enough cases in compartment A for statistics to show breakdowns, so that counting them would show.
    for i in range(11):
        CaseWorld.new_case(world.worker_a, world.comp_a, (f"김하나{i}", f"Kim Ha-na {i}"))
    return world


def _results(response) -> str:  # type: ignore[no-untyped-def]
    """The list's results only (the form echoes what was typed, which is not a finding)."""
    html = response.content.decode()
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    assert body is not None
    return body.group(1) + re.search(r'<p class="muted">[^<]*', html).group(0)  # type: ignore[union-attr]


def _normalized(response) -> str:  # type: ignore[no-untyped-def]
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r'"X-CSRFToken": "[^"]+"', "", html)
    return re.sub(r'name="next" value="[^"]+"', "", html)


def test_it_cannot_see_another_compartments_case(client, w: CaseWorld) -> None:
    client.force_login(w.worker_b)
    forbidden = client.get(reverse("cases:detail", args=[w.case_a.reference]))
    missing = client.get(reverse("cases:detail", args=["C-AAAA-AAAA"]))
    assert forbidden.status_code == missing.status_code == 404
    assert _normalized(forbidden).replace(w.case_a.reference, "") == _normalized(missing).replace(
        "C-AAAA-AAAA", ""
    )
    body = forbidden.content.decode()
    for secret in (*w.NAMES_A, w.HIDING_A):
        assert secret not in body
    refusal = AuditEntry.objects.filter(action=AuditAction.ACCESS_REFUSED, actor=w.worker_b).latest("seq")
    assert refusal.target_type == "cases.case"
    assert not access.can_view_case(w.worker_b, w.case_a)
    for action in ("transition", "refer", "add_incident"):
        response = client.post(reverse(f"cases:{action}", args=[w.case_a.reference]), {"to": "assessment"})
        assert response.status_code == 404, action
    assert Case.objects.get(pk=w.case_a.pk).status == "new"


def test_it_cannot_find_another_compartments_case_by_reference_or_by_name(client, w: CaseWorld) -> None:
    client.force_login(w.worker_b)
    for query in (
        {"reference": w.case_a.reference},
        {"reference": w.case_a.reference[2:6]},
        {"name": w.NAMES_A[0]},
        {"name": "Han So-mang"},
        {"name": "Han Somang"},  # another spelling of the same name
    ):
        html = _results(client.get(reverse("cases:list"), query))
        assert w.case_a.reference not in html, query
        assert "0 cases you can see." in html, query
    own = _results(client.get(reverse("cases:list"), {"name": "Yun Ga-on"}))
    assert w.case_b.reference in own  # the search works, within the worker's own compartment
    client.force_login(w.worker_a)
    html = _results(client.get(reverse("cases:list"), {"name": "Han Somang"}))
    assert w.case_a.reference in html and "1 case you can see." in html
    searched = AuditEntry.objects.filter(action=AuditAction.CASE_SEARCHED).latest("seq")
    assert "Han" not in str(searched.details) and searched.details["cases"] == 1


def test_it_cannot_count_another_compartments_cases(client, w: CaseWorld) -> None:
    assert access.cases_visible_to(w.worker_b).count() == 1
    assert access.cases_visible_to(w.worker_a).count() == 12
    client.force_login(w.worker_b)
    listing = client.get(reverse("cases:list")).content.decode()
    assert "1 case you can see." in listing
    page = client.get(reverse("cases:statistics")).content.decode()
    assert w.world.org_a.name_en not in page  # not even offered
    assert stats.organisations_for(w.worker_b) == [w.world.org_b]
    asked = client.get(reverse("cases:statistics"), {"organisation": w.world.org_a.pk}).content.decode()
    assert w.world.org_a.name_en not in asked
    totals = re.findall(r'<p class="total">[^<]*<strong>([^<]+)</strong>', asked)
    assert totals and set(totals[:5]) == {"&lt;5"}  # B's one case, never A's twelve
    tables_a = stats.tables(w.worker_b, w.world.org_a)
    assert all(t.total == "0" for t in tables_a)
    # A's worker sees A's twelve.
    assert stats.tables(w.worker_a, w.world.org_a)[0].total == "12"


def test_another_compartments_follow_ups_never_reach_the_due_list(w: CaseWorld) -> None:
    today = timezone.localdate()
    services.followup_create(
        actor=w.worker_a, case=w.case_a, assigned_to=w.worker_a, due_on=today + timedelta(days=1), task="Call"
    )
    assert len(due_for(w.worker_a)) == 1
    assert due_for(w.worker_b) == []
    # Losing the compartment takes the follow-up off the list.
    w.worker_a.grants.all().delete()
    w.worker_a._haven_compartment_ids = None  # type: ignore[attr-defined]
    assert due_for(w.worker_a) == []


def test_the_admin_overview_is_narrowed_to_the_users_compartments(client, w: CaseWorld) -> None:
    admin_b = w._partner_admin(None)  # granted both compartments
    from haven.records.models import Confidentiality

    Case.objects.update(confidentiality=Confidentiality.INTERNAL)
    client.force_login(w.world.users["administrator"])  # compartment A only
    html = client.get(reverse("admin:cases_case_changelist")).content.decode()
    assert w.case_a.reference in html and w.case_b.reference not in html
    for name in (*w.NAMES_A, *w.NAMES_B):
        assert name not in html
    client.force_login(admin_b)
    html = client.get(reverse("admin:cases_case_changelist")).content.decode()
    assert w.case_a.reference in html and w.case_b.reference in html
