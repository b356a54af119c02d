"""Log-in with a password and a second factor; lockout; compulsory two-factor; timeouts; sudo mode."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.urls import reverse
from django.utils import timezone

from haven.accounts.models import Role
from haven.accounts.tests.personas import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def _code(secret: str) -> str:
    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(secret, counter))


def _login(client, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(reverse("account_login"), {"login": username, "password": password})


def test_argon2_hashes_passwords_in_production_settings():
    import haven.config.settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_a_documenter_logs_in_with_password_then_a_code(client):
    user, secret = make_user(Role.DOCUMENTER, [])
    response = _login(client, user.username)
    assert response.status_code == 302 and response.url == reverse("mfa_authenticate")
    assert client.get(reverse("home")).status_code == 302  # not logged in before the second factor
    response = client.post(
        reverse("mfa_authenticate"), {"code": "000000" if _code(secret) != "000000" else "111111"}
    )
    assert response.status_code == 200  # wrong code: the form again
    response = client.post(reverse("mfa_authenticate"), {"code": _code(secret)})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_a_role_that_needs_two_factor_can_do_nothing_until_it_is_set_up(client):
    user, _ = make_user(Role.DOCUMENTER, [], with_totp=False)
    response = _login(client, user.username)
    assert response.status_code == 302
    for url in [reverse("home"), reverse("admin:index"), reverse("admin:records_person_changelist")]:
        response = client.get(url)
        assert response.status_code == 302 and response.url == reverse("mfa_activate_totp"), url
    # Setting up a second factor is itself a sensitive change: it asks for the password again first.
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 302 and response.url.startswith(reverse("account_reauthenticate"))
    response = client.post(response.url, {"password": PASSWORD})
    assert client.get(reverse("mfa_activate_totp")).status_code == 200


def test_an_analyst_may_log_in_without_a_second_factor(client):
    user, _ = make_user(Role.ANALYST, [])
    _login(client, user.username)
    assert client.get(reverse("home")).status_code == 200


def test_repeated_failures_lock_the_account_even_for_the_right_password(client):
    user, _ = make_user(Role.ANALYST, [])
    for _ in range(5):
        _login(client, user.username, "wrong password")
    response = _login(client, user.username)
    assert "Too many failed" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302
    from axes.models import AccessAttempt

    assert AccessAttempt.objects.get(username=user.username).failures_since_start >= 5


def test_every_page_needs_a_login(client):
    for url in [
        reverse("home"),
        reverse("accounts:security"),
        reverse("admin:index"),
        reverse("usersessions_list"),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response.url, url


def test_sessions_end_a_fixed_time_after_login_however_active(client, settings):
    user, _ = make_user(Role.ANALYST, [])
    _login(client, user.username)
    assert client.get(reverse("home")).status_code == 200
    session = client.session
    session["haven_login_at"] = time.time() - settings.HAVEN_SESSION_ABSOLUTE_SECONDS - 1
    session.save()
    assert client.get(reverse("home")).status_code == 302
    assert client.get(reverse("home")).status_code == 302  # logged out, not just redirected once


def test_idle_sessions_expire_and_activity_pushes_the_expiry_back_once_a_minute(client, settings):
    from allauth.usersessions.models import UserSession
    from django.contrib.sessions.models import Session

    assert settings.SESSION_COOKIE_AGE <= 60 * 60
    user, _ = make_user(Role.ANALYST, [])
    _login(client, user.username)
    assert client.get(reverse("home")).status_code == 200
    key = client.session.session_key
    first = Session.objects.get(session_key=key).expire_date
    seen = UserSession.objects.get(session_key=key).last_seen_at
    # Within the interval: no write at all (neither the session nor the session list).
    assert client.get(reverse("home")).status_code == 200
    assert Session.objects.get(session_key=key).expire_date == first
    assert UserSession.objects.get(session_key=key).last_seen_at == seen
    # Once the interval has passed, the next request pushes the expiry back and records the activity.
    session = client.session
    session["haven_touched_at"] = time.time() - settings.HAVEN_SESSION_TOUCH_SECONDS - 1
    session.save()
    saved = Session.objects.get(session_key=key).expire_date
    time.sleep(0.01)
    assert client.get(reverse("home")).status_code == 200
    assert Session.objects.get(session_key=key).expire_date > saved > first
    assert UserSession.objects.get(session_key=key).last_seen_at > seen
    # An expired session is a logged-out user.
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("home"))
    assert response.status_code == 302 and "/login/" in response.url


def test_a_user_sees_and_can_end_their_other_sessions(client, django_user_model):
    from django.test import Client

    user, _ = make_user(Role.ANALYST, [])
    other = Client()
    _login(other, user.username)
    _login(client, user.username)
    page = client.get(reverse("usersessions_list"))
    assert page.status_code == 200
    from allauth.usersessions.models import UserSession

    assert UserSession.objects.filter(user=user).count() == 2
    client.post(reverse("usersessions_list"), {})  # "sign out other sessions"
    assert other.get(reverse("home")).status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_changing_a_role_needs_a_fresh_reauthentication(client):
    admin, secret = make_user(Role.ADMINISTRATOR, [])
    target, _ = make_user(Role.VIEWER, [])
    client.force_login(admin)
    url = reverse("admin:accounts_user_change", args=[target.pk])
    assert client.get(url).status_code == 200  # looking is allowed
    form = {
        "username": target.username,
        "role": Role.ANALYST,
        "preferred_language": "en",
        "is_active": "on",
        "grants-TOTAL_FORMS": "0",
        "grants-INITIAL_FORMS": "0",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    response = client.post(url, form)
    assert response.status_code == 302 and "reauthenticate" in response.url
    target.refresh_from_db()
    assert target.role == Role.VIEWER
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    response = client.post(url, form)
    assert response.status_code == 302 and "reauthenticate" not in response.url, response
    target.refresh_from_db()
    assert target.role == Role.ANALYST
    from haven.audit.models import AuditAction, AuditEntry

    entry = AuditEntry.objects.filter(action=AuditAction.ROLE_CHANGED).latest("seq")
    assert entry.details == {"old": Role.VIEWER, "new": Role.ANALYST} and entry.actor == admin


def _all_page_urls() -> list[str]:
    """Every URL of the site that takes no argument, and every admin list page."""
    from django.contrib import admin
    from django.urls import get_resolver
    from django.urls.resolvers import URLPattern, URLResolver

    urls: list[str] = []

    def walk(patterns, prefix: str) -> None:  # type: ignore[no-untyped-def]
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern) and "<" not in str(p.pattern) and "(?P" not in str(p.pattern):
                urls.append("/" + (prefix + str(p.pattern)).lstrip("^").rstrip("$").replace("\\", ""))

    walk(get_resolver().url_patterns, "")
    for model in admin.site._registry:
        urls.append(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
    return sorted(set(urls))


@pytest.mark.parametrize("role", [Role.DOCUMENTER, Role.CASE_WORKER, Role.ADMINISTRATOR])
def test_no_page_skips_two_factor_for_a_role_that_needs_it(client, role):
    user, _ = make_user(role, [], with_totp=False)
    client.force_login(user)
    reached = []
    for url in _all_page_urls():
        if url.startswith(("/accounts/", "/i18n/", "/static/")):
            continue  # setting up two-factor, changing language, leaving
        response = client.get(url)
        if response.status_code == 200:
            reached.append(url)
    assert not reached, f"reachable without two-factor: {reached}"
    assert len(_all_page_urls()) > 30


def test_the_admin_login_form_cannot_skip_the_second_factor(client):
    user, _ = make_user(Role.DOCUMENTER, [])
    response = client.post(reverse("admin:login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 403
    assert client.get(reverse("home")).status_code == 302  # not logged in
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    client.force_login(make_user(Role.ANALYST, [])[0])
    other, _ = make_user(Role.ADMINISTRATOR, [])
    assert (
        client.post(reverse("admin:login"), {"username": other.username, "password": PASSWORD}).status_code
        == 403
    )
