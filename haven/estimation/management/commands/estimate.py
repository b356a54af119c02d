from __future__ import annotations

import argparse
import sys

from django.core.management.base import BaseCommand, CommandError

from haven.analytics.estimation import cli


class Command(BaseCommand):
    help = (
        "Estimate the total number of victims from several lists (multiple systems estimation): "
        "haven estimate LISTS.csv [--method loglinear|lcmcr] [--criterion aic|bic] [--strata COL] [--seed N] [--json]. "
        "Run 'haven estimate --help' for every option."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("args", nargs=argparse.REMAINDER)

    def run_from_argv(self, argv):  # type: ignore[no-untyped-def]
        # The estimator has its own argument parser (shared with its tests), which expects "estimate" first.
        code = cli.main(argv[1:])
        sys.stdout.flush()
        if code:
            sys.exit(code)

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        code = cli.main(["estimate", *args])
        if code:
            raise CommandError(f"estimate exited with status {code}")
