"""The form renderer writes the common widgets in Python: the HTML must be the templates' own, byte for byte."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django import forms
from django.forms.renderers import TemplatesSetting
from django.forms.widgets import ChoiceWidget
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from hypothesis import given, settings
from hypothesis import strategies as st

from haven.accounts.models import Role
from haven.cases.tests.world import CaseWorld
from haven.lib import form_renderer
from haven.lib.form_renderer import WidgetRenderer

TEMPLATES = TemplatesSetting()
PYTHON = WidgetRenderer()

AWKWARD = ["", "plain", "<script>alert('x')</script>", 'a "quoted" & <b>', "김정은 金正恩", "  spaced  "]


class Unprintable:
    def __str__(self) -> str:
        raise ValueError("no text")  # stringformat gives "" for it


ATTRS: list[dict[str, object]] = [
    {},
    {"id": "id_x", "hidden": None, "data-bad": Unprintable()},
    {"id": "id_name", "class": "wide", "required": True, "disabled": False, "maxlength": 16},
    {"placeholder": gettext_lazy("Name of the person"), "data-x": '"<&>"', "aria-describedby": "help-1"},
    {"title": mark_safe("<em>safe</em>"), "autocomplete": "off"},
]


def _widgets() -> list[forms.Widget]:
    choices = [("", "—"), ("a", "Alpha"), (3, "<Three & co>"), ("ko", "북한 이탈 주민")]
    grouped = [
        ("", "Any"),
        ("Group <1>", [("x", "Ex"), ("y", gettext_lazy("Yes"))]),
        (gettext_lazy("Name"), [("s", mark_safe("<b>safe</b>"))]),
        ("z", "Zed"),
    ]
    return [
        forms.TextInput(),
        forms.NumberInput(),
        forms.EmailInput(),
        forms.URLInput(),
        forms.PasswordInput(render_value=True),
        forms.HiddenInput(),
        forms.DateInput(),
        forms.TimeInput(),
        forms.DateTimeInput(),
        forms.SearchInput(),
        forms.TelInput(),
        forms.ColorInput(),
        forms.CheckboxInput(),
        forms.Textarea(),
        forms.Select(choices=choices),
        forms.Select(choices=grouped),
        forms.SelectMultiple(choices=choices),
        forms.NullBooleanSelect(),
        forms.RadioSelect(choices=choices),
        forms.RadioSelect(choices=grouped),
        forms.CheckboxSelectMultiple(choices=choices),
        forms.CheckboxSelectMultiple(choices=grouped),
    ]


def _both(widget: forms.Widget, value: object, attrs: dict[str, object]) -> tuple[str, str]:
    def render(renderer: TemplatesSetting) -> str:
        try:
            return widget.render("field", value, attrs=dict(attrs), renderer=renderer)
        except TypeError as error:  # a value the widget itself refuses (a list for a NullBooleanSelect)
            return f"refused: {error}"

    return render(TEMPLATES), render(PYTHON)


def test_every_writer_is_used_with_the_installed_templates() -> None:
    # Fails when Django or Haven's widget templates change: bring the writer up to date with the template,
    # then its hash in form_renderer._SOURCE_SHA256.
    assert set(WidgetRenderer().writers()) == set(form_renderer.WRITERS)


@pytest.fixture
def template_renders(monkeypatch) -> list[str]:  # type: ignore[no-untyped-def]
    """The widget templates WidgetRenderer gave way to."""
    calls: list[str] = []
    real = TemplatesSetting.render

    def render(self, template_name, context, request=None):  # type: ignore[no-untyped-def]
        if isinstance(self, WidgetRenderer):
            calls.append(template_name)
        return real(self, template_name, context, request)

    monkeypatch.setattr(TemplatesSetting, "render", render)
    return calls


@pytest.mark.parametrize("widget", _widgets(), ids=lambda w: type(w).__name__)
def test_each_widget_is_written_as_its_template_writes_it(widget: forms.Widget, template_renders) -> None:  # type: ignore[no-untyped-def]
    values: list[object] = [
        None,
        True,
        False,
        0,
        16,
        ["a", 3],
        [3],
        ("a", "b"),
        mark_safe("<i>safe</i>"),
        *AWKWARD,
    ]
    for value in values:
        for attrs in ATTRS:
            by_template, by_python = _both(widget, value, attrs)
            assert by_python == by_template, (type(widget).__name__, value, attrs)
    assert template_renders == [], "written in Python, not by the template"


def test_options_rendered_one_by_one_are_written_as_their_templates_write_them() -> None:
    # {% for box in field %}{{ box.tag }}: each choice through radio_option.html, checkbox_option.html, ...
    class Choices(forms.Form):
        radio = forms.ChoiceField(
            choices=[("a", "<A & a>"), ("b", gettext_lazy("Yes"))], widget=forms.RadioSelect
        )
        boxes = forms.MultipleChoiceField(
            choices=[(1, "One"), ("k", "한")], widget=forms.CheckboxSelectMultiple
        )
        plain = forms.ChoiceField(choices=[("x", "Ex"), ("y", "Why")])

    for data in ({}, {"radio": "b", "boxes": ["1", "k"], "plain": "y"}):
        by_template = Choices(data or None, auto_id=False, renderer=TEMPLATES)
        by_python = Choices(data or None, renderer=PYTHON)
        by_python_no_id = Choices(data or None, auto_id=False, renderer=PYTHON)
        for name in ("radio", "boxes", "plain"):
            with_ids = list(Choices(data or None, renderer=TEMPLATES)[name])
            for template_box, python_box, bare_box, with_id in zip(
                by_template[name], by_python[name], by_python_no_id[name], with_ids, strict=True
            ):
                assert str(bare_box.tag()) == str(template_box.tag())
                assert str(bare_box.tag(wrap_label=True)) == str(template_box.tag(wrap_label=True))
                assert str(python_box.tag()) == str(with_id.tag())
                assert str(python_box) == str(with_id)


@settings(max_examples=150, deadline=None)
@given(
    value=st.one_of(
        st.none(), st.text(max_size=12), st.integers(), st.lists(st.text(max_size=4), max_size=3)
    ),
    label=st.text(max_size=12),
    attr=st.one_of(st.booleans(), st.text(max_size=8), st.integers()),
    index=st.integers(min_value=0, max_value=21),
)
def test_any_value_label_and_attribute_give_the_templates_html(value, label, attr, index) -> None:  # type: ignore[no-untyped-def]
    widget = _widgets()[index]
    if isinstance(widget, ChoiceWidget):
        widget.choices = [("", label), (label, label), ("v", "Vee")]
    by_template, by_python = _both(widget, value, {"id": "id_f", "data-v": attr})
    assert by_python == by_template


def test_values_the_template_would_localise_or_call_go_to_the_template(settings, template_renders) -> None:  # type: ignore[no-untyped-def]
    settings.USE_THOUSAND_SEPARATOR = True
    renderer = WidgetRenderer()
    # A number as a label is localised by {{ }} ("1,000" here): the template decides.
    numbers = forms.Select(choices=[(1, 1000), (2, 2.5)])
    html = numbers.render("n", 1, renderer=renderer)
    assert html == numbers.render("n", 1, renderer=TEMPLATES) and ">1,000</option>" in html
    assert template_renders == ["django/forms/widgets/select.html"]

    # A callable attribute is called by the template: not copied either.
    def attribute() -> str:
        return "called"

    called = forms.TextInput(attrs={"data-x": attribute})
    assert called.render("c", "v", renderer=renderer) == called.render("c", "v", renderer=TEMPLATES)
    assert 'data-x="called"' in called.render("c", "v", renderer=renderer)
    # An attribute named "items" is looked up as a key by the template's attrs.items: the template decides (and
    # fails, as it always has).
    items = forms.TextInput(attrs={"items": "x"})
    for any_renderer in (renderer, TEMPLATES):
        with pytest.raises(ValueError, match="Need 2 values to unpack"):
            items.render("i", "v", renderer=any_renderer)
    assert template_renders[1:] == ["django/forms/widgets/text.html"] * 3

    # Option groups that are not lists (a widget's own generator) go to the template before they are read.
    class Generated(forms.Select):
        def optgroups(self, name, value, attrs=None):  # type: ignore[no-untyped-def]
            yield from super().optgroups(name, value, attrs)

    generated = Generated(choices=[("a", "A"), ("b", "B")])
    html = generated.render("g", "b", renderer=renderer)
    assert html == forms.Select(choices=[("a", "A"), ("b", "B")]).render("g", "b", renderer=TEMPLATES)
    assert 'value="a"' in html and template_renders[-1] == "django/forms/widgets/select.html"
    plain = forms.TextInput().render("p", "text", renderer=renderer)
    assert plain == '<input type="text" name="p" value="text">'


def test_a_missing_template_or_a_file_change_is_checked_again(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from django.utils.autoreload import file_changed

    renderer = WidgetRenderer()
    monkeypatch.setitem(form_renderer.WRITERS, "django/forms/widgets/gone.html", (str, ("gone.html",)))
    monkeypatch.setitem(form_renderer._SOURCE_SHA256, "gone.html", "0" * 64)
    writers = renderer.writers()
    assert "django/forms/widgets/gone.html" not in writers and "django/forms/widgets/text.html" in writers
    # The development server reloads an edited template without restarting: the sources are checked again.
    monkeypatch.setitem(form_renderer._SOURCE_SHA256, "django/forms/widgets/text.html", "0" * 64)
    assert "django/forms/widgets/text.html" in renderer.writers()  # not until a file changes
    file_changed.send(sender=None, file_path=Path("haven/templates/django/forms/widgets/text.html"))
    assert "django/forms/widgets/text.html" not in renderer.writers()


def test_a_template_that_changed_is_rendered_by_the_template(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(form_renderer._SOURCE_SHA256, "django/forms/widgets/attrs.html", "0" * 64)
    renderer = WidgetRenderer()
    writers = renderer.writers()
    assert "django/forms/widgets/text.html" not in writers
    assert "django/forms/widgets/select.html" not in writers
    # Haven's multiple_input.html writes its attributes itself, without attrs.html.
    assert "django/forms/widgets/radio.html" in writers
    called = []
    monkeypatch.setattr(
        TemplatesSetting, "render", lambda self, *a, **k: called.append(a[0]) or "by template"
    )
    assert forms.TextInput().render("t", "x", renderer=renderer) == "by template"
    assert called == ["django/forms/widgets/text.html"]


# What differs between two renderings anyway: the CSRF token, masked anew for each response (in the forms and in
# htmx's headers), and the intake form's token naming its rendering.
CSRF = re.compile(r"\b[A-Za-z0-9]{64}\b|(?<=id=\"intake-page\" value=\")[A-Za-z0-9_-]{16}(?=\")")


@pytest.mark.django_db
def test_pages_with_many_forms_are_the_same_with_either_renderer(client, settings) -> None:  # type: ignore[no-untyped-def]
    w = CaseWorld()
    pages = [
        (w.worker_a, reverse("cases:detail", args=[w.case_a.reference])),
        (w.worker_a, reverse("cases:list") + "?status=open&name=%3Cb%3E&mine=on"),
        (w.world.users[Role.DOCUMENTER], reverse("web:search") + "?q=Yanji&sex=F"),
        (w.world.users[Role.DOCUMENTER], reverse("web:intake")),
    ]
    for user, path in pages:
        client.force_login(user)
        settings.FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
        by_template = client.get(path)
        settings.FORM_RENDERER = "haven.lib.form_renderer.WidgetRenderer"
        by_python = client.get(path)
        assert by_template.status_code == by_python.status_code == 200, path
        assert b"<input" in by_python.content, path
        assert CSRF.sub("", by_python.content.decode()) == CSRF.sub("", by_template.content.decode()), path
