"""Reads for the record pages: every related row through the access policy, masked where identifying."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from haven.accounts import policy
from haven.audit.models import AuditAction, AuditEntry
from haven.lib.dates import ImpreciseDate, Precision
from haven.places.models import Location
from haven.records.models import (
    Act,
    BiographicRelation,
    ChainOfEvents,
    ClarificationNote,
    Event,
    Information,
    Involvement,
    Person,
)


def format_date(value: ImpreciseDate) -> str:
    """Return an imprecise date as text in its own precision: "2010", "2011-03", "c. 2012", "date unknown"."""
    if not value.is_known:
        return _("date unknown")
    text = str(value)
    if value.precision == Precision.ESTIMATED:
        return _("c. %(date)s") % {"date": text.removeprefix("c. ")}
    return text


def person_label(user: Any, person: Person) -> str:
    """Return the person's primary name, or the mask for users who may not see names (names prefetched)."""
    name = person.primary_name
    if name is None:
        return _("Person %(id)s") % {"id": person.pk}
    return str(policy.masked(user, name, "full_name"))


def persons(user: Any) -> QuerySet[Person]:
    return policy.visible(user, Person.objects.all())


def visible_through(user: Any, queryset: QuerySet[Any], field: str) -> QuerySet[Any]:
    """Narrow ``queryset`` to rows whose related record ``field`` (a person or event) ``user`` may see.

    The access rule applied to the joined row, not ``field__in=<every visible id>``: SQLite builds that list
    in full for each query (hundreds of thousands of ids, 100 ms a page on a large instance).
    """
    return policy.visible(
        user,
        queryset,
        compartment_field=f"{field}__compartment",
        confidentiality_field=f"{field}__confidentiality",
    )


@dataclass
class TimelineStep:
    date: str
    what: str
    place: str
    act: Act


def timeline(acts: list[Act]) -> list[TimelineStep]:
    """Order a person's acts by date (earliest first, unknown dates last) as steps of their journey."""
    ordered = sorted(
        acts,
        key=lambda a: (a.date_start is None, a.date_start or a.date_end, a.date_end, a.pk),
    )
    steps = []
    for a in ordered:
        places = [p.name for p in (a.facility, a.location) if p is not None]
        if not places and a.event.location is not None:
            places = [a.event.location.name]
        steps.append(TimelineStep(format_date(a.date), a.act_type.label, ", ".join(dict.fromkeys(places)), a))
    return steps


def _notes(user: Any, record: Any, show: bool) -> list[dict[str, Any]]:
    from haven.web.notes import field_label

    ct = ContentType.objects.get_for_model(record)
    return [
        {
            "field": field_label(record, n.field_name),
            "note": n.note if show else policy.MASK,
            "by": n.created_by.get_username() if n.created_by else "",
            "at": n.created_at,
        }
        for n in ClarificationNote.objects.filter(content_type=ct, object_id=record.pk)
        .select_related("created_by")
        .order_by("pk")
    ]


# What a record's history lists: changes, not reads (views and searches are in the audit log for auditors).
HISTORY_ACTIONS = (
    AuditAction.RECORD_CREATED,
    AuditAction.RECORD_CHANGED,
    AuditAction.RECORD_DELETED,
    AuditAction.RECORD_MERGED,
    AuditAction.RECORD_UNMERGED,
)
HISTORY_LIMIT = 50


@dataclass
class HistoryRow:
    when: Any
    who: str
    what: str
    fields: list[str]


def _changed_fields(record: Any, details: dict[str, Any]) -> list[str]:
    """Return the names of the fields an audit entry says were set or changed (never their values)."""
    from haven.web.notes import field_label

    names: list[str] = []
    given = details.get("fields")
    if isinstance(given, dict | list):
        names += [field_label(record, str(n)) for n in given]
    rows = details.get("rows")
    if isinstance(rows, list):
        inline = str(details.get("inline", ""))
        model = apps.get_model(inline) if inline.count(".") == 1 and _model_exists(inline) else None
        for row in rows:
            if isinstance(row, dict):
                names += [field_label(model, str(n)) if model else str(n) for n in row]
    note = details.get("clarification_note")
    if isinstance(note, dict):
        field = str(note.get("field", ""))
        names.append(
            _("clarification note on “%(field)s”")
            % {"field": field_label(record, "" if field == "*" else field)}
        )
    return list(dict.fromkeys(names))


