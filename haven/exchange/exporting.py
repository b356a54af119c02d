"""Exports at four levels, each checked against the access policy and audited.

=============  =====================  ===========================================================================
level          capability             what is written
=============  =====================  ===========================================================================
full           EXPORT_FULL            every field the user may see (identifying fields masked unless the user has
                                      VIEW_IDENTIFYING), sealed in an encrypted archive (haven.backup's format:
                                      scrypt + AES-256-GCM STREAM) under a passphrase
pseudonymised  EXPORT_PSEUDONYMISED   stable pseudonyms instead of ids; no names, birth dates or origin detail;
                                      birth year and origin province kept as quasi-identifiers; free text left
                                      out and flagged (``needs_review``) unless ``include_free_text``
aggregate      EXPORT_AGGREGATE       counts, with cells from 1 to 4 shown as "<5" (policy.disclose_count)
multilist      EXPORT_PSEUDONYMISED   one row per person (or linkage cluster), a 0/1 column per organisation and
                                      optional strata: the input of ``haven estimate``
=============  =====================  ===========================================================================

Only records visible to the user (policy.visible: granted compartments, cleared levels) are exported. Every
export writes an EXPORTED audit entry (level, format, row counts, compartments, SHA-256 of the file written; no
contents) in the same transaction that moves the finished file into place; a refusal is audited as such.

Pseudonyms. A pseudonym is HMAC-SHA256 of the record's id under a key chosen per export:

* with ``recipient="NAME"``, the key is derived from a server-held secret (``derived_key("pseudonyms")``,
  never rotated) and the recipient's name, so the same person keeps the same pseudonym in every export to
  that recipient and different recipients cannot join their files on it;
* without a recipient, the key is random and forgotten after the export: pseudonyms are not stable.

Sudo mode: in the web UI, exports require re-authentication (policy.SUDO_CAPABILITIES). The ``haven export``
command is run by the server operator on behalf of a named user: the operator already holds the server's
keys, so the command checks the named user's policy but cannot ask for their password.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import os
import secrets
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from haven.accounts import policy
from haven.accounts.models import Compartment
from haven.analytics.disclosure import (
    DEFAULT_GENERALISERS,
    DisclosureReport,
    check_k_anonymity,
    generalise_rows,
    year_band,
)
from haven.audit.models import AuditAction
from haven.audit.services import audit_record, audit_refusal
from haven.backup.archive import ArchiveReader, ArchiveWriter, KdfParams
from haven.crypto.keyring import derived_key
from haven.exchange.spreadsheet import FORMATS, Table, write_tables
from haven.lib.dates import DateParseError, ImpreciseDate
from haven.records.models import Act, Event, Person, PersonName

LEVELS = ("full", "pseudonymised", "aggregate", "multilist")
CAPABILITY = {
    "full": policy.Capability.EXPORT_FULL,
    "pseudonymised": policy.Capability.EXPORT_PSEUDONYMISED,
    "aggregate": policy.Capability.EXPORT_AGGREGATE,
    "multilist": policy.Capability.EXPORT_PSEUDONYMISED,
}
STRATA = ("sex", "exit_year", "birth_year", "origin_province")
# Pseudonymised persons are checked for k-anonymity (k = policy.SMALL_CELL) on these columns before release:
# "refuse" (the default) writes nothing while a combination singles out fewer than k people; "release" writes
# the file anyway and reports the rows (for a recipient bound by agreement); ``coarsen`` generalises columns first.
QUASI_IDENTIFIERS = ("sex", "birth_year", "origin_province", "exit_year")
DISCLOSURE_MODES = ("refuse", "release")
PASSPHRASE_ENV = "HAVEN_EXPORT_PASSPHRASE"  # noqa: S105 (the name of a variable)
MIN_PASSPHRASE = 12


class ExportRefused(PermissionDenied):
    """The policy does not allow this export."""


class ExportError(Exception):
    """The export cannot be made as asked (bad option, unreadable clusters file); nothing is written."""


@dataclass
class ExportResult:
    path: Path
    level: str
    format: str
    counts: dict[str, int]
    sha256: str
    compartments: list[str] = field(default_factory=list)
    disclosure: DisclosureReport | None = None


def disclosure_message(report: DisclosureReport, limit: int = 20) -> str:
    """Return the k-anonymity findings for the user: each rare combination, its rows, what to coarsen."""
    if report.ok:
        return _("Every combination of %(columns)s is shared by at least %(k)s people.") % {
            "columns": ", ".join(report.quasi_identifiers),
            "k": report.k,
        }
    lines = [
        _("%(n)s of %(total)s persons have a combination of %(columns)s shared by fewer than %(k)s people:")
        % {
            "n": len(report.failing_rows),
            "total": report.rows,
            "columns": ", ".join(report.quasi_identifiers),
            "k": report.k,
        }  # fmt: skip
    ]
    for group in report.failing[:limit]:
        lines.append(f"  {group.describe()}: " + ", ".join(map(str, group.rows)))
    if len(report.failing) > limit:
        lines.append(_("  … and %(n)s more combinations") % {"n": len(report.failing) - limit})
    for s in report.suggestions[:3]:
        lines.append(
            _("Coarsening %(columns)s (--coarsen %(option)s) would leave %(n)s persons failing.")
            % {"columns": s.describe(), "option": ",".join(s.columns), "n": s.failing_rows}
        )
    return "\n".join(lines)


def _k_anonymity(tables: list[Table], mode: str, coarsen: list[str]) -> DisclosureReport:
    """Check (after coarsening) the persons table of a pseudonymised export; refuse unless released."""
    persons = next(t for t in tables if t.name == "persons")
    rows = [dict(zip(persons.headers, r, strict=True)) for r in persons.rows]
    rows = generalise_rows(rows, {c: DEFAULT_GENERALISERS[c] for c in coarsen})
    report = check_k_anonymity(
        rows, QUASI_IDENTIFIERS, k=policy.SMALL_CELL, labels=[r["pseudonym"] for r in rows]
    )
    if not report.ok and mode == "refuse":
        raise ExportError(
            _("Nothing was written: the export would single people out.") + "\n" + disclosure_message(report)
        )
    persons.rows = [[r[h] for h in persons.headers] for r in rows]
    if "birth_year" in coarsen:  # a victim's age at a dated act would give the birth year back
        acts = next(t for t in tables if t.name == "acts")
        age = acts.headers.index("victim_age")
        band = year_band(5)
        acts.rows = ([*r[:age], band(r[age]), *r[age + 1 :]] for r in acts.rows)
    return report


def _refuse(actor: Any, level: str, reason: str) -> None:
    audit_refusal(
        actor=actor,
        target=None,
        details={
            "operation": "export",
            "level": level,
            "capability": CAPABILITY[level].value,
            "reason": reason,
        },
    )
    raise ExportRefused(_("You may not make this export."))


def _scope(actor: Any, level: str, codes: list[str] | None) -> list[Compartment]:
    granted = policy.compartment_ids(actor)
    if not codes:
        return list(Compartment.objects.filter(pk__in=granted).order_by("code"))
    found = {c.code: c for c in Compartment.objects.filter(code__in=codes)}
    # A compartment that does not exist and one not granted are refused alike: existence does not leak.
    if any(code not in found or found[code].pk not in granted for code in codes):
        _refuse(actor, level, "compartment")
    return [found[c] for c in sorted(set(codes))]


def _birth_year(text: str | None) -> int | None:
    if not text:
        return None
    try:
        return ImpreciseDate.parse(text).year
    except DateParseError:
        return None


def _province_code(path: str | None) -> str:
    """Return the first level below the country ("/KP/KP-09/..." → "KP-09"), or the country, or ""."""
    parts = [p for p in (path or "").split("/") if p]
    return parts[1] if len(parts) > 1 else (parts[0] if parts else "")


class _Exporter:
    def __init__(self, actor: Any, compartments: list[Compartment]) -> None:
        self.actor = actor
        ids = [c.pk for c in compartments]
        self.persons = policy.visible(actor, Person.objects.filter(compartment_id__in=ids))
        self.events = policy.visible(actor, Event.objects.filter(compartment_id__in=ids))
        self.acts = policy.visible(actor, Act.objects.filter(compartment_id__in=ids)).filter(
            victim__in=self.persons, event__in=self.events
        )

    # ---- full -------------------------------------------------------------------------------------------------

    def full(self) -> list[Table]:
        u = self.actor
        m = policy.masked
        persons = self.persons.select_related("organisation", "compartment", "origin_province").order_by("pk")
        names = (
            PersonName.objects.filter(person__in=self.persons)
            .select_related("person")
            .order_by("person_id", "pk")
        )
        events = self.events.select_related("organisation", "compartment", "location").order_by("pk")
        acts = self.acts.select_related("act_type", "location", "facility").order_by("pk")
        return [
            Table(
                "persons",
                [
                    "id",
                    "organisation",
                    "compartment",
                    "confidentiality",
                    "external_id",
                    "sex",
                    "birth_date",
                    "origin_province",
                    "origin_detail",
                    "exit_year",
                    "group_description",
                    "sensitive_notes",
                    "created_at",
                ],  # fmt: skip
                (
                    [
                        p.pk,
                        p.organisation.code,
                        p.compartment.code,
                        p.confidentiality,
                        p.external_id,
                        p.sex,
                        m(u, p, "birth_date"),
                        p.origin_province.code if p.origin_province else "",
                        m(u, p, "origin_detail"),
                        p.exit_year,
                        p.group_description,
                        m(u, p, "sensitive_notes"),
                        p.created_at.isoformat(),
                    ]  # fmt: skip
                    for p in persons.iterator(chunk_size=2000)
                ),
            ),
            Table(
                "names",
                ["person_id", "kind", "system", "full_name", "family_name", "given_name", "is_primary"],
                (
                    [
                        n.person_id,
                        n.kind,
                        n.system,
                        m(u, n, "full_name"),
                        m(u, n, "family_name"),
                        m(u, n, "given_name"),
                        int(n.is_primary),
                    ]  # fmt: skip
                    for n in names.iterator(chunk_size=2000)
                ),
            ),
            Table(
                "events",
                [
                    "id",
                    "organisation",
                    "compartment",
                    "confidentiality",
                    "external_id",
                    "title",
                    "description",
                    "date",
                    "location",
                    "impact",
                    "remarks",
                    "sensitive_notes",
                ],  # fmt: skip
                (
                    [
                        e.pk,
                        e.organisation.code,
                        e.compartment.code,
                        e.confidentiality,
                        e.external_id,
                        e.title,
                        e.description,
                        str(e.date),
                        e.location.code if e.location else "",
                        e.impact,
                        e.remarks,
                        m(u, e, "sensitive_notes"),
                    ]  # fmt: skip
                    for e in events.iterator(chunk_size=2000)
                ),
            ),
            Table(
                "acts",
                [
                    "id",
                    "external_id",
                    "event_id",
                    "victim_id",
                    "act_type",
                    "date",
                    "location",
                    "facility",
                    "victim_age",
                    "confidentiality",
                    "stated_reason",
                ],  # fmt: skip
                (
                    [
                        a.pk,
                        a.external_id,
                        a.event_id,
                        a.victim_id,
                        a.act_type.code,
                        str(a.date),
                        a.location.code if a.location else "",
                        a.facility.code if a.facility else "",
                        a.victim_age,
                        a.confidentiality,
                        a.stated_reason,
                    ]  # fmt: skip
                    for a in acts.iterator(chunk_size=2000)
                ),
            ),
        ]

    # ---- pseudonymised ----------------------------------------------------------------------------------------

    def pseudonymised(self, key: bytes, include_free_text: bool) -> list[Table]:
        def pseudonym(prefix: str, pk: int) -> str:
            return prefix + hmac.new(key, f"{prefix}:{pk}".encode(), hashlib.sha256).hexdigest()[:16]

        persons = self.persons.select_related("organisation", "origin_province").order_by("pk")
        acts = self.acts.select_related("act_type", "location", "event", "organisation").order_by("pk")
        free_person = ["group_description"] if include_free_text else []
        free_act = ["title", "description", "stated_reason"] if include_free_text else []

        def person_rows() -> Iterator[list[Any]]:
            for p in persons.iterator(chunk_size=2000):
                texts = [p.group_description]
                yield [
                    pseudonym("P", p.pk), p.organisation.code, p.sex, _birth_year(p.birth_date) or "",
                    p.origin_province.code if p.origin_province else "", p.exit_year or "",
                    int(any(texts)), *(texts if include_free_text else []),
                ]  # fmt: skip

        def act_rows() -> Iterator[list[Any]]:
            for a in acts.iterator(chunk_size=2000):
                texts = [a.event.title, a.event.description, a.stated_reason]
                yield [
                    pseudonym("A", a.pk), pseudonym("E", a.event_id), pseudonym("P", a.victim_id),
                    a.organisation.code, a.act_type.code, a.act_type.label_en, a.date.year or "",
                    _province_code(a.location.path if a.location else None), a.victim_age if a.victim_age is not None else "",
                    int(any(texts)), *(texts if include_free_text else []),
                ]  # fmt: skip

        return [
            Table(
                "persons",
                [
                    "pseudonym",
                    "organisation",
                    "sex",
                    "birth_year",
                    "origin_province",
                    "exit_year",
                    "needs_review",
                    *free_person,
                ],  # fmt: skip
                person_rows(),
            ),
            Table(
                "acts",
                [
                    "act",
                    "event",
                    "victim",
                    "organisation",
                    "act_type",
                    "act_type_label",
                    "year",
                    "province",
                    "victim_age",
                    "needs_review",
                    *free_act,
                ],  # fmt: skip
                act_rows(),
            ),
        ]

    # ---- aggregate --------------------------------------------------------------------------------------------

    def aggregate(self) -> list[Table]:
        acts: Counter[tuple[Any, ...]] = Counter(
            (code, label, start.year if start else "", _province_code(path), sex)
            for code, label, start, path, sex in self.acts.values_list(
                "act_type__code", "act_type__label_en", "date_start", "location__path", "victim__sex"
            ).iterator(chunk_size=5000)
        )
        persons: Counter[tuple[Any, ...]] = Counter(
            (sex, exit_year or "", province or "")
            for sex, exit_year, province in self.persons.values_list(
                "sex", "exit_year", "origin_province__code"
            ).iterator(chunk_size=5000)
        )
        return [
            Table(
                "acts",
                ["act_type", "act_type_label", "year", "province", "victim_sex", "count"],
                (
                    [*k, policy.disclose_count(n)]
                    for k, n in sorted(acts.items(), key=lambda kv: [str(x) for x in kv[0]])
                ),
            ),
            Table(
                "persons",
                ["sex", "exit_year", "origin_province", "count"],
                (
                    [*k, policy.disclose_count(n)]
                    for k, n in sorted(persons.items(), key=lambda kv: [str(x) for x in kv[0]])
                ),
            ),
        ]

    # ---- multilist --------------------------------------------------------------------------------------------

    def multilist(self, clusters: dict[tuple[str, str], str], strata: list[str]) -> list[Table]:
        units: dict[tuple[str, Any], set[str]] = {}
        values: dict[tuple[str, Any], list[tuple[Any, ...]]] = {}
        need_birth = "birth_year" in strata
        fields = ["pk", "organisation__code", "external_id", "sex", "exit_year", "origin_province__code"]
        rows: Iterable[tuple[Any, ...]]
        if need_birth:
            rows = (
                (
                    p.pk,
                    p.organisation.code,
                    p.external_id,
                    p.sex,
                    p.exit_year,
                    p.origin_province.code if p.origin_province else None,
                    _birth_year(p.birth_date),
                )  # fmt: skip
                for p in self.persons.select_related("organisation", "origin_province").iterator(
                    chunk_size=2000
                )
            )
        else:
            rows = ((*r, None) for r in self.persons.values_list(*fields).iterator(chunk_size=5000))
        for pk, org, external_id, sex, exit_year, province, birth_year in rows:
            cluster = clusters.get((org, external_id)) if external_id else None
            unit: tuple[str, Any] = ("c", cluster) if cluster is not None else ("p", pk)
            units.setdefault(unit, set()).add(org)
            record = {
                "sex": sex,
                "exit_year": exit_year,
                "birth_year": birth_year,
                "origin_province": province,
            }
            values.setdefault(unit, []).append(tuple(record[s] for s in strata))
        lists = sorted({org for orgs in units.values() for org in orgs})
        clash = set(lists) & set(strata)
        if clash:
            raise ExportError(
                _("A stratum has the name of an organisation: %(names)s.")
                % {"names": ", ".join(sorted(clash))}
            )

        def stratum(samples: list[tuple[Any, ...]], i: int) -> str:
            # A cluster's members may disagree: take the most frequent known value (ties: the smallest).
            known = Counter(str(s[i]) for s in samples if s[i] not in (None, "", "U"))
            if not known:
                return "unknown"
            best = max(known.values())
            return min(v for v, n in known.items() if n == best)

        def out() -> Iterator[list[Any]]:
            for unit in sorted(units, key=lambda u: (u[0], str(u[1]))):
                orgs = units[unit]
                yield [
                    *(int(o in orgs) for o in lists),
                    *(stratum(values[unit], i) for i in range(len(strata))),
                ]

        return [Table("multilist", [*lists, *strata], out())]


def read_clusters(path: Path) -> dict[tuple[str, str], str]:
    """Read a linkage clusters CSV (columns source, record_id, cluster_id) into {(org, external id): cluster}."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or not {"source", "record_id", "cluster_id"} <= set(reader.fieldnames):
                raise ExportError(_("The clusters file needs the columns source, record_id and cluster_id."))
            return {
                (row["source"].strip(), row["record_id"].strip()): row["cluster_id"].strip()
                for row in reader
                if row.get("cluster_id", "").strip()
            }
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ExportError(_("The clusters file cannot be read: %(error)s") % {"error": exc}) from None


