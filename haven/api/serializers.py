"""The shapes the API reads and writes, typed for the OpenAPI schema.

Output serializers render the plain data of :mod:`haven.api.presenters` (which applies the access policy);
they never read a model themselves. Input serializers validate requests at the boundary: types, lengths,
ranges, vocabulary terms of the right vocabulary; the services re-check what needs the database and the policy.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from haven.lib.dates import DateParseError, ImpreciseDate, Precision
from haven.places.models import Location
from haven.records.models import Confidentiality, Consent, NameKind, NameSystem, Sex
from haven.vocab.models import Term

MAX_TEXT = 20_000
MAX_PK = 2**63 - 1
MAX_VERSION = 2**31 - 1


# ---- errors ---------------------------------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in the user's language.")
    code = serializers.CharField(
        help_text="A stable code: not_authenticated, permission_denied, not_found, …"
    )


class ValidationErrorSerializer(ErrorSerializer):
    field_errors = serializers.DictField(
        child=serializers.JSONField(),
        help_text="For each field (nested as the request is), the list of problems with it.",
    )


class ThrottledSerializer(ErrorSerializer):
    wait_seconds = serializers.IntegerField(help_text="Seconds until a request may be made again.")


# ---- small pieces ---------------------------------------------------------------------------------------------


class TermRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    label = serializers.CharField()


class PlaceRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class DateSerializer(serializers.Serializer):
    """An imprecise date: the range of days it may denote, its precision and its text ("2011-03", "c. 2012")."""

    start = serializers.DateField(allow_null=True)
    end = serializers.DateField(allow_null=True)
    precision = serializers.ChoiceField(choices=[p.value for p in Precision])
    text = serializers.CharField()


class PersonRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField(help_text="The primary name, or the mask for roles that may not see names.")


class EventRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    date = DateSerializer()


# ---- records (output) -----------------------------------------------------------------------------------------

MASKED = "Identifying: the mask (•••) unless identifying_shown."


class RecordSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    organisation = serializers.CharField(help_text="Code of the organisation that documented the record.")
    compartment = serializers.CharField(help_text="Code of the compartment the record lies in.")
    confidentiality = serializers.ChoiceField(choices=Confidentiality.choices)
    external_id = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField(help_text="Send it back with an update (optimistic locking).")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    identifying_shown = serializers.BooleanField(
        help_text="False when identifying fields are replaced by the mask (the role may not see them)."
    )
    provenance = serializers.DictField(
        child=serializers.JSONField(),
        allow_null=True,
        help_text="Where the record came from (file, row, who, when); null unless identifying_shown.",
    )


class NameSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=NameKind.choices)
    system = serializers.ChoiceField(choices=NameSystem.choices, allow_blank=True)
    full_name = serializers.CharField(help_text=MASKED)
    family_name = serializers.CharField(allow_null=True, help_text=MASKED)
    given_name = serializers.CharField(allow_null=True, help_text=MASKED)
    is_primary = serializers.BooleanField()


class PersonSerializer(RecordSerializer):
    label = serializers.CharField()
    names = NameSerializer(many=True)
    sex = serializers.ChoiceField(choices=Sex.choices)
    birth_date = serializers.CharField(allow_null=True, help_text=MASKED)
    origin_province = PlaceRefSerializer(allow_null=True)
    origin_detail = serializers.CharField(allow_null=True, help_text=MASKED)
    exit_year = serializers.IntegerField(allow_null=True)
    counting_unit = TermRefSerializer(allow_null=True)
    group_description = serializers.CharField(allow_blank=True)
    number_of_persons_in_group = serializers.IntegerField(allow_null=True)
    sensitive_notes = serializers.CharField(allow_null=True, help_text=MASKED)


class EventSerializer(RecordSerializer):
    title = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    sensitive_notes = serializers.CharField(allow_null=True, help_text=MASKED)
    date = DateSerializer()
    location = PlaceRefSerializer(allow_null=True)
    violation_status = TermRefSerializer(allow_null=True)
    monitoring_status = TermRefSerializer(allow_null=True)
    impact = serializers.CharField(allow_blank=True)
    remarks = serializers.CharField(allow_blank=True)


class ActSerializer(RecordSerializer):
    event = EventRefSerializer(allow_null=True, help_text="Null when the event may not be seen.")
    victim = PersonRefSerializer(allow_null=True, help_text="Null when the victim may not be seen.")
    act_type = TermRefSerializer()
    methods = TermRefSerializer(many=True)
    date = DateSerializer()
    location = PlaceRefSerializer(allow_null=True)
    facility = PlaceRefSerializer(allow_null=True)
    stated_reason = serializers.CharField(allow_blank=True)
    victim_age = serializers.IntegerField(allow_null=True)
    victim_status_end = TermRefSerializer(allow_null=True)
    victim_characteristics = TermRefSerializer(many=True)
    attribution = TermRefSerializer(allow_null=True)
    physical_consequences = serializers.CharField(allow_blank=True)
    psychological_consequences = serializers.CharField(allow_blank=True)


class InformationSerializer(RecordSerializer):
    event = EventRefSerializer(allow_null=True, help_text="Null when the event may not be seen.")
    source = PersonRefSerializer(allow_null=True, help_text="Null when the source may not be seen.")
    related_person = PersonRefSerializer(allow_null=True)
    connection = TermRefSerializer()
    source_types = TermRefSerializer(many=True)
    language = TermRefSerializer(allow_null=True)
    reliability = TermRefSerializer(allow_null=True)
    date = DateSerializer()
    interviewer = serializers.CharField(allow_blank=True)
    consent = serializers.ChoiceField(choices=Consent.choices)
    remarks = serializers.CharField(allow_blank=True)


class PlaceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    parent = serializers.IntegerField(allow_null=True)
    path = serializers.CharField()
    kind = serializers.CharField()
    name = serializers.CharField(help_text="The name in the user's language.")
    name_en = serializers.CharField()
    name_ko = serializers.CharField(allow_blank=True)
    name_zh = serializers.CharField(allow_blank=True)
    variants = serializers.ListField(child=serializers.CharField())
    latitude = serializers.DecimalField(
        max_digits=8, decimal_places=5, allow_null=True, coerce_to_string=False
    )
    longitude = serializers.DecimalField(
        max_digits=8, decimal_places=5, allow_null=True, coerce_to_string=False
    )
    approximate = serializers.BooleanField()
    facility_type = TermRefSerializer(allow_null=True)


class VocabularySerializer(serializers.Serializer):
    code = serializers.CharField()
    name_en = serializers.CharField()
    name_ko = serializers.CharField()
    version = serializers.IntegerField()
    terms = serializers.IntegerField(help_text="How many terms it has (retired ones included).")


class TermSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    vocabulary = serializers.CharField()
    code = serializers.CharField()
    parent = serializers.IntegerField(allow_null=True)
    path = serializers.CharField()
    depth = serializers.IntegerField()
    label = serializers.CharField(help_text="The label in the user's language.")
    label_en = serializers.CharField()
    label_ko = serializers.CharField()
    aliases = serializers.ListField(child=serializers.CharField())
    retired = serializers.BooleanField()


class TokenInfoSerializer(serializers.Serializer):
    name = serializers.CharField()
    prefix = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField(), help_text="Scopes written on the token.")
    effective_scopes = serializers.ListField(
        child=serializers.CharField(), help_text="Those the user's role allows now: what the token can do."
    )
    expires_at = serializers.DateTimeField()


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.CharField()
    language = serializers.CharField()
    identifying_shown = serializers.BooleanField(help_text="Whether the role may see identifying fields.")
    compartments = serializers.ListField(child=serializers.CharField())
    token = TokenInfoSerializer()


def page_serializer(item: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """Return the serializer of one page of ``item`` (cursor pagination)."""
    return type(
        name,
        (serializers.Serializer,),
        {
            "next": serializers.URLField(allow_null=True, help_text="The next page, or null at the end."),
            "previous": serializers.URLField(allow_null=True),
            "results": item(many=True),
        },
    )


PersonPageSerializer = page_serializer(PersonSerializer, "PersonPage")
EventPageSerializer = page_serializer(EventSerializer, "EventPage")
ActPageSerializer = page_serializer(ActSerializer, "ActPage")
InformationPageSerializer = page_serializer(InformationSerializer, "InformationPage")
PlacePageSerializer = page_serializer(PlaceSerializer, "PlacePage")
TermPageSerializer = page_serializer(TermSerializer, "TermPage")


# ---- search ---------------------------------------------------------------------------------------------------


class SearchParamsSerializer(serializers.Serializer):
    """The web search's filters (haven.web.search.SearchForm), as query parameters."""

    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text='Words that must occur; "a phrase"; -word excludes. Names are looked up only for roles that may see them.',
    )
    act_type = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PK, help_text="Term id (act-types)."
    )
    year_from = serializers.IntegerField(required=False, min_value=1900, max_value=2100)
    year_to = serializers.IntegerField(required=False, min_value=1900, max_value=2100)
    certainty = serializers.ChoiceField(
        required=False,
        choices=["certain", "possible"],
        help_text="certain: the whole date range lies in the period; possible: it overlaps it.",
    )
    place = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PK,
        help_text="Place id: the place and everything inside it.",
    )
    perpetrator_type = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PK, help_text="Term id (perpetrator-types)."
    )
    victim_sex = serializers.ChoiceField(required=False, choices=Sex.choices)
    age_min = serializers.IntegerField(required=False, min_value=0, max_value=120)
    age_max = serializers.IntegerField(required=False, min_value=0, max_value=120)
    organisation = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PK, help_text="Organisation id."
    )
    confidentiality = serializers.ChoiceField(required=False, choices=Confidentiality.choices)
    page = serializers.IntegerField(required=False, min_value=1, max_value=1_000_000, default=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=100, default=20)


class EventSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    date = DateSerializer()
    location = PlaceRefSerializer(allow_null=True)
    organisation = serializers.CharField()
    confidentiality = serializers.ChoiceField(choices=Confidentiality.choices)


class FacetValueSerializer(serializers.Serializer):
    value = serializers.CharField(help_text="The value to give the filter of the same name.")
    label = serializers.CharField()
    count = serializers.CharField(
        help_text='A number, or "<5" where a small count of people could single them out.'
    )


class FacetSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    values = FacetValueSerializer(many=True)


class SearchResultSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Events matching.")
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    page_size = serializers.IntegerField()
    include = serializers.ListField(
        child=serializers.CharField(), help_text="The query's terms that must occur."
    )
    exclude = serializers.ListField(child=serializers.CharField(), help_text="The query's excluded terms.")
    events = EventSummarySerializer(many=True)
    names_searched = serializers.BooleanField(help_text="Whether persons were looked up by name.")
    persons = PersonRefSerializer(
        many=True, help_text="Persons whose name matches (roles that may see names)."
    )
    facets = FacetSerializer(many=True)


# ---- aggregate export -----------------------------------------------------------------------------------------


class AggregateParamsSerializer(serializers.Serializer):
    compartment = serializers.ListField(
        child=serializers.CharField(max_length=48),
        required=False,
        max_length=50,
        help_text="Codes of compartments to count (repeat the parameter); all granted ones by default.",
    )


