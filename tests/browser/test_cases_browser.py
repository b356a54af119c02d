"""A case worker's referral in a real browser: refused without consent, overridden with a reason (after
re-entering the password), then accepted."""

from __future__ import annotations

import re

from haven.accounts.models import Role
from haven.audit.models import AuditAction, AuditEntry
from haven.cases.models import Referral, ReferralStatus
from haven.cases.tests.world import PASSWORD, CaseWorld, user


def test_a_referral_is_refused_then_overridden_with_a_reason_then_accepted(browser_for) -> None:  # type: ignore[no-untyped-def]
    w = CaseWorld()
    worker, secret = user("browser-worker", Role.CASE_WORKER, [w.comp_a])
    b = browser_for()
    b.login(worker.username, PASSWORD, secret)
    page = b.page
    b.go(f"/cases/{w.case_a.reference}/")
    assert page.get_by_role("heading", level=1).inner_text().endswith(w.case_a.reference)  # type: ignore[attr-defined]
    assert w.NAMES_A[0] in page.content()  # type: ignore[attr-defined]

    referrals = page.locator("#referrals")  # type: ignore[attr-defined]
    referrals.locator("summary").filter(has_text=re.compile(r"^Refer$")).click()
    page.get_by_label("Refer to").select_option(label=w.shelter_a.name_en)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Send the referral").click()  # type: ignore[attr-defined]
    page.wait_for_load_state()  # type: ignore[attr-defined]
    refusal = page.get_by_role("alert").filter(has_text="No consent to Referral to named organisations")  # type: ignore[attr-defined]
    assert refusal.is_visible()
    assert not Referral.objects.exists()
    b.screenshot("cases-referral-refused")

    override = page.locator("details.override").filter(has_text="Refer without consent")  # type: ignore[attr-defined]
    if override.get_attribute("open") is None:
        override.locator("summary").click()
    reason = "Her buyer found the room; she must move tonight and cannot be reached to ask."
    page.get_by_label("Reason to refer without consent").fill(reason)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Send the referral").click()  # type: ignore[attr-defined]
    # Going ahead without consent is a sensitive act: Haven asks for the password again (sudo mode), then
    # carries out the suspended request.
    page.wait_for_url(re.compile(r".*/accounts/reauthenticate/.*"))  # type: ignore[attr-defined]
    assert not Referral.objects.exists()
    b.screenshot("cases-referral-reauthenticate")
    page.get_by_label("Password").fill(PASSWORD)  # type: ignore[attr-defined]
    page.get_by_label("Password").press("Enter")  # type: ignore[attr-defined]
    page.wait_for_url(re.compile(r".*/cases/C-[^/]+/#referrals$"))  # type: ignore[attr-defined]
    assert page.get_by_text("Referral sent.").is_visible()  # type: ignore[attr-defined]
    row = page.locator("#referrals tbody tr").first  # type: ignore[attr-defined]
    assert "override by browser-worker" in row.inner_text() and reason in row.inner_text()
    assert row.locator(".rstatus").inner_text() == "Sent"
    b.screenshot("cases-referral-overridden")

    row.get_by_role("button", name="Accepted").click()
    page.wait_for_url(re.compile(r".*#referrals$"))  # type: ignore[attr-defined]
    row = page.locator("#referrals tbody tr").first  # type: ignore[attr-defined]
    assert row.locator(".rstatus").inner_text() == "Accepted"
    b.screenshot("cases-referral-accepted")

    referral = Referral.objects.get()
    assert referral.status == ReferralStatus.ACCEPTED and referral.consent is None
    assert referral.override is not None and referral.override.reason == reason
    assert referral.override.overridden_by == worker
    actions = set(AuditEntry.objects.filter(actor=worker).values_list("action", flat=True))
    assert {AuditAction.ACCESS_REFUSED, AuditAction.CONSENT_OVERRIDDEN, AuditAction.REFERRAL_MADE} <= actions
    assert any(u.endswith("/static/cases/cases.css") for u in b.requests.urls)
