"""Forms at the boundary: the parameters of reference charts and of report generation."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from haven.reports import refcharts


def _year_choices(years: list[int]) -> list[tuple[str, str]]:
    return [(str(y), str(y)) for y in years]


class ArrivalsForm(forms.Form):
    first = forms.TypedChoiceField(label=gettext_lazy("From"), coerce=int, required=False)
    last = forms.TypedChoiceField(label=gettext_lazy("To"), coerce=int, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        years = _year_choices(refcharts.arrival_years())
        for name in ("first", "last"):
            self.fields[name].choices = [("", "—"), *years]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        first, last = data.get("first"), data.get("last")
        if first not in (None, "") and last not in (None, "") and first > last:
            self.add_error("last", _("The last year must not be before the first."))
        return data


class ChangeForm(forms.Form):
    """Two year ranges of the arrivals series to compare."""

    a_first = forms.TypedChoiceField(label=gettext_lazy("Period A from"), coerce=int)
    a_last = forms.TypedChoiceField(label=gettext_lazy("Period A to"), coerce=int)
    b_first = forms.TypedChoiceField(label=gettext_lazy("Period B from"), coerce=int)
    b_last = forms.TypedChoiceField(label=gettext_lazy("Period B to"), coerce=int)

    DEFAULT = {"a_first": "2010", "a_last": "2014", "b_first": "2020", "b_last": "2024"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        years = _year_choices(refcharts.arrival_years())
        for name in ("a_first", "a_last", "b_first", "b_last"):
            self.fields[name].choices = years

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for prefix, name in (("a", _("Period A")), ("b", _("Period B"))):
            first, last = data.get(f"{prefix}_first"), data.get(f"{prefix}_last")
            if isinstance(first, int) and isinstance(last, int) and first > last:
                self.add_error(
                    f"{prefix}_last",
                    _("%(period)s: the last year must not be before the first.") % {"period": name},
                )
        return data


class AsylumForm(forms.Form):
    year = forms.TypedChoiceField(label=gettext_lazy("Year"), coerce=int)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.years = refcharts.asylum_years()
        self.fields["year"].choices = _year_choices(list(reversed(self.years)))


LANGUAGE_CHOICES = [("en", "English"), ("ko", "한국어")]
FORMAT_CHOICES = [("pdf", "PDF"), ("html", "HTML")]


class _ReportForm(forms.Form):
    first_year = forms.IntegerField(
        label=gettext_lazy("From year"), required=False, min_value=1945, max_value=2100
    )
    last_year = forms.IntegerField(
        label=gettext_lazy("To year"), required=False, min_value=1945, max_value=2100
    )
    lang = forms.ChoiceField(label=gettext_lazy("Language of the report"), choices=LANGUAGE_CHOICES)
    fmt = forms.ChoiceField(label=gettext_lazy("Format"), choices=FORMAT_CHOICES)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        first, last = data.get("first_year"), data.get("last_year")
        if first is not None and last is not None and first > last:
            self.add_error("last_year", _("The last year must not be before the first."))
        return data


class OrganisationReportForm(_ReportForm):
    organisation = forms.ChoiceField(label=gettext_lazy("Organisation"))
    field_order = ["organisation", "first_year", "last_year", "lang", "fmt"]

    def __init__(self, *args: Any, organisations: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [(o.code, str(o)) for o in organisations]


class TransitReportForm(_ReportForm):
    country = forms.ChoiceField(label=gettext_lazy("Country"))
    field_order = ["country", "first_year", "last_year", "lang", "fmt"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from haven.reports.services import TRANSIT_COUNTRIES

        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [
            (c, refcharts.country_name(refcharts.iso3_for(c) or c)) for c in TRANSIT_COUNTRIES
        ]


class DossierForm(forms.Form):
    person = forms.IntegerField(label=gettext_lazy("Person number"), min_value=1)
    lang = forms.ChoiceField(label=gettext_lazy("Language of the report"), choices=LANGUAGE_CHOICES)
    fmt = forms.ChoiceField(label=gettext_lazy("Format"), choices=FORMAT_CHOICES)
