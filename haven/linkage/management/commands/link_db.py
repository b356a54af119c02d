"""``haven link_db --user NAME --compartment CODE ...``: link the persons in the database, as a named user.

Runs the same service as the web page, at once rather than as a background job: the user's role and
compartment grants decide which persons are linked, and the run, its pairs and clusters are stored for the
review queue. Identifying values are decrypted in memory only. Like ``haven export``, the command is run by
the server operator on behalf of the named user (it cannot ask for their password).
"""

from __future__ import annotations

import sys
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from haven.accounts.models import Compartment
from haven.analytics.linkage import DEFAULT_THRESHOLD
from haven.linkage.models import LinkageRun
from haven.linkage.services import LinkageError, linkage_run_execute, linkage_run_request


class Command(BaseCommand):
    help = "Link the persons of some compartments (as a named user) and store pairs and clusters for review."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="User the run is for (their permissions apply).")
        parser.add_argument(
            "--compartment", action="append", required=True, metavar="CODE", help="Repeat for several."
        )
        parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, metavar="P")
        parser.add_argument("--seed", type=int, default=None, metavar="N")
        parser.add_argument(
            "--model-from", type=int, default=None, metavar="RUN", help="Reuse a run's model."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {options['user']!r}")
        codes = list(dict.fromkeys(options["compartment"]))
        compartments = list(Compartment.objects.filter(code__in=codes))
        missing = sorted(set(codes) - {c.code for c in compartments})
        if missing:
            raise CommandError(f"no compartment {missing[0]!r}")
        model_from = None
        if options["model_from"] is not None:
            model_from = LinkageRun.objects.filter(pk=options["model_from"]).first()
            if model_from is None:
                raise CommandError(f"no linkage run {options['model_from']}")
        try:
            run = linkage_run_request(
                actor=user,
                compartments=compartments,
                threshold=options["threshold"],
                seed=options["seed"],
                model_from=model_from,
            )
            run = linkage_run_execute(run=run, actor=user, progress=self._progress)
        except PermissionDenied as exc:
            raise CommandError(f"{user.username}: {exc}") from None
        except LinkageError as exc:
            raise CommandError(str(exc)) from None
        sys.stderr.write("\n")
        self.stdout.write(
            f"run {run.pk}: {run.person_count} persons, {run.pair_count} candidate pairs, "
            f"{run.cluster_count} clusters of two or more; labels used: {run.labels_accepted} accepted, "
            f"{run.labels_rejected} rejected; seed {run.seed}"
        )

    def _progress(self, done: int, total: int, message: str) -> None:
        sys.stderr.write(f"\r{done:3d}% {message[:60]:<60}")
        sys.stderr.flush()
