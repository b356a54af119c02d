"""Reference-data selects keep their choices for a while in each process; others read them every time."""

from __future__ import annotations

import pytest
from django import forms
from django.utils import translation

from haven.lib import widgets
from haven.vocab.models import Term

pytestmark = pytest.mark.django_db


class TermField(forms.ModelChoiceField):  # type: ignore[type-arg]
    widget = widgets.QuickSelect
    iterator = widgets.ListedChoices
    keep_choices = True

    def label_from_instance(self, obj: Term) -> str:
        return obj.label


def _options(field: forms.ModelChoiceField) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(str(v), str(label)) for v, label in field.choices]


def test_kept_choices_are_read_once_per_period_and_language(settings, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    settings.HAVEN_CHOICES_KEPT_SECONDS = 60
    widgets._kept_choices.clear()
    terms = Term.objects.filter(vocabulary__code="act-types", retired=False).order_by("path")

    def field() -> TermField:  # a new one for each request, as forms are
        return TermField(queryset=terms, empty_label="Any")

    with django_assert_num_queries(1):
        first = _options(field())
    with django_assert_num_queries(0):
        assert _options(field()) == first
    assert first[0] == ("", "Any") and len(first) == terms.count() + 1
    with translation.override("ko"), django_assert_num_queries(1):
        korean = _options(field())
    assert korean != first and [v for v, _ in korean] == [v for v, _ in first]
    # Past the period they are read again.
    key = next(iter(widgets._kept_choices))
    when, choices = widgets._kept_choices[key]
    widgets._kept_choices[key] = (when - 61, choices)
    with django_assert_num_queries(1):
        _options(field())


def test_without_a_period_choices_are_read_every_time(settings, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    settings.HAVEN_CHOICES_KEPT_SECONDS = 0  # the tests' default
    terms = Term.objects.filter(vocabulary__code="act-types").order_by("path")
    for _ in range(2):
        with django_assert_num_queries(1):
            _options(TermField(queryset=terms))
    field = TermField(queryset=terms)
    html = field.widget.render("act_type", None)
    assert html.count("<option") == len(_options(field))


@pytest.mark.parametrize(
    "widget",
    [
        forms.Select(choices=[("", "Any"), ("a", 'A <b>&"x"'), ("b", "두만강")]),
        forms.Select(choices=[("Korea", [("kp", "North"), ("kr", "South")]), ("x", "Other")]),
        forms.SelectMultiple(choices=[("a", "A"), ("b", "it's"), ("c", "C")], attrs={"size": 3}),
        forms.RadioSelect(choices=[("yes", "Yes"), ("no", "No <really>")]),
        forms.CheckboxSelectMultiple(choices=[("Group", [("1", "One"), ("2", "Two")]), ("3", "Three")]),
    ],
    ids=["select", "optgroups", "multiple", "radio", "checkboxes"],
)
@pytest.mark.parametrize("value", [None, "a", ["b", "c"], "kp", "no", ["1", "3"]])
def test_the_inline_widget_templates_write_what_djangos_own_write(
    widget: forms.Widget, value: object
) -> None:
    """haven/templates/django/forms/widgets/ write options inline (the project's renderer finds them first);
    apart from whitespace between tags, the HTML must be Django's."""
    import re

    from django.forms.renderers import DjangoTemplates

    attrs = {"id": "id_f", "aria-describedby": "f-help", "required": True, "disabled": False, "data-x": None}

    def squeeze(
        html: str,
    ) -> str:  # whitespace a browser shows alike (Django's ends each option with a newline)
        return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()

    ours = widget.render("f", value, attrs=attrs)
    djangos = widget.render("f", value, attrs=attrs, renderer=DjangoTemplates())
    assert squeeze(ours) == squeeze(djangos)


def test_the_same_query_in_two_fields_keeps_each_fields_own_labels(settings) -> None:  # type: ignore[no-untyped-def]
    settings.HAVEN_CHOICES_KEPT_SECONDS = 60
    widgets._kept_choices.clear()

    class Indented(TermField):
        def label_from_instance(self, obj: Term) -> str:
            return f"— {obj.label}"

    terms = Term.objects.filter(vocabulary__code="act-types").order_by("path")
    plain = _options(TermField(queryset=terms))
    indented = _options(Indented(queryset=terms))
    assert plain != indented and all(label.startswith("— ") for value, label in indented if value)
    assert _options(TermField(queryset=terms.none())) == [("", "---------")]  # nothing else to list, no error
