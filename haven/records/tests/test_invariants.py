"""The events model's invariants are enforced by the database itself (on SQLite and on PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction

from haven.records.models import Act, ChainOfEvents, Event, Involvement, PersonName
from haven.records.tests import factories as f

pytestmark = pytest.mark.django_db


def _refused(callable_):  # type: ignore[no-untyped-def]
    with pytest.raises(IntegrityError), transaction.atomic():
        callable_()


def test_an_act_without_a_victim_is_refused():
    ev = f.event()
    act = Act(
        organisation=ev.organisation,
        compartment=ev.compartment,
        event=ev,
        act_type=f.term("act-types", "030101"),
    )
    _refused(act.save)


def test_an_act_without_an_event_is_refused_at_the_database_even_through_raw_sql():
    victim = f.person()
    ev = f.event()
    a = f.act(ev, victim)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Act._meta.db_table} SET event_id = NULL WHERE id = %s", [a.pk])


def test_an_involvement_on_another_events_act_is_refused():
    victim, perpetrator = f.person(), f.person(hangul="국가보위성", roman="MSS")
    ev1, ev2 = f.event(), f.event()
    a = f.act(ev1, victim)
    degree = f.term("involvement-degrees")
    common = {"organisation": ev1.organisation, "compartment": ev1.compartment}
    _refused(
        lambda: Involvement.objects.create(**common, act=a, event=ev2, perpetrator=perpetrator, degree=degree)
    )
    ok = Involvement.objects.create(**common, act=a, event=ev1, perpetrator=perpetrator, degree=degree)
    ok.event = ev2
    _refused(ok.save)


def test_an_act_with_involvements_cannot_move_to_another_event():
    victim, perpetrator = f.person(), f.person(hangul="국가보위성", roman="MSS")
    ev1, ev2 = f.event(), f.event()
    a = f.act(ev1, victim)
    Involvement.objects.create(
        organisation=ev1.organisation,
        compartment=ev1.compartment,
        act=a,
        event=ev1,
        perpetrator=perpetrator,
        degree=f.term("involvement-degrees"),
    )
    a.event = ev2
    _refused(a.save)


def test_a_chain_of_an_event_with_itself_is_refused():
    ev = f.event()
    _refused(
        lambda: ChainOfEvents.objects.create(event=ev, related_event=ev, chain_type=f.term("chain-types"))
    )
    other = f.event()
    ChainOfEvents.objects.create(event=ev, related_event=other, chain_type=f.term("chain-types"))


def test_a_date_range_that_ends_before_it_starts_is_refused():
    ev = f.event()
    ev.date_start, ev.date_end = date(2012, 1, 1), date(2011, 1, 1)
    _refused(ev.save)


def test_an_unknown_date_with_a_day_is_refused():
    ev = f.event()
    ev.date_precision = "unknown"
    _refused(ev.save)


def test_a_person_has_at_most_one_primary_name():
    p = f.person()
    _refused(lambda: PersonName.objects.create(person=p, kind="hangul", full_name="박은정", is_primary=True))


def test_external_ids_are_unique_per_organisation_only():
    org_a, comp_a = f.organisation("a")
    org_b, comp_b = f.organisation("b")
    Event.objects.create(organisation=org_a, compartment=comp_a, title="x", external_id="E1")
    Event.objects.create(organisation=org_b, compartment=comp_b, title="x", external_id="E1")
    _refused(
        lambda: Event.objects.create(organisation=org_a, compartment=comp_a, title="y", external_id="E1")
    )
