"""Audit entries for authentication events, from Django's, allauth's and axes' signals."""

from __future__ import annotations

import time
from typing import Any

from allauth.mfa.signals import authenticator_added, authenticator_removed
from allauth.usersessions.signals import session_client_changed
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from haven.accounts.middleware import SESSION_LOGIN_AT
from haven.audit.models import AuditAction
from haven.audit.services import audit_refusal


def _record(**kwargs: Any) -> None:
    # Authentication events are written in their own transaction, like refusals: a failed login rolls back
    # nothing of its own, and the entry must survive whatever the request does next.
    audit_refusal(**kwargs)


@receiver(user_logged_in)
def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_LOGIN_AT] = time.time()
    _record(actor=user, action=AuditAction.LOGIN, target=user, request=request)


@receiver(user_logged_out)
def on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        _record(actor=user, action=AuditAction.LOGOUT, target=user, request=request)


@receiver(user_login_failed)
def on_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # The user name tried is kept (it is not a secret of the people in the records); the password never is.
    _record(
        actor=None,
        action=AuditAction.LOGIN_FAILED,
        request=request,
        details={"username": str(credentials.get("username") or credentials.get("login") or "")[:150]},
    )


@receiver(user_locked_out)
def on_locked_out(sender: Any, request: Any, username: str, ip_address: str, **kwargs: Any) -> None:
    _record(
        actor=None, action=AuditAction.LOCKOUT, request=request, details={"username": (username or "")[:150]}
    )


@receiver(authenticator_added)
def on_authenticator_added(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    _record(
        actor=user,
        action=AuditAction.MFA_ENABLED,
        target=user,
        request=request,
        details={"type": authenticator.type},
    )


@receiver(authenticator_removed)
def on_authenticator_removed(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    _record(
        actor=user,
        action=AuditAction.MFA_DISABLED,
        target=user,
        request=request,
        details={"type": authenticator.type},
    )


@receiver(session_client_changed)
def on_session_client_changed(
    sender: Any, request: Any, from_session: Any, to_session: Any, **kwargs: Any
) -> None:
    _record(actor=getattr(request, "user", None), action=AuditAction.SESSION_CLIENT_CHANGED, request=request)
