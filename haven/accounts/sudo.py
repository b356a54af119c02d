"""Sudo mode: a fresh re-authentication before exports, deletions, key operations and role changes.

Built on allauth's re-authentication flow: when the last password (or second-factor) check is older than
ACCOUNT_REAUTHENTICATION_TIMEOUT, the request is suspended, the user re-enters their password, and the
request resumes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allauth.account.decorators import reauthentication_required
from allauth.account.internal.flows.reauthentication import raise_if_reauthentication_required


def ensure_sudo(request: Any) -> None:
    """Raise allauth's ReauthenticationRequired (turned into a redirect by its middleware) unless recent."""
    raise_if_reauthentication_required(request, app="")


def sudo_required(view: Callable[..., Any] | None = None, *, allow_get: bool = False) -> Any:
    # app="" means: always required (allauth asks the app's settings only when an app is named).
    return reauthentication_required(view, allow_get=allow_get, app="")
