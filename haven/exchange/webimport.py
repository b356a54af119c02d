"""The web import as a background job: a dry run first, then (once the user confirms) the import itself.

Both are the job kind ``exchange.import``, run by :func:`run_import` with the importer of
:mod:`haven.exchange.importing` and the uploader's permissions (the importer asks the policy again). The job's
parameters hold the encrypted upload's key (see :mod:`haven.exchange.uploads`); its result, the counts and every
problem as (row, column, reason) in the user's language, is encrypted in the job row too.

The upload is deleted when the import job ends, whatever its outcome, and when a dry run finds the file
unreadable; after a dry run that could go on, it waits for the user's decision (or the sweep).
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from haven.accounts.models import Compartment, Organisation
from haven.evidence.storage import EvidenceDamaged
from haven.exchange import uploads
from haven.exchange.importing import Importer, ImportRefused
from haven.exchange.mapping import MappingError
from haven.exchange.models import ColumnMapping, ImportKind
from haven.exchange.readers import ImportFileError
from haven.jobs.progress import Progress
from haven.jobs.registry import JobError, register

KIND = "exchange.import"
# The most problems a job keeps for the page (the counts are always complete). A file with more is better
# fixed in a first pass and checked again.
MAX_PROBLEMS_KEPT = 10_000


def estimate_rows(path: Any) -> int:
    """Return a quick estimate of the data rows of a file (0 when unknown), for the progress bar."""
    suffix = path.suffix.lower()
    try:
        if suffix in {".csv", ".tsv", ".txt"}:
            lines = 0
            with path.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    lines += chunk.count(b"\n")
            return max(lines - 1, 0)
        if suffix == ".xlsx":
            import openpyxl

            book = openpyxl.load_workbook(path, read_only=True)
            try:
                return max((book.worksheets[0].max_row or 1) - 1, 0)
            finally:
                book.close()
    except Exception:  # noqa: BLE001 (only an estimate: the importer reports what is wrong with the file)
        return 0
    return 0


class _Reporter:
    """Turn the importer's stages into the job's progress: checking the rows, then writing the records."""

    def __init__(self, progress: Progress, *, estimate: int, planned_writes: int, dry_run: bool) -> None:
        self.progress = progress
        self.rows = estimate
        self.planned = 0 if dry_run else planned_writes
        self.read = 0

    def __call__(self, stage: str, n: int) -> None:
        if stage in {"read", "checked"}:
            self.read = n
            if stage == "checked":
                self.rows = n
            total = max(self.rows, n) + self.planned
            self.progress(n, total, _("Checking rows: %(n)s") % {"n": n}, force=stage == "checked")
        elif stage == "writing":
            self.progress(self.read, self.read + self.planned, _("Writing the records…"), force=True)
        elif stage == "written":
            total = self.read + max(self.planned, n)
            self.progress(self.read + n, total, _("Writing the records: %(n)s") % {"n": n})


def _objects(params: dict[str, Any]) -> tuple[Organisation, Compartment, ColumnMapping | None]:
    organisation = Organisation.objects.filter(pk=params.get("organisation")).first()
    compartment = Compartment.objects.filter(pk=params.get("compartment")).first()
    if organisation is None or compartment is None:
        raise JobError(_("The organisation or the compartment of this import no longer exists."))
    mapping = None
    if params.get("mapping"):
        mapping = ColumnMapping.objects.filter(
            pk=params["mapping"], organisation=organisation, kind=params["kind"]
        ).first()
        if mapping is None:
            raise JobError(_("The column mapping of this import no longer exists."))
    return organisation, compartment, mapping


@register(KIND)
def run_import(owner: Any, params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Check (dry run) or import the uploaded file for ``owner``; return the counts and problems."""
    with translation.override(params.get("language") or owner.preferred_language or "en"):
        return _run(owner, params, progress)


def _run(owner: Any, params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    stored = uploads.StoredUpload.from_params(params["upload"])
    dry_run = bool(params.get("dry_run"))
    keep_upload = False
    try:
        organisation, compartment, mapping = _objects(params)
        kind = ImportKind(params["kind"])
        try:
            with uploads.plaintext(stored) as path:
                estimate = int(params.get("rows") or 0) or estimate_rows(path)
                reporter = _Reporter(
                    progress,
                    estimate=estimate,
                    planned_writes=int(params.get("planned") or 0),
                    dry_run=dry_run,
                )
                progress(0, estimate, _("Reading the file…"), force=True)
                report = Importer(
                    actor=owner,
                    path=path,
                    kind=kind,
                    organisation=organisation,
                    compartment=compartment,
                    mapping=mapping,
                    encoding=params.get("encoding") or None,
                    dry_run=dry_run,
                    skip_invalid=bool(params.get("skip_invalid")),
                    progress=reporter,
                ).run()
        except FileNotFoundError:
            raise JobError(
                _(
                    "The uploaded file is no longer kept (uploads are deleted after %(hours)s hours); upload it again."
                )
                % {"hours": uploads.keep_hours()}
            ) from None
        except EvidenceDamaged:
            raise JobError(_("The stored upload is damaged; upload the file again.")) from None
        except (ImportRefused, ImportFileError, MappingError) as exc:
            raise JobError(f"{stored.file_name}: {exc}") from None
        problems = report.problems
        result = {
            "url": reverse("exchange:review" if dry_run else "exchange:result", args=[progress.job_id]),
            "dry_run": dry_run,
            "status": report.status,
            "import_id": report.run.pk,
            "file_name": stored.file_name,
            "kind": kind.value,
            "organisation": organisation.code,
            "compartment": compartment.code,
            "mapping": mapping.name if mapping else "",
            "skip_invalid": bool(params.get("skip_invalid")),
            "rows": report.rows,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "rejected": len(report.rejected_rows),
            "problems_total": len(problems),
            "problems": [[p.row, p.column, p.reason] for p in problems[:MAX_PROBLEMS_KEPT]],
        }
        keep_upload = dry_run
        return result
    finally:
        if not keep_upload:
            uploads.delete(stored)
