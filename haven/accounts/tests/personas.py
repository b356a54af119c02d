"""Test personas: one user per role, each granted compartment A only, with two-factor set up where needed."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from haven.accounts import policy
from haven.accounts.models import Compartment, CompartmentGrant, Organisation, Role, User
from haven.records.models import Confidentiality
from haven.records.tests import factories as f

PASSWORD = "correct horse battery staple 7"


def make_user(
    role: str, compartments: list[Compartment], *, with_totp: bool | None = None
) -> tuple[User, str | None]:
    user = User.objects.create_user(f"{role}-user", password=PASSWORD, role=role)
    for c in compartments:
        CompartmentGrant.objects.create(user=user, compartment=c)
    secret = None
    if with_totp if with_totp is not None else policy.requires_mfa(user):
        secret = generate_totp_secret()
        TOTP.activate(user, secret)
    return user, secret


class World:
    """Two organisations' compartments with one confidential person and one event in each."""

    def __init__(self) -> None:
        self.org_a, self.comp_a = f.organisation("alpha")
        self.org_b, self.comp_b = f.organisation("beta")
        self.person_a = f.person("alpha", hangul="최예린", roman="Choi Ye-rin")
        self.person_b = f.person("beta", hangul="문하람", roman="Moon Ha-ram")
        self.event_a = f.event("2011", "alpha")
        self.event_b = f.event("2012", "beta")
        self.act_a = f.act(self.event_a, self.person_a)
        self.act_b = f.act(self.event_b, self.person_b)
        for p in (self.person_a, self.person_b):
            p.confidentiality = Confidentiality.CONFIDENTIAL
            p.save()
        self.users = {role: make_user(role, [self.comp_a])[0] for role in Role.values}

    IDENTIFYING_A = ("최예린", "Choi Ye-rin")
    IDENTIFYING_B = ("문하람", "Moon Ha-ram")


__all__ = ["PASSWORD", "World", "make_user", "Authenticator", "Organisation"]
