"""Demo accounts, one per role, with compartments granted and two-factor set up where the role needs it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.mfa.utils import decrypt

from haven.accounts import policy
from haven.accounts.models import Compartment, CompartmentGrant, Role, User


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    compartments: tuple[str, ...]  # compartment codes; "*" for all


DEMO_ACCOUNTS = (
    DemoAccount("admin", Role.ADMINISTRATOR, ("*",)),
    DemoAccount("documenter", Role.DOCUMENTER, ("hanbit-testimonies", "hanbit-public")),
    DemoAccount("caseworker", Role.CASE_WORKER, ("mekong-testimonies",)),
    DemoAccount("analyst", Role.ANALYST, ("*",)),
    DemoAccount("auditor", Role.AUDITOR, ()),
    DemoAccount("viewer", Role.VIEWER, ("hanbit-public", "tumen-testimonies")),
)


def ensure_demo_accounts(password: str) -> dict[str, str]:
    """Create the demo accounts (idempotent); return the TOTP secret of each account that needs one."""
    secrets_by_user: dict[str, str] = {}
    for account in DEMO_ACCOUNTS:
        user, created = User.objects.get_or_create(username=account.username, defaults={"role": account.role})
        if created:
            user.set_password(password)
            user.is_staff = True
            user.save()
        codes = account.compartments
        wanted = Compartment.objects.all() if "*" in codes else Compartment.objects.filter(code__in=codes)
        for compartment in wanted:
            CompartmentGrant.objects.get_or_create(user=user, compartment=compartment)
        if policy.requires_mfa(user):
            existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
            if existing is None:
                secret = generate_totp_secret()
                TOTP.activate(user, secret)
            else:
                secret = decrypt(existing.data["secret"])
            secrets_by_user[user.username] = secret
    return secrets_by_user


def new_password() -> str:
    return secrets.token_urlsafe(12)
