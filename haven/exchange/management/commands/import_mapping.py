from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from haven.accounts import policy
from haven.accounts.models import Organisation
from haven.exchange.management.commands._common import acting_user
from haven.exchange.mapping import FIELDS
from haven.exchange.models import ColumnMapping, ImportKind


class Command(BaseCommand):
    help = (
        "Save (or replace) a column mapping for a source organisation: haven import_mapping MAPPING.json "
        "--source ORGANISATION --name NAME --kind persons|events|cases --user USERNAME. The file holds "
        '{"mapping": {"source column": "haven field"}, "value_maps": {"sex": {"여": "F", "남": "M"}}}.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--source", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--kind", required=True, choices=ImportKind.values)
        parser.add_argument("--user", help="the acting user (needs IMPORT_DATA)")

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(options["user"])
        if not policy.has(user, policy.Capability.IMPORT_DATA):
            raise CommandError(_("You may not manage import mappings."))
        organisation = Organisation.objects.filter(code=options["source"]).first()
        if organisation is None:
            raise CommandError(_("No organisation %(code)s.") % {"code": options["source"]})
        try:
            data = json.loads(Path(options["file"]).read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(_("The mapping file cannot be read: %(error)s") % {"error": exc}) from None
        mapping, value_maps = data.get("mapping", {}), data.get("value_maps", {})
        fields = FIELDS[options["kind"]]
        if not isinstance(mapping, dict) or not isinstance(value_maps, dict):
            raise CommandError(_('"mapping" and "value_maps" must be objects.'))
        unknown = sorted({str(v) for v in mapping.values()} - fields.keys()) + sorted(
            set(value_maps) - fields.keys()
        )
        if unknown:
            raise CommandError(
                _("Unknown Haven fields: %(unknown)s; known: %(known)s.")
                % {"unknown": ", ".join(unknown), "known": ", ".join(fields)}
            )
        if not all(isinstance(m, dict) for m in value_maps.values()):
            raise CommandError(_("Each value map must be an object {source value: Haven value}."))
        with transaction.atomic():
            ColumnMapping.objects.update_or_create(
                organisation=organisation,
                name=options["name"],
                kind=options["kind"],
                defaults={"mapping": mapping, "value_maps": value_maps},
            )
        self.stdout.write(
            _("Saved the %(kind)s mapping %(name)s of %(organisation)s.")
            % {"kind": options["kind"], "name": options["name"], "organisation": organisation.code}
        )