def pseudonym_key(recipient: str | None) -> bytes:
    """Return the pseudonym key: derived from the recipient's name (stable), or random (one export only)."""
    if recipient:
        return hmac.new(derived_key("pseudonyms"), recipient.strip().encode(), hashlib.sha256).digest()
    return secrets.token_bytes(32)


def passphrase_from(passphrase_file: str | None) -> str:
    if passphrase_file:
        try:
            lines = Path(passphrase_file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            raise ExportError(_("The passphrase file cannot be read.")) from None
        passphrase = lines[0] if lines else ""
    else:
        passphrase = os.environ.get(PASSPHRASE_ENV, "")
    if not passphrase:
        raise ExportError(
            _("A full export is encrypted: give --passphrase-file or set %(env)s.") % {"env": PASSPHRASE_ENV}
        )
    if len(passphrase) < MIN_PASSPHRASE:
        raise ExportError(_("The passphrase needs at least %(n)s characters.") % {"n": MIN_PASSPHRASE})
    return passphrase


def export_data(
    *,
    actor: Any,
    level: str,
    out: Path | str,
    fmt: str = "csv",
    compartments: list[str] | None = None,
    passphrase: str | None = None,
    recipient: str | None = None,
    include_free_text: bool = False,
    clusters: Path | str | None = None,
    strata: list[str] | None = None,
    kdf: KdfParams | None = None,
    disclosure: str = "refuse",
    coarsen: list[str] | None = None,
) -> ExportResult:
    """Write an export of ``level`` to ``out`` for ``actor``; return what was written (see the module docstring).

    Raises:
        ExportRefused: the policy does not allow it (audited).
        ExportError: an option is wrong, or (pseudonymised) the rows would single people out; nothing is written.
    """
    coarsen = [c.strip() for c in coarsen or [] if c.strip()]
    if disclosure not in DISCLOSURE_MODES or any(c not in QUASI_IDENTIFIERS for c in coarsen):
        raise ExportError(
            _("Choose --disclosure from %(modes)s and --coarsen from %(columns)s.")
            % {"modes": ", ".join(DISCLOSURE_MODES), "columns": ", ".join(QUASI_IDENTIFIERS)}
        )
    k_report = None
    if level not in LEVELS:
        raise ExportError(_("Unknown export level %(level)s.") % {"level": level})
    if fmt not in FORMATS:
        raise ExportError(_("Unknown format %(format)s.") % {"format": fmt})
    if not policy.has(actor, CAPABILITY[level]):
        _refuse(actor, level, "capability")
    scope = _scope(actor, level, compartments)
    strata = [s.strip() for s in strata or [] if s.strip()]
    unknown = [s for s in strata if s not in STRATA]
    if unknown:
        raise ExportError(
            _("Unknown strata %(names)s; choose from %(known)s.")
            % {"names": ", ".join(unknown), "known": ", ".join(STRATA)}
        )
    if level == "full":
        passphrase = passphrase or passphrase_from(None)
        if len(passphrase) < MIN_PASSPHRASE:
            raise ExportError(_("The passphrase needs at least %(n)s characters.") % {"n": MIN_PASSPHRASE})
    exporter = _Exporter(actor, scope)
    if level == "full":
        tables = exporter.full()
    elif level == "pseudonymised":
        tables = exporter.pseudonymised(pseudonym_key(recipient), include_free_text)
        k_report = _k_anonymity(tables, disclosure, coarsen)
    elif level == "aggregate":
        tables = exporter.aggregate()
    else:
        tables = exporter.multilist(read_clusters(Path(clusters)) if clusters else {}, strata)

    out = Path(out)
    partial = out.with_name(out.name + ".partial")
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as fh:
            if level == "full":
                payload = io.BytesIO()
                counts = write_tables(tables, fmt, payload)
                writer = ArchiveWriter(fh, passphrase or "", kdf=kdf)
                view = payload.getbuffer()
                for start in range(0, len(view), 1 << 20):
                    writer.write(view[start : start + (1 << 20)])
                writer.close()
                del view
            else:
                counts = write_tables(tables, fmt, fh)
            fh.flush()
            os.fsync(fh.fileno())
        digest = hashlib.sha256(partial.read_bytes()).hexdigest()
        with transaction.atomic():
            audit_record(
                actor=actor,
                action=AuditAction.EXPORTED,
                target=None,
                details={
                    "level": level,
                    "format": fmt,
                    "rows": counts,
                    "compartments": [c.code for c in scope],
                    "sha256": digest,
                    "encrypted": level == "full",
                    "pseudonym_key": ("recipient:" + recipient)
                    if recipient and level == "pseudonymised"
                    else "",
                    "free_text": bool(include_free_text) if level == "pseudonymised" else False,
                    "strata": strata,
                    "clusters": bool(clusters),
                    **(
                        {
                            "k_anonymity": {
                                "k": k_report.k,
                                "coarsened": coarsen,
                                "mode": disclosure,
                                "persons_in_small_groups": len(k_report.failing_rows),
                            }
                        }  # fmt: skip
                        if k_report
                        else {}
                    ),
                },
            )
        # Only once the entry is committed: an export never exists without its audit entry.
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return ExportResult(
        path=out,
        level=level,
        format=fmt,
        counts=counts,
        sha256=digest,
        compartments=[c.code for c in scope],
        disclosure=k_report,
    )


def read_full_export(path: Path | str, passphrase: str) -> bytes:
    """Return the decrypted payload of a full export (CSV, ZIP of CSVs, XLSX or JSON), after authenticating all of it."""
    with Path(path).open("rb") as fh:
        reader = ArchiveReader(fh, passphrase, name=Path(path).name)
        data = reader.read()
        reader.verify_to_end()
    return data
