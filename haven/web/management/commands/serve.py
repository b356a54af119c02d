"""haven serve: the production web server (gunicorn, several worker processes; static files by WhiteNoise)."""

from __future__ import annotations

import os
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Serve Haven with gunicorn (run `haven worker` beside it for background jobs). Put a TLS-terminating "
        "reverse proxy in front; it must set REMOTE_ADDR to the client's address."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000", help="address:port (default %(default)s)")
        parser.add_argument(
            "--workers",
            type=int,
            default=2 * (os.cpu_count() or 1) + 1,
            help="worker processes (default 2×cores+1)",
        )
        parser.add_argument("--threads", type=int, default=1, help="threads per worker (default 1)")
        parser.add_argument(
            "--timeout", type=int, default=60, help="seconds before a stuck worker is restarted"
        )
        parser.add_argument("--access-log", default=None, help="file for the access log ('-' for stdout)")

    def handle(self, *args: Any, **options: Any) -> None:
        from gunicorn.app.base import BaseApplication

        # Collect first: WhiteNoise indexes the static directory when the application is created.
        call_command("collectstatic", interactive=False, verbosity=0)
        from haven.config.wsgi import application

        config = {
            "bind": options["bind"],
            "workers": options["workers"],
            "threads": options["threads"],
            "timeout": options["timeout"],
            "accesslog": options["access_log"],
            # Request lines carry record ids and search terms: never log query strings by default.
            "access_log_format": '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
        }

        class Server(BaseApplication):  # type: ignore[misc]
            def load_config(self) -> None:
                for key, value in config.items():
                    if value is not None:
                        self.cfg.set(key, value)

            def load(self) -> Any:
                return application

        self.stdout.write(f"Serving Haven on http://{options['bind']}/ with {options['workers']} workers")
        Server().run()
