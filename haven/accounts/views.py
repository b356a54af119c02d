from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from haven.accounts import policy


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "accounts/home.html",
        {
            "role": user.get_role_display(),  # type: ignore[union-attr]
            "compartments": user.compartments.select_related("organisation").order_by("code"),  # type: ignore[union-attr]
            "mfa_required": policy.requires_mfa(user),
        },
    )


def security(request: HttpRequest) -> HttpResponse:
    user = request.user
    kinds = set(Authenticator.objects.filter(user=user).values_list("type", flat=True))
    return render(
        request,
        "accounts/security.html",
        {
            "has_totp": Authenticator.Type.TOTP in kinds,
            "has_recovery_codes": Authenticator.Type.RECOVERY_CODES in kinds,
            "mfa_required": policy.requires_mfa(user),
        },
    )