def _model_exists(label: str) -> bool:
    try:
        apps.get_model(label)
    except (LookupError, ValueError):
        return False
    return True


def history(record: Any) -> list[HistoryRow]:
    """Return who changed the record, when, and which fields (newest first), from the audit log.

    The caller has already checked that the user may view the record. Values are never shown: the log holds
    sensitive ones only as keyed HMACs anyway.
    """
    entries = (
        AuditEntry.objects.filter(
            target_type=record._meta.label_lower,
            target_id=str(record.pk),
            action__in=[int(a) for a in HISTORY_ACTIONS],
        )
        .only("created_at", "actor_label", "action", "details")
        .order_by("-seq")[:HISTORY_LIMIT]
    )
    return [
        HistoryRow(
            e.created_at,
            e.actor_label or _("the system"),
            str(AuditAction(e.action).label),
            _changed_fields(record, e.details if isinstance(e.details, dict) else {}),
        )
        for e in entries
    ]


def record_extras(user: Any, record: Any, show: bool) -> dict[str, Any]:
    """Return what every record page shows at its foot: clarification notes, the note form, the history."""
    from haven.web.notes import KIND_OF_MODEL, note_form_for

    return {
        "notes": _notes(user, record, show),
        "note_form": note_form_for(user, record),
        "note_kind": KIND_OF_MODEL.get(record._meta.label_lower, ""),
        "note_record": record,
        "history": history(record),
    }


# A perpetrator group (a county's public security bureau, say) can be involved in tens of thousands of acts: its
# page lists them a page at a time.
INVOLVEMENTS_PER_PAGE = 100


def person_page(user: Any, person: Person, *, involvement_page: Any = 1) -> dict[str, Any]:
    show = policy.shows_identifying(user, person)
    acts = list(
        policy.visible(user, Act.objects.filter(victim=person)).select_related(
            "event__location", "act_type", "location", "facility"
        )
    )
    involvement_pages = Paginator(
        policy.visible(user, Involvement.objects.filter(perpetrator=person))
        .select_related("act__act_type", "event", "degree")
        .order_by("event__date_start", "pk"),
        INVOLVEMENTS_PER_PAGE,
    )
    involvements_shown = involvement_pages.get_page(involvement_page)
    involvements = list(involvements_shown.object_list)
    information = list(
        policy.visible(user, Information.objects.filter(source=person))
        .select_related("event", "connection")
        .order_by("date_start", "pk")
    )
    relations = [
        {
            "relationship": r.relationship.label,
            "person": other,
            "label": person_label(user, other),
            "date": format_date(r.date),
            "details": (r.details or "") if show else policy.MASK,
        }
        for r, other in [
            *(
                (r, r.related_person)
                for r in visible_through(
                    user, BiographicRelation.objects.filter(person=person), "related_person"
                )
                .select_related("relationship", "related_person")
                .prefetch_related("related_person__names")
            ),
            *(
                (r, r.person)
                for r in visible_through(
                    user, BiographicRelation.objects.filter(related_person=person), "person"
                )
                .select_related("relationship", "person")
                .prefetch_related("person__names")
            ),
        ]
    ]
    names = [
        {
            "kind": n.get_kind_display(),
            "system": n.get_system_display() if n.system else "",
            "text": policy.masked(user, n, "full_name"),
            "primary": n.is_primary,
        }
        for n in sorted(person.names.all(), key=lambda n: (not n.is_primary, n.pk))
    ]
    return {
        "person": person,
        "label": person_label(user, person),
        "show_identifying": show,
        "names": names,
        "birth_date": (person.birth_date or "") if show else policy.MASK,
        "origin_detail": (person.origin_detail or "") if show else policy.MASK,
        "acts": acts,
        "timeline": timeline(acts),
        "involvements": involvements,
        # Only when there is more than one page (one count query then, none otherwise).
        "involvements_page": involvements_shown if involvement_pages.num_pages > 1 else None,
        "information": information,
        "relations": relations,
        **record_extras(user, person, show),
    }


