from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from haven.crypto import rotation
from haven.crypto.models import DataKey


class Command(BaseCommand):
    help = (
        "Manage encryption keys: 'keys list'; 'keys rotate' (new data key, re-encrypt every value, delete the "
        "old key); 'keys rotate --index' (new blind-index key, recompute every index); 'keys rewrap "
        "--new-master-key-file F' (re-wrap all keys under a new master key, then set HAVEN_MASTER_KEY to it)."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("action", choices=["list", "rotate", "rewrap"])
        parser.add_argument(
            "--index", action="store_true", help="Rotate the blind-index key instead of the data key."
        )
        parser.add_argument("--batch", type=int, default=500)
        parser.add_argument("--new-master-key-file", type=Path)

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        action = options["action"]
        if action == "list":
            for key in DataKey.objects.order_by("purpose", "created_at"):
                state = "active" if key.active else f"retired {key.retired_at:%Y-%m-%d %H:%M}"
                self.stdout.write(
                    f"{key.kid}  {key.purpose:<12} created {key.created_at:%Y-%m-%d %H:%M}  {state}"
                )
            return
        if action == "rewrap":
            path = options["new_master_key_file"]
            if path is None:
                raise CommandError("rewrap needs --new-master-key-file")
            secret = path.read_text(encoding="utf-8").strip()
            if len(secret) < 32:
                raise CommandError(f"{path}: a master key needs at least 32 characters")
            count = rotation.rewrap_all(secret)
            self.stdout.write(
                f"{count} keys re-wrapped. Now set HAVEN_MASTER_KEY_FILE={path} and restart Haven."
            )
            self._audit("rewrap", {"keys": count})
            return
        rotate = rotation.rotate_index_key if options["index"] else rotation.rotate_data_key
        report = rotate(batch=options["batch"], progress=self.stdout.write)
        total = sum(report.reencrypted.values())
        self.stdout.write(
            f"New {'index' if options['index'] else 'data'} key {report.new_kid}; {total} rows updated; "
            f"old keys deleted: {', '.join(report.retired_keys) or 'none'}."
        )
        self._audit(
            "rotate", {"kid": report.new_kid, "rows": report.reencrypted, "deleted": report.retired_keys}
        )

    def _audit(self, what: str, details: dict) -> None:  # type: ignore[type-arg]
        from haven.audit.models import AuditAction
        from haven.audit.services import audit_record

        audit_record(actor=None, action=AuditAction.KEY_ROTATED, details={"operation": what, **details})
