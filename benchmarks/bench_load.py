"""Haven under concurrent load: latency percentiles and throughput of its main pages and API calls.

Starts `haven serve` (gunicorn) on a free loopback port against an existing instance, logs in over HTTP with
the demo accounts (password + two-factor code), then drives each page with wrk at 1, 10 and 50 concurrent
connections. For each page it also times the page's slowest SQL query on its own, in this process, so the
overhead of Haven itself (Python, templates, audit writes) is visible beside the database's share.

    HAVEN_HOME=/tmp/big HAVEN_MODE=demo .venv/bin/python benchmarks/bench_load.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/haven_big HAVEN_HOME=/tmp/big-pg HAVEN_MODE=demo \\
        .venv/bin/python benchmarks/bench_load.py --users 1,10,50 --duration 15
    ... benchmarks/bench_load.py --soak 600          # steady mixed load; errors and worker memory over time

Build the instance first, e.g. `haven demo --no-serve --persons 200000`. The benchmark resets the demo
accounts' passwords on that instance (it must log in): use a benchmark instance, not one in use. Needs wrk
(Debian: apt-get install wrk). Every request of every run must answer 200; any other status is counted and
printed as an error.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

# The API's rate limits (600 requests a minute per token) would answer most of a load test with 429: the
# benchmark measures the server, so its server runs without them.
RATE_LIMITS_OFF = {
    "HAVEN_API_RATE": "100000000/minute",
    "HAVEN_API_SEARCH_RATE": "100000000/minute",
    "HAVEN_API_WRITE_RATE": "100000000/minute",
}
# (in this process too: it times each page's SQL with the same token, and the counters are shared.)
os.environ.update(RATE_LIMITS_OFF)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haven.config.settings")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

import requests  # noqa: E402
from allauth.mfa.models import Authenticator  # noqa: E402
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time  # noqa: E402
from allauth.mfa.utils import decrypt  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from haven.accounts.models import User  # noqa: E402

LUA = r"""
paths = {%(paths)s}
counter = math.random(1, #paths)
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1], {["Cookie"] = "%(cookie)s"%(extra_headers)s})
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%d %%.2f %%.2f %%.2f %%.2f\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write,
    summary.errors.timeout, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.duration / 1000000))