def event_page(user: Any, event: Event) -> dict[str, Any]:
    show = policy.shows_identifying(user, event)
    acts = list(
        policy.visible(user, visible_through(user, Act.objects.filter(event=event), "victim"))
        .select_related("act_type", "location", "facility", "victim")
        .prefetch_related("victim__names")
        .order_by("date_start", "pk")
    )
    involvements = list(
        policy.visible(user, visible_through(user, Involvement.objects.filter(event=event), "perpetrator"))
        .select_related("act__act_type", "degree", "perpetrator")
        .prefetch_related("perpetrator__names", "perpetrator_types")
        .order_by("pk")
    )
    information = list(
        policy.visible(user, visible_through(user, Information.objects.filter(event=event), "source"))
        .select_related("connection", "source")
        .prefetch_related("source__names")
        .order_by("date_start", "pk")
    )
    chains = [
        {"direction": "to", "type": c.chain_type.label, "event": c.related_event}
        for c in visible_through(
            user, ChainOfEvents.objects.filter(event=event), "related_event"
        ).select_related("chain_type", "related_event")
    ] + [
        {"direction": "from", "type": c.chain_type.label, "event": c.event}
        for c in visible_through(
            user, ChainOfEvents.objects.filter(related_event=event), "event"
        ).select_related("chain_type", "event")
    ]
    return {
        "event": event,
        "date": format_date(event.date),
        "sensitive_notes": (event.sensitive_notes or "") if show else policy.MASK,
        "acts": [(a, person_label(user, a.victim)) for a in acts],
        "involvements": [(i, person_label(user, i.perpetrator)) for i in involvements],
        "information": [(i, person_label(user, i.source)) for i in information],
        "chains": chains,
        **record_extras(user, event, show),
    }


def act_page(user: Any, act: Act) -> dict[str, Any]:
    victim_visible = policy.can_view(user, act.victim)
    involvements = list(
        policy.visible(user, visible_through(user, Involvement.objects.filter(act=act), "perpetrator"))
        .select_related("degree", "perpetrator")
        .prefetch_related("perpetrator__names", "perpetrator_types")
        .order_by("pk")
    )
    return {
        "act": act,
        "date": format_date(act.date),
        "event_visible": policy.can_view(user, act.event),
        "victim_visible": victim_visible,
        "victim_label": person_label(user, act.victim) if victim_visible else policy.MASK,
        "methods": list(act.methods.all()),
        "involvements": [(i, person_label(user, i.perpetrator)) for i in involvements],
        **record_extras(user, act, policy.shows_identifying(user, act)),
    }


def information_page(user: Any, info: Information) -> dict[str, Any]:
    source_visible = policy.can_view(user, info.source)
    related = info.related_person
    related_visible = related is not None and policy.can_view(user, related)
    return {
        "info": info,
        "date": format_date(info.date),
        "event_visible": policy.can_view(user, info.event),
        "source_visible": source_visible,
        "source_label": person_label(user, info.source) if source_visible else policy.MASK,
        "related_visible": related_visible,
        "related_label": person_label(user, related) if related_visible and related else "",
        "source_types": list(info.source_types.all()),
        **record_extras(user, info, policy.shows_identifying(user, info)),
    }


def place_page(user: Any, place: Location) -> dict[str, Any]:
    inside = Location.objects.filter(path__startswith=place.path).exclude(pk=place.pk)
    events = (
        policy.visible(user, Event.objects.all())
        .filter(location__path__startswith=place.path)
        .select_related("location")
        .order_by("date_start", "date_end", "pk")
    )
    ancestors = [c for c in place.path.split("/") if c and c != place.code]
    return {
        "place": place,
        "ancestors": list(Location.objects.filter(code__in=ancestors).order_by("path")),
        "children": list(place.children.order_by("path")),
        "inside_count": inside.count(),
        "events": events,
    }
