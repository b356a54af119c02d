"""Form widgets that render fast: the search and case pages have hundreds of options in their selects."""

from __future__ import annotations

import html
import time
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.utils.safestring import mark_safe
from django.utils.translation import get_language


def _attrs(attrs: dict[str, Any]) -> str:
    # As Django's attrs.html: True gives a bare attribute; False and None leave it out. Every part escaped.
    return "".join(
        f" {html.escape(str(name))}"
        if value is True
        else f' {html.escape(str(name))}="{html.escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False and value is not None
    )


class QuickSelect(forms.Select):
    """A select that writes its options in Python.

    The gazetteer and the vocabularies give the search and case forms hundreds of options, and Django renders
    each through the template engine: that was most of the search page's time. The HTML is that of Django's
    select.html and select_option.html (option groups are not used here), every value and label escaped.
    """

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> str:
        selected_values = self.format_value(value)
        options = []
        has_selected = False
        for option_value, label in self.choices:
            if option_value is None:
                option_value = ""
            # As ChoiceWidget.optgroups: only the first option with the value is selected.
            selected = not has_selected and str(option_value) in selected_values
            has_selected |= selected
            options.append(
                f'<option value="{html.escape(str(option_value))}"{" selected" if selected else ""}>'
                f"{html.escape(str(label))}</option>"
            )
        built = self.build_attrs(self.attrs, attrs)
        body = "\n  ".join(options)
        return mark_safe(  # noqa: S308 - built from escaped parts only
            f'<select name="{html.escape(name)}"{_attrs(built)}>\n  {body}\n</select>'
        )


class ListedChoices(forms.models.ModelChoiceIterator):
    """Read the choices with one plain query: Django's ``.iterator()`` opens a server-side cursor on
    PostgreSQL (three round trips per field).

    A field with ``keep_choices`` (the vocabularies and the gazetteer: reference data that changes with an
    import, not with each record) has its choices kept by each process for ``HAVEN_CHOICES_KEPT_SECONDS``, by
    query and language: the search form's 440 options were a third of its page's time, read and labelled anew for each
    request. A choice retired meanwhile is still offered for that time; the form's validation, which asks
    the database, refuses it.
    """

    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        seconds = settings.HAVEN_CHOICES_KEPT_SECONDS if getattr(self.field, "keep_choices", False) else 0
        if not seconds:
            for obj in self.queryset:
                yield self.choice(obj)
            return
        try:
            sql, params = self.queryset.query.sql_with_params()
        except EmptyResultSet:  # nothing can match (.none()): Django asks the database nothing
            return
        # The field's class too: two fields may list the same query with labels of their own.
        key = (type(self.field).__qualname__, self.field.to_field_name, sql, tuple(params), get_language())
        now = time.monotonic()
        kept = _kept_choices.get(key)
        if kept is None or now - kept[0] > seconds:
            listed = [
                (self.field.prepare_value(obj), self.field.label_from_instance(obj)) for obj in self.queryset
            ]
            kept = (now, listed)
            _kept_choices[key] = kept
        yield from kept[1]


# Choices kept by ListedChoices: (field class, to_field_name, query, parameters, language) -> (when read,
# [(value, label)]). A few dozen entries at most (one per choice field and language), so never pruned.
_kept_choices: dict[tuple[Any, ...], tuple[float, list[tuple[Any, str]]]] = {}
