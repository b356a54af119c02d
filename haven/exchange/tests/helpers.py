"""Synthetic files and users for the exchange tests. Every person here is invented."""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any

from haven.accounts.models import Compartment, CompartmentGrant, Organisation, Role, User
from haven.analytics.korean import SURNAMES, romanize_name, sample_given_name

PERSON_HEADERS = ["id", "name_hangul", "name_romanized", "sex", "birth_year", "origin", "exit_year"]
PROVINCES = ["함경북도", "량강도", "Hoeryong", "North Hamgyong", "함경남도 함흥시", "Musan-gun", "평안남도"]
BAD_KINDS = ("sex", "birth_year", "origin", "name", "id", "exit_year")


def setup_world(code: str = "ngo") -> tuple[Organisation, Compartment, User]:
    org, _ = Organisation.objects.get_or_create(code=code, defaults={"name_en": f"NGO {code} (fictional)"})
    comp, _ = Compartment.objects.get_or_create(
        code=f"{code}-main", defaults={"name": "main", "organisation": org}
    )
    user = User.objects.filter(username=f"{code}-documenter").first()
    if user is None:
        user = User.objects.create_user(f"{code}-documenter", password="x" * 20, role=Role.DOCUMENTER)  # noqa: S106
        CompartmentGrant.objects.create(user=user, compartment=comp)
    return org, comp, user


def user_with(role: str, compartments: list[Compartment], name: str) -> User:
    user = User.objects.create_user(name, password="x" * 20, role=role)  # noqa: S106
    for c in compartments:
        CompartmentGrant.objects.create(user=user, compartment=c)
    return user


def person_rows(n: int, *, seed: int = 7, bad_every: int = 0) -> tuple[list[list[str]], dict[int, str]]:
    """Return ``n`` synthetic person rows and {file row number: kind of fault} of the rows made bad."""
    rng = random.Random(seed)
    surnames = [s.id for s in SURNAMES if s.frequency > 0][:40]
    rows, bad = [], {}
    for i in range(n):
        sex = rng.choice("FFFM")
        surname = rng.choice(surnames)
        given = sample_given_name(rng, "female" if sex == "F" else "male")
        hangul = surname + given
        row = [
            f"P{i:06d}", hangul, romanize_name(surname, given, "rr") if rng.random() < 0.8 else "",
            rng.choice(["F", "여", "female", "M", "남"]) if sex == "F" else rng.choice(["M", "남", "male"]),
            str(rng.randint(1950, 2005)), rng.choice(PROVINCES), str(rng.randint(1997, 2019)),
        ]  # fmt: skip
        if bad_every and i % bad_every == bad_every // 2:
            kind = BAD_KINDS[(i // bad_every) % len(BAD_KINDS)]
            if kind == "sex":
                row[3] = "maybe"
            elif kind == "birth_year":
                row[4] = "19x5"
            elif kind == "origin":
                row[5] = "Atlantis"
            elif kind == "name":
                row[1], row[2] = "", ""
            elif kind == "id":
                row[0] = ""
            else:
                row[6] = "1800"
            bad[i + 2] = kind  # the header is row 1
        rows.append(row)
    return rows, bad


def write_csv(path: Path, headers: list[str], rows: list[list[Any]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        writer.writerows(rows)
    return path
