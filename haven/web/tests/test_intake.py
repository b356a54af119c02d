"""The intake: a testimony with two acts entered in one form, submitted in one transaction, found again."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from haven.accounts.models import Role
from haven.audit.models import AuditAction, AuditEntry
from haven.records.models import Act, Event, Information, Involvement, Person
from haven.records.services import persons_find_by_name
from haven.records.tests import factories as f
from haven.web.models import IntakeDraft
from haven.web.search import Filters, run_search
from haven.web.tests.stories import Story, place, story

pytestmark = pytest.mark.django_db

NARRATIVE = "두만강을 건너다 중국 공안에 체포되었다. 연길 구류장에서 심문을 받았다."


@pytest.fixture
def s() -> Story:
    return story()


def term_pk(vocabulary: str, code: str) -> str:
    return str(f.term(vocabulary, code).pk)


def management(prefix: str, total: int) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def form_data(s: Story, **overrides: str) -> dict[str, str]:
    """A testimony in Korean: the source is the victim of two acts; one act has a new perpetrator."""
    data = {
        **management("event", 1),
        **management("act", 2),
        **management("inv", 1),
        "src-compartment": str(s.world.comp_a.pk),
        "src-confidentiality": "confidential",
        "src-connection": term_pk("source-connections", "0101"),
        "src-date": "2015-06-02",
        "src-interviewer": "Interviewer A",
        "src-language": term_pk("languages", "ko"),
        "src-consent": "anonymous",
        "src-source_types": term_pk("source-types", "010219201801"),
        "src-person-mode": "new",
        "src-person-name": "한소망",
        "src-person-name_alt": "Han So-mang",
        "src-person-sex": "F",
        "src-person-birth": "c. 1990",
        "event-0-title": "연길 체포와 강제북송",
        "event-0-description": NARRATIVE,
        "event-0-date": "spring 2010?",
        "event-0-location": str(place("CN-JL-YANBIAN-YANJI").pk),
        "act-0-event": "0",
        "act-0-victim-mode": "source",
        "act-0-act_type": term_pk("act-types", "030101"),
        "act-0-date": "2010-04",
        "act-0-location": str(place("CN-JL-YANBIAN-YANJI").pk),
        "act-0-victim_age": "20",
        "act-0-methods": term_pk("methods", "0101"),
        "act-1-event": "0",
        "act-1-victim-mode": "source",
        "act-1-act_type": term_pk("act-types", "030102"),
        "act-1-date": "2010-05..2010-07",
        "act-1-facility": str(place("KP-09-ONSONG-MSS-DETENTION").pk),
        "inv-0-act": "0",
        "inv-0-perp-mode": "new",
        "inv-0-perp-name": "연길시 공안국",
        "inv-0-perp-group": "on",
        "inv-0-degree": term_pk("involvement-degrees", "0101"),
        "inv-0-perpetrator_types": term_pk("perpetrator-types", "010104"),
    }
    data.update(overrides)
    return data


def _login(client: Any, s: Story, role: str = Role.DOCUMENTER) -> Any:
    user = s.world.users[role]
    client.force_login(user)
    return user


def _counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Person, Event, Act, Involvement, Information))


def test_it_shows_the_form_to_documenters_only(client, s: Story) -> None:
    _login(client, s)
    html = client.get(reverse("web:intake")).content.decode()
    for control in ('id="id_src-person-name"', 'id="id_event-0-title"', 'id="id_act-0-act_type"'):
        assert control in html
    assert 'id="add-event"' in html and 'id="submit-testimony"' in html
    for role in (Role.ANALYST, Role.VIEWER, Role.AUDITOR, Role.CASE_WORKER):
        client.force_login(s.world.users[role])
        assert client.get(reverse("web:intake")).status_code == 404, role


def test_it_records_a_testimony_with_two_acts_in_one_submission(client, s: Story) -> None:
    user = _login(client, s)
    before = _counts()
    response = client.post(reverse("web:intake"), {**form_data(s), "action": "submit"})
    assert response.status_code == 302, response.content.decode()[:3000]
    event = Event.objects.get(title="연길 체포와 강제북송")
    assert response["Location"] == reverse("web:event", args=[event.pk])
    # 2 new persons (the source, the perpetrator group), 1 event, 2 acts, 1 involvement, 1 information.
    assert _counts() == tuple(a + b for a, b in zip(before, (2, 1, 2, 1, 1), strict=True))
    source = Information.objects.get(event=event).source
    acts = list(Act.objects.filter(event=event).order_by("pk"))
    assert [a.victim_id for a in acts] == [source.pk, source.pk]  # the source is the victim of both
    assert [a.act_type.code for a in acts] == ["030101", "030102"]
    assert str(acts[0].date) == "2010-04" and str(acts[1].date) == "2010-05..2010-07"
    assert acts[1].facility.code == "KP-09-ONSONG-MSS-DETENTION"
    assert [m.code for m in acts[0].methods.all()] == ["0101"]
    assert str(event.date) == "c. 2010-03..2010-05"  # "spring 2010?"
    assert source.birth_date == "c. 1990" and source.sex == "F"
    assert {n.full_name for n in source.names.all()} == {"한소망", "Han So-mang"}
    assert event.compartment == s.world.comp_a and event.confidentiality == "confidential"
    info = Information.objects.get(event=event)
    assert (
        info.consent == "anonymous" and info.interviewer == "Interviewer A" and str(info.date) == "2015-06-02"
    )
    involvement = Involvement.objects.get(act=acts[0])
    assert involvement.event_id == event.pk
    assert involvement.perpetrator.counting_unit.code == "03"
    assert [t.code for t in involvement.perpetrator_types.all()] == ["010104"]
    # Names are indexed: the source is found by another spelling; nothing is left of the draft.
    assert source.pk in persons_find_by_name("Han Somang")
    assert source.pk in persons_find_by_name("한 소망")
    assert not IntakeDraft.objects.filter(owner=user).exists()
    created = AuditEntry.objects.filter(action=AuditAction.RECORD_CREATED, actor=user)
    assert {e.target_type for e in created} >= {
        "records.person",
        "records.event",
        "records.act",
        "records.involvement",
        "records.information",
    }


def test_it_finds_the_new_testimony_at_once_by_a_two_syllable_word_and_a_romanized_name(
    client, s: Story
) -> None:
    user = _login(client, s)
    assert client.post(reverse("web:intake"), {**form_data(s), "action": "submit"}).status_code == 302
    event = Event.objects.get(title="연길 체포와 강제북송")
    _parsed, result = run_search(user, "심문", Filters())
    assert event in list(result.events)
    _parsed, result = run_search(user, "Han So Mang", Filters())
    assert Information.objects.get(event=event).source in result.persons


def test_it_keeps_nothing_and_shows_each_problem_by_its_field(client, s: Story) -> None:
    user = _login(client, s)
    before = _counts()
    data = form_data(s, **{"act-1-act_type": "", "act-0-date": "spring-ish", "event-0-title": ""})
    response = client.post(reverse("web:intake"), {**data, "action": "submit"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="error-summary"' in html
    assert (
        'href="#id_act-1-act_type"' in html
        and 'href="#id_act-0-date"' in html
        and 'href="#id_event-0-title"' in html
    )
    assert "“spring-ish” is not a date Haven can read" in html
    assert 'id="id_act-0-date-error"' in html and 'aria-invalid="true"' in html
    assert _counts() == before
    # What was typed is kept in the draft and on the page.
    draft = IntakeDraft.objects.get(owner=user)
    assert '"spring-ish"' in draft.data and "spring-ish" in html and NARRATIVE in html


def test_it_writes_nothing_when_the_service_fails_half_way(client, s: Story, monkeypatch) -> None:
    from haven.records import services

    _login(client, s)
    before = _counts()
    audit_before = AuditEntry.objects.count()

    def broken(self, inv, act):  # type: ignore[no-untyped-def]
        raise services.ValidationError({"inv-0-degree": ["Simulated failure after the acts were written."]})

    monkeypatch.setattr(services._Writer, "involvement", broken)
    response = client.post(reverse("web:intake"), {**form_data(s), "action": "submit"})
    assert response.status_code == 200
    assert "Simulated failure after the acts were written." in response.content.decode()
    assert _counts() == before
    # Only the draft's own save (created) and the duplicate lookup are in the log; no record was created.
    assert (
        not AuditEntry.objects.filter(pk__gt=audit_before, action=AuditAction.RECORD_CREATED)
        .exclude(target_type="web.intakedraft")
        .exists()
    )


def test_it_warns_of_a_likely_existing_person_and_uses_them_when_chosen(client, s: Story) -> None:
    _login(client, s)
    # The story's source 리설주 (F, born 1984) typed as "Lee Seol-ju": a likely namesake.
    data = form_data(
        s,
        **{
            "act-1-victim-mode": "new",
            "act-1-victim-name": "Lee Seol-ju",
            "act-1-victim-sex": "F",
            "act-1-victim-birth": "1985",
        },
    )
    response = client.post(reverse("web:intake"), {**data, "action": "submit"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "This person may already be recorded" in html and "리설주" in html
    assert f'id="act-1-victim-dup-{s.source.pk}"' in html
    assert 'href="#act-1-victim-duplicates"' in html
    draft = IntakeDraft.objects.get()
    data.update({"act-1-victim-dup_choice": str(s.source.pk), "draft": str(draft.pk)})
    before = Person.objects.count()
    assert client.post(reverse("web:intake"), {**data, "action": "submit"}).status_code == 302
    act = Act.objects.get(event__title="연길 체포와 강제북송", act_type__code="030102")
    assert act.victim_id == s.source.pk
    assert Person.objects.count() == before + 2  # the source and the perpetrator group only


def test_it_creates_a_namesake_when_told_it_is_a_new_person(client, s: Story) -> None:
    _login(client, s)
    data = form_data(
        s,
        **{"act-1-victim-mode": "new", "act-1-victim-name": "리설주", "act-1-victim-dup_choice": "new"},
    )
    before = Person.objects.count()
    assert client.post(reverse("web:intake"), {**data, "action": "submit"}).status_code == 302
    assert Person.objects.count() == before + 3


def test_it_does_not_warn_of_persons_with_a_contradicting_sex_or_birth(client, s: Story) -> None:
    _login(client, s)
    # 리설주 is F, born 1984: neither a man of that name nor a woman born in 1960 is likely her. (Each round
    # has its own source, and the second victim must not look like the man of the first round: sex F.)
    rounds = [
        ("박하늘", {"act-1-victim-sex": "M"}),
        ("정바다", {"act-1-victim-sex": "F", "act-1-victim-birth": "1960"}),
    ]
    for source, extra in rounds:
        data = form_data(
            s,
            **{
                "src-person-name": source,
                "src-person-name_alt": "",
                "act-1-victim-mode": "new",
                "act-1-victim-name": "Ri Sol-ju",
                **extra,
            },
        )
        response = client.post(reverse("web:intake"), {**data, "action": "submit"})
        assert response.status_code == 302, extra


def test_it_refuses_a_recorded_person_the_documenter_may_not_see(client, s: Story) -> None:
    _login(client, s)
    before = _counts()
    hidden = s.world.person_b  # compartment B, not granted
    for pk in (hidden.pk, 999_999):
        data = form_data(s, **{"act-0-victim-mode": "existing", "act-0-victim-person": str(pk)})
        response = client.post(reverse("web:intake"), {**data, "action": "submit"})
        assert response.status_code == 200
        html = response.content.decode()
        assert "There is no such person, or you may not see them." in html
        assert "문하람" not in html
    assert _counts() == before


def test_it_links_a_recorded_person_chosen_in_the_picker(client, s: Story) -> None:
    _login(client, s)
    data = form_data(
        s,
        **{
            "inv-0-perp-mode": "existing",
            "inv-0-perp-person": str(s.perpetrator.pk),
            "inv-0-perp-group": "",
            "inv-0-perp-name": "",
        },
    )
    assert client.post(reverse("web:intake"), {**data, "action": "submit"}).status_code == 302
    assert (
        Involvement.objects.get(act__event__title="연길 체포와 강제북송").perpetrator_id == s.perpetrator.pk
    )


def test_it_drops_removed_events_acts_and_involvements(client, s: Story) -> None:
    _login(client, s)
    data = form_data(
        s,
        **{
            **management("event", 2),
            **management("act", 3),
            "event-1-title": "",
            "event-1-DELETE": "on",
            "act-2-event": "1",  # under the removed event: dropped with it, however incomplete
            "act-2-victim-mode": "source",
            "act-1-DELETE": "on",
            "inv-0-DELETE": "on",
        },
    )
    assert client.post(reverse("web:intake"), {**data, "action": "submit"}).status_code == 302
    event = Event.objects.get(title="연길 체포와 강제북송")
    assert [a.act_type.code for a in event.acts.all()] == ["030101"]
    assert not Involvement.objects.filter(event=event).exists()


def test_it_refuses_a_compartment_or_level_the_user_does_not_hold(client, s: Story) -> None:
    _login(client, s)
    before = _counts()
    for override in ({"src-compartment": str(s.world.comp_b.pk)}, {"src-confidentiality": "top"}):
        response = client.post(reverse("web:intake"), {**form_data(s, **override), "action": "submit"})
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
    assert _counts() == before


def test_it_adds_parts_without_javascript_and_keeps_the_draft(client, s: Story) -> None:
    user = _login(client, s)
    data = form_data(s)
    response = client.post(reverse("web:intake"), {**data, "action": "add-act:0"})
    draft = IntakeDraft.objects.get(owner=user)
    assert response.status_code == 302
    assert response["Location"] == reverse("web:intake_draft", args=[draft.pk]) + "#act-2-section"
    html = client.get(response["Location"]).content.decode()
    assert 'id="act-2-section"' in html and 'name="act-2-event" value="0"' in html
    assert NARRATIVE in html
    response = client.post(
        reverse("web:intake"), {**data, **management("act", 3), "draft": draft.pk, "action": "add-event"}
    )
    html = client.get(response["Location"]).content.decode()
    assert 'id="event-1-section"' in html and 'id="act-3-section"' in html


def test_it_adds_parts_in_place_with_htmx(client, s: Story) -> None:
    _login(client, s)
    data = form_data(s)
    response = client.post(
        reverse("web:intake_add", args=["act"]), {**data, "parent": "0"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert 'id="act-2-section"' in html and 'name="act-2-event" value="0"' in html
    assert 'id="id_act-TOTAL_FORMS"' in html and 'value="3"' in html and 'hx-swap-oob="true"' in html
    assert 'name="act-2-DELETE"' in html
    response = client.post(
        reverse("web:intake_add", args=["inv"]), {**data, "parent": "1"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert 'id="inv-1-section"' in html and 'name="inv-1-act" value="1"' in html
    response = client.post(reverse("web:intake_add", args=["event"]), data, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'id="event-1-section"' in html and 'name="act-2-event" value="1"' in html
    assert 'name="event-TOTAL_FORMS" value="2"' in html and 'name="act-TOTAL_FORMS" value="3"' in html
    full = {**data, **management("act", 60)}
    response = client.post(
        reverse("web:intake_add", args=["act"]), {**full, "parent": "0"}, HTTP_HX_REQUEST="true"
    )
    assert response["HX-Retarget"] == "#draft-message" and "more than 60" in response.content.decode()
    assert client.post(reverse("web:intake_add", args=["nothing"]), data).status_code == 404


def test_it_lists_namesakes_as_a_name_is_typed(client, s: Story) -> None:
    user = _login(client, s)
    before = AuditEntry.objects.filter(action=AuditAction.RECORD_SEARCHED, actor=user).count()
    data = {"prefix": "act-0-victim", "act-0-victim-mode": "new", "act-0-victim-name": "Ri Sol Ju"}
    html = client.post(reverse("web:intake_duplicates"), data, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="act-0-victim-duplicates"' in html and "리설주" in html and f'value="{s.source.pk}"' in html
    assert AuditEntry.objects.filter(action=AuditAction.RECORD_SEARCHED, actor=user).count() == before + 1
    data["act-0-victim-name"] = "Park Nobody"
    html = client.post(reverse("web:intake_duplicates"), data, HTTP_HX_REQUEST="true").content.decode()
    assert "리설주" not in html and "may already be recorded" not in html
    assert client.post(reverse("web:intake_duplicates"), {"prefix": "x"}).status_code == 404


def test_it_reads_the_form_in_a_bounded_number_of_queries(
    client, s: Story, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    _login(client, s)
    client.get(reverse("web:intake"))
    # 9 for the session, user and two-factor middleware; then grants, terms, places, compartments, group term.
    with django_assert_max_num_queries(16):
        assert client.get(reverse("web:intake")).status_code == 200


def test_it_renders_in_korean(client, s: Story) -> None:
    user = _login(client, s)
    user.preferred_language = "ko"
    user.save(update_fields=["preferred_language"])
    html = client.get(reverse("web:intake")).content.decode()
    assert "새 증언" in html and "사건과 행위" in html and "체포" in html
    data = form_data(s, **{"act-0-date": "어제쯤"})
    html = client.post(reverse("web:intake"), {**data, "action": "submit"}).content.decode()
    assert "증언이 기록되지 않았습니다" in html


def test_it_never_stores_typed_names_in_clear(client, s: Story) -> None:
    _login(client, s)
    client.post(reverse("web:intake_autosave"), form_data(s), HTTP_HX_REQUEST="true")
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM web_intakedraft")
        raw = cursor.fetchone()[0]
    assert "한소망" not in raw and "Han So-mang" not in raw and "체포" not in raw


def test_it_accepts_a_testimony_at_the_largest_size_the_form_allows(client, s: Story) -> None:
    from haven.web.intake.forms import MAX_ACTS, MAX_EVENTS, MAX_INVOLVEMENTS

    _login(client, s)
    data = form_data(
        s,
        **management("event", MAX_EVENTS),
        **management("act", MAX_ACTS),
        **management("inv", MAX_INVOLVEMENTS),
    )
    for i in range(MAX_EVENTS):
        data[f"event-{i}-title"] = f"사건 {i}"
    for j in range(MAX_ACTS):
        data.update(
            {
                f"act-{j}-event": str(j % MAX_EVENTS),
                f"act-{j}-victim-mode": "source",
                f"act-{j}-act_type": data["act-0-act_type"],
            }
        )
        data.update(
            {
                f"act-{j}-{name}": ""
                for name in (
                    "date",
                    "location",
                    "facility",
                    "victim_age",
                    "stated_reason",
                    "victim-q",
                    "victim-name",
                    "victim-name_alt",
                    "victim-birth",
                )
            }
        )
    for k in range(MAX_INVOLVEMENTS):
        data.update(
            {
                f"inv-{k}-act": str(k % MAX_ACTS),
                f"inv-{k}-perp-mode": "new",
                f"inv-{k}-perp-name": f"보위원 {k}",
                f"inv-{k}-perp-group": "on",
                f"inv-{k}-degree": data["inv-0-degree"],
                f"inv-{k}-remarks": "",
            }
        )
    assert len(data) > 1000  # Django's default limit of fields would refuse this with a bare 400
    response = client.post(reverse("web:intake"), {**data, "action": "submit"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Act.objects.filter(event__title__startswith="사건 ").count() == MAX_ACTS