class ActCountSerializer(serializers.Serializer):
    act_type = serializers.CharField()
    act_type_label = serializers.CharField()
    year = serializers.IntegerField(allow_null=True)
    province = serializers.CharField(allow_blank=True)
    victim_sex = serializers.CharField()
    count = serializers.CharField(help_text='A number, or "<5".')


class PersonCountSerializer(serializers.Serializer):
    sex = serializers.CharField()
    exit_year = serializers.IntegerField(allow_null=True)
    origin_province = serializers.CharField(allow_blank=True)
    count = serializers.CharField(help_text='A number, or "<5".')


class AggregateSerializer(serializers.Serializer):
    compartments = serializers.ListField(child=serializers.CharField())
    acts = ActCountSerializer(many=True)
    persons = PersonCountSerializer(many=True)


# ---- input ----------------------------------------------------------------------------------------------------


class BoundedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A primary key that must be a whole number in the database's range before it is looked up."""

    default_error_messages = {
        **serializers.PrimaryKeyRelatedField.default_error_messages,
        "does_not_exist": gettext_lazy("There is no such item (id %(pk_value)s)."),
    }

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int) or not 1 <= data <= MAX_PK:
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


def term_field(vocabulary: str, *, many: bool = False, **kwargs: Any) -> Any:
    queryset = Term.objects.filter(vocabulary__code=vocabulary, retired=False)
    help_text = kwargs.pop("help_text", f"Term id from the vocabulary {vocabulary}.")
    if many:
        return serializers.ListField(
            child=BoundedPrimaryKeyField(queryset=queryset), max_length=50, help_text=help_text, **kwargs
        )
    return BoundedPrimaryKeyField(queryset=queryset, help_text=help_text, **kwargs)


