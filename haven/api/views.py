"""The REST API, version 1. Thin: reads go through haven.records.access and the policy, writes through services.

Rules every endpoint follows (see docs in the OpenAPI schema at /api/v1/schema/):

- a personal token (``Authorization: Bearer hvn_…``) with a scope the endpoint accepts, which the user's role
  still allows (haven.api.permissions);
- a record that does not exist and one the user may not see give the same 404;
- identifying fields are masked for roles without VIEW_IDENTIFYING (haven.api.presenters);
- every read of records is audited: one entry per record read alone, one per page of a list (with the ids);
  searches with the query only as a keyed fingerprint;
- rate limits per token, with a 429 that says how long to wait (audited as RATE_LIMITED).
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from haven.accounts import policy
from haven.accounts.models import Compartment, Organisation
from haven.api import presenters as p
from haven.api import serializers as s
from haven.api import services, tokens
from haven.api.authentication import BearerTokenAuthentication
from haven.api.models import Scope
from haven.api.permissions import ANY, TokenScope
from haven.api.throttling import SearchRateThrottle, TokenRateThrottle, WriteRateThrottle
from haven.audit.models import AuditAction
from haven.audit.services import audit_record, audit_refusal
from haven.crypto.keyring import audit_fingerprint
from haven.exchange.exporting import ExportError, ExportRefused, export_data
from haven.lib.concurrency import ConflictError
from haven.lib.dates import ImpreciseDate
from haven.places.models import Location
from haven.records import access
from haven.records import services as record_services
from haven.records.models import Act, Consent, Event, Information, Person
from haven.vocab.models import Term, Vocabulary
from haven.web import search
from haven.web.textsearch import event_texts_catch_up

READ = (Scope.RECORDS_READ,)
REFERENCE = (Scope.RECORDS_READ, Scope.SEARCH)


_ERROR_RESPONSES = {
    400: OpenApiResponse(
        s.ValidationErrorSerializer, description="The request has problems (see field_errors)."
    ),
    401: OpenApiResponse(s.ErrorSerializer, description="No token, or a token unknown, expired or revoked."),
    403: OpenApiResponse(
        s.ErrorSerializer, description="The token lacks the scope, or the role does not allow it."
    ),
    404: OpenApiResponse(
        s.ErrorSerializer, description="No such record, or one you may not see: the same answer for both."
    ),
    409: OpenApiResponse(
        s.ConflictSerializer, description="The record changed since the version you sent: nothing was saved."
    ),
    429: OpenApiResponse(
        s.ThrottledSerializer, description="Too many requests: wait_seconds says how long to wait."
    ),
}


def _errors(*codes: int) -> dict[int, Any]:
    return {code: _ERROR_RESPONSES[code] for code in codes}


READ_ERRORS = _errors(401, 403, 404, 429)
LIST_ERRORS = _errors(400, 401, 403, 404, 429)
WRITE_ERRORS = _errors(400, 401, 403, 404, 409, 429)

CURSOR_PARAMETERS = [
    OpenApiParameter(
        "cursor", OpenApiTypes.STR, description="The page to read: from a previous page's next link."
    ),
    OpenApiParameter(
        "page_size", OpenApiTypes.INT, description="Items per page: 50 by default, at most 200."
    ),
]
LIST_PARAMETERS = [s.ListParamsSerializer, *CURSOR_PARAMETERS]
ID_PARAMETER = [
    OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The record's id.")
]


class Cursor(CursorPagination):
    ordering = "pk"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class ApiView(APIView):
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [TokenScope]
    throttle_classes = [TokenRateThrottle, WriteRateThrottle]
    required_scopes: dict[str, Any] = {}

    def perform_authentication(self, request: Request) -> None:
        super().perform_authentication(request)
        user = request.user
        # Messages in the user's language unless the client asked for one.
        if user.is_authenticated and "HTTP_ACCEPT_LANGUAGE" not in request.META:
            translation.activate(user.preferred_language)
            request._request.LANGUAGE_CODE = user.preferred_language

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        # Answers may hold identifying data: no cache, shared or private, may keep them.
        response["Cache-Control"] = "no-store, private"
        return response

    def throttled(self, request: Request, wait: float | None) -> None:
        seconds = math.ceil(wait or 1)
        audit_refusal(
            actor=request.user,
            action=AuditAction.RATE_LIMITED,
            request=request._request,
            details={"via": "api", "endpoint": type(self).__name__, "wait_seconds": seconds},
        )
        raise exceptions.Throttled(
            wait=wait,
            detail=_("Too many requests with this token. Try again in %(seconds)s seconds.")
            % {"seconds": seconds},
        )


def _validated(serializer: serializers.Serializer) -> dict[str, Any]:
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _field_errors(exc: DjangoValidationError, prefix: str = "") -> exceptions.ValidationError:
    """Turn a service's ValidationError (keys "<ref>-<field>") into the API's field_errors."""
    if not hasattr(exc, "error_dict"):
        return exceptions.ValidationError({"non_field_errors": exc.messages})
    out: dict[str, list[str]] = {}
    for key, messages in exc.message_dict.items():
        name = key.removeprefix(prefix).replace("-", ".") if prefix else key
        out.setdefault(name if name != "__all__" else "non_field_errors", []).extend(messages)
    return exceptions.ValidationError(out)


def _refused(exc: Exception) -> exceptions.PermissionDenied:
    return exceptions.PermissionDenied(
        _("You may not write there: your role, your compartments or your clearance do not allow it.")
    )


def _audit_page(request: Request, label: str, records: list[Any]) -> None:
    audit_record(
        actor=request.user,
        action=AuditAction.RECORD_VIEWED,
        target=None,
        request=request._request,
        details={"via": "api", "list": label, "ids": [r.pk for r in records]},
    )


def _filter_list(queryset: QuerySet[Any], params: dict[str, Any]) -> QuerySet[Any]:
    if params.get("organisation"):
        queryset = queryset.filter(organisation__code=params["organisation"])
    if params.get("compartment"):
        queryset = queryset.filter(compartment__code=params["compartment"])
    if params.get("updated_since"):
        queryset = queryset.filter(updated_at__gte=params["updated_since"])
    return queryset


class _RecordList(ApiView):
    label = ""
    item: type[serializers.Serializer] = s.PersonSerializer

    def queryset(self, user: Any) -> QuerySet[Any]:
        raise NotImplementedError

    def present(self, user: Any, record: Any) -> dict[str, Any]:
        raise NotImplementedError

    def list(self, request: Request) -> Response:
        params = _validated(s.ListParamsSerializer(data=request.query_params))
        queryset = _filter_list(self.queryset(request.user), params)
        paginator = Cursor()
        page = list(paginator.paginate_queryset(queryset, request, view=self) or [])
        _audit_page(request, self.label, page)
        data = s.represent(self.item, [self.present(request.user, r) for r in page], many=True)
        return paginator.get_paginated_response(data)


# ---- persons ----------------------------------------------------------------------------------------------------


def _persons(user: Any) -> QuerySet[Person]:
    return (
        access.persons_visible_to(user)
        .select_related("organisation", "compartment", "origin_province", "counting_unit")
        .prefetch_related("names")
    )


def _person_changes(data: dict[str, Any]) -> dict[str, Any]:
    changes = {k: v for k, v in data.items() if k != "version"}
    if "birth_date" in changes:
        birth = changes["birth_date"]
        changes["birth_date"] = str(birth) if isinstance(birth, ImpreciseDate) and birth.is_known else None
    for name in ("origin_detail", "sensitive_notes"):
        if name in changes:
            changes[name] = changes[name] or None
    return changes


def _conflict(request: Request, exc: ConflictError, current: dict[str, Any]) -> Response:
    conflict = exc.conflict
    body = {
        "detail": _(
            "The record changed since you read it (you sent version %(yours)s; it is now at version %(current)s). "
            "Nothing was saved: compare your changes with the current record, then send them again with "
            "the current version."
        )
        % {"yours": conflict.seen_version, "current": conflict.stored_version},
        "code": "conflict",
        "your_version": conflict.seen_version,
        "current_version": conflict.stored_version,
        "submitted": request.data if isinstance(request.data, dict) else {},
        "current": current,
    }
    return Response(body, status=status.HTTP_409_CONFLICT)


class PersonList(_RecordList):
    required_scopes = {"GET": READ, "POST": (Scope.RECORDS_WRITE,)}
    label = "records.person"
    item = s.PersonSerializer

    def queryset(self, user: Any) -> QuerySet[Any]:
        return _persons(user)

    def present(self, user: Any, record: Any) -> dict[str, Any]:
        return p.person_out(user, record)

    @extend_schema(
        operation_id="persons_list",
        summary="List the persons you may see",
        parameters=LIST_PARAMETERS,
        responses={200: s.PersonPageSerializer, **LIST_ERRORS},
        tags=["persons"],
    )
    def get(self, request: Request) -> Response:
        return self.list(request)

    @extend_schema(
        operation_id="persons_create",
        summary="Record a person (scope records:write)",
        request=s.PersonCreateSerializer,
        responses={201: s.PersonSerializer, **_errors(400, 401, 403, 429)},
        tags=["persons"],
    )
    def post(self, request: Request) -> Response:
        data = _validated(s.PersonCreateSerializer(data=request.data))
        compartment = services.writable_compartment(request.user, data["compartment"])
        if compartment is None:
            raise exceptions.ValidationError(
                {"compartment": [_("No such compartment among those granted to you.")]}
            )
        try:
            person = services.person_create_checked(
                actor=request.user, compartment=compartment, data=data, request=request._request
            )
        except record_services.WriteRefused as exc:
            raise _refused(exc) from None
        except DjangoValidationError as exc:
            raise _field_errors(exc) from None
        person = _persons(request.user).get(pk=person.pk)
        return Response(
            s.represent(s.PersonSerializer, p.person_out(request.user, person)),
            status=status.HTTP_201_CREATED,
        )


class PersonDetail(ApiView):
    required_scopes = {"GET": READ, "PATCH": (Scope.RECORDS_WRITE,)}

    @extend_schema(
        operation_id="persons_read",
        summary="Read a person",
        parameters=ID_PARAMETER,
        responses={200: s.PersonSerializer, **READ_ERRORS},
        tags=["persons"],
    )
    def get(self, request: Request, pk: str) -> Response:
        person = access.person_for_user(request.user, pk, request=request._request)
        return Response(s.represent(s.PersonSerializer, p.person_out(request.user, person)))

    @extend_schema(
        operation_id="persons_update",
        summary="Change a person (scope records:write; send the version you read)",
        parameters=ID_PARAMETER,
        request=s.PersonUpdateSerializer,
        responses={200: s.PersonSerializer, **WRITE_ERRORS},
        tags=["persons"],
    )
    def patch(self, request: Request, pk: str) -> Response:
        person = access.person_for_user(request.user, pk, request=request._request)
        data = _validated(s.PersonUpdateSerializer(data=request.data))
        return _update(
            request,
            person,
            data["version"],
            _person_changes(data),
            _persons,
            p.person_out,
            s.PersonSerializer,
        )


def _update(
    request: Request,
    record: Any,
    version: int,
    changes: dict[str, Any],
    queryset: Any,
    present: Any,
    serializer: type[serializers.Serializer],
) -> Response:
    try:
        services.record_update(
            actor=request.user, record=record, version=version, changes=changes, request=request._request
        )
    except ConflictError as exc:
        current = queryset(request.user).get(pk=record.pk)
        return _conflict(request, exc, dict(s.represent(serializer, present(request.user, current))))
    except record_services.WriteRefused as exc:
        raise _refused(exc) from None
    except DjangoValidationError as exc:
        raise _field_errors(exc) from None
    saved = queryset(request.user).get(pk=record.pk)
    return Response(s.represent(serializer, present(request.user, saved)))


# ---- events -----------------------------------------------------------------------------------------------------


def _events(user: Any) -> QuerySet[Event]:
    return access.events_visible_to(user).select_related(
        "organisation", "compartment", "location", "violation_status", "monitoring_status"
    )


class EventList(_RecordList):
    required_scopes = {"GET": READ, "POST": (Scope.RECORDS_WRITE,)}
    label = "records.event"
    item = s.EventSerializer

    def queryset(self, user: Any) -> QuerySet[Any]:
        return _events(user)

    def present(self, user: Any, record: Any) -> dict[str, Any]:
        return p.event_out(user, record)

    @extend_schema(
        operation_id="events_list",
        summary="List the events you may see",
        parameters=LIST_PARAMETERS,
        responses={200: s.EventPageSerializer, **LIST_ERRORS},
        tags=["events"],
    )
    def get(self, request: Request) -> Response:
        return self.list(request)

    @extend_schema(
        operation_id="events_create",
        summary="Record an event (scope records:write)",
        request=s.EventCreateSerializer,
        responses={201: s.EventSerializer, **_errors(400, 401, 403, 429)},
        tags=["events"],
    )
    def post(self, request: Request) -> Response:
        data = _validated(s.EventCreateSerializer(data=request.data))
        compartment = services.writable_compartment(request.user, data["compartment"])
        if compartment is None:
            raise exceptions.ValidationError(
                {"compartment": [_("No such compartment among those granted to you.")]}
            )
        date = data.get("date")
        try:
            event = record_services.event_create(
                actor=request.user,
                compartment=compartment,
                confidentiality=data["confidentiality"],
                event=record_services.EventInput(
                    title=data["title"],
                    description=data.get("description") or "",
                    date=date if isinstance(date, ImpreciseDate) else ImpreciseDate.unknown(),
                    location=data.get("location"),
                    sensitive_notes=data.get("sensitive_notes") or None,
                    ref="event",
                ),
                via="api",
            )
        except record_services.WriteRefused as exc:
            raise _refused(exc) from None
        except DjangoValidationError as exc:
            raise _field_errors(exc, "event-") from None
        event = _events(request.user).get(pk=event.pk)
        return Response(
            s.represent(s.EventSerializer, p.event_out(request.user, event)), status=status.HTTP_201_CREATED
        )


class EventDetail(ApiView):
    required_scopes = {"GET": READ, "PATCH": (Scope.RECORDS_WRITE,)}

    @extend_schema(
        operation_id="events_read",
        summary="Read an event",
        parameters=ID_PARAMETER,
        responses={200: s.EventSerializer, **READ_ERRORS},
        tags=["events"],
    )
    def get(self, request: Request, pk: str) -> Response:
        event = access.event_for_user(request.user, pk, request=request._request)
        return Response(s.represent(s.EventSerializer, p.event_out(request.user, event)))

    @extend_schema(
        operation_id="events_update",
        summary="Change an event (scope records:write; send the version you read)",
        parameters=ID_PARAMETER,
        request=s.EventUpdateSerializer,
        responses={200: s.EventSerializer, **WRITE_ERRORS},
        tags=["events"],
    )
    def patch(self, request: Request, pk: str) -> Response:
        event = access.event_for_user(request.user, pk, request=request._request)
        data = _validated(s.EventUpdateSerializer(data=request.data))
        changes = {k: v for k, v in data.items() if k != "version"}
        if "sensitive_notes" in changes:
            changes["sensitive_notes"] = changes["sensitive_notes"] or None
        return _update(request, event, data["version"], changes, _events, p.event_out, s.EventSerializer)


# ---- acts -------------------------------------------------------------------------------------------------------


def _acts(user: Any) -> QuerySet[Act]:
    return (
        access.acts_visible_to(user)
        .select_related(
            "organisation",
            "compartment",
            "event",
            "victim",
            "act_type",
            "location",
            "facility",
            "victim_status_end",
            "attribution",
        )
        .prefetch_related("methods", "victim_characteristics", "victim__names")
    )


class InvolvementInputSerializer(serializers.Serializer):
    perpetrator = serializers.IntegerField(min_value=1, max_value=s.MAX_PK, help_text="Person id.")
    degree = s.term_field("involvement-degrees")
    perpetrator_types = s.term_field("perpetrator-types", many=True, required=False, default=list)
    remarks = serializers.CharField(max_length=s.MAX_TEXT, required=False, allow_blank=True, default="")


class ActCreateSerializer(serializers.Serializer):
    event = serializers.IntegerField(
        min_value=1, max_value=s.MAX_PK, help_text="Event id: the act takes its compartment and level."
    )
    victim = serializers.IntegerField(min_value=1, max_value=s.MAX_PK, help_text="Person id of the victim.")
    act_type = s.term_field("act-types")
    methods = s.term_field("methods", many=True, required=False, default=list)
    date = s.ImpreciseDateField(required=False)
    location = s.place_field(required=False, allow_null=True)
    facility = s.place_field(required=False, allow_null=True)
    victim_age = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=120)
    stated_reason = serializers.CharField(max_length=s.MAX_TEXT, required=False, allow_blank=True, default="")
    involvements = serializers.ListField(
        child=InvolvementInputSerializer(), required=False, default=list, max_length=50
    )


def _visible_person(user: Any, pk: int, field: str, errors: dict[str, list[str]]) -> Person | None:
    person = access.persons_visible_to(user).filter(pk=pk).first()
    if person is None:
        errors.setdefault(field, []).append(_("There is no such person, or you may not see them."))
    return person


class ActList(_RecordList):
    required_scopes = {"GET": READ, "POST": (Scope.RECORDS_WRITE,)}
    label = "records.act"
    item = s.ActSerializer

    def queryset(self, user: Any) -> QuerySet[Any]:
        return _acts(user)

    def present(self, user: Any, record: Any) -> dict[str, Any]:
        return p.act_out(user, record)

    @extend_schema(
        operation_id="acts_list",
        summary="List the acts you may see",
        parameters=LIST_PARAMETERS,
        responses={200: s.ActPageSerializer, **LIST_ERRORS},
        tags=["acts"],
    )
    def get(self, request: Request) -> Response:
        return self.list(request)

    @extend_schema(
        operation_id="acts_create",
        summary="Record an act of an event, with its perpetrators' involvements (scope records:write)",
        request=ActCreateSerializer,
        responses={201: s.ActSerializer, **_errors(400, 401, 403, 429)},
        tags=["acts"],
    )
    def post(self, request: Request) -> Response:
        data = _validated(ActCreateSerializer(data=request.data))
        user = request.user
        errors: dict[str, list[str]] = {}
        event = access.events_visible_to(user).select_related("compartment").filter(pk=data["event"]).first()
        if event is None:
            errors["event"] = [_("There is no such event, or you may not see it.")]
        victim = _visible_person(user, data["victim"], "victim", errors)
        involvements = []
        for i, inv in enumerate(data.get("involvements") or []):
            perpetrator = _visible_person(user, inv["perpetrator"], f"involvements.{i}.perpetrator", errors)
            involvements.append(
                record_services.InvolvementInput(
                    perpetrator=perpetrator,  # type: ignore[arg-type]
                    degree=inv["degree"],
                    perpetrator_types=list(inv.get("perpetrator_types") or []),
                    remarks=inv.get("remarks") or "",
                    ref=f"involvements-{i}",
                )
            )
        if errors:
            raise exceptions.ValidationError(errors)
        date = data.get("date")
        try:
            act = record_services.act_create(
                actor=user,
                event=event,  # type: ignore[arg-type]
                act=record_services.ActInput(
                    event=0,
                    victim=victim,  # type: ignore[arg-type]
                    act_type=data["act_type"],
                    methods=list(data.get("methods") or []),
                    date=date if isinstance(date, ImpreciseDate) else ImpreciseDate.unknown(),
                    location=data.get("location"),
                    facility=data.get("facility"),
                    victim_age=data.get("victim_age"),
                    stated_reason=data.get("stated_reason") or "",
                    involvements=involvements,
                    ref="act",
                ),
                via="api",
            )
        except record_services.WriteRefused as exc:
            raise _refused(exc) from None
        except DjangoValidationError as exc:
            raise _field_errors(exc, "act-") from None
        act = _acts(user).get(pk=act.pk)
        return Response(s.represent(s.ActSerializer, p.act_out(user, act)), status=status.HTTP_201_CREATED)


class ActDetail(ApiView):
    required_scopes = {"GET": READ, "PATCH": (Scope.RECORDS_WRITE,)}

    @extend_schema(
        operation_id="acts_read",
        summary="Read an act",
        parameters=ID_PARAMETER,
        responses={200: s.ActSerializer, **READ_ERRORS},
        tags=["acts"],
    )
    def get(self, request: Request, pk: str) -> Response:
        act = access.act_for_user(request.user, pk, request=request._request)
        return Response(s.represent(s.ActSerializer, p.act_out(request.user, act)))

    @extend_schema(
        operation_id="acts_update",
        summary="Change an act (scope records:write; send the version you read)",
        parameters=ID_PARAMETER,
        request=s.ActUpdateSerializer,
        responses={200: s.ActSerializer, **WRITE_ERRORS},
        tags=["acts"],
    )
    def patch(self, request: Request, pk: str) -> Response:
        act = access.act_for_user(request.user, pk, request=request._request)
        data = _validated(s.ActUpdateSerializer(data=request.data))
        changes = {k: v for k, v in data.items() if k != "version"}
        return _update(request, act, data["version"], changes, _acts, p.act_out, s.ActSerializer)


# ---- information (sources) --------------------------------------------------------------------------------------


def _information(user: Any) -> QuerySet[Information]:
    return (
        policy.visible(user, Information.objects.all())
        .select_related(
            "organisation",
            "compartment",
            "event",
            "source",
            "related_person",
            "connection",
            "language",
            "reliability",
        )
        .prefetch_related("source_types", "source__names", "related_person__names")
    )


class InformationCreateSerializer(serializers.Serializer):
    event = serializers.IntegerField(
        min_value=1, max_value=s.MAX_PK, help_text="Event id: the record takes its compartment and level."
    )
    source = serializers.IntegerField(min_value=1, max_value=s.MAX_PK, help_text="Person id of the source.")
    connection = s.term_field("source-connections")
    source_types = s.term_field("source-types", many=True, required=False, default=list)
    language = s.term_field("languages", required=False, allow_null=True)
    reliability = s.term_field("reliability", required=False, allow_null=True)
    date = s.ImpreciseDateField(required=False)
    interviewer = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    consent = serializers.ChoiceField(choices=Consent.choices, required=False, default=Consent.UNKNOWN)
    remarks = serializers.CharField(max_length=s.MAX_TEXT, required=False, allow_blank=True, default="")


class InformationList(_RecordList):
    required_scopes = {"GET": READ, "POST": (Scope.RECORDS_WRITE,)}
    label = "records.information"
    item = s.InformationSerializer

    def queryset(self, user: Any) -> QuerySet[Any]:
        return _information(user)

    def present(self, user: Any, record: Any) -> dict[str, Any]:
        return p.information_out(user, record)

    @extend_schema(
        operation_id="information_list",
        summary="List the information (sources' accounts of events) you may see",
        parameters=LIST_PARAMETERS,
        responses={200: s.InformationPageSerializer, **LIST_ERRORS},
        tags=["information"],
    )
    def get(self, request: Request) -> Response:
        return self.list(request)

    @extend_schema(
        operation_id="information_create",
        summary="Record a source's account of an event (scope records:write)",
        request=InformationCreateSerializer,
        responses={201: s.InformationSerializer, **_errors(400, 401, 403, 429)},
        tags=["information"],
    )
    def post(self, request: Request) -> Response:
        data = _validated(InformationCreateSerializer(data=request.data))
        user = request.user
        errors: dict[str, list[str]] = {}
        event = access.events_visible_to(user).select_related("compartment").filter(pk=data["event"]).first()
        if event is None:
            errors["event"] = [_("There is no such event, or you may not see it.")]
        source = _visible_person(user, data["source"], "source", errors)
        if errors:
            raise exceptions.ValidationError(errors)
        date = data.get("date")
        try:
            info = record_services.information_create(
                actor=user,
                event=event,  # type: ignore[arg-type]
                information=record_services.InformationInput(
                    source=source,  # type: ignore[arg-type]
                    connection=data["connection"],
                    source_types=list(data.get("source_types") or []),
                    language=data.get("language"),
                    reliability=data.get("reliability"),
                    date=date if isinstance(date, ImpreciseDate) else ImpreciseDate.unknown(),
                    interviewer=data.get("interviewer") or "",
                    consent=data.get("consent") or Consent.UNKNOWN,
                    remarks=data.get("remarks") or "",
                    ref="information",
                ),
                via="api",
            )
        except record_services.WriteRefused as exc:
            raise _refused(exc) from None
        except DjangoValidationError as exc:
            raise _field_errors(exc, "information-") from None
        info = _information(user).get(pk=info.pk)
        return Response(
            s.represent(s.InformationSerializer, p.information_out(user, info)),
            status=status.HTTP_201_CREATED,
        )


class InformationDetail(ApiView):
    required_scopes = {"GET": READ, "PATCH": (Scope.RECORDS_WRITE,)}

    @extend_schema(
        operation_id="information_read",
        summary="Read a source's account of an event",
        parameters=ID_PARAMETER,
        responses={200: s.InformationSerializer, **READ_ERRORS},
        tags=["information"],
    )
    def get(self, request: Request, pk: str) -> Response:
        info = access.information_for_user(request.user, pk, request=request._request)
        return Response(s.represent(s.InformationSerializer, p.information_out(request.user, info)))

    @extend_schema(
        operation_id="information_update",
        summary="Change a source's account (scope records:write; send the version you read)",
        parameters=ID_PARAMETER,
        request=s.InformationUpdateSerializer,
        responses={200: s.InformationSerializer, **WRITE_ERRORS},
        tags=["information"],
    )
    def patch(self, request: Request, pk: str) -> Response:
        info = access.information_for_user(request.user, pk, request=request._request)
        data = _validated(s.InformationUpdateSerializer(data=request.data))
        changes = {k: v for k, v in data.items() if k != "version"}
        return _update(
            request, info, data["version"], changes, _information, p.information_out, s.InformationSerializer
        )


# ---- places and vocabularies (reference data) -------------------------------------------------------------------


class PlaceParamsSerializer(serializers.Serializer):
    parent = serializers.IntegerField(
        required=False, min_value=1, max_value=s.MAX_PK, help_text="Only children of this place."
    )
    kind = serializers.CharField(
        required=False, max_length=24, help_text="Only places of this kind (country, province…)."
    )


class PlaceList(ApiView):
    required_scopes = {"GET": REFERENCE}

    @extend_schema(
        operation_id="places_list",
        summary="List the gazetteer's places",
        parameters=[PlaceParamsSerializer, *CURSOR_PARAMETERS],
        responses={200: s.PlacePageSerializer, **LIST_ERRORS},
        tags=["reference"],
    )
    def get(self, request: Request) -> Response:
        params = _validated(PlaceParamsSerializer(data=request.query_params))
        queryset = Location.objects.select_related("facility_type")
        if params.get("parent"):
            queryset = queryset.filter(parent_id=params["parent"])
        if params.get("kind"):
            queryset = queryset.filter(kind=params["kind"])
        paginator = Cursor()
        page = paginator.paginate_queryset(queryset, request, view=self) or []
        return paginator.get_paginated_response(
            s.represent(s.PlaceSerializer, [p.place_out(x) for x in page], many=True)
        )


class PlaceDetail(ApiView):
    required_scopes = {"GET": REFERENCE}

    @extend_schema(
        operation_id="places_read",
        summary="Read a place",
        parameters=ID_PARAMETER,
        responses={200: s.PlaceSerializer, **READ_ERRORS},
        tags=["reference"],
    )
    def get(self, request: Request, pk: str) -> Response:
        place = (
            Location.objects.select_related("facility_type").filter(pk=pk).first() if pk.isdigit() else None
        )
        if place is None:
            raise exceptions.NotFound()
        # As on the place page: opening a place is recorded (what someone looks at can itself be telling).
        audit_record(
            actor=request.user,
            action=AuditAction.RECORD_VIEWED,
            target=place,
            request=request._request,
            details={"via": "api"},
        )
        return Response(s.represent(s.PlaceSerializer, p.place_out(place)))


class VocabularyList(ApiView):
    required_scopes = {"GET": REFERENCE}

    @extend_schema(
        operation_id="vocabularies_list",
        summary="List the controlled vocabularies",
        responses={200: s.VocabularySerializer(many=True), **READ_ERRORS},
        tags=["reference"],
    )
    def get(self, request: Request) -> Response:
        rows = Vocabulary.objects.annotate(n=Count("terms")).order_by("code")
        data = [
            {"code": v.code, "name_en": v.name_en, "name_ko": v.name_ko, "version": v.version, "terms": v.n}
            for v in rows
        ]
        return Response(s.represent(s.VocabularySerializer, data, many=True))


class TermParamsSerializer(serializers.Serializer):
    vocabulary = serializers.CharField(
        required=False, max_length=48, help_text="Only terms of this vocabulary (code)."
    )
    parent = serializers.IntegerField(
        required=False, min_value=1, max_value=s.MAX_PK, help_text="Only children of this term."
    )
    include_retired = serializers.BooleanField(required=False, default=False)


class TermList(ApiView):
    required_scopes = {"GET": REFERENCE}

    @extend_schema(
        operation_id="terms_list",
        summary="List vocabulary terms",
        parameters=[TermParamsSerializer, *CURSOR_PARAMETERS],
        responses={200: s.TermPageSerializer, **LIST_ERRORS},
        tags=["reference"],
    )
    def get(self, request: Request) -> Response:
        params = _validated(TermParamsSerializer(data=request.query_params))
        queryset = Term.objects.select_related("vocabulary")
        if params.get("vocabulary"):
            queryset = queryset.filter(vocabulary__code=params["vocabulary"])
        if params.get("parent"):
            queryset = queryset.filter(parent_id=params["parent"])
        if not params.get("include_retired"):
            queryset = queryset.filter(retired=False)
        paginator = Cursor()
        page = paginator.paginate_queryset(queryset, request, view=self) or []
        return paginator.get_paginated_response(
            s.represent(s.TermSerializer, [p.term_out(t) for t in page], many=True)
        )


class TermDetail(ApiView):
    required_scopes = {"GET": REFERENCE}

    @extend_schema(
        operation_id="terms_read",
        summary="Read a vocabulary term",
        parameters=ID_PARAMETER,
        responses={200: s.TermSerializer, **READ_ERRORS},
        tags=["reference"],
    )
    def get(self, request: Request, pk: str) -> Response:
        term = Term.objects.select_related("vocabulary").filter(pk=pk).first() if pk.isdigit() else None
        if term is None:
            raise exceptions.NotFound()
        return Response(s.represent(s.TermSerializer, p.term_out(term)))


# ---- search -----------------------------------------------------------------------------------------------------

_FORM_FIELDS = (
    "q",
    "act_type",
    "year_from",
    "year_to",
    "certainty",
    "place",
    "perpetrator_type",
    "victim_sex",
    "age_min",
    "age_max",
    "organisation",
    "confidentiality",
)


class SearchView(ApiView):
    required_scopes = {"GET": (Scope.SEARCH,)}
    throttle_classes = [TokenRateThrottle, SearchRateThrottle]

    @extend_schema(
        operation_id="search",
        summary="Search events (and, for roles that may see names, persons by name), with the web search's filters",
        description=(
            "The same search as the web page: words in event titles and descriptions, filters, facet counts "
            f'(counts of people from 1 to 4 are given as "<5" to roles that may not see names). {search.PAGE_SIZE} events '
            "per page; a page past the last gives the last."
        ),
        parameters=[s.SearchParamsSerializer],
        responses={200: s.SearchResultSerializer, **_errors(400, 401, 403, 429)},
        tags=["search"],
    )
    def get(self, request: Request) -> Response:
        params = _validated(s.SearchParamsSerializer(data=request.query_params))
        user = request.user
        form = search.SearchForm(
            {k: request.query_params[k] for k in _FORM_FIELDS if k in request.query_params}, user=user
        )
        if not form.is_valid():
            raise exceptions.ValidationError({k: [str(m) for m in v] for k, v in form.errors.items()})
        # Like the web search: events bulk-loaded (demo, writes that did not index them) get their search text
        # first; incremental, so cheap on every request (a full scan at most every few minutes per process).
        event_texts_catch_up()
        filters = search.Filters.from_form(form.cleaned_data)
        raw = form.cleaned_data.get("q") or ""
        parsed, result = search.run_search(user, raw, filters, page=params.get("page") or 1)
        page = result.page
        events = list(page.object_list)
        codes = dict(
            Organisation.objects.filter(pk__in={e.organisation_id for e in events}).values_list("pk", "code")
        )
        audit_record(
            actor=user,
            action=AuditAction.RECORD_SEARCHED,
            request=request._request,
            details={
                "via": "api",
                "query": audit_fingerprint(raw, "audit.search") if raw else None,
                "filters": filters.for_audit(),
                "page": page.number,
                "events": result.count,
                "persons": len(result.persons),
            },
        )
        data = {
            "count": result.count,
            "page": page.number,
            "pages": page.paginator.num_pages,
            "page_size": search.PAGE_SIZE,
            "include": list(parsed.include),
            "exclude": list(parsed.exclude),
            "events": [
                {
                    "id": e.pk,
                    "title": e.title,
                    "date": p.date_out(e.date),
                    "location": p.place_ref(e.location),
                    "organisation": codes.get(e.organisation_id, ""),
                    "confidentiality": e.confidentiality,
                }
                for e in events
            ],
            "names_searched": result.names_searched,
            "persons": [p.person_ref(user, person) for person in result.persons],
            "facets": [
                {
                    "name": f.name,
                    "label": str(f.label),
                    "values": [{"value": v, "label": str(label), "count": c} for v, label, c in f.values],
                }
                for f in result.facets or []  # the API always counts them (facets_later is for the web page)
            ],
        }
        return Response(s.represent(s.SearchResultSerializer, data))


# ---- aggregate counts -------------------------------------------------------------------------------------------


class AggregateView(ApiView):
    required_scopes = {"GET": (Scope.EXPORT_AGGREGATE,)}

    @extend_schema(
        operation_id="export_aggregate",
        summary="Counts of acts and persons, small cells suppressed (scope export:aggregate)",
        description="The aggregate export (haven export --level aggregate) as JSON; audited as an export.",
        parameters=[s.AggregateParamsSerializer],
        responses={200: s.AggregateSerializer, **_errors(400, 401, 403, 429)},
        tags=["export"],
    )
    def get(self, request: Request) -> Response:
        codes = request.query_params.getlist("compartment")
        params = _validated(s.AggregateParamsSerializer(data={"compartment": codes} if codes else {}))
        with tempfile.TemporaryDirectory(prefix="haven-api-") as tmp:
            out = Path(tmp) / "aggregate.json"
            try:
                result = export_data(
                    actor=request.user,
                    level="aggregate",
                    out=out,
                    fmt="json",
                    compartments=params.get("compartment"),
                )
            except ExportRefused:
                raise exceptions.PermissionDenied(
                    _("You may not count these compartments (one is not granted to you, or does not exist).")
                ) from None
            except ExportError as exc:
                raise exceptions.ValidationError({"non_field_errors": [str(exc)]}) from None
            document = json.loads(out.read_text(encoding="utf-8"))

        def year(value: Any) -> int | None:
            return value if isinstance(value, int) else None

        data = {
            "compartments": result.compartments,
            "acts": [
                {**row, "year": year(row.get("year")), "province": row.get("province") or ""}
                for row in document.get("acts", [])
            ],
            "persons": [
                {
                    **row,
                    "exit_year": year(row.get("exit_year")),
                    "origin_province": row.get("origin_province") or "",
                }
                for row in document.get("persons", [])
            ],
        }
        return Response(s.represent(s.AggregateSerializer, data))


# ---- who am I ---------------------------------------------------------------------------------------------------


class MeView(ApiView):
    required_scopes = {"GET": (ANY,)}

    @extend_schema(
        operation_id="me",
        summary="The token's user, role and scopes",
        responses={200: s.MeSerializer, **_errors(401, 429)},
        tags=["tokens"],
    )
    def get(self, request: Request) -> Response:
        user, token = request.user, request.auth
        data = {
            "username": user.get_username(),
            "role": user.role,
            "language": user.preferred_language,
            "identifying_shown": policy.has(user, policy.C.VIEW_IDENTIFYING),
            "compartments": list(
                Compartment.objects.filter(pk__in=policy.compartment_ids(user))
                .order_by("code")
                .values_list("code", flat=True)
            ),
            "token": {
                "name": token.name,
                "prefix": token.prefix,
                "scopes": list(token.scopes),
                "effective_scopes": sorted(tokens.effective_scopes(token)),
                "expires_at": token.expires_at,
            },
        }
        return Response(s.represent(s.MeSerializer, data))
