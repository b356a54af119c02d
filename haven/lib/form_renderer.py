"""The form renderer: Django's plain widgets written in Python, every other template through the template engine.

A case page renders about 85 widgets and a list page's filter form six or more. Through the template engine each
one costs a template render with its includes (input.html, attrs.html): a quarter of the case page's time and a
tenth of the case list's. For the widgets below the renderer writes the same HTML in Python, from the same
context the template would get.

Same HTML is the contract, and it is kept two ways:
- a widget is written in Python only while its template, and every template it includes, has exactly the source
  the Python was written from (``_SOURCE_SHA256``, checked once per process, and again after the development
  server sees a file change). An upgrade of Django or an edit of Haven's own widget templates changes a source,
  and that widget goes back to its template: slower, never different. ``haven/lib/tests/test_form_renderer.py``
  fails until the Python is brought up to date;
- a value the template would treat in a way of its own (a callable it would call, a number or date it would
  localise, option groups that are not lists, an attribute named "items") sends that widget to its template too
  (``_Unsupported``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.dispatch import receiver
from django.forms.renderers import TemplatesSetting
from django.template import TemplateDoesNotExist
from django.utils.autoreload import file_changed
from django.utils.functional import Promise
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData

_INPUT = "django/forms/widgets/input.html"
_ATTRS = "django/forms/widgets/attrs.html"
_MULTIPLE_INPUT = "django/forms/widgets/multiple_input.html"
_ONLY_INCLUDES_INPUT = "7d7a5bc4ccc075bbff6af7d60b9e3ae200f68c59e0f77d44abbbf36f3cb5fb20"
_ONLY_INCLUDES_MULTIPLE_INPUT = "fa86f6eaeaa6beb1143193d0aba900a8ae0a064d986474c259608ce819da2f4c"
_INPUT_OPTION = "django/forms/widgets/input_option.html"
_ONLY_INCLUDES_INPUT_OPTION = "536745b405ef3a7fde2b8a24d283ba070284fb7fa3a3325ba066a1fcf4052d53"
_SELECT_OPTION = "django/forms/widgets/select_option.html"

# The templates that only include input.html.
_INPUT_TYPES = (
    "checkbox",
    "color",
    "date",
    "datetime",
    "email",
    "hidden",
    "number",
    "password",
    "search",
    "tel",
    "text",
    "time",
    "url",
)

# The sources the Python writers follow: SHA-256 of each template as the engine finds it. select.html and
# multiple_input.html are Haven's own (haven/templates/django/forms/widgets/); the others are Django 5.2's.
_SOURCE_SHA256 = {
    _INPUT: "770cf3acba1c18b65021a19efbf5fc93bcfcee357a005b67dbc2e2967527507d",
    _ATTRS: "f729483efe44660fabc76a8f2e0a1b464c3a66afd625233c92dd74e8fa5261ad",
    "django/forms/widgets/textarea.html": "02fd58fa1a57514d808eb867522be064528d04b7700926527ae4a60aa9829030",
    "django/forms/widgets/select.html": "319eb12e774225fd7f5177fe670c6350c56fa36d021560f5ce09a874dfac4f2f",
    _MULTIPLE_INPUT: "16b9ef62d1ffbe6c5677a85a05cc7481eb5446b2cfdd8f826315ac398aa882a2",
    "django/forms/widgets/radio.html": _ONLY_INCLUDES_MULTIPLE_INPUT,
    "django/forms/widgets/checkbox_select.html": _ONLY_INCLUDES_MULTIPLE_INPUT,
    # One option of a radio or check box field, rendered alone ({{ box.tag }} in a template's own loop).
    _INPUT_OPTION: "3f244d9fd96613d0dad3e44adfbcd6e322595128895a020f094f68bb9a140b6f",
    "django/forms/widgets/radio_option.html": _ONLY_INCLUDES_INPUT_OPTION,
    "django/forms/widgets/checkbox_option.html": _ONLY_INCLUDES_INPUT_OPTION,
    _SELECT_OPTION: "37fa6c7742580aa361c767a1da8caf905d8a53676feccf66b4cc3fe012d8abc0",
    **{f"django/forms/widgets/{kind}.html": _ONLY_INCLUDES_INPUT for kind in _INPUT_TYPES},
}


class _Unsupported(Exception):
    """A value the template would handle in a way the Python does not copy: render with the template."""


def _text(value: Any) -> str:
    """``{{ value|stringformat:'s' }}``: the value as text, escaped unless it is already safe."""
    if callable(value):
        raise _Unsupported
    if isinstance(value, tuple):
        value = str(value)
    try:
        text = "%s" % value  # noqa: UP031 - stringformat's own operation
    except (TypeError, ValueError):
        return ""  # as stringformat
    return text if isinstance(value, SafeData) else escape(text)


def _shown(value: Any) -> str:
    """``{{ value }}`` for text: escaped unless safe. Numbers and dates would be localised: not copied here."""
    if isinstance(value, str):
        return conditional_escape(value)
    if isinstance(value, Promise):
        return conditional_escape(str(value))
    raise _Unsupported


def _attrs(attrs: dict[str, Any]) -> str:
    """attrs.html."""
    if "items" in attrs:
        raise _Unsupported  # the template's attrs.items would look up that key, not the dict's method
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {_shown(name)}" if value is True else f' {_shown(name)}="{_text(value)}"')
    return "".join(parts)


def _input(widget: dict[str, Any]) -> str:
    """input.html, and every widget template that only includes it."""
    value = widget["value"]
    shown_value = f' value="{_text(value)}"' if value != None else ""  # noqa: E711 - the template's own test
    return f'<input type="{_shown(widget["type"])}" name="{_shown(widget["name"])}"{shown_value}{_attrs(widget["attrs"])}>'


def _label_opening(option: dict[str, Any]) -> str:
    """The label an option's input is wrapped in, tied to the input's id if it has one."""
    label_for = option["attrs"].get("id")
    return f'<label for="{_shown(label_for)}">' if label_for else "<label>"


def _input_option(widget: dict[str, Any]) -> str:
    """input_option.html (radio_option.html and checkbox_option.html include it): one choice's input."""
    if not widget["wrap_label"]:
        return _input(widget)
    # input.html ends with a line break, which its include keeps inside the label.
    return f"{_label_opening(widget)}{_input(widget)}\n {_shown(widget['label'])}</label>"


