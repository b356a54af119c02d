"""Intake drafts: saved on every change, encrypted, per user; listed, resumed and discarded."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from haven.accounts.models import CompartmentGrant, Role, User
from haven.accounts.tests.personas import PASSWORD
from haven.audit.models import AuditAction, AuditEntry
from haven.lib.testing.leaks import shows
from haven.records.models import Event
from haven.web.intake import drafts
from haven.web.intake import forms as intake_forms
from haven.web.models import IntakeDraft
from haven.web.tests.stories import Story, story
from haven.web.tests.test_intake import NARRATIVE, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def s() -> Story:
    return story()


def _autosave(client, data):  # type: ignore[no-untyped-def]
    return client.post(reverse("web:intake_autosave"), data, HTTP_HX_REQUEST="true")


def test_it_creates_the_draft_on_the_first_change_and_updates_it_after(client, s: Story) -> None:
    user = s.world.users[Role.DOCUMENTER]
    client.force_login(user)
    data = form_data(s)
    response = _autosave(client, data)
    draft = IntakeDraft.objects.get(owner=user)
    assert response["HX-Replace-Url"] == reverse("web:intake_draft", args=[draft.pk])
    html = response.content.decode()
    assert f'name="draft" id="intake-draft" value="{draft.pk}"' in html
    assert 'name="revision" id="intake-revision" value="1"' in html
    assert 'id="draft-message"' in html and 'hx-swap-oob="true"' in html and "Draft saved at" in html
    assert (
        AuditEntry.objects.filter(action=AuditAction.RECORD_CREATED, target_type="web.intakedraft").count()
        == 1
    )
    data.update({"draft": draft.pk, "revision": 1, "event-0-title": "고친 제목"})
    response = _autosave(client, data)
    assert not response.has_header("HX-Replace-Url")
    draft.refresh_from_db()
    assert draft.revision == 2 and "고친 제목" in draft.data
    assert IntakeDraft.objects.filter(owner=user).count() == 1


def test_it_refuses_a_save_from_a_stale_page(client, s: Story) -> None:
    user = s.world.users[Role.DOCUMENTER]
    client.force_login(user)
    data = form_data(s)
    _autosave(client, data)
    draft = IntakeDraft.objects.get(owner=user)
    _autosave(client, {**data, "draft": draft.pk, "revision": 1, "event-0-title": "newer"})
    html = _autosave(
        client, {**data, "draft": draft.pk, "revision": 1, "event-0-title": "older"}
    ).content.decode()
    assert "Not saved: this draft was saved from another window" in html and 'class="error"' in html
    draft.refresh_from_db()
    assert "newer" in draft.data and "older" not in draft.data
    # Without JavaScript the page says so too, and keeps what was typed on the page.
    response = client.post(
        reverse("web:intake"),
        {**data, "draft": draft.pk, "revision": 1, "event-0-title": "older", "action": "save"},
    )
    assert response.status_code == 409 and "older" in response.content.decode()


def test_it_lets_a_page_submit_over_its_own_autosave(client, s: Story) -> None:
    user = s.world.users[Role.DOCUMENTER]
    client.force_login(user)
    data = {**form_data(s), "page": "page-one"}
    _autosave(client, data)
    draft = IntakeDraft.objects.get(owner=user)
    _autosave(client, {**data, "draft": draft.pk, "revision": 1})  # an autosave still in flight at "submit"
    response = client.post(
        reverse("web:intake"), {**data, "draft": draft.pk, "revision": 1, "action": "submit"}
    )
    assert response.status_code == 302 and not IntakeDraft.objects.exists()


def test_it_lists_resumes_and_discards_the_users_own_drafts(client, s: Story) -> None:
    user = s.world.users[Role.DOCUMENTER]
    client.force_login(user)
    response = client.post(reverse("web:intake"), {**form_data(s), "action": "save"})
    draft = IntakeDraft.objects.get(owner=user)
    assert response["Location"] == reverse("web:intake_draft", args=[draft.pk])
    listing = client.get(reverse("web:intake_drafts")).content.decode()
    assert "연길 체포와 강제북송" in listing and f'id="resume-{draft.pk}"' in listing
    assert "한소망" not in listing  # the list names no one
    before = AuditEntry.objects.filter(
        action=AuditAction.RECORD_VIEWED, target_type="web.intakedraft"
    ).count()
    page = client.get(reverse("web:intake_draft", args=[draft.pk])).content.decode()
    assert NARRATIVE in page and 'value="한소망"' in page and f'id="intake-draft" value="{draft.pk}"' in page
    assert (
        AuditEntry.objects.filter(action=AuditAction.RECORD_VIEWED, target_type="web.intakedraft").count()
        == before + 1
    )
    response = client.post(reverse("web:intake_discard", args=[draft.pk]))
    assert response.status_code == 302 and not IntakeDraft.objects.filter(pk=draft.pk).exists()
    assert AuditEntry.objects.filter(
        action=AuditAction.RECORD_DELETED, target_type="web.intakedraft"
    ).exists()
    assert client.get(reverse("web:intake_draft", args=[draft.pk])).status_code == 404
    html = _autosave(client, {**form_data(s), "draft": draft.pk, "revision": 1}).content.decode()
    assert "this draft no longer exists" in html


def test_it_never_shows_a_draft_to_anyone_but_its_owner(client, s: Story) -> None:
    owner = s.world.users[Role.DOCUMENTER]
    client.force_login(owner)
    client.post(reverse("web:intake"), {**form_data(s), "action": "save"})
    draft = IntakeDraft.objects.get(owner=owner)
    other = User.objects.create_user("second-documenter", password=PASSWORD, role=Role.DOCUMENTER)
    CompartmentGrant.objects.create(user=other, compartment=s.world.comp_a)
    TOTP.activate(other, generate_totp_secret())
    client.force_login(other)
    missing = client.get(reverse("web:intake_draft", args=[999_999]))
    forbidden = client.get(reverse("web:intake_draft", args=[draft.pk]))
    assert missing.status_code == forbidden.status_code == 404
    assert "한소망" not in forbidden.content.decode()
    assert client.post(reverse("web:intake_discard", args=[draft.pk])).status_code == 404
    html = _autosave(
        client, {**form_data(s), "draft": draft.pk, "revision": 1, "event-0-title": "x"}
    ).content.decode()
    assert "no longer exists" in html
    assert "연길 체포와 강제북송" not in client.get(reverse("web:intake_drafts")).content.decode()
    draft.refresh_from_db()
    assert '"x"' not in draft.data
    # A role without the intake has none of it.
    client.force_login(s.world.users[Role.ANALYST])
    assert client.get(reverse("web:intake_drafts")).status_code == 404
    assert _autosave(client, form_data(s)).status_code == 404


def test_it_finds_persons_without_javascript(client, s: Story) -> None:
    client.force_login(s.world.users[Role.DOCUMENTER])
    data = form_data(s, **{"act-1-victim-q": "Lee Seol-ju"})
    response = client.post(reverse("web:intake"), {**data, "action": "find:act-1-victim"})
    draft = IntakeDraft.objects.get()
    assert (
        response["Location"]
        == reverse("web:intake_draft", args=[draft.pk]) + "?find=act-1-victim#act-1-victim-section"
    )
    html = client.get(response["Location"]).content.decode()
    assert f'id="act-1-victim-match-{s.source.pk}"' in html and 'name="act-1-victim-person"' in html
    assert re.search(r'<input type="radio" name="act-1-victim-mode" value="existing"[^>]*checked', html)
    data.update({"act-1-victim-mode": "existing", "act-1-victim-person": str(s.source.pk), "draft": draft.pk})
    html = client.post(reverse("web:intake"), {**data, "action": "save"}, follow=True).content.decode()
    assert "Chosen:" in html and "리설주" in html


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.content.decode())


def _age(draft: IntakeDraft, days: float) -> None:
    # An update, not save(): save() would set the times to now.
    then = timezone.now() - timedelta(days=days)
    IntakeDraft.objects.filter(pk=draft.pk).update(updated_at=then, used_at=then)


def test_it_deletes_every_users_drafts_not_saved_for_the_kept_days_and_audits_it_without_content(
    client, s: Story, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.HAVEN_DRAFT_DAYS = 30
    doc = s.world.users[Role.DOCUMENTER]
    other = User.objects.create_user("second-documenter", role=Role.DOCUMENTER)
    client.force_login(doc)
    client.post(reverse("web:intake"), {**form_data(s), "action": "save"})
    kept = IntakeDraft.objects.get(owner=doc)
    old_own = drafts.draft_save(
        user=doc, fields={"event-0-title": ["오래된 초안"], "person-0-name": ["한소망"]}
    )
    old_other = drafts.draft_save(user=other, fields={"person-0-name": ["문하람"]})
    _age(kept, 29.9)
    _age(old_own, 30.1)
    _age(old_other, 45)
    listing = client.get(reverse("web:intake_drafts")).content.decode()
    assert list(IntakeDraft.objects.values_list("pk", flat=True)) == [kept.pk]
    assert f'id="resume-{kept.pk}"' in listing and "오래된 초안" not in listing
    assert "neither saved nor opened for 30 days is deleted" in listing
    kept.refresh_from_db()
    assert timezone.localtime(drafts.kept_until(kept)).strftime("%Y-%m-%d %H:%M") in listing
    entries = AuditEntry.objects.filter(action=AuditAction.RECORD_DELETED, target_type="web.intakedraft")
    assert {(e.target_id, e.actor_id, e.details["owner"], e.details["reason"]) for e in entries} == {
        (str(old_own.pk), None, doc.pk, "expired"),
        (str(old_other.pk), None, other.pk, "expired"),
    }
    assert not any(
        shows(secret, str(e.details)) for e in entries for secret in ("한소망", "문하람", "오래된")
    )
    assert drafts.drafts_expire() == 0  # nothing left to expire; the recent draft stays


def test_starting_a_new_draft_expires_old_ones_and_the_kept_days_are_a_setting(s: Story, settings) -> None:  # type: ignore[no-untyped-def]
    settings.HAVEN_DRAFT_DAYS = 3
    doc = s.world.users[Role.DOCUMENTER]
    old = drafts.draft_save(user=doc, fields={"event-0-title": ["a"]})
    _age(old, 3.5)
    new = drafts.draft_save(user=doc, fields={"event-0-title": ["b"]})
    assert list(IntakeDraft.objects.values_list("pk", flat=True)) == [new.pk]
    _age(new, 2.5)
    assert drafts.drafts_expire() == 0
    assert drafts.drafts_expire(now=timezone.now() + timedelta(days=1)) == 1


def test_the_worker_expires_drafts_at_its_start(s: Story, settings) -> None:  # type: ignore[no-untyped-def]
    settings.HAVEN_JOBS = "worker"
    old = drafts.draft_save(user=s.world.users[Role.DOCUMENTER], fields={"event-0-title": ["a"]})
    _age(old, settings.HAVEN_DRAFT_DAYS + 1)
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    assert not IntakeDraft.objects.exists()
    assert "Upkeep 'expire intake drafts': 1." in out.getvalue()


def test_opening_a_draft_starts_its_time_to_expiry_again(client, s: Story, settings) -> None:  # type: ignore[no-untyped-def]
    settings.HAVEN_DRAFT_DAYS = 30
    doc = s.world.users[Role.DOCUMENTER]
    draft = drafts.draft_save(user=doc, fields={"event-0-title": ["a"]})
    _age(draft, 29.9)
    client.force_login(doc)
    saved = IntakeDraft.objects.get(pk=draft.pk).updated_at
    assert client.get(reverse("web:intake_draft", args=[draft.pk])).status_code == 200
    assert drafts.drafts_expire(now=timezone.now() + timedelta(days=1)) == 0
    opened = IntakeDraft.objects.get(pk=draft.pk)
    assert opened.updated_at == saved  # "Last saved" still says when it was saved
    assert drafts.drafts_expire(now=timezone.now() + timedelta(days=30.1)) == 1


@pytest.mark.parametrize("action", ["save", "submit"])
def test_a_page_whose_draft_is_gone_keeps_what_was_typed_as_a_new_draft(
    client, s: Story, action: str
) -> None:  # type: ignore[no-untyped-def]
    doc = s.world.users[Role.DOCUMENTER]
    client.force_login(doc)
    client.post(reverse("web:intake"), {**form_data(s), "action": "save"})
    gone = IntakeDraft.objects.get(owner=doc)
    gone_pk = gone.pk
    drafts.draft_discard(user=doc, draft=gone)  # as another window, or the expiry, would
    events = Event.objects.count()
    data = {**form_data(s), "draft": gone_pk, "revision": 1, "event-0-title": "typed after", "action": action}
    response = client.post(reverse("web:intake"), data, follow=True)
    new = IntakeDraft.objects.get(owner=doc)
    assert new.pk != gone_pk and "typed after" in new.data
    assert response.redirect_chain[-1][0] == reverse("web:intake_draft", args=[new.pk])
    page = _text(response)
    assert "The draft this page was saving no longer exists" in page and "typed after" in page
    assert Event.objects.count() == events  # a submit stops: the other window may have submitted it already
    # Another user's draft number is refused the same way, without showing or touching that draft.
    other = User.objects.create_user("second-documenter", password=PASSWORD, role=Role.DOCUMENTER)
    with pytest.raises(drafts.DraftGone):
        drafts.draft_save(user=other, fields={"event-0-title": ["x"]}, draft_id=new.pk, revision=1)
    with pytest.raises(drafts.DraftGone):
        drafts.draft_save(user=doc, fields={"event-0-title": ["x"]}, draft_id="abc")
    new.refresh_from_db()
    assert "typed after" in new.data


def test_a_draft_submitted_meanwhile_from_another_window_is_not_recorded_twice(
    client, s: Story, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    doc = s.world.users[Role.DOCUMENTER]
    client.force_login(doc)
    client.post(reverse("web:intake"), {**form_data(s), "action": "save"})
    draft = IntakeDraft.objects.get(owner=doc)
    to_input = intake_forms.Testimony.to_input

    def submitted_meanwhile(self):  # type: ignore[no-untyped-def]
        # The other window's submit commits after this request saved the draft and before it records the testimony.
        IntakeDraft.objects.filter(pk=draft.pk).delete()
        return to_input(self)

    monkeypatch.setattr(intake_forms.Testimony, "to_input", submitted_meanwhile)
    events = Event.objects.count()
    data = {**form_data(s), "draft": draft.pk, "revision": 1, "action": "submit"}
    response = client.post(reverse("web:intake"), data, follow=True)
    assert Event.objects.count() == events
    kept = IntakeDraft.objects.get(owner=doc)
    assert response.redirect_chain[-1][0] == reverse("web:intake_draft", args=[kept.pk])
    assert "The draft this page was saving no longer exists" in _text(response)


def test_only_its_owner_locks_a_draft(s: Story) -> None:
    doc = s.world.users[Role.DOCUMENTER]
    draft = drafts.draft_save(user=doc, fields={"event-0-title": ["a"]})
    other = User.objects.create_user("second-documenter", role=Role.DOCUMENTER)
    with transaction.atomic():
        drafts.draft_lock(user=doc, draft=draft)
        with pytest.raises(drafts.DraftGone):
            drafts.draft_lock(user=other, draft=draft)
