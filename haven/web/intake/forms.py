"""The intake form: a testimony's source, events, acts and involvements, with a person picker for each person.

The page is one HTML form made of Django forms with prefixes:

- ``src``: the source's account (Information): compartment, confidentiality, connection, interview date…
- ``src-person``: who the source is (a recorded person, or a new one);
- ``event-<i>``: the events (a formset);
- ``act-<j>``: the acts (a formset); ``act-<j>-event`` is the index of its event, and ``act-<j>-victim``
  the picker of its victim (the source, a recorded person, or a new one);
- ``inv-<k>``: perpetrators' involvements (a formset); ``inv-<k>-act`` is the index of its act, and
  ``inv-<k>-perp`` the picker of the perpetrator.

A draft is exactly these fields as posted, so a draft and a submitted form are read the same way.
:meth:`Testimony.to_input` turns a valid form into :class:`haven.records.services.TestimonyInput`.
"""

from __future__ import annotations

import calendar
import html
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseFormSet, formset_factory
from django.forms.utils import flatatt
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from haven.accounts import policy
from haven.accounts.models import Compartment
from haven.analytics.korean import contains_hangul
from haven.lib.dates import DateParseError, ImpreciseDate, Precision
from haven.places.models import Location, LocationKind
from haven.records.models import Confidentiality, Consent, NameKind, Person, Sex
from haven.records.services import (
    ActInput,
    EventInput,
    InformationInput,
    InvolvementInput,
    NameInput,
    NewPerson,
    PersonSpec,
    TestimonyInput,
    persons_likely_same,
)
from haven.vocab.models import Term
from haven.web.intake.typeahead import VOCABULARIES

MAX_EVENTS = 20
MAX_ACTS = 60
MAX_INVOLVEMENTS = 120

# --- imprecise dates, as documenters write them ---------------------------------------------------------

# Seasons and parts of a year, in English and Korean: "spring 2009?", "2009년 봄", "early 2010", "2010년 말".
# They are estimates by nature. (Month ranges; winter runs from December into the next year.)
_PERIODS: dict[str, tuple[int, int]] = {
    "spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "fall": (9, 11), "winter": (12, 14),
    "early": (1, 4), "mid": (5, 8), "middle of": (5, 8), "late": (9, 12), "end of": (9, 12),
    "봄": (3, 5), "여름": (6, 8), "가을": (9, 11), "겨울": (12, 14),
    "초": (1, 4), "초반": (1, 4), "중반": (5, 8), "말": (9, 12), "후반": (9, 12), "하반기": (7, 12), "상반기": (1, 6),
}  # fmt: skip
_PERIOD_WORDS = "|".join(sorted((re.escape(w) for w in _PERIODS), key=len, reverse=True))
_PERIOD_BEFORE = re.compile(rf"^(?P<word>{_PERIOD_WORDS})\s+(?:of\s+)?(?P<year>\d{{4}})\s*(?P<q>\?)?$", re.I)
_PERIOD_AFTER = re.compile(
    rf"^(?P<year>\d{{4}})\s*년?\s*(?P<word>{_PERIOD_WORDS})\s*(?P<q>\?|경|쯤|무렵)?$", re.I
)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_date_text(text: str | None) -> ImpreciseDate:
    """Parse what :meth:`ImpreciseDate.parse` reads, plus seasons and parts of a year ("spring 2009?")."""
    raw = (text or "").strip()
    match = _PERIOD_BEFORE.match(raw) or _PERIOD_AFTER.match(raw)
    if match:
        year = int(match["year"])
        first, last = _PERIODS[match["word"].lower()]
        if not 1000 <= year <= 2998:
            raise DateParseError(f"year {year} is out of range")
        end_year, end_month = (year + 1, last - 12) if last > 12 else (year, last)
        return ImpreciseDate(date(year, first, 1), _month_end(end_year, end_month), Precision.ESTIMATED)
    return ImpreciseDate.parse(raw)


