"""The review pages' two repeated tables, written in Python.

A review page shows ten pairs, each with the two records side by side and a dozen rows of evidence: written
by the template language (or with format_html for every cell), those two tables were over half of the page's
time. Here each value is escaped once (``html.escape``, which Django's ``escape`` calls) into an f-string,
and the whole table marked safe at the end. Same HTML as the templates they replace, same translations (the
same message ids); a test holds the masking, links and labels.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from html import escape
from typing import Any

from django import template
from django.urls import reverse
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.translation import gettext_lazy

from haven.lib.i18n import translated
from haven.linkage.evidence import EvidenceRow
from haven.linkage.pages import PersonCard

register = template.Library()

NONE = "—"


def _e(value: Any) -> str:
    # As the template language: text already marked safe (a caption made by {% translate ... as %}) is kept.
    if isinstance(value, SafeData):
        return str(value)
    return escape(str(value))


# The tables' fixed words, translated once per language (a page has ten of each table).
_WORDS = {
    "evidence": gettext_lazy("Evidence: what agreed and what did not"),
    "compared": gettext_lazy("Compared"),
    "result": gettext_lazy("Result"),
    "weight": gettext_lazy("Weight (bits)"),
    "field": gettext_lazy("Field"),
    "names": gettext_lazy("Names"),
    "record": gettext_lazy("Record %(id)s"),
}


@register.simple_tag
def evidence_table(rows: Iterable[EvidenceRow]) -> SafeString:
    words = translated(_WORDS)
    body = "\n".join(
        f'<tr class="ev-{_e(r.verdict)}"><th scope="row">{_e(r.label)}</th><td><span class="verdict" '
        f'aria-hidden="true">{_e(r.symbol)}</span> {_e(r.level)}</td><td class="num">{_e(r.weight_text)}</td></tr>'
        for r in rows
    )
    return mark_safe(  # noqa: S308 - every value above is escaped
        f'<table class="evidence"><caption>{_e(words["evidence"])}</caption>'
        f'<thead><tr><th scope="col">{_e(words["compared"])}</th><th scope="col">{_e(words["result"])}</th>'
        f'<th scope="col">{_e(words["weight"])}</th></tr></thead><tbody>\n{body}\n</tbody></table>'
    )


def _system(system: str) -> str:
    return f" ({_e(system)})" if system else ""


def _names(card: PersonCard) -> str:
    masked = "" if card.show_identifying else " masked"
    items = "".join(
        f'<li><span class="kind">{_e(n["kind"])}{_system(n["system"])}</span> '
        f'<span class="value{masked}">{_e(n["text"])}</span></li>'
        for n in card.names
    )
    return f'<ul class="names">{items or f"<li>{NONE}</li>"}</ul>'


def _province(card: PersonCard) -> str:
    province = card.person.origin_province
    if province is None:
        return NONE
    return f"{_e(province.name_ko or province.name_en)} / {_e(province.name_en)}"


def _masked(card: PersonCard) -> str:
    return "" if card.show_identifying else "masked"


_ROW_LABELS = {
    "sex": gettext_lazy("Sex"),
    "birth": gettext_lazy("Date of birth"),
    "province": gettext_lazy("Province of origin"),
    "origin": gettext_lazy("Place of origin (detail)"),
    "exit": gettext_lazy("Year of leaving North Korea"),
    "documented": gettext_lazy("Documented by"),
}

# (label, the cell's attributes, its content as HTML) for each row after the names.
_ROWS: list[tuple[str, Callable[[PersonCard], str], Callable[[PersonCard], str]]] = [
    ("sex", lambda c: "", lambda c: _e(c.sex)),
    ("birth", lambda c: f' class="{_masked(c)}"', lambda c: _e(c.birth_date or NONE)),
    ("province", lambda c: "", _province),
    (
        "origin",
        lambda c: f' class="{_masked(c)}" lang=""',
        lambda c: _e(c.origin_detail or NONE),
    ),
    ("exit", lambda c: "", lambda c: _e(c.person.exit_year or NONE)),
    (
        "documented",
        lambda c: "",
        lambda c: (
            f'{_e(c.person.organisation)}<br><span class="muted">{_e(c.person.compartment.code)}</span>'
        ),
    ),
]


@register.simple_tag
def side_by_side(cards: list[PersonCard], caption: str) -> SafeString:
    """One column per record: names, sex, birth, origin, year of leaving, who documented it."""
    words, row_labels = translated(_WORDS), translated(_ROW_LABELS)
    heads = "".join(
        f'<th scope="col"><a href="{_e(reverse("web:person", args=[c.person.pk]))}">'
        f"{_e(words['record'] % {'id': c.person.pk})}</a></th>"
        for c in cards
    )
    names = "".join(f'<td lang="">{_names(c)}</td>' for c in cards)
    rows = [f'<tr><th scope="row">{_e(words["names"])}</th>{names}</tr>']
    for label, attributes, content in _ROWS:
        cells = "".join(f"<td{attributes(c)}>{content(c)}</td>" for c in cards)
        rows.append(f'<tr><th scope="row">{_e(row_labels[label])}</th>{cells}</tr>')
    body = "\n".join(rows)
    return mark_safe(  # noqa: S308 - every value above is escaped
        f'<div class="scroll" role="region" aria-label="{_e(caption)}" tabindex="0">'
        f'<table class="side-by-side{" wide" if len(cards) > 2 else ""}">'
        f'<caption class="visually-hidden">{_e(caption)}</caption><thead><tr><th scope="col">{_e(words["field"])}</th>'
        f"{heads}</tr></thead><tbody>\n{body}\n</tbody></table></div>"
    )
