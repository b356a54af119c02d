"""The organisation's statistics, computed from the database, never reveal a count between 1 and 4.

A Hypothesis property over random sets of cases, incidents and referrals: every table the page would show is
exactly what the protection rules give for the true counts (haven.analytics.disclosure, whose rules
test_disclosure.py checks against a reader who knows them and the totals), and no number shown is from 1 to 4.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from haven.accounts.models import Role
from haven.accounts.tests.personas import make_user
from haven.analytics import disclosure
from haven.cases import stats
from haven.cases.models import Case, ConsentOverride, Incident, Referral, RiskLevel, Status
from haven.cases.services import partner_save
from haven.records.services import person_create
from haven.records.tests import factories as f
from haven.vocab.models import Term

STATUSES = [s.value for s in Status]
RISKS = [r.value for r in RiskLevel]

case_strategy = st.fixed_dictionaries(
    {
        "status": st.sampled_from(STATUSES),
        "risk": st.sampled_from(RISKS),
        "needs": st.lists(st.integers(0, 6), max_size=3, unique=True),
        "incidents": st.lists(
            st.tuples(st.integers(0, 6), st.one_of(st.none(), st.integers(2015, 2019))), max_size=2
        ),
        "referrals": st.lists(
            st.sampled_from(["sent", "accepted", "rejected", "done", "revoked"]), max_size=2
        ),
    }
)


class StatisticsPropertyTest(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.org, cls.comp = f.organisation("stat-org")
        cls.worker, _ = make_user(Role.CASE_WORKER, [cls.comp])
        cls.needs = list(Term.objects.filter(vocabulary__code="case-needs").order_by("sort_order"))
        cls.gbv = list(Term.objects.filter(vocabulary__code="case-gbv-types").order_by("sort_order"))
        admin, _ = make_user(Role.ADMINISTRATOR, [cls.comp])
        cls.partner = partner_save(actor=admin, organisation=cls.org, name_en="Stat Shelter (fictional)")

    def _build(self, specs: list[dict]) -> None:  # type: ignore[type-arg]
        for spec in specs:
            person = person_create(organisation=self.org, compartment=self.comp, names=[])
            closed = spec["status"] == Status.CLOSED
            case = Case.objects.create(
                reference=f"C-T{Case.objects.count():03d}-{person.pk:04d}"[:16],
                organisation=self.org,
                compartment=self.comp,
                person=person,
                owner=self.worker,
                status=spec["status"],
                risk_level=spec["risk"],
                opened_on=date(2020, 1, 1),
                closed_on=date(2021, 1, 1) if closed else None,
                closure_reason="other" if closed else "",
            )
            case.needs.set([self.needs[i] for i in spec["needs"]])
            for gbv, year in spec["incidents"]:
                incident = Incident(case=case, gbv_type=self.gbv[gbv])
                incident.date = f"{year}" if year else "unknown"  # type: ignore[assignment]
                incident.save()
            for status in spec["referrals"]:
                override = ConsentOverride.objects.create(
                    case=case,
                    scope="referral",
                    partner=self.partner,
                    reason="test",
                    overridden_by=self.worker,
                )
                Referral.objects.create(
                    case=case,
                    partner=self.partner,
                    status=status,
                    override=override,
                    sent_on=date(2021, 1, 1),
                    sent_by=self.worker,
                )

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(case_strategy, min_size=0, max_size=30))
    def test_the_statistics_never_reveal_a_count_between_1_and_4(self, specs: list[dict]) -> None:  # type: ignore[type-arg]
        self._build(specs)
        tables = {t.key: t for t in stats.tables(self.worker, self.org)}

        for value in stats.shown_values(tables.values()):
            assert value in {"<5", disclosure.WITHHELD} or value == "0" or int(value) >= 5, value

        n = len(specs)
        expected_partitions = {
            "status": [sum(s["status"] == v for s in specs) for v in STATUSES],
            "risk": [sum(s["risk"] == v for s in specs) for v in RISKS],
            "incident_types": [
                sum(g == i for s in specs for g, _ in s["incidents"]) for i in range(len(self.gbv))
            ],
            "referrals": [
                sum(r == v for s in specs for r in s["referrals"])
                for v in ["sent", "accepted", "rejected", "done", "revoked"]
            ],
        }
        for key, counts in expected_partitions.items():
            table = tables[key]
            shown = disclosure.protect_partition(counts)
            assert table.total == disclosure.disclose_total(sum(counts)), key
            assert table.hidden == (shown is None), key
            if shown is not None:
                assert [r.shown for r in table.rows] == shown, key
                if all(s.isdigit() for s in shown):
                    assert sum(int(s) for s in shown) == sum(counts)

        years = Counter(y for s in specs for _, y in s["incidents"])
        known = sorted(y for y in years if y is not None)
        year_counts = [years[y] for y in range(known[0], known[-1] + 1)] if known else []
        year_counts.append(years[None])
        shown = disclosure.protect_partition(year_counts)
        assert [r.shown for r in tables["incident_years"].rows] == (shown or [])

        needs = tables["needs"]
        assert needs.total == disclosure.disclose_total(n)
        need_counts = [sum(i in s["needs"] for s in specs) for i in range(len(self.needs))]
        flags = [disclosure.protect_flag(c, n) for c in need_counts]
        assert needs.hidden == any(x is None for x in flags)
        if not needs.hidden:
            assert [r.shown for r in needs.rows] == flags

        # No cross-tabulation: every table breaks one total down by one thing.
        assert {t.kind for t in tables.values()} <= {"partition", "flags"}
