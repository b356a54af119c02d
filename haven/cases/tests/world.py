"""A small synthetic world for the case tests: two organisations, a case worker in each, partners, one case each.

Every person is invented. Built through the services, as users would build it.
"""

from __future__ import annotations

from datetime import date

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from haven.accounts.models import Compartment, CompartmentGrant, Role, User
from haven.accounts.tests.personas import PASSWORD, World
from haven.cases import services
from haven.cases.models import Case, ConsentScope, Partner
from haven.lib.dates import ImpreciseDate
from haven.records.models import NameKind, NameSystem
from haven.records.services import NameInput
from haven.vocab.models import Term

__all__ = ["PASSWORD", "CaseWorld", "term", "user"]


def term(vocabulary: str, code: str) -> Term:
    return Term.objects.get(vocabulary__code=vocabulary, code=code)


def user(username: str, role: str, compartments: list[Compartment]) -> tuple[User, str]:
    """A user with a second factor (case workers and administrators need one)."""
    u = User.objects.create_user(username, password=PASSWORD, role=role)
    for c in compartments:
        CompartmentGrant.objects.create(user=u, compartment=c)
    secret = generate_totp_secret()
    TOTP.activate(u, secret)
    return u, secret


class CaseWorld:
    """Organisation alpha (compartment A) and beta (compartment B), each with a case worker and one open case.

    ``self.world`` is the shared persona World (one user per role, each granted compartment A only).
    """

    NAMES_A = ("한소망", "Han So-mang")
    NAMES_B = ("윤가온", "Yun Ga-on")
    HIDING_A = "Back room of a noodle shop near Yanji market"
    HIDING_B = "Apartment 7, Chaoyang district flat of a church volunteer"

    def __init__(self) -> None:
        self.world = World()
        w = self.world
        self.comp_a, self.comp_b = w.comp_a, w.comp_b
        self.worker_a = w.users[Role.CASE_WORKER]
        self.worker_b, self.secret_b = user("worker-b", Role.CASE_WORKER, [self.comp_b])
        self.colleague_a, _ = user("worker-a2", Role.CASE_WORKER, [self.comp_a])
        self.admin = w.users[Role.ADMINISTRATOR]
        self.shelter_a = services.partner_save(
            actor=self._partner_admin(w.org_a),
            organisation=w.org_a,
            name_en="Riverside Shelter (fictional)",
            name_ko="강변 쉼터 (가상)",
            services=[term("case-needs", "shelter")],
        )
        self.clinic_a = services.partner_save(
            actor=self._partner_admin(w.org_a),
            organisation=w.org_a,
            name_en="Hope Clinic (fictional)",
            name_ko="희망 의원 (가상)",
            services=[term("case-needs", "medical")],
        )
        self.lawyer_b = services.partner_save(
            actor=self._partner_admin(w.org_b),
            organisation=w.org_b,
            name_en="Beta Legal Aid (fictional)",
            services=[term("case-needs", "legal")],
        )
        self.case_a = self.new_case(self.worker_a, self.comp_a, self.NAMES_A, hiding=self.HIDING_A)
        self.case_b = self.new_case(self.worker_b, self.comp_b, self.NAMES_B, hiding=self.HIDING_B)

    def _partner_admin(self, org: object) -> User:
        admin = User.objects.filter(username="partner-admin").first()
        if admin is None:
            admin, _ = user("partner-admin", Role.ADMINISTRATOR, [self.comp_a, self.comp_b])
        return admin

    @staticmethod
    def new_case(
        worker: User, compartment: Compartment, names: tuple[str, str], *, hiding: str | None = None
    ) -> Case:
        return services.case_create(
            actor=worker,
            compartment=compartment,
            person=services.NewSurvivor(
                names=(
                    NameInput(names[0], NameKind.HANGUL, NameSystem.SOUTH, is_primary=True),
                    NameInput(names[1], NameKind.ROMANIZED, NameSystem.PASSPORT),
                ),
                sex="F",
                birth_date=ImpreciseDate.parse("1994"),
            ),
            summary="Sold to a farmer in 2016; escaped in 2019 with her daughter.",
            current_whereabouts=hiding,
            safe_contact="Through the pastor's second phone, evenings only",
            opened_on=date(2024, 1, 10),
        )

    def consent(
        self, case: Case, scope: str, partners: list[Partner] | None = None, *, granted: bool = True
    ) -> None:
        worker = self.worker_a if case.compartment_id == self.comp_a.pk else self.worker_b
        services.consent_record(
            actor=worker,
            case=case,
            scope=scope,
            granted=granted,
            given_on=date(2024, 1, 11),
            partners=partners or [],
        )

    def referral_consent(self, partner: Partner) -> None:
        self.consent(self.case_a, ConsentScope.REFERRAL, [partner])
