from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from allauth.mfa.utils import is_mfa_enabled
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation

from haven.accounts import policy

Handler = Callable[[HttpRequest], HttpResponse]
SESSION_LOGIN_AT = "haven_login_at"
SESSION_TOUCHED_AT = "haven_touched_at"


class SecurityHeadersMiddleware:
    """Headers Django does not set itself; and no caching of pages that may hold identifying data."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault(
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
        )
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            response.headers["Cache-Control"] = "no-store, private"
        return response


class SessionTimeoutMiddleware:
    """End a session a fixed time after login, however active it is, and after a time without requests.

    The idle timeout is the session's expiry (SESSION_COOKIE_AGE), pushed back whenever the session is saved.
    Saving it, and recording the activity in the user's session list (allauth's usersessions), on every
    request would cost two writes per page; both are done at most once per HAVEN_SESSION_TOUCH_SECONDS
    (default 60), so an idle session ends between SESSION_COOKIE_AGE minus that interval and SESSION_COOKIE_AGE
    after the user's last request.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            session = request.session
            started = session.get(SESSION_LOGIN_AT)
            if started is None:
                session[SESSION_LOGIN_AT] = now
            elif now - started > settings.HAVEN_SESSION_ABSOLUTE_SECONDS:
                logout(request)
                return redirect(f"{reverse('account_login')}?next={request.path}")
            if now - session.get(SESSION_TOUCHED_AT, 0) >= settings.HAVEN_SESSION_TOUCH_SECONDS:
                session[SESSION_TOUCHED_AT] = now  # modified: saved with a fresh expiry after the response
                if session.session_key:
                    UserSession.objects.create_from_request(request, user=request.user, session=session)
        return self.get_response(request)


# Paths a user who must set up two-factor authentication can still reach: to set it up, or to leave.
_MFA_SETUP_PREFIXES = ("/accounts/", "/static/", "/i18n/")


class RequireTwoFactorMiddleware:
    """Roles that can see identifying data may do nothing until two-factor authentication is active.

    allauth asks for the second factor at login for every user who has one; this middleware makes having one
    compulsory for the roles that need it (see policy.requires_mfa), so no page skips it.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and policy.requires_mfa(user)
            and not request.path.startswith(_MFA_SETUP_PREFIXES)
            and not is_mfa_enabled(user)
        ):
            return redirect("mfa_activate_totp")
        return self.get_response(request)


class UserLanguageMiddleware:
    """Use the language a logged-in user chose in their profile."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        user = request.user
        if user.is_authenticated and not request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
            translation.activate(user.preferred_language)
            request.LANGUAGE_CODE = user.preferred_language
        return self.get_response(request)
