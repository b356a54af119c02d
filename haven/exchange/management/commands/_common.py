"""Shared by the import and export commands: the acting user and the language of messages."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils.translation import gettext as _


def acting_user(username: str | None) -> Any:
    """Return the active user named ``username``; the same error whether missing or inactive."""
    if not username:
        raise CommandError(_("Name the acting user with --user."))
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(_("No active user %(name)s.") % {"name": username})
    return user
