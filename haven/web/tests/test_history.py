"""Record pages: clarification notes added from the page, and the history of changes from the audit log."""

from __future__ import annotations

import pytest
from django.urls import reverse

from haven.accounts.models import Role
from haven.accounts.policy import MASK
from haven.audit.models import AuditAction, AuditEntry
from haven.audit.redaction import diff_for_audit
from haven.audit.services import audit_record
from haven.lib.testing.leaks import shows
from haven.records.models import ClarificationNote, Event
from haven.web.tests.stories import Story, story
from haven.web.tests.test_intake import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def s() -> Story:
    return story()


def _history(html: str) -> str:
    return html.split('id="history-h"')[1].split("</section>")[0]


def test_it_shows_who_created_a_testimony_and_which_fields(client, s: Story) -> None:
    doc = s.world.users[Role.DOCUMENTER]
    client.force_login(doc)
    client.post(reverse("web:intake"), {**form_data(s), "action": "submit"})
    event = Event.objects.get(title="연길 체포와 강제북송")
    history = _history(client.get(reverse("web:event", args=[event.pk])).content.decode())
    assert "record created" in history and doc.username in history
    assert "Title" in history and "Description" in history
    person = event.information.get().source
    history = _history(client.get(reverse("web:person", args=[person.pk])).content.decode())
    assert "Date of birth" in history and not shows("1990", history)


def test_it_lists_changed_fields_never_values_and_not_views(client, s: Story) -> None:
    doc = s.world.users[Role.DOCUMENTER]
    person = s.world.person_a
    audit_record(
        actor=doc,
        action=AuditAction.RECORD_CHANGED,
        target=person,
        details={
            "via": "admin",
            "fields": diff_for_audit(
                {"birth_date": "1984", "exit_year": 2009}, {"birth_date": "1985", "exit_year": 2010}
            ),
        },
    )
    audit_record(
        actor=doc,
        action=AuditAction.RECORD_CHANGED,
        target=person,
        details={
            "via": "admin",
            "inline": "records.personname",
            "rows": [diff_for_audit({"full_name": "최예린"}, {"full_name": "최예림"})],
        },
    )
    for role in (Role.DOCUMENTER, Role.ANALYST):
        client.force_login(s.world.users[role])
        client.get(reverse("web:person", args=[person.pk]))  # a view: not a change
        history = _history(client.get(reverse("web:person", args=[person.pk])).content.decode())
        assert "record changed" in history and "record viewed" not in history
        assert (
            "Date of birth" in history
            and "Year of leaving North Korea" in history
            and "Name as written" in history
        )
        for value in ("1984", "1985", "2009", "2010", "최예림", "hmac"):
            assert not shows(value, history), (role, value)


def test_it_adds_a_note_from_the_record_page(client, s: Story) -> None:
    doc = s.world.users[Role.DOCUMENTER]
    client.force_login(doc)
    page = client.get(reverse("web:event", args=[s.arrest.pk])).content.decode()
    assert 'id="note-form"' in page and 'name="field_name"' in page
    url = reverse("web:note_add", args=["events", s.arrest.pk])
    response = client.post(
        url, {"field_name": "date", "note": "Winter, she thinks; the snow was deep"}, follow=True
    )
    html = response.content.decode()
    assert "Note added." in html and "Winter, she thinks" in html and doc.username in html
    assert "clarification note on “Date”" in _history(html)
    entry = AuditEntry.objects.filter(action=AuditAction.RECORD_CHANGED, target_id=str(s.arrest.pk)).latest(
        "seq"
    )
    assert "snow" not in str(entry.details)
    response = client.post(url, {"field_name": "date", "note": ""}, follow=True)
    assert "This field is required." in response.content.decode()
    for kind, pk in (
        ("persons", s.world.person_a.pk),
        ("acts", s.acts[0].pk),
        ("information", s.information.pk),
    ):
        assert (
            client.post(reverse("web:note_add", args=[kind, pk]), {"field_name": "", "note": "n"}).status_code
            == 302
        )
    assert ClarificationNote.objects.filter(note__isnull=False).count() == 5  # the story's own note, and four


def test_it_masks_notes_and_offers_no_form_to_roles_that_may_not_edit(client, s: Story) -> None:
    analyst = s.world.users[Role.ANALYST]
    client.force_login(analyst)
    page = client.get(reverse("web:person", args=[s.world.person_a.pk])).content.decode()
    assert "Born during the famine" not in page and MASK in page and 'id="note-form"' not in page
    before = ClarificationNote.objects.count()
    response = client.post(
        reverse("web:note_add", args=["persons", s.world.person_a.pk]),
        {"field_name": "", "note": "x"},
        follow=True,
    )
    assert "Your role may not add notes to this record." in response.content.decode()
    assert ClarificationNote.objects.count() == before
    assert AuditEntry.objects.filter(action=AuditAction.ACCESS_REFUSED, actor=analyst).exists()


def test_it_answers_a_note_on_a_hidden_record_like_a_missing_one(client, s: Story) -> None:
    client.force_login(s.world.users[Role.DOCUMENTER])
    for pk in (s.hidden.pk, 999_999):
        assert client.post(reverse("web:note_add", args=["events", pk]), {"note": "x"}).status_code == 404
    assert client.post(reverse("web:note_add", args=["places", 1]), {"note": "x"}).status_code == 404
    assert client.get(reverse("web:note_add", args=["events", s.arrest.pk])).status_code == 405


def test_it_reads_the_history_in_one_query_however_long(client, s: Story) -> None:
    from haven.web.tests.test_pages import _count_queries

    doc = s.world.users[Role.DOCUMENTER]
    client.force_login(doc)
    url = reverse("web:event", args=[s.arrest.pk])
    client.get(url)
    before = _count_queries(client, url)
    for i in range(5):
        audit_record(
            actor=doc,
            action=AuditAction.RECORD_CHANGED,
            target=s.arrest,
            details={"fields": {"title": {"old": str(i), "new": "x"}}},
        )
    assert _count_queries(client, url) == before