class DateTextField(forms.CharField):
    """An imprecise date typed as text; cleans to an :class:`ImpreciseDate` (unknown when left empty)."""

    default_help = _(
        "For example 2010, 2010-03, 2010-03-05, c. 2009, spring 2009?, 2009..2010 or 2010년 3월."
    )

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 60)
        kwargs.setdefault("help_text", self.default_help)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> ImpreciseDate:  # type: ignore[override]
        text = super().clean(value)
        try:
            return parse_date_text(text)
        except (DateParseError, ValueError):
            raise ValidationError(
                _(
                    "“%(text)s” is not a date Haven can read. Write it like 2010, 2010-03, c. 2009 or 2009..2010."
                ),
                code="date",
                params={"text": text},
            ) from None


# --- choices, read once per request ---------------------------------------------------------------------


def _indent(depth: int) -> str:
    return "— " * max(depth, 0)


class IntakeChoices:
    """The choices of the intake's vocabulary, place and compartment fields, read once per request."""

    def __init__(self, user: Any) -> None:
        terms = list(
            Term.objects.filter(vocabulary__code__in=VOCABULARIES, retired=False)
            .select_related("vocabulary")
            .order_by("vocabulary__code", "path")
        )
        self.terms: dict[int, Term] = {t.pk: t for t in terms}
        self.term_choices: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for t in terms:
            self.term_choices[t.vocabulary.code].append((t.pk, f"{_indent(t.depth - 1)}{t.label}"))
        places = list(Location.objects.order_by("path"))
        self.places: dict[int, Location] = {p.pk: p for p in places}
        self.place_choices = [(p.pk, f"{_indent(p.path.count('/') - 2)}{p.name}") for p in places]
        self.facility_choices = [(p.pk, p.name) for p in places if p.kind == LocationKind.DETENTION_FACILITY]
        self.compartments: dict[int, Compartment] = {
            c.pk: c
            for c in Compartment.objects.filter(pk__in=policy.compartment_ids(user))
            .select_related("organisation")
            .order_by("code")
        }
        cleared = policy.clearance(user)
        self.confidentiality = [(v, label) for v, label in Confidentiality.choices if v in cleared]
        self.group_unit = Term.objects.filter(vocabulary__code="counting-units", code="03").first()
        self._with_empty: dict[str, list[tuple[Any, str]]] = {}

    def with_empty(self, key: str, values: list[tuple[int, str]]) -> list[tuple[Any, str]]:
        """Return ``values`` after an empty choice, built once per request for every field that uses it."""
        if key not in self._with_empty:
            self._with_empty[key] = [("", "—"), *values]
        return self._with_empty[key]

    def term(self, pk: int | None) -> Term | None:
        return self.terms.get(pk) if pk is not None else None

    def place(self, pk: int | None) -> Location | None:
        return self.places.get(pk) if pk is not None else None


class FastSelect(forms.Select):
    """A select rendered in Python, not one template per option: the intake has hundreds of options per act.

    Django renders each option through a template, which costs about a millisecond per option here; a
    testimony with a few acts shows several thousand. The output is the same markup.
    """

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> str:
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        if self.allow_multiple_selected:
            final["multiple"] = True
        selected = set(self.format_value(value))
        esc = html.escape
        options = "".join(
            f'<option value="{esc(v)}"{" selected" if v in selected else ""}>{esc(str(label))}</option>'
            for v, label in ((("" if o is None else str(o)), label) for o, label in self.choices)
        )
        return mark_safe(f"<select{flatatt(final)}>{options}</select>")  # noqa: S308  (every value escaped)


def _preset(field: forms.ChoiceField, choices: list[tuple[Any, str]]) -> forms.ChoiceField:
    # The choices are built once per request (IntakeChoices) in Django's normalized form; assigning them
    # through ``field.choices`` would normalize them again for every field of every act.
    field._choices = field.widget.choices = choices  # type: ignore[attr-defined]
    return field


