"""What the API shows of each record: the web pages' rules (haven.web.pages) as plain data.

Every function takes the user and applies the access policy: related records appear only when the user may
see them (otherwise ``null``: not even their id), identifying fields are replaced by the mask for users who
may not see them (``identifying_shown`` says which), and provenance is shown only with identifying data
(a file name or a person's id in another list can identify). The serializers in
:mod:`haven.api.serializers` describe these shapes for the OpenAPI schema.
"""

from __future__ import annotations

from typing import Any

from haven.accounts import policy
from haven.lib.dates import ImpreciseDate
from haven.places.models import Location
from haven.records.models import Act, Event, Information, Person
from haven.vocab.models import Term
from haven.web.pages import format_date, person_label

MASK = policy.MASK


def term_ref(term: Term | None) -> dict[str, Any] | None:
    if term is None:
        return None
    return {"id": term.pk, "code": term.code, "label": term.label}


def place_ref(place: Location | None) -> dict[str, Any] | None:
    if place is None:
        return None
    return {"id": place.pk, "code": place.code, "name": place.name}


def date_out(value: ImpreciseDate) -> dict[str, Any]:
    return {
        "start": value.start,
        "end": value.end,
        "precision": value.precision.value,
        "text": format_date(value),
    }


def person_ref(user: Any, person: Person | None) -> dict[str, Any] | None:
    """A person as a link: id and label (their name or the mask), or None if the user may not see them."""
    if person is None or not policy.can_view(user, person):
        return None
    return {"id": person.pk, "label": person_label(user, person)}


def event_ref(user: Any, event: Event | None) -> dict[str, Any] | None:
    if event is None or not policy.can_view(user, event):
        return None
    return {"id": event.pk, "title": event.title, "date": date_out(event.date)}


def _record_base(user: Any, record: Any, show: bool) -> dict[str, Any]:
    return {
        "id": record.pk,
        "organisation": record.organisation.code,
        "compartment": record.compartment.code,
        "confidentiality": record.confidentiality,
        "external_id": record.external_id,
        "version": record.version,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "identifying_shown": show,
        "provenance": record.provenance if show else None,
    }


def _shown(show: bool, value: Any) -> Any:
    return value if show else MASK


def person_out(user: Any, person: Person) -> dict[str, Any]:
    show = policy.shows_identifying(user, person)
    names = sorted(person.names.all(), key=lambda n: (not n.is_primary, n.pk))
    return {
        **_record_base(user, person, show),
        "label": person_label(user, person),
        "names": [
            {
                "kind": n.kind,
                "system": n.system,
                "full_name": _shown(show, n.full_name),
                "family_name": _shown(show, n.family_name),
                "given_name": _shown(show, n.given_name),
                "is_primary": n.is_primary,
            }
            for n in names
        ],
        "sex": person.sex,
        "birth_date": _shown(show, person.birth_date),
        "origin_province": place_ref(person.origin_province),
        "origin_detail": _shown(show, person.origin_detail),
        "exit_year": person.exit_year,
        "counting_unit": term_ref(person.counting_unit),
        "group_description": person.group_description,
        "number_of_persons_in_group": person.number_of_persons_in_group,
        "sensitive_notes": _shown(show, person.sensitive_notes),
    }


def event_out(user: Any, event: Event) -> dict[str, Any]:
    show = policy.shows_identifying(user, event)
    return {
        **_record_base(user, event, show),
        "title": event.title,
        "description": event.description,
        "sensitive_notes": _shown(show, event.sensitive_notes),
        "date": date_out(event.date),
        "location": place_ref(event.location),
        "violation_status": term_ref(event.violation_status),
        "monitoring_status": term_ref(event.monitoring_status),
        "impact": event.impact,
        "remarks": event.remarks,
    }


def act_out(user: Any, act: Act) -> dict[str, Any]:
    show = policy.shows_identifying(user, act)
    return {
        **_record_base(user, act, show),
        "event": event_ref(user, act.event),
        "victim": person_ref(user, act.victim),
        "act_type": term_ref(act.act_type),
        "methods": [term_ref(t) for t in act.methods.all()],
        "date": date_out(act.date),
        "location": place_ref(act.location),
        "facility": place_ref(act.facility),
        "stated_reason": act.stated_reason,
        "victim_age": act.victim_age,
        "victim_status_end": term_ref(act.victim_status_end),
        "victim_characteristics": [term_ref(t) for t in act.victim_characteristics.all()],
        "attribution": term_ref(act.attribution),
        "physical_consequences": act.physical_consequences,
        "psychological_consequences": act.psychological_consequences,
    }


def information_out(user: Any, info: Information) -> dict[str, Any]:
    show = policy.shows_identifying(user, info)
    return {
        **_record_base(user, info, show),
        "event": event_ref(user, info.event),
        "source": person_ref(user, info.source),
        "related_person": person_ref(user, info.related_person),
        "connection": term_ref(info.connection),
        "source_types": [term_ref(t) for t in info.source_types.all()],
        "language": term_ref(info.language),
        "reliability": term_ref(info.reliability),
        "date": date_out(info.date),
        "interviewer": info.interviewer,
        "consent": info.consent,
        "remarks": info.remarks,
    }


def place_out(place: Location) -> dict[str, Any]:
    return {
        "id": place.pk,
        "code": place.code,
        "parent": place.parent_id,
        "path": place.path,
        "kind": place.kind,
        "name": place.name,
        "name_en": place.name_en,
        "name_ko": place.name_ko,
        "name_zh": place.name_zh,
        "variants": [str(v) for v in place.variants] if isinstance(place.variants, list) else [],
        "latitude": place.latitude,
        "longitude": place.longitude,
        "approximate": place.approximate,
        "facility_type": term_ref(place.facility_type),
    }


def term_out(term: Term) -> dict[str, Any]:
    return {
        "id": term.pk,
        "vocabulary": term.vocabulary.code,
        "code": term.code,
        "parent": term.parent_id,
        "path": term.path,
        "depth": term.depth,
        "label": term.label,
        "label_en": term.label_en,
        "label_ko": term.label_ko,
        "aliases": [str(a) for a in term.aliases] if isinstance(term.aliases, list) else [],
        "retired": term.retired,
    }
