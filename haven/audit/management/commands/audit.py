"""``haven audit verify`` checks the hash chain; ``haven audit tail`` prints the newest entries.

verify prints "audit chain intact: N entries, head <hash>" and exits 0, or "audit chain BROKEN at entry #seq:
reason" and exits 1. Keep the printed head somewhere off the server, and pass it back with ``--anchor`` to
detect entries removed from the end. Entries hold no clear text of sensitive values, so tail may print them.
"""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from haven.audit.chain import canonical_json
from haven.audit.models import AuditAction, AuditEntry
from haven.audit.verify import verify_chain


class Command(BaseCommand):
    help = "Verify the audit log's hash chain, or show its newest entries."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser(
            "verify", help="check every entry; exit 1 and name the first broken one if any"
        )
        verify.add_argument("--batch-size", type=int, default=5000)
        verify.add_argument(
            "--anchor",
            action="append",
            default=[],
            metavar="HASH",
            help="an entry hash printed by an earlier verify; it must still be in the chain (repeatable)",
        )
        tail = sub.add_parser("tail", help="print the newest entries")
        tail.add_argument("-n", type=int, default=20, help="how many (default 20)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            self._verify(options["batch_size"], options["anchor"])
        else:
            self._tail(options["n"])

    def _verify(self, batch_size: int, anchors: list[str]) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        result = verify_chain(batch_size, anchors=anchors)
        if result.ok:
            self.stdout.write(str(result))
            return
        self.stderr.write(str(result))
        sys.exit(1)

    def _tail(self, n: int) -> None:
        entries = list(AuditEntry.objects.order_by("-seq")[: max(n, 0)])
        for e in reversed(entries):
            action = (
                f"{e.action} {AuditAction(e.action).name.lower()}"
                if e.action in AuditAction.values
                else str(e.action)
            )
            parts = [
                f"#{e.seq}",
                e.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                e.actor_label or "-",
                action,
                e.target_label or "-",
                f"compartment={e.compartment_id}" if e.compartment_id is not None else "",
                e.ip or "",
                canonical_json(e.details) if e.details else "",
            ]
            self.stdout.write("  ".join(p for p in parts if p))
