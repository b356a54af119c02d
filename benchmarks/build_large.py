"""Build the large instance that issue 10 measures: 200,000 persons, 1,000,000 acts, 100,000 cases.

    HAVEN_HOME=/tmp/large HAVEN_MODE=demo .venv/bin/python benchmarks/build_large.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/haven_large HAVEN_HOME=/tmp/large-pg HAVEN_MODE=demo \\
        .venv/bin/python benchmarks/build_large.py

1. `haven demo --no-serve --persons 200000 --repeat-arrests 0.48`: the synthetic corpus of the demo, with people
   caught and sent back more than once, which brings it to about five acts per person.
2. Cases in the Mekong organisation (the demo case worker's compartment) until there are 100,000: an open case
   for most of its persons and closed earlier ones for some, each with risk, needs, journey stages, consent and
   a follow-up, encrypted fields filled. Written in bulk (the services' per-case audit entries are left out:
   that would be 100,000 audit rows nobody reads in a benchmark, and an hour of writing).
3. Optionally (`--link`) a linkage run by the demo analyst over every testimony compartment, so the review
   queue has candidate pairs.

Prints the counts and the time of each step. Then run benchmarks/bench_load.py against the same instance.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haven.config.settings")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from haven.accounts.models import Compartment, User  # noqa: E402
from haven.cases.models import (  # noqa: E402
    Case,
    ClosureReason,
    Consent,
    ConsentScope,
    FollowUp,
    JourneyStage,
    RiskLevel,
    Status,
)
from haven.cases.services import new_reference  # noqa: E402
from haven.lib.dates import ImpreciseDate  # noqa: E402
from haven.places.models import Location  # noqa: E402
from haven.records.models import Act, Event, Person  # noqa: E402
from haven.vocab.models import Term  # noqa: E402

BATCH = 2000
WHEREABOUTS = ["a flat rented by a church contact", "a farm outside the city", "a shelter", "a friend's room"]
SUMMARIES = [
    "Synthetic case for the benchmark: left after a marriage arranged by a broker; wants to reach Seoul.",
    "Synthetic case for the benchmark: hiding after a raid; needs documents and a safe route.",
    "Synthetic case for the benchmark: child born in China without registration; mother seeks help.",
]


def _terms(vocabulary: str) -> list[Term]:
    return list(Term.objects.filter(vocabulary__code=vocabulary).order_by("code"))


def add_cases(total: int, seed: int) -> int:
    """Bulk-write cases in the demo case worker's compartment until it holds ``total``; return how many."""
    compartment = Compartment.objects.get(code="mekong-testimonies")
    worker = User.objects.get(username="caseworker")
    have = Case.objects.filter(compartment=compartment).count()
    if have >= total:
        return 0
    rng = random.Random(seed)
    persons = list(
        Person.objects.filter(compartment=compartment, cases__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not persons:
        raise SystemExit("no persons in mekong-testimonies: build the demo corpus first")
    needs, risks, stages = _terms("case-needs"), _terms("case-risk-factors"), _terms("case-journey-stages")
    china = list(Location.objects.filter(path__startswith="/CN/", kind__in=["city", "county"]))
    today = date.today()
    wanted = total - have
    # Every person gets an open case; the rest are closed cases of earlier contacts with the same people.
    plan = [(pk, False) for pk in persons[:wanted]]
    while len(plan) < wanted:
        plan.append((rng.choice(persons), True))
    rng.shuffle(plan)
    made = 0
    for start in range(0, len(plan), BATCH):
        with transaction.atomic():
            cases = []
            for person_id, closed in plan[start : start + BATCH]:
                opened = today - timedelta(days=rng.randint(30 if not closed else 400, 3000))
                status = Status.CLOSED if closed else rng.choice(
                    [Status.NEW, Status.ASSESSMENT, Status.PLAN, Status.IN_PROGRESS, Status.IN_PROGRESS]
                )  # fmt: skip
                level = (
                    RiskLevel.NOT_ASSESSED
                    if status in (Status.NEW, Status.ASSESSMENT)
                    else rng.choice([RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH])
                )
                cases.append(
                    Case(
                        reference=new_reference(),
                        organisation_id=compartment.organisation_id,
                        compartment=compartment,
                        person_id=person_id,
                        owner=worker,
                        status=status,
                        opened_on=opened,
                        closed_on=opened + timedelta(days=rng.randint(20, 300)) if closed else None,
                        closure_reason=ClosureReason.RESETTLED if closed else "",
                        risk_level=level,
                        current_whereabouts=rng.choice(WHEREABOUTS),
                        summary=rng.choice(SUMMARIES),
                        created_by=worker,
                    )
                )
            Case.objects.bulk_create(cases)
            need_links, risk_links, journey, consents, followups = [], [], [], [], []
            for case in cases:
                for term in rng.sample(needs, rng.randint(1, 3)):
                    need_links.append(Case.needs.through(case_id=case.pk, term_id=term.pk))
                if case.risk_level in (RiskLevel.MEDIUM, RiskLevel.HIGH):
                    for term in rng.sample(risks, rng.randint(1, 2)):
                        risk_links.append(Case.risk_reasons.through(case_id=case.pk, term_id=term.pk))
                for i, term in enumerate(stages[: rng.randint(1, 3)]):
                    stage = JourneyStage(
                        case=case, stage=term, place=rng.choice(china) if china else None, created_by=worker
                    )
                    stage.date = ImpreciseDate.from_parts(case.opened_on.year - 2 + i)
                    journey.append(stage)
                consents.append(
                    Consent(
                        case=case,
                        scope=ConsentScope.SERVICES,
                        granted=rng.random() < 0.9,
                        given_on=case.opened_on,
                        recorded_by=worker,
                    )
                )
                if case.status != Status.CLOSED:
                    followups.append(
                        FollowUp(
                            case=case,
                            assigned_to=worker,
                            due_on=today + timedelta(days=rng.randint(-20, 60)),
                            created_by=worker,
                        )
                    )
            Case.needs.through.objects.bulk_create(need_links)
            Case.risk_reasons.through.objects.bulk_create(risk_links)
            JourneyStage.objects.bulk_create(journey)
            Consent.objects.bulk_create(consents)
            FollowUp.objects.bulk_create(followups)
        made += len(cases)
        print(f"  {have + made} cases", flush=True)
        if (start // BATCH) % 5 == 4:
            # The tables grow from nothing: without fresh statistics the planner keeps taking them for empty and
            # scans them whole for each look-up, and each batch took longer than the last (on PostgreSQL without
            # autovacuum, as on this machine: 11 billion rows read for 60,000 cases; with it, 34,000 in 37 s).
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=200_000)
    parser.add_argument("--repeat-arrests", type=float, default=0.48)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20121)
    parser.add_argument("--link", action="store_true", help="also run linkage for the review queue")
    parser.add_argument(
        "--skip-corpus",
        action="store_true",
        help="the corpus is there: only add cases (up to --cases) and link",
    )
    args = parser.parse_args()

    started = time.monotonic()
    if not args.skip_corpus:
        call_command(
            "demo", no_serve=True, persons=args.persons, repeat_arrests=args.repeat_arrests, seed=args.seed
        )
        print(f"corpus: {time.monotonic() - started:.0f} s", flush=True)
    step = time.monotonic()
    made = add_cases(args.cases, args.seed)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"cases: {made} written in {time.monotonic() - step:.0f} s", flush=True)
    if args.link:
        step = time.monotonic()
        codes = ["hanbit-testimonies", "tumen-testimonies", "mekong-testimonies"]
        call_command(
            "link_db", "--user", "analyst", *(f"--compartment={c}" for c in codes), f"--seed={args.seed}"
        )
        print(f"linkage run: {time.monotonic() - step:.0f} s", flush=True)
    # What autovacuum does to a table some time after a bulk load: statistics, and on PostgreSQL the visibility
    # map, without which the planner will not use an index-only scan (the case list's count read 100,000 rows
    # with a sequential scan, 30 ms, instead of its index, 6 ms). A benchmark right after the build would
    # otherwise measure a state no running instance stays in.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)" if connection.vendor == "postgresql" else "ANALYZE")
    print(
        f"instance: {Person.objects.count():,} persons, {Event.objects.count():,} events, "
        f"{Act.objects.count():,} acts, {Case.objects.count():,} cases ({connection.vendor}); "
        f"built in {time.monotonic() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
