"""Where one page's time goes, in this process: CPU per request, its SQL, and the functions that cost most.

bench_load.py says how fast a page is under load; this says why. It requests a page (or API call) through
Django's test client as one of the demo accounts, a few times to warm up, then N times timed and N times under cProfile,
and prints the mean wall and CPU time per request (unprofiled), the queries and their time, and the top functions.

    HAVEN_HOME=/tmp/large-pg DATABASE_URL=postgres://postgres@127.0.0.1:5432/haven_large HAVEN_MODE=demo \\
        .venv/bin/python benchmarks/profile_page.py caseworker /cases/ -n 20
    ... profile_page.py documenter /api/v1/persons/ --token records:read   # an API call with a bearer token

CPU time is of this process only (the database's is not in it): compare it with the wall time to see how much
of a request is Haven's own work.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haven.config.settings")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from haven.accounts.models import User  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("user", help="demo account to request the page as")
    parser.add_argument("path", help="the page's path, e.g. /cases/")
    parser.add_argument("-n", type=int, default=20, help="profiled requests (default %(default)s)")
    parser.add_argument("--top", type=int, default=35, help="functions to list (default %(default)s)")
    parser.add_argument("--sort", default="tottime", help="pstats sort key (default %(default)s)")
    parser.add_argument("--token", default="", help="API scopes, comma-separated: call with a bearer token")
    parser.add_argument("--queries", action="store_true", help="also print each query of one request")
    parser.add_argument(
        "--callers", default="", help="also print who calls the functions matching this regex"
    )
    args = parser.parse_args()

    from django.conf import settings

    if settings.HAVEN_MODE != "demo":
        # It reads as a real account, writes audit entries and a token: only on a demo or benchmark instance.
        raise SystemExit("profile_page.py runs only on a demo instance (HAVEN_MODE=demo)")
    user = User.objects.get(username=args.user)
    client = Client(HTTP_HOST="127.0.0.1")
    headers = {}
    new = None
    if args.token:
        from haven.api.tokens import EXPIRY_DAYS, token_create

        new = token_create(
            actor=user, name="profile_page", scopes=args.token.split(","), expires_in_days=min(EXPIRY_DAYS)
        )
        headers["HTTP_AUTHORIZATION"] = f"Bearer {new.secret}"
    else:
        client.force_login(user)
    try:
        for _ in range(3):
            response = client.get(args.path, **headers)
            if response.status_code != 200:
                raise SystemExit(f"{args.path} answered {response.status_code}")
        with CaptureQueriesContext(connection) as captured:
            client.get(args.path, **headers)
        queries = list(captured.captured_queries)
        sql_ms = sum(float(q["time"]) for q in queries) * 1000
        if args.queries:
            for q in queries:
                print(f"{float(q['time']) * 1000:7.1f} ms  {q['sql'][:220]}")
        wall = time.perf_counter()
        cpu = time.process_time()
        for _ in range(args.n):
            client.get(args.path, **headers)
        cpu = (time.process_time() - cpu) * 1000 / args.n
        wall = (time.perf_counter() - wall) * 1000 / args.n
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.n):
            client.get(args.path, **headers)
        profiler.disable()
    finally:
        if new is not None:
            from haven.api.tokens import token_revoke

            token_revoke(actor=user, token_id=new.token.pk)
    print(
        f"{args.path} as {args.user} on {connection.vendor}: {wall:.1f} ms wall, {cpu:.1f} ms CPU a request "
        f"(not profiled); {len(queries)} queries, {sql_ms:.1f} ms SQL "
        f"(one request, timed by Django)"
    )
    stats = pstats.Stats(profiler)
    stats.sort_stats(args.sort).print_stats(args.top)
    if args.callers:
        stats.print_callers(args.callers)


if __name__ == "__main__":
    main()
