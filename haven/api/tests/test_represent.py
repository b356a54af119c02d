"""represent() renders presenter data exactly as DRF's serializers would, for every output the API gives."""

from __future__ import annotations

import json

import pytest
from rest_framework import serializers
from rest_framework.utils.encoders import JSONEncoder

from haven.accounts.models import Role
from haven.api import presenters as p
from haven.api import serializers as s
from haven.api.cases import CaseDetailSerializer, CaseSerializer, case_out, cases_out
from haven.cases import services
from haven.cases.tests.world import CaseWorld
from haven.lib.dates import ImpreciseDate
from haven.places.models import Location
from haven.vocab.models import Term
from haven.web.tests.stories import story

pytestmark = pytest.mark.django_db


def _same(serializer_class: type[serializers.Serializer], data: object, *, many: bool = False) -> None:
    ours = s.represent(serializer_class, data, many=many)
    drf = serializer_class(data, many=many).data
    assert ours == drf
    # and the same JSON, key order included (the schema's order is what readers see)
    assert json.dumps(ours, cls=JSONEncoder, ensure_ascii=False) == json.dumps(
        drf, cls=JSONEncoder, ensure_ascii=False
    )


def test_records_read_by_a_role_that_sees_names_and_by_one_that_gets_the_mask() -> None:
    w = story()
    for role in (Role.DOCUMENTER, Role.ANALYST):
        user = w.world.users[role]
        persons = [
            p.person_out(user, x) for x in (w.world.person_a, w.world.person_b, w.perpetrator, w.sister)
        ]
        assert any(n["names"] for n in persons)
        _same(s.PersonSerializer, persons, many=True)
        _same(s.PersonSerializer, persons[0])
        events = [p.event_out(user, e) for e in (w.arrest, w.crossing, w.border, w.hidden)]
        _same(s.EventSerializer, events, many=True)
        _same(s.ActSerializer, [p.act_out(user, a) for a in w.acts], many=True)
        _same(s.InformationSerializer, p.information_out(user, w.information))


def test_cases_with_their_journey_consents_and_referrals() -> None:
    w = CaseWorld()
    place = Location.objects.filter(path__startswith="/CN/").exclude(kind="country").first()
    hiding = Term.objects.get(vocabulary__code="case-journey-stages", code="hiding_china")
    services.stage_add(
        actor=w.worker_a, case=w.case_a, stage=hiding, when=ImpreciseDate.parse("2019"), place=place
    )
    w.referral_consent(w.shelter_a)
    services.referral_create(actor=w.worker_a, case=w.case_a, partner=w.shelter_a)
    for user in (w.worker_a, w.world.users[Role.ANALYST]):
        _same(CaseSerializer, cases_out(user, [w.case_a, w.case_b]), many=True)
    detail = case_out(w.worker_a, w.case_a, detail=True)
    assert detail["journey"] and detail["consents"] and detail["referrals"]
    _same(CaseDetailSerializer, detail)


def test_reference_data() -> None:
    story()
    _same(s.PlaceSerializer, [p.place_out(x) for x in Location.objects.all()[:20]], many=True)
    _same(s.TermSerializer, [p.term_out(t) for t in Term.objects.all()[:50]], many=True)


class _Renamed(serializers.Serializer):
    shown = serializers.CharField(source="stored")


class _WithDefault(serializers.Serializer):
    a = serializers.IntegerField()
    b = serializers.CharField(default="—")


class _Redacting(serializers.Serializer):
    text = serializers.CharField()

    def to_representation(self, instance: object) -> dict[str, object]:
        return {"text": "[redacted]"}


class _Outer(serializers.Serializer):
    inner = _Redacting()


def test_the_api_serializers_are_planned_and_what_it_cannot_plan_is_left_to_drf() -> None:
    for planned in (
        s.PersonSerializer,
        s.EventSerializer,
        s.ActSerializer,
        CaseDetailSerializer,
        s.MeSerializer,
    ):
        assert s._plan(planned) is not None, planned
    assert s._plan(_Renamed) is None and s._plan(_Redacting) is None and s._plan(_Outer) is None
    assert s.represent(_Renamed, {"stored": "x"}) == {"shown": "x"}
    assert s.represent(_Outer, {"inner": {"text": "secret"}}) == {"inner": {"text": "[redacted]"}}
    assert s.represent(_WithDefault, [{"a": 1}, {"a": "2", "b": None}], many=True) == [
        {"a": 1, "b": "—"},
        {"a": 2, "b": None},
    ]
