from __future__ import annotations

from django import template

from haven.lib.dates import ImpreciseDate
from haven.web.pages import format_date

register = template.Library()


@register.filter
def imprecise(value: ImpreciseDate) -> str:
    """Show an imprecise date in its own precision ("2010", "2011-03", "c. 2012")."""
    return format_date(value)