end
"""


@dataclass
class Page:
    name: str
    user: str  # demo account
    paths: list[str]
    headers: dict[str, str] | None = None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _login(base: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    answer = session.post(
        f"{base}/accounts/login/",
        data={"csrfmiddlewaretoken": token, "login": username, "password": password},
        headers={"Referer": f"{base}/accounts/login/"},
    )
    if "/2fa/authenticate" in answer.url:
        auth = Authenticator.objects.get(user__username=username, type=Authenticator.Type.TOTP)
        secret = decrypt(auth.data["secret"])
        # A code is accepted once: a run started within the same 30 s as the last one's login is refused the
        # code it would send, and waits for the next one.
        for attempt in range(2):
            if attempt:
                time.sleep(30 - time.time() % 30 + 1)
            code = format_hotp_value(hotp_value(secret, next(iter(yield_hotp_counters_from_time()))))
            form = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', answer.text)
            if form is None:
                raise SystemExit(f"could not log in as {username}: no two-factor form at {answer.url}")
            token = form.group(1)
            answer = session.post(
                answer.url, data={"csrfmiddlewaretoken": token, "code": code}, headers={"Referer": answer.url}
            )
            if "/2fa/authenticate" not in answer.url:
                break
    if "/accounts/" in answer.url:
        raise SystemExit(f"could not log in as {username}: ended at {answer.url}")
    return session


def _pages() -> list[Page]:
    """The pages issue 10 names, each with a spread of realistic URLs (skipped when the feature is absent)."""
    from django.urls import NoReverseMatch, reverse

    from haven.accounts import policy
    from haven.records.models import Event, Person

    rng = random.Random(7)
    pages: list[Page] = []
    documenter = User.objects.get(username="documenter")
    person_ids = list(policy.visible(documenter, Person.objects.all()).values_list("pk", flat=True)[:200_000])
    event_ids = list(policy.visible(documenter, Event.objects.all()).values_list("pk", flat=True)[:200_000])
    pages.append(
        Page(
            "person page",
            "documenter",
            [f"/records/persons/{i}/" for i in rng.sample(person_ids, min(300, len(person_ids)))],
        )
    )
    pages.append(
        Page(
            "event page",
            "documenter",
            [f"/records/events/{i}/" for i in rng.sample(event_ids, min(300, len(event_ids)))],
        )
    )
    searches = ["체포", "강제송환", "Hoeryong", "arrest", "인신매매", "detention", "Onsong", "탈북"]
    filters = [
        "",
        "&year_from=2005&year_to=2012",
        "&victim_sex=F",
        "&certainty=possible&year_from=2000&year_to=2010",
    ]
    pages.append(
        Page("search with filters", "documenter", [f"/search/?q={q}{f}" for q in searches for f in filters])
    )
    optional = [
        ("dashboard", "documenter", "web:dashboard", []),
        ("map data", "documenter", "web:map_data", []),
        ("case list", "caseworker", "cases:list", []),
    ]
    for name, user, url_name, args in optional:
        try:
            pages.append(Page(name, user, [reverse(url_name, args=args)]))
        except NoReverseMatch:
            print(f"({name}: no such page on this instance, skipped)")
    return pages


def _api_pages(tokens: dict[str, str]) -> list[Page]:
    """The main API calls, each with a bearer token of the user the call is made for."""
    from haven.accounts import policy
    from haven.records.models import Person

    rng = random.Random(11)
    documenter = User.objects.get(username="documenter")
    person_ids = list(policy.visible(documenter, Person.objects.all()).values_list("pk", flat=True)[:200_000])
    persons = [f"/api/v1/persons/{i}/" for i in rng.sample(person_ids, min(300, len(person_ids)))]
    searches = ["체포", "Hoeryong", "arrest", "detention"]
    references = _case_references(300)
    bearer = {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}
    pages = [
        Page(
            "API persons list",
            "documenter",
            ["/api/v1/persons/", "/api/v1/persons/?sex=F"],
            bearer["documenter"],
        ),
        Page("API person", "documenter", persons, bearer["documenter"]),
        Page(
            "API search",
            "documenter",
            [f"/api/v1/search/?q={quote(q)}" for q in searches],
            bearer["documenter"],
        ),
    ]
    if references:
        pages.append(Page("API cases list", "caseworker", ["/api/v1/cases/"], bearer["caseworker"]))
        pages.append(
            Page("API case", "caseworker", [f"/api/v1/cases/{r}/" for r in references], bearer["caseworker"])
        )
    return pages


def _mint_tokens() -> dict[str, str]:
    """A short-lived API token for the documenter and the case worker (revoked when the benchmark ends)."""
    from haven.api.models import Scope
    from haven.api.tokens import EXPIRY_DAYS, token_create

    out = {}
    for name, scopes in (
        ("documenter", [Scope.RECORDS_READ, Scope.SEARCH]),
        ("caseworker", [Scope.CASES_READ]),
    ):
        user = User.objects.get(username=name)
        new = token_create(actor=user, name="bench_load", scopes=scopes, expires_in_days=min(EXPIRY_DAYS))
        out[name] = new.secret
    return out


def _revoke_tokens() -> None:
    from haven.api.tokens import token_revoke, tokens_of

    for name in ("documenter", "caseworker"):
        user = User.objects.get(username=name)
        for token in tokens_of(user):
            if token.name == "bench_load" and token.revoked_at is None:
                token_revoke(actor=user, token_id=token.pk)


def _case_references(limit: int) -> list[str]:
    """References of the first ``limit`` cases the demo case worker may see."""
    from haven.accounts import policy
    from haven.cases.models import Case

    caseworker = User.objects.get(username="caseworker")
    visible = Case.objects.filter(compartment_id__in=policy.compartment_ids(caseworker))
    return list(visible.values_list("reference", flat=True)[:limit])


def _case_pages() -> list[Page]:
    refs = _case_references(100_000)
    if not refs:
        return []
    rng = random.Random(5)
    return [Page("case page", "caseworker", [f"/cases/{r}/" for r in rng.sample(refs, min(300, len(refs)))])]


def _review_pages() -> list[Page]:
    """The linkage review queue of the analyst's latest finished run, and its pairs' evidence pages."""
    from haven.linkage.models import CandidatePair, LinkageRun, RunStatus

    run = LinkageRun.objects.filter(status=RunStatus.DONE).order_by("-pk").first()
    if run is None:
        print("(review queue: no linkage run on this instance (build_large.py --link), skipped)")
        return []
    pairs = list(
        CandidatePair.objects.filter(run=run).order_by("-uncertainty").values_list("pk", flat=True)[:300]
    )
    return [
        Page("review queue", "analyst", [f"/linkage/runs/{run.pk}/pairs/"]),
        Page("review pair", "analyst", [f"/linkage/pairs/{pk}/" for pk in pairs]),
    ]


def _main_query_ms(page: Page, users: dict[str, User]) -> tuple[float, int]:
    """Median time of the page's slowest SQL query run alone, and the number of queries the page makes."""
    from haven.web import recount

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(users[page.user])
    headers = {"HTTP_AUTHORIZATION": page.headers["Authorization"]} if page.headers else {}
    # This process's first request makes what any process's first makes once (the search's full check of its
    # texts, for one): a warm-up with another of the page's URLs, as wrk's warm-up does for the server.
    client.get(page.paths[-1], **headers)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(page.paths[0], **headers)
    recount.wait_for_recounts()  # counted in this process's background: not while the server is measured
    if response.status_code != 200:
        return float("nan"), len(captured.captured_queries)
    selects = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))
    ]
    if not selects:
        return 0.0, len(captured.captured_queries)
    slowest = max(selects, key=lambda sql: _time_sql(sql, 1))
    return statistics.median(_time_sql(slowest, 1) for _ in range(5)), len(captured.captured_queries)


