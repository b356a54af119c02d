from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from haven.cli import DEMO_MARKER


class Command(BaseCommand):
    help = (
        "Demo only: print the current two-factor code of a demo account (stands in for an authenticator app)."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("username")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        if settings.HAVEN_MODE != "demo" or not (settings.HAVEN_HOME / DEMO_MARKER).exists():
            raise CommandError("totp_code works only on an instance built by 'haven demo'.")
        auth = Authenticator.objects.filter(
            user__username=options["username"], type=Authenticator.Type.TOTP
        ).first()
        if auth is None:
            raise CommandError(f"{options['username']} has no authenticator.")
        counter = next(iter(yield_hotp_counters_from_time()))
        self.stdout.write(format_hotp_value(hotp_value(decrypt(auth.data["secret"]), counter)))