class FastSelectMultiple(FastSelect, forms.SelectMultiple):
    pass


def _term_field(
    choices: IntakeChoices, code: str, label: Any, *, required: bool = False, multiple: bool = False
) -> forms.Field:
    attrs = {
        "data-combobox": "terms",
        "data-source": f"{reverse('web:typeahead_terms')}?vocab={code}",
    }
    if multiple:
        field: forms.ChoiceField = forms.TypedMultipleChoiceField(
            label=label, coerce=int, required=False, widget=FastSelectMultiple(attrs={**attrs, "size": 6})
        )
        return _preset(field, choices.term_choices[code])
    field = forms.TypedChoiceField(
        label=label, coerce=int, empty_value=None, required=required, widget=FastSelect(attrs=attrs)
    )
    return _preset(field, choices.with_empty(code, choices.term_choices[code]))


def _place_field(choices: IntakeChoices, label: Any, *, facility: bool = False) -> forms.Field:
    source = reverse("web:typeahead_places") + ("?kind=facility" if facility else "")
    field = forms.TypedChoiceField(
        label=label,
        coerce=int,
        empty_value=None,
        required=False,
        widget=FastSelect(attrs={"data-combobox": "places", "data-source": source}),
    )
    if facility:
        return _preset(field, choices.with_empty("facilities", choices.facility_choices))
    return _preset(field, choices.with_empty("places", choices.place_choices))


class IntakeForm(forms.Form):
    """A part of the intake page: no browser-side "required" (a draft may be incomplete), accessible errors."""

    use_required_attribute = False
    required_css_class = "required"

    def mark_for_render(self, *, show_errors: bool) -> None:
        """Point each control at its help text and, once submitted, at its errors (aria-describedby)."""
        for name, field in self.fields.items():
            bound = self[name]
            ids = []
            if field.help_text:
                ids.append(f"{bound.auto_id}-help")
            if show_errors and self.is_bound and bound.errors:
                ids.append(f"{bound.auto_id}-error")
                field.widget.attrs["aria-invalid"] = "true"
            if ids:
                field.widget.attrs["aria-describedby"] = " ".join(ids)
            if field.required:
                field.widget.attrs["aria-required"] = "true"


# --- the parts ------------------------------------------------------------------------------------------