def place_field(**kwargs: Any) -> BoundedPrimaryKeyField:
    return BoundedPrimaryKeyField(
        queryset=Location.objects.all(), help_text="Place id (gazetteer).", **kwargs
    )


class ImpreciseDateField(serializers.CharField):
    """An imprecise date as text: 2011, 2011-03, 2011-03-05, c. 2011, 2009..2011, 2011년 3월, unknown."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 50)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def run_validation(self, data: Any = serializers.empty) -> ImpreciseDate | None:
        text = super().run_validation(data)  # type, length, NUL and surrogate checks on the text
        if text is None:
            return None
        try:
            return ImpreciseDate.parse(text)
        except DateParseError as exc:
            raise serializers.ValidationError(
                _("Not a date Haven understands: %(error)s") % {"error": exc}
            ) from None


def _text(**kwargs: Any) -> serializers.CharField:
    kwargs.setdefault("max_length", MAX_TEXT)
    kwargs.setdefault("allow_blank", True)
    return serializers.CharField(**kwargs)


class NameInputSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=200, help_text="The name as written, in any script.")
    kind = serializers.ChoiceField(choices=NameKind.choices, default=NameKind.HANGUL)
    system = serializers.ChoiceField(choices=NameSystem.choices, default="", allow_blank=True)
    family_name = serializers.CharField(max_length=100, required=False, allow_null=True, allow_blank=True)
    given_name = serializers.CharField(max_length=100, required=False, allow_null=True, allow_blank=True)
    is_primary = serializers.BooleanField(default=False)

    def validate_full_name(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(_("A name cannot be only spaces."))
        return value.strip()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for part in ("family_name", "given_name"):
            if not (attrs.get(part) or "").strip():
                attrs[part] = None
        return attrs


class NamesField(serializers.ListField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=NameInputSerializer(), min_length=1, max_length=20, **kwargs)

    def to_internal_value(self, data: Any) -> Any:
        names = super().to_internal_value(data)
        if sum(1 for n in names if n["is_primary"]) > 1:
            raise serializers.ValidationError(_("Only one name can be the primary name."))
        return names


class _VersionMixin(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1,
        max_value=MAX_VERSION,
        help_text="The version you read. If the record has changed since, nothing is saved: 409 Conflict.",
    )


class PersonCreateSerializer(serializers.Serializer):
    compartment = serializers.CharField(max_length=48, help_text="Code of a compartment granted to you.")
    confidentiality = serializers.ChoiceField(
        choices=Confidentiality.choices, default=Confidentiality.CONFIDENTIAL
    )
    external_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    names = NamesField()
    sex = serializers.ChoiceField(choices=Sex.choices, default=Sex.UNKNOWN)
    birth_date = ImpreciseDateField(required=False)
    origin_province = place_field(required=False, allow_null=True)
    origin_detail = _text(required=False, allow_null=True, max_length=500)
    exit_year = serializers.IntegerField(required=False, allow_null=True, min_value=1945, max_value=2100)
    counting_unit = term_field("counting-units", required=False, allow_null=True)
    group_description = _text(required=False, default="")
    number_of_persons_in_group = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=10_000_000
    )
    sensitive_notes = _text(required=False, allow_null=True)


class PersonUpdateSerializer(_VersionMixin):
    confidentiality = serializers.ChoiceField(choices=Confidentiality.choices, required=False)
    external_id = serializers.CharField(max_length=100, required=False, allow_blank=True)
    names = NamesField(required=False, help_text="If given, replaces all the person's names.")
    sex = serializers.ChoiceField(choices=Sex.choices, required=False)
    birth_date = ImpreciseDateField(required=False)
    origin_province = place_field(required=False, allow_null=True)
    origin_detail = _text(required=False, allow_null=True, max_length=500)
    exit_year = serializers.IntegerField(required=False, allow_null=True, min_value=1945, max_value=2100)
    counting_unit = term_field("counting-units", required=False, allow_null=True)
    group_description = _text(required=False)
    number_of_persons_in_group = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=10_000_000
    )
    sensitive_notes = _text(required=False, allow_null=True)


class EventCreateSerializer(serializers.Serializer):
    compartment = serializers.CharField(max_length=48, help_text="Code of a compartment granted to you.")
    confidentiality = serializers.ChoiceField(
        choices=Confidentiality.choices, default=Confidentiality.CONFIDENTIAL
    )
    title = serializers.CharField(max_length=300)
    description = _text(required=False, default="")
    sensitive_notes = _text(required=False, allow_null=True)
    date = ImpreciseDateField(required=False)
    location = place_field(required=False, allow_null=True)


class EventUpdateSerializer(_VersionMixin):
    confidentiality = serializers.ChoiceField(choices=Confidentiality.choices, required=False)
    external_id = serializers.CharField(max_length=100, required=False, allow_blank=True)
    title = serializers.CharField(max_length=300, required=False)
    description = _text(required=False)
    sensitive_notes = _text(required=False, allow_null=True)
    date = ImpreciseDateField(required=False)
    location = place_field(required=False, allow_null=True)
    violation_status = term_field("violation-status", required=False, allow_null=True)
    monitoring_status = term_field("monitoring-status", required=False, allow_null=True)
    impact = _text(required=False)
    remarks = _text(required=False)

    def validate_title(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(_("Give the event a title."))
        return value.strip()


class ActUpdateSerializer(_VersionMixin):
    confidentiality = serializers.ChoiceField(choices=Confidentiality.choices, required=False)
    external_id = serializers.CharField(max_length=100, required=False, allow_blank=True)
    act_type = term_field("act-types", required=False)
    methods = term_field("methods", many=True, required=False)
    date = ImpreciseDateField(required=False)
    location = place_field(required=False, allow_null=True)
    facility = place_field(required=False, allow_null=True)
    stated_reason = _text(required=False)
    victim_age = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=120)
    victim_status_end = term_field("victim-status", required=False, allow_null=True)
    victim_characteristics = term_field("victim-characteristics", many=True, required=False)
    attribution = term_field("attribution", required=False, allow_null=True)
    physical_consequences = _text(required=False)
    psychological_consequences = _text(required=False)


class InformationUpdateSerializer(_VersionMixin):
    confidentiality = serializers.ChoiceField(choices=Confidentiality.choices, required=False)
    external_id = serializers.CharField(max_length=100, required=False, allow_blank=True)
    connection = term_field("source-connections", required=False)
    source_types = term_field("source-types", many=True, required=False)
    language = term_field("languages", required=False, allow_null=True)
    reliability = term_field("reliability", required=False, allow_null=True)
    date = ImpreciseDateField(required=False)
    interviewer = serializers.CharField(max_length=200, required=False, allow_blank=True)
    consent = serializers.ChoiceField(choices=Consent.choices, required=False)
    remarks = _text(required=False)


class ListParamsSerializer(serializers.Serializer):
    organisation = serializers.CharField(
        required=False, max_length=32, help_text="Only records of this organisation (code)."
    )
    compartment = serializers.CharField(
        required=False, max_length=48, help_text="Only records of this compartment (code)."
    )
    updated_since = serializers.DateTimeField(
        required=False, help_text="Only records changed at or after this time."
    )


class ConflictSerializer(ErrorSerializer):
    your_version = serializers.IntegerField(help_text="The version the update was based on.")
    current_version = serializers.IntegerField(help_text="The version stored now.")
    submitted = serializers.DictField(
        child=serializers.JSONField(), help_text="The changes you sent, not saved."
    )
    current = serializers.DictField(
        child=serializers.JSONField(), help_text="The record as stored now (the same shape as a read)."
    )


# ---- output without DRF's per-field machinery -------------------------------------------------------------------
# An output serializer here only renders the plain dicts of the presenters, field for field. DRF does that through
# a generator of readable fields, a dotted-source look-up and a SkipField check for every field of every item:
# on a page of 50 persons, a quarter of the request. represent() gives the same data (each value through the
# field's own to_representation) from a plan made once per serializer class; a test holds it equal to DRF's.


def represent(serializer_class: type[serializers.Serializer], data: Any, *, many: bool = False) -> Any:
    """What ``serializer_class(data, many=many).data`` gives, for presenter dicts, faster."""
    plan = _plan(serializer_class)
    if plan is None:
        return serializer_class(data, many=many).data
    if many:
        return [_apply(plan, item) for item in data]
    return _apply(plan, data)


_Plan = tuple[serializers.Serializer, list[tuple[str, str, Any]]]
_plans: dict[type[serializers.Serializer], _Plan | None] = {}


def _plan(serializer_class: type[serializers.Serializer]) -> _Plan | None:
    if serializer_class not in _plans:
        _plans[serializer_class] = _plan_of(serializer_class())
    return _plans[serializer_class]


def _plan_of(serializer: serializers.Serializer) -> _Plan | None:
    """The serializer's readable fields as (name, kind, how), or None if one is not a plain same-name field.

    None too when the serializer or a field changes how DRF reads or renders a value (its own to_representation
    on a serializer, get_attribute on a field, a list serializer of its own): DRF then renders the whole of it,
    so that whatever such an override does (a redaction, say) is never skipped.
    """
    if type(serializer).to_representation is not serializers.Serializer.to_representation:
        return None
    steps: list[tuple[str, str, Any]] = []
    for name, field in serializer.fields.items():
        if field.write_only:
            continue
        if field.source != name or isinstance(
            field, serializers.SerializerMethodField | serializers.HiddenField
        ):
            return None
        if type(field).get_attribute is not serializers.Field.get_attribute:
            return None
        if isinstance(field, serializers.ListSerializer):
            if type(field) is not serializers.ListSerializer:
                return None
            child = _plan_of(field.child)
            if child is None:
                return None
            steps.append((name, "many", child))
        elif isinstance(field, serializers.Serializer):
            nested = _plan_of(field)
            if nested is None:
                return None
            steps.append((name, "one", nested))
        else:
            steps.append((name, "value", field.to_representation))
    return serializer, steps


def _apply(plan: _Plan, item: Any) -> Any:
    serializer, steps = plan
    if not isinstance(item, dict) or any(name not in item for name, _kind, _how in steps):
        # Not a presenter's dict, or a key left out (a default, a skipped field): DRF's own rules decide.
        return serializer.to_representation(item)
    out = {}
    for name, kind, how in steps:
        value = item[name]
        if value is None:
            out[name] = None
        elif kind == "value":
            out[name] = how(value)
        elif kind == "one":
            out[name] = _apply(how, value)
        else:
            out[name] = [_apply(how, x) for x in value]
    return out