def _select_option(widget: dict[str, Any]) -> str:
    """select_option.html."""
    return f'<option value="{_text(widget["value"])}"{_attrs(widget["attrs"])}>{_shown(widget["label"])}</option>'


def _textarea(widget: dict[str, Any]) -> str:
    """textarea.html."""
    value = widget["value"]
    return (
        f'<textarea name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{_shown(value) if value else ''}</textarea>"
    )


def _groups(widget: dict[str, Any]) -> list[Any]:
    """The widget's option groups, if they are lists (as Django's own ChoiceWidget makes them).

    Anything else (a generator of a widget of one's own) goes to the template before it is read, so that the
    template gets every option.
    """
    groups = widget["optgroups"]
    if not isinstance(groups, list) or not all(isinstance(g[1], list) for g in groups):
        raise _Unsupported
    return groups


def _select(widget: dict[str, Any]) -> str:
    """Haven's select.html (Django's, with select_option.html written inline)."""
    parts = [f'<select name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in _groups(widget):
        if group_name:
            parts.append(f'\n  <optgroup label="{_shown(group_name)}">')
        for option in group_choices:
            parts.append(f"\n  {_select_option(option)}")
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _multiple_input(widget: dict[str, Any]) -> str:
    """Haven's multiple_input.html (check boxes and radio buttons, their options written inline)."""
    attrs = widget["attrs"]
    box_id = attrs.get("id")
    box_class = attrs.get("class")
    parts = [
        "<div",
        f' id="{_shown(box_id)}"' if box_id else "",
        f' class="{_shown(box_class)}"' if box_class else "",
        ">",
    ]
    for group, options, _index in _groups(widget):
        if group:
            parts.append(f"\n  <div><label>{_shown(group)}</label>")
        for option in options:
            wrap = option["wrap_label"]
            parts.append("<div>\n    ")
            if wrap:
                parts.append(_label_opening(option))
            parts.append(_input(option))  # an option has the input's type, name, value and attrs
            if wrap:
                parts.append(f" {_shown(option['label'])}</label>")
            parts.append("</div>")
        if group:
            parts.append("\n  </div>")
    parts.append("\n</div>")
    return "".join(parts)


Writer = Callable[[dict[str, Any]], str]

# template name -> (writer, the templates whose sources it follows: its own and those it includes).
WRITERS: dict[str, tuple[Writer, tuple[str, ...]]] = {
    **{
        f"django/forms/widgets/{kind}.html": (_input, (f"django/forms/widgets/{kind}.html", _INPUT, _ATTRS))
        for kind in _INPUT_TYPES
    },
    _INPUT: (_input, (_INPUT, _ATTRS)),
    "django/forms/widgets/textarea.html": (_textarea, ("django/forms/widgets/textarea.html", _ATTRS)),
    # Haven's select.html and multiple_input.html write their options' attributes inline, as attrs.html would.
    "django/forms/widgets/select.html": (_select, ("django/forms/widgets/select.html", _ATTRS)),
    "django/forms/widgets/radio.html": (
        _multiple_input,
        ("django/forms/widgets/radio.html", _MULTIPLE_INPUT),
    ),
    "django/forms/widgets/checkbox_select.html": (
        _multiple_input,
        ("django/forms/widgets/checkbox_select.html", _MULTIPLE_INPUT),
    ),
    _INPUT_OPTION: (_input_option, (_INPUT_OPTION, _INPUT, _ATTRS)),
    "django/forms/widgets/radio_option.html": (
        _input_option,
        ("django/forms/widgets/radio_option.html", _INPUT_OPTION, _INPUT, _ATTRS),
    ),
    "django/forms/widgets/checkbox_option.html": (
        _input_option,
        ("django/forms/widgets/checkbox_option.html", _INPUT_OPTION, _INPUT, _ATTRS),
    ),
    _SELECT_OPTION: (_select_option, (_SELECT_OPTION, _ATTRS)),
}


class WidgetRenderer(TemplatesSetting):
    """Django's TemplatesSetting (widgets through the project's template engine), with the widgets of
    ``WRITERS`` written in Python while their templates are the ones the Python follows."""

    def __init__(self) -> None:
        super().__init__()
        self._writers: tuple[int, dict[str, Writer]] | None = None

    def writers(self) -> dict[str, Writer]:
        """The widgets this process writes in Python: those whose templates all have the expected source.

        Checked once, and again after the development server sees a file change (it reloads edited templates
        without restarting).
        """
        if self._writers is None or self._writers[0] != _templates_generation:
            self._writers = (
                _templates_generation,
                {
                    name: writer
                    for name, (writer, sources) in WRITERS.items()
                    if all(self._source_sha256(source) == _SOURCE_SHA256[source] for source in sources)
                },
            )
        return self._writers[1]

    def _source_sha256(self, template_name: str) -> str:
        try:
            source = self.get_template(template_name).template.source
        except (TemplateDoesNotExist, AttributeError):
            return ""  # gone, or not a Django template: the widget keeps its template (which says why)
        return hashlib.sha256(source.encode()).hexdigest()

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        writer = self.writers().get(template_name)
        if writer is not None:
            try:
                return writer(context["widget"])
            except (_Unsupported, KeyError):
                pass
        return super().render(template_name, context, request)


_templates_generation = 0


@receiver(file_changed, dispatch_uid="haven.lib.form_renderer.templates_changed")
def _templates_changed(sender: Any, file_path: Any, **kwargs: Any) -> None:
    global _templates_generation
    _templates_generation += 1
