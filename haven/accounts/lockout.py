from __future__ import annotations

from typing import Any


def axes_username(request: Any, credentials: dict[str, Any] | None) -> str | None:
    """Return the user name a log-in attempt is for, whichever way it reached axes.

    allauth's form field is ``login`` while it calls ``authenticate(username=...)``; axes sees either the
    request or the credentials depending on where it looks, so both are read.
    """
    if credentials:
        name = credentials.get("username") or credentials.get("login")
        if name:
            return str(name)
    if request is not None and request.method == "POST":
        name = request.POST.get("login") or request.POST.get("username")
        if name:
            return str(name)
    return None