class SourceForm(IntakeForm):
    compartment = forms.TypedChoiceField(label=_("Compartment"), coerce=int)
    confidentiality = forms.ChoiceField(label=_("Confidentiality"), initial=Confidentiality.CONFIDENTIAL)
    date = DateTextField(label=_("Interview date"))
    interviewer = forms.CharField(label=_("Interviewer"), max_length=200, required=False)
    consent = forms.ChoiceField(
        label=_("Consent to use"),
        choices=Consent.choices,
        initial=Consent.UNKNOWN,
        help_text=_("What the source agreed to: this decides how their account may be used."),
    )
    remarks = forms.CharField(label=_("Remarks"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, choices: IntakeChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["compartment"].choices = [  # type: ignore[attr-defined]
            *([] if len(choices.compartments) == 1 else [("", "—")]),
            *[(c.pk, f"{c.name} ({c.organisation})") for c in choices.compartments.values()],
        ]
        self.fields["confidentiality"].choices = choices.confidentiality  # type: ignore[attr-defined]
        self.fields["connection"] = _term_field(
            choices, "source-connections", _("Source's connection to the events"), required=True
        )
        self.fields["source_types"] = _term_field(
            choices, "source-types", _("Type of source material"), multiple=True
        )
        self.fields["language"] = _term_field(choices, "languages", _("Language of the interview"))
        self.fields["reliability"] = _term_field(choices, "reliability", _("Reliability"))
        self.order_fields(
            [
                "compartment",
                "confidentiality",
                "connection",
                "date",
                "interviewer",
                "language",
                "source_types",
                "consent",
                "reliability",
                "remarks",
            ]
        )


class EventForm(IntakeForm):
    title = forms.CharField(
        label=_("Title"),
        max_length=300,
        help_text=_("A short title without names, e.g. “Arrest in Yanji”."),
    )
    description = forms.CharField(
        label=_("What happened"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The narrative, without names or other identifying details: it is searchable."),
    )
    date = DateTextField(label=_("Date"))
    sensitive_notes = forms.CharField(
        label=_("Notes (sensitive)"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Identifying details; stored encrypted and shown only to roles that may see them."),
    )

    def __init__(self, *args: Any, choices: IntakeChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"] = _place_field(choices, _("Place"))
        self.order_fields(["title", "date", "location", "description", "sensitive_notes"])


class ActForm(IntakeForm):
    event = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    date = DateTextField(label=_("Date of the act"))
    victim_age = forms.IntegerField(
        label=_("Age of the victim at the time"), min_value=0, max_value=120, required=False
    )
    stated_reason = forms.CharField(
        label=_("Stated reason"), required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, choices: IntakeChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["act_type"] = _term_field(choices, "act-types", _("Type of act"), required=True)
        self.fields["methods"] = _term_field(choices, "methods", _("Methods"), multiple=True)
        self.fields["location"] = _place_field(choices, _("Place"))
        self.fields["facility"] = _place_field(choices, _("Detention facility"), facility=True)
        self.order_fields(
            ["event", "act_type", "date", "location", "facility", "methods", "victim_age", "stated_reason"]
        )


class InvolvementForm(IntakeForm):
    act = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    remarks = forms.CharField(
        label=_("Remarks"), required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, choices: IntakeChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["degree"] = _term_field(
            choices, "involvement-degrees", _("Degree of involvement"), required=True
        )
        self.fields["perpetrator_types"] = _term_field(
            choices, "perpetrator-types", _("Type of perpetrator"), multiple=True
        )
        self.order_fields(["act", "degree", "perpetrator_types", "remarks"])


SOURCE, EXISTING, NEW = "source", "existing", "new"
MODE_LABELS = {
    SOURCE: _("The source (the person interviewed)"),
    EXISTING: _("A person already recorded"),
    NEW: _("A new person"),
}


def _name_input(text: str, *, primary: bool, group: bool) -> NameInput:
    if group:
        kind = NameKind.OTHER
    elif contains_hangul(text):
        kind = NameKind.HANGUL
    elif any("\u4e00" <= ch <= "\u9fff" for ch in text):
        kind = NameKind.HANJA
    elif any(ch.isalpha() for ch in text):
        kind = NameKind.ROMANIZED
    else:
        kind = NameKind.OTHER
    return NameInput(text.strip(), kind, "", is_primary=primary)


class PersonPicker(IntakeForm):
    """Who a person of the testimony is: the source, a recorded person (type-ahead), or a new person."""

    mode = forms.ChoiceField(label=_("Who is it?"), widget=forms.RadioSelect)
    person = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    q = forms.CharField(
        label=_("Find a recorded person"),
        required=False,
        max_length=200,
        help_text=_(
            "Type a name in Hangul or any romanization (“Ri”, “Lee” and “리” all find 리/이), or a record number."
        ),
    )
    name = forms.CharField(
        label=_("Name as written"),
        required=False,
        max_length=300,
        help_text=_("In Hangul, hanja or any romanization."),
    )
    name_alt = forms.CharField(
        label=_("Another spelling"),
        required=False,
        max_length=300,
        help_text=_("For example the romanized name, or the name used in China."),
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, initial=Sex.UNKNOWN, required=False)
    birth = DateTextField(label=_("Date of birth"))
    group = forms.BooleanField(
        label=_("A group or institution (e.g. a unit of the security police), not one person"), required=False
    )
    dup_choice = forms.CharField(label=_("Possible existing person"), required=False, max_length=20)

    def __init__(self, *args: Any, modes: tuple[str, ...], allow_group: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.modes = modes
        self.fields["mode"].choices = [(m, MODE_LABELS[m]) for m in modes]  # type: ignore[attr-defined]
        self.fields["mode"].initial = modes[0]
        if not allow_group:
            del self.fields["group"]
        self.duplicates: list[tuple[Person, str, str]] = []  # (person, label, detail) of likely namesakes
        self.matches: list[tuple[Person, str, str]] = []  # results of a "find" without JavaScript
        self.chosen_label = ""

    @property
    def current_mode(self) -> str:
        value = self.data.get(self.add_prefix("mode")) if self.is_bound else None
        return value if value in self.modes else self.modes[0]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        mode = data.get("mode")
        if mode == EXISTING and not data.get("person"):
            self.add_error("q", _("Choose a person from the list (type part of a name to search)."))
        if mode == NEW and not (data.get("name") or "").strip() and not (data.get("name_alt") or "").strip():
            self.add_error("name", _("Give the person's name (in any script), or choose a recorded person."))
        return data

    def names(self) -> list[str]:
        return [
            t for t in (self.cleaned_data.get("name"), self.cleaned_data.get("name_alt")) if t and t.strip()
        ]

    def new_person(self, choices: IntakeChoices) -> NewPerson:
        group = bool(self.cleaned_data.get("group"))
        texts = self.names()
        birth = self.cleaned_data.get("birth")
        return NewPerson(
            names=tuple(_name_input(t, primary=i == 0, group=group) for i, t in enumerate(texts)),
            sex=self.cleaned_data.get("sex") or Sex.UNKNOWN,
            birth_date=birth if birth is not None and birth.is_known else None,
            counting_unit=choices.group_unit if group else None,
            ref=self.prefix or "",
        )


class _Formset(BaseFormSet):  # type: ignore[type-arg]
    """Every form counts, including ones added empty: an empty act is an error, not silently dropped."""

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        kwargs = dict(super().get_form_kwargs(index))
        if index is not None:
            kwargs["empty_permitted"] = False
            kwargs["use_required_attribute"] = False
        return kwargs


def _formset(form: type[forms.Form], maximum: int) -> type[BaseFormSet]:  # type: ignore[type-arg]
    return formset_factory(
        form,
        formset=_Formset,
        extra=0,
        can_delete=True,
        max_num=maximum,
        validate_max=True,
        absolute_max=maximum,
    )


EventFormSet = _formset(EventForm, MAX_EVENTS)
ActFormSet = _formset(ActForm, MAX_ACTS)
InvolvementFormSet = _formset(InvolvementForm, MAX_INVOLVEMENTS)


@dataclass
class ActNode:
    form: ActForm
    victim: PersonPicker
    involvements: list[tuple[InvolvementForm, PersonPicker]]

    @property
    def index(self) -> int:
        return int(getattr(self.form, "index", 0))

    @property
    def deleted(self) -> bool:
        return _deleted(self.form)


@dataclass
class EventNode:
    form: EventForm
    acts: list[ActNode]

    @property
    def index(self) -> int:
        return int(getattr(self.form, "index", 0))

    @property
    def deleted(self) -> bool:
        return _deleted(self.form)


def _index(form: forms.Form, name: str) -> int | None:
    raw = form.data.get(form.add_prefix(name)) if form.is_bound else form.initial.get(name)
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _deleted(form: forms.Form) -> bool:
    return form.is_bound and form.data.get(form.add_prefix("DELETE")) in ("on", "true", "1", "True")


class Testimony:
    """All the parts of one intake form, bound to the posted (or drafted) fields or empty."""

    def __init__(self, user: Any, data: Any = None, *, choices: IntakeChoices | None = None) -> None:
        self.user = user
        self.choices = choices or IntakeChoices(user)
        c = self.choices
        bound = data is not None
        self.source = SourceForm(data, prefix="src", choices=c)
        self.source_person = PersonPicker(data, prefix="src-person", modes=(NEW, EXISTING))
        self.events = EventFormSet(
            data, prefix="event", form_kwargs={"choices": c}, initial=None if bound else [{}]
        )
        self.acts = ActFormSet(
            data, prefix="act", form_kwargs={"choices": c}, initial=None if bound else [{"event": 0}]
        )
        self.involvements = InvolvementFormSet(data, prefix="inv", form_kwargs={"choices": c})
        for formset in (self.events, self.acts, self.involvements):
            for i, form in enumerate(formset.forms):
                form.index = i
        self.victims = [
            PersonPicker(data, prefix=f"act-{i}-victim", modes=(SOURCE, NEW, EXISTING))
            for i in range(len(self.acts.forms))
        ]
        self.perpetrators = [
            PersonPicker(data, prefix=f"inv-{k}-perp", modes=(NEW, EXISTING), allow_group=True)
            for k in range(len(self.involvements.forms))
        ]
        self.errors: list[str] = []  # problems that belong to no one field
        self._duplicates_done = False

    # --- structure ---

    def pickers(self) -> list[PersonPicker]:
        return [self.source_person, *self.victims, *self.perpetrators]

    def all_forms(self) -> list[forms.Form]:
        return [
            self.source,
            *self.events.forms,
            *self.acts.forms,
            *self.involvements.forms,
            *self.pickers(),
        ]

    def tree(self) -> list[EventNode]:
        """Return events with their acts and acts with their involvements, in form order, for display.

        An act whose event index is missing or wrong is shown under the first event (and refused on submit),
        so nothing typed is ever hidden.
        """
        events = [EventNode(f, []) for f in self.events.forms]
        acts = []
        for act, victim in zip(self.acts.forms, self.victims, strict=True):
            node = ActNode(act, victim, [])
            acts.append(node)
            i = _index(act, "event")
            if events:
                events[i if i is not None and 0 <= i < len(events) else 0].acts.append(node)
        for inv, perp in zip(self.involvements.forms, self.perpetrators, strict=True):
            k = _index(inv, "act")
            if acts:
                acts[k if k is not None and 0 <= k < len(acts) else 0].involvements.append((inv, perp))
        return events

    def mark_for_render(self, *, show_errors: bool) -> None:
        for form in self.all_forms():
            if isinstance(form, IntakeForm):
                form.mark_for_render(show_errors=show_errors)

    # --- validation ---

    def is_valid(self) -> bool:
        """Validate the parts that will be submitted: removed events, acts and involvements (and the acts and
        involvements under a removed one) are skipped, whatever they hold."""
        ok = self.source.is_valid()
        for formset in (self.events, self.acts, self.involvements):
            self.errors += [str(e) for e in formset.non_form_errors()]
        for form in self._kept_forms():
            ok = form.is_valid() and ok
        if not self._kept_events():
            self.errors.append(str(_("A testimony needs at least one event.")))
        return ok and not self.errors

    def _kept_events(self) -> list[int]:
        return [i for i, f in enumerate(self.events.forms) if not _deleted(f)]

    def _kept_acts(self) -> list[int]:
        """Acts not removed, nor under a removed event (an act pointing nowhere is kept, and refused)."""
        removed = {i for i, f in enumerate(self.events.forms) if _deleted(f)}
        return [
            j for j, f in enumerate(self.acts.forms) if not _deleted(f) and _index(f, "event") not in removed
        ]

    def _kept_involvements(self) -> list[int]:
        kept = set(self._kept_acts())
        removed = {j for j in range(len(self.acts.forms)) if j not in kept}
        return [
            k
            for k, f in enumerate(self.involvements.forms)
            if not _deleted(f) and _index(f, "act") not in removed
        ]

    def _kept_pickers(self) -> list[PersonPicker]:
        return [
            self.source_person,
            *(self.victims[j] for j in self._kept_acts()),
            *(self.perpetrators[k] for k in self._kept_involvements()),
        ]

    def _kept_forms(self) -> list[forms.Form]:
        return [
            self.source,
            *(self.events.forms[i] for i in self._kept_events()),
            *(self.acts.forms[j] for j in self._kept_acts()),
            *(self.involvements.forms[k] for k in self._kept_involvements()),
            *self._kept_pickers(),
        ]

    def has_errors(self) -> bool:
        return bool(self.errors) or any(form.errors for form in self._kept_forms())

    def find_duplicates(self, *, require_choice: bool) -> int:
        """Look for recorded persons like each new person, in the compartments the user may see.

        With ``require_choice`` (on submit), a new person with likely namesakes needs a decision in
        ``dup_choice``: one of them, or "new". Return how many lookups were made (the caller audits them
        as one search).
        """
        if self._duplicates_done:
            return 0
        self._duplicates_done = True
        lookups = 0
        for picker in self._kept_pickers():
            if not picker.is_valid() or picker.cleaned_data.get("mode") != NEW:
                continue
            if picker.cleaned_data.get("group") or not picker.names():
                continue  # "the security police of Onsong" is nobody's namesake
            lookups += 1
            self.duplicates_of(self.user, picker)
            choice = picker.cleaned_data.get("dup_choice") or ""
            valid_choices = {"new", *(str(p.pk) for p, _l, _d in picker.duplicates)}
            if require_choice and picker.duplicates and choice not in valid_choices:
                picker.add_error(
                    "dup_choice",
                    _(
                        "A person like this may already be recorded: choose them, or confirm this is a new person."
                    ),
                )
        return lookups

    @staticmethod
    def duplicates_of(user: Any, picker: PersonPicker) -> None:
        """Set ``picker.duplicates`` to the recorded persons likely the same as the new person it describes."""
        found = persons_likely_same(
            policy.visible(user, Person.objects.all()),
            names=picker.names(),
            sex=picker.cleaned_data.get("sex") or Sex.UNKNOWN,
            birth_date=picker.cleaned_data.get("birth"),
        )
        picker.duplicates = describe_persons(user, found)

    def to_input(self) -> TestimonyInput | None:
        """Return the testimony for the service, or None after adding errors to the forms."""
        c = self.choices
        s = self.source.cleaned_data
        compartment = c.compartments.get(s["compartment"])
        if compartment is None:
            self.source.add_error("compartment", _("Choose a compartment from the list."))
            return None
        specs: dict[str, PersonSpec] = {}
        failed = False
        for picker in self._kept_pickers():
            spec = self._spec(picker, specs.get("src-person"))
            if spec is None:
                failed = True
            else:
                specs[picker.prefix or ""] = spec
        if failed:
            return None
        info = InformationInput(
            source=specs["src-person"],
            connection=c.term(s["connection"]),  # type: ignore[arg-type]
            source_types=[c.terms[pk] for pk in s.get("source_types") or [] if pk in c.terms],
            language=c.term(s.get("language")),
            reliability=c.term(s.get("reliability")),
            date=s["date"],
            interviewer=s.get("interviewer") or "",
            consent=s["consent"],
            remarks=s.get("remarks") or "",
            ref="src",
        )
        kept_events = self._kept_events()
        position = {i: n for n, i in enumerate(kept_events)}
        events = []
        for i in kept_events:
            e = self.events.forms[i].cleaned_data
            events.append(
                EventInput(
                    title=e["title"],
                    description=e.get("description") or "",
                    date=e["date"],
                    location=c.place(e.get("location")),
                    sensitive_notes=e.get("sensitive_notes") or None,
                    ref=f"event-{i}",
                )
            )
        acts: dict[int, ActInput] = {}
        for j in self._kept_acts():
            form = self.acts.forms[j]
            a = form.cleaned_data
            acts[j] = ActInput(
                event=position.get(a["event"], -1),
                victim=specs[f"act-{j}-victim"],
                act_type=c.term(a["act_type"]),  # type: ignore[arg-type]
                methods=[c.terms[pk] for pk in a.get("methods") or [] if pk in c.terms],
                date=a["date"],
                location=c.place(a.get("location")),
                facility=c.place(a.get("facility")),
                victim_age=a.get("victim_age"),
                stated_reason=a.get("stated_reason") or "",
                ref=f"act-{j}",
            )
        for k in self._kept_involvements():
            v = self.involvements.forms[k].cleaned_data
            act = acts.get(v["act"])
            if act is None:
                self.involvements.forms[k].add_error(
                    None, _("This involvement belongs to no act of the testimony.")
                )
                return None
            act.involvements.append(
                InvolvementInput(
                    perpetrator=specs[f"inv-{k}-perp"],
                    degree=c.term(v["degree"]),  # type: ignore[arg-type]
                    perpetrator_types=[
                        c.terms[pk] for pk in v.get("perpetrator_types") or [] if pk in c.terms
                    ],
                    remarks=v.get("remarks") or "",
                    ref=f"inv-{k}",
                )
            )
        return TestimonyInput(
            compartment=compartment,
            information=info,
            events=events,
            acts=list(acts.values()),
            confidentiality=s["confidentiality"],
        )

    def _spec(self, picker: PersonPicker, source: PersonSpec | None) -> PersonSpec | None:
        data = picker.cleaned_data
        mode = data.get("mode")
        if mode == SOURCE:
            return source
        if mode == NEW:
            choice = data.get("dup_choice") or ""
            if choice.isdigit() and choice in {str(p.pk) for p, _l, _d in picker.duplicates}:
                return next(p for p, _l, _d in picker.duplicates if str(p.pk) == choice)
            return picker.new_person(self.choices)
        person = Person.objects.filter(pk=data.get("person")).first()
        if person is None or not policy.can_view(self.user, person):
            picker.add_error("q", _("There is no such person, or you may not see them."))
            return None
        return person

    def add_service_errors(self, error: ValidationError) -> None:
        """Put each message of the service's ValidationError ("<ref>-<field>") on its form and field."""
        forms_by_prefix = {f.prefix: f for f in self.all_forms() if f.prefix}
        for key, messages in error.message_dict.items():
            target, field = None, None
            for prefix in sorted(forms_by_prefix, key=len, reverse=True):
                if key.startswith(prefix + "-"):
                    target, field = forms_by_prefix[prefix], key[len(prefix) + 1 :]
                    break
            for message in messages:
                if target is None:
                    self.errors.append(message)
                    continue
                if isinstance(target, PersonPicker) and field == "person":
                    field = "q"
                if field not in target.fields:
                    field = None
                target.add_error(field, message)

    def error_summary(self) -> list[dict[str, str]]:
        """Return every problem with the id of the control to jump to, in page order."""
        out = [{"id": "intake-form", "label": "", "message": m} for m in self.errors]
        for form in self.all_forms():
            if not form.is_bound or not hasattr(form, "cleaned_data"):
                continue
            for name, errors in form.errors.items():
                if name == "__all__":
                    anchor = f"{form.prefix}-section" if form.prefix else "intake-form"
                    out += [{"id": anchor, "label": "", "message": m} for m in errors]
                    continue
                bound = form[name]
                anchor = bound.auto_id
                if isinstance(form, PersonPicker) and name == "dup_choice":
                    anchor = f"{form.prefix}-duplicates"
                out += [{"id": anchor, "label": str(bound.label or ""), "message": m} for m in errors]
        return out


def describe_persons(user: Any, persons: list[Person]) -> list[tuple[Person, str, str]]:
    from haven.web.intake.typeahead import person_detail, person_label

    return [(p, person_label(user, p), person_detail(user, p)) for p in persons]
