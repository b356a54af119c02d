"""Load the gazetteer: North Korea's administrative units from haven.analytics.korean, the rest from data/."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from haven.analytics.korean.places import nk_admin_units
from haven.lib.models import save_if_changed
from haven.places.models import Location, LocationKind
from haven.vocab.models import Term

GAZETTEER_FILE = Path(__file__).resolve().parent / "data" / "gazetteer.yaml"


class GazetteerError(ValueError):
    pass


@dataclass
class GazetteerReport:
    created: int = 0
    updated: int = 0


def _rows(file: Path) -> list[dict[str, Any]]:
    with file.open(encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    rows: list[dict[str, Any]] = list(doc["locations"])
    # North Korean provinces, cities and counties, with every spelling the name normalizer knows.
    for unit in nk_admin_units():
        rows.append(
            {
                "code": unit.code,
                "parent": unit.parent_code or "KP",
                "kind": unit.kind,
                "name_en": unit.name_en,
                "name_ko": unit.name_ko,
                "variants": [n for n in unit.names if n not in (unit.name_en, unit.name_ko)],
                "lat": unit.lat,
                "lon": unit.lon,
                "approximate": unit.approximate,
            }
        )
    return rows


@transaction.atomic
def gazetteer_load(file: Path = GAZETTEER_FILE) -> GazetteerReport:
    """Create or update every location (idempotent; never deletes, so records keep their places)."""
    report = GazetteerReport()
    rows = _rows(file)
    by_code = {loc.code: loc for loc in Location.objects.all()}
    facility_types = {t.code: t for t in Term.objects.filter(vocabulary__code="facility-types")}
    pending = rows
    # Parents come before children in the file, but the North Korean units are appended after it; loop until
    # every row's parent is known, and fail on an unknown parent rather than loop for ever.
    while pending:
        deferred = []
        for row in pending:
            parent_code = row.get("parent")
            parent = by_code.get(parent_code) if parent_code else None
            if parent_code and parent is None:
                deferred.append(row)
                continue
            kind = row["kind"]
            if kind not in LocationKind.values:
                raise GazetteerError(f"{row['code']}: unknown kind {kind!r}")
            facility_code = row.get("facility_type")
            if facility_code and facility_code not in facility_types:
                raise GazetteerError(f"{row['code']}: unknown facility type {facility_code!r}")
            values = {
                "parent": parent,
                "path": f"{parent.path if parent else '/'}{row['code']}/",
                "kind": kind,
                "name_en": row["name_en"],
                "name_ko": row.get("name_ko") or "",
                "name_zh": row.get("name_zh") or "",
                "variants": list(row.get("variants") or []),
                "latitude": Decimal(str(row["lat"])).quantize(Decimal("0.00001"))
                if row.get("lat") is not None
                else None,
                "longitude": Decimal(str(row["lon"])).quantize(Decimal("0.00001"))
                if row.get("lon") is not None
                else None,
                "approximate": bool(row.get("approximate", False)),
                "facility_type": facility_types.get(facility_code) if facility_code else None,
            }
            loc = by_code.get(row["code"])
            if loc is None:
                by_code[row["code"]] = Location.objects.create(code=row["code"], **values)
                report.created += 1
            elif save_if_changed(loc, values):
                report.updated += 1
        if len(deferred) == len(pending):
            missing = sorted({str(r.get("parent")) for r in deferred})
            raise GazetteerError(f"locations refer to unknown parents: {', '.join(missing)}")
        pending = deferred
    return report


def descendants_q(location: Location, field: str = "location") -> Any:
    """Return a filter for records whose ``field`` is ``location`` or anything inside it."""
    from django.db.models import Q

    return Q(**{f"{field}__path__startswith": location.path})