def _time_sql(sql: str, repeat: int) -> float:
    with connection.cursor() as cursor:
        start = time.perf_counter()
        for _ in range(repeat):
            cursor.execute(sql)
            cursor.fetchall()
        return (time.perf_counter() - start) * 1000 / repeat


def _wrk(base: str, page: Page, cookie: str, connections: int, duration: int) -> dict[str, float]:
    extra = "".join(f', ["{k}"] = "{v}"' for k, v in (page.headers or {}).items())
    script = LUA % {
        "paths": ", ".join(f'"{quote(p, safe="/?=&")}"' for p in page.paths),
        "cookie": cookie,
        "extra_headers": extra,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        out = subprocess.run(
            ["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{duration}s", "--timeout", "30s",
             "-s", f.name, base],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    finally:
        os.unlink(f.name)
    line = next(line for line in out.splitlines() if line.startswith("RESULT"))
    n, errors, timeouts, p50, p95, p99, seconds = (float(x) for x in line.split()[1:])
    return {
        "requests": n,
        "errors": errors + timeouts,
        "p50": p50,
        "p95": p95,
        "p99": p99,
        "rps": n / seconds,
    }


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the gunicorn workers), in MB."""
    total = 0
    pids = [pid] + [
        int(p)
        for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    ]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--users", default="1,10,50", help="concurrent connections to try (default %(default)s)"
    )
    parser.add_argument(
        "--duration", type=int, default=10, help="seconds per measurement (default %(default)s)"
    )
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default %(default)s)")
    parser.add_argument("--only", default="", help="comma-separated page names to run")
    parser.add_argument(
        "--soak", type=int, default=0, help="instead: steady mixed load for this many seconds"
    )
    parser.add_argument(
        "--after-change",
        action="store_true",
        help="also time the dashboard's first view after a recorded write (adds one act to the instance)",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed (Debian: apt-get install wrk)")

    password = secrets.token_urlsafe(16)
    users = {}
    for username in ("documenter", "caseworker", "analyst"):
        user = User.objects.get(username=username)
        user.set_password(password)
        user.save(update_fields=["password"])
        users[username] = user

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(  # noqa: S603
        [str(Path(sys.executable).parent / "haven"), "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers)],
        env=os.environ | RATE_LIMITS_OFF, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        for _ in range(120):
            try:
                requests.get(f"{base}/accounts/login/", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.5)
        sessions = {name: _login(base, name, password) for name in users}
        cookies = {name: "; ".join(f"{k}={v}" for k, v in s.cookies.items()) for name, s in sessions.items()}
        tokens = _mint_tokens()
        pages = _pages() + _case_pages() + _review_pages() + _api_pages(tokens)
        if args.only:
            pages = [p for p in pages if p.name in args.only.split(",")]
        for page in pages:
            check = sessions[page.user].get(
                base + page.paths[0], headers=page.headers or {}, allow_redirects=False
            )
            if check.status_code != 200:
                raise SystemExit(f"{page.name}: {page.paths[0]} answered {check.status_code}, not 200")
        print(f"database: {connection.vendor}; server: gunicorn, {args.workers} workers; wrk on loopback; "
              f"{os.cpu_count()} cores")  # fmt: skip
        if args.soak:
            _soak(base, pages, cookies, server.pid, args.soak)
            return
        print(f"{'page':22} {'users':>5} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6} "
              f"{'SQL ms':>8} {'queries':>7}")  # fmt: skip
        for page in pages:
            sql_ms, queries = _main_query_ms(page, users)
            searching = page.name == "search with filters"
            # Warm-up: every worker imports and caches (the search with a word of its own, so that the searches
            # measured are new to the instance and no count of the warm-up is still being made after it).
            warm = Page(page.name, page.user, ["/search/?q=warmup"]) if searching else page
            _wrk(base, warm, cookies[page.user], args.workers, 3)
            if searching:
                _forget_search_counts()  # the first cell measures searches nobody has made yet
                started = time.monotonic()
            for n in [int(x) for x in args.users.split(",")]:
                r = _wrk(base, page, cookies[page.user], n, args.duration)
                print(f"{page.name:22} {n:>5} {r['rps']:>8.1f} {r['p50']:>8.1f} {r['p95']:>8.1f} {r['p99']:>8.1f} "
                      f"{int(r['errors']):>6} {sql_ms:>8.1f} {queries:>7}", flush=True)  # fmt: skip
            if searching:
                _wait_for_facets(started)
        if args.after_change and any(p.name == "dashboard" for p in pages):
            _dashboard_after_a_change(base, sessions["documenter"])
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        _revoke_tokens()


def _forget_search_counts() -> None:
    """Drop the kept counts of every search, so that each search of the benchmark is new to the instance."""
    from haven.web.models import SearchCounts

    SearchCounts.objects.all().delete()


def _wait_for_facets(started: float) -> None:
    """Wait until the server has counted the facets of every search made (in the background), so that its
    counting does not slow the next page's measurement; print how long after the first search that was.

    Every search made keeps an entry at its first request, partial until its facets are counted; a slow server
    may not have made every search of the list (its cells end first).
    """
    from haven.web.models import SearchCounts

    kept = SearchCounts.objects.all()
    while time.monotonic() - started < 600 and kept.filter(data__has_key="partial").exists():
        time.sleep(0.5)
    pending = kept.filter(data__has_key="partial").count()
    print(
        f"(facets of the {kept.count() - pending} searches made counted {time.monotonic() - started:.0f} s after "
        f"the first{f'; {pending} still being counted' if pending else ''})"
    )


def _dashboard_after_a_change(base: str, session: requests.Session) -> None:
    """Time the dashboard's first view after a recorded write, and how long until its counts are fresh again.

    Writes one arrest through the records service (the instance gains one act per run): the audited write gives
    the records a new version, so the kept counts are out of date.
    """
    from haven.accounts import policy
    from haven.lib.dates import ImpreciseDate
    from haven.records.models import Act, Event
    from haven.records.services import ActInput, act_create
    from haven.vocab.models import Term

    documenter = User.objects.get(username="documenter")
    url = f"{base}/dashboard/"
    session.get(url)  # counts kept for this version
    event = policy.visible(documenter, Event.objects.filter(acts__isnull=False)).order_by("pk").first()
    victim = Act.objects.filter(event=event).select_related("victim").first().victim  # type: ignore[union-attr]
    arrest = Term.objects.get(vocabulary__code="act-types", code="030101")
    act_create(
        actor=documenter,
        event=event,  # type: ignore[arg-type]
        act=ActInput(event=0, victim=victim, act_type=arrest, date=ImpreciseDate.parse("2012")),
        via="benchmark",
    )
    start = time.perf_counter()
    first = session.get(url)
    first_ms = (time.perf_counter() - start) * 1000
    marked = "being counted again" in first.text
    while "being counted again" in session.get(url).text and time.perf_counter() - start < 120:
        time.sleep(0.1)
    fresh_s = time.perf_counter() - start
    print(
        f"dashboard after a recorded write: first view {first_ms:.0f} ms "
        f"({'kept counts, marked as being recounted' if marked else 'counted while waiting'}); "
        f"fresh counts shown after {fresh_s:.1f} s"
    )


def _soak(base: str, pages: list[Page], cookies: dict[str, str], server_pid: int, seconds: int) -> None:
    """Steady load (10 connections, pages in turn, 30 s each) while sampling the server's memory."""
    print(f"soak: {seconds} s at 10 connections; server memory (MB, all workers) and errors per slice")
    start = time.monotonic()
    first_rss = _rss_mb(server_pid)
    total_requests = total_errors = 0
    i = 0
    # (A last slice shorter than 5 s is left out: a slow page may not finish one request in it.)
    while seconds - (time.monotonic() - start) >= 5:
        page = pages[i % len(pages)]
        i += 1
        r = _wrk(base, page, cookies[page.user], 10, min(30, int(seconds - (time.monotonic() - start))))
        total_requests += int(r["requests"])
        total_errors += int(r["errors"])
        print(f"  {time.monotonic() - start:6.0f} s  {page.name:22} {r['rps']:7.1f} req/s  p95 {r['p95']:7.1f} ms  "
              f"errors {int(r['errors'])}  rss {_rss_mb(server_pid):7.1f} MB", flush=True)  # fmt: skip
    last_rss = _rss_mb(server_pid)
    print(
        f"soak done: {total_requests} requests, {total_errors} errors; memory {first_rss:.0f} MB → {last_rss:.0f} MB"
    )


if __name__ == "__main__":
    main()
