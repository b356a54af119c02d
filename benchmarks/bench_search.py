"""Print the latency of Haven's search (median and 95th percentile, per query) on large demo databases.

Build the instances first (``haven demo --no-serve --persons 200000``, once with SQLite and once with
``DATABASE_URL`` set), then measure one or both in one run:

    .venv/bin/python benchmarks/bench_search.py --sqlite /tmp/big-sqlite \\
        --postgres postgres://postgres@127.0.0.1:5432/haven_big=/tmp/big-pg

``--sqlite HOME`` is a ``HAVEN_HOME``; ``--postgres URL=HOME`` a ``DATABASE_URL`` and the ``HAVEN_HOME`` that
holds its keys. Each database is measured in its own process; the combined table is printed at the end.
Without either option the database of the current environment is measured.

For each query, as the demo documenter (identifying access) unless the query names another account:

* ``cold``: what the /search/ page computes when nobody with the same access ran this search since the
  records last changed — the matching events counted and the first page fetched, every facet count, and
  for a name the persons found through blind indexes (:func:`haven.web.search.run_search`);
* ``kept``: the same when the counts were kept from an earlier identical search (haven.web.searchcache);
* ``page``: the whole GET /search/ request through Django (middleware, form, audit entry, template),
  counted (cold) and with kept counts.

``sql`` is the slowest single SQL statement of the cold search, so the share of the database is visible.
The web app's migrations are applied and events lacking their search text indexed first.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REPEAT = 5
QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("체포", {}),  # two syllables: no trigram help
    ("강", {}),  # one syllable
    ("강제송환", {}),  # four syllables: trigram accelerated
    ("인신매매", {}),
    ("arrested", {}),
    ('"forced return"', {}),
    ("arrest -dalian", {}),
    ("延吉", {}),
    ("border guards wangqing", {}),
    ("구금", {"year_from": 2010, "year_to": 2012}),
    ("", {"place": "CN-JL-YANBIAN"}),
    ("", {"act_type": "03", "victim_sex": "F", "age_min": 18, "age_max": 29}),
    ("Kim Jung-un", {}),  # a name: blind-index lookup
    ("리설주", {}),
    ("", {"user": "analyst"}),  # everything an analyst may see: every compartment, "<5" counts
    ("강제", {"user": "analyst", "year_from": 2005, "year_to": 2015, "certainty": "possible"}),
    ("detention", {"user": "analyst", "perpetrator_type": "01"}),
]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(q * len(ordered)) - 1)]


def _pad(text: str, width: int) -> str:
    """Pad ``text`` to ``width`` columns of a terminal (Hangul and Han take two)."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - used, 0)


def _label(query: str, raw: dict[str, Any]) -> str:
    extra = " ".join(f"{k}={v}" for k, v in raw.items())
    return f"{query!r} {extra}".strip()


def measure(repeat: int) -> dict[str, Any]:
    """Measure every query on the database of this process's environment; return the figures."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haven.config.settings")
    os.environ.setdefault("HAVEN_MODE", "demo")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from haven.accounts.models import User
    from haven.places.models import Location
    from haven.records.models import Act, Event, Person
    from haven.vocab.models import Term
    from haven.web import search
    from haven.web.models import SearchCounts
    from haven.web.textsearch import event_texts_fill

    call_command("migrate", "web", verbosity=0)  # the search tables, if the instance predates them
    started = time.perf_counter()
    added = event_texts_fill()
    if added:
        print(
            f"{connection.vendor}: indexed {added} events in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
    sizes = {
        "persons": Person.objects.count(),
        "events": Event.objects.count(),
        "acts": Act.objects.count(),
    }
    print(f"{connection.vendor}: {sizes}", flush=True)
    host = settings.ALLOWED_HOSTS[0] if settings.ALLOWED_HOSTS else "127.0.0.1"
    clients: dict[str, Client] = {}
    url = reverse("web:search")
    rows = []
    for query, raw in QUERIES:
        values = dict(raw)
        username = values.pop("user", "documenter")
        user = User.objects.get(username=username)
        if username not in clients:
            clients[username] = Client(headers={"host": host})
            clients[username].force_login(user)
        params: dict[str, Any] = {"q": query, **values}
        if "place" in values:
            values["place"] = Location.objects.get(code=values["place"])
            params["place"] = values["place"].pk
        for key, vocabulary in (("act_type", "act-types"), ("perpetrator_type", "perpetrator-types")):
            if key in values:
                values[key] = Term.objects.get(vocabulary__code=vocabulary, code=values[key])
                params[key] = values[key].pk
        if "certainty" in values:
            values["certain"] = values.pop("certainty") != "possible"
        filters = search.Filters(**values)

        def one_search(user: Any = user, query: str = query, filters: Any = filters) -> int:
            _parsed, result = search.run_search(user, query, filters)
            list(result.page)
            return result.count

        def forget() -> None:
            SearchCounts.objects.all().delete()

        def get_page(username: str = username, params: dict[str, Any] = params) -> float:
            t0 = time.perf_counter()
            response = clients[username].get(url, params)
            elapsed = time.perf_counter() - t0
            assert response.status_code == 200, response.status_code
            return elapsed

        count = one_search()  # warm the database's and Python's caches
        get_page()
        cold, kept, sql, page_cold, page_kept = [], [], [], [], []
        for _ in range(repeat):
            forget()
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                one_search()
                cold.append(time.perf_counter() - t0)
            sql.append(max((float(q["time"]) for q in ctx.captured_queries), default=0.0))
            t0 = time.perf_counter()
            one_search()
            kept.append(time.perf_counter() - t0)
            forget()
            page_cold.append(get_page())
            page_kept.append(get_page())
        row = {
            "label": _label(query, raw),
            "events": count,
            "cold": cold,
            "kept": kept,
            "sql": sql,
            "page_cold": page_cold,
            "page_kept": page_kept,
        }
        rows.append(row)
        print(
            f"  {_pad(row['label'], 60)} {count:>7} events  cold {statistics.median(cold) * 1000:7.1f} ms"
            f"  kept {statistics.median(kept) * 1000:6.1f} ms  page {statistics.median(page_cold) * 1000:7.1f}"
            f" / {statistics.median(page_kept) * 1000:6.1f} ms",
            flush=True,
        )
    return {"vendor": connection.vendor, "sizes": sizes, "rows": rows, "load": os.getloadavg()}


def _ms(values: list[float], q: float | None = None) -> str:
    value = statistics.median(values) if q is None else _percentile(values, q)
    return f"{value * 1000:.0f}"


def _print_table(results: list[dict[str, Any]]) -> None:
    for res in results:
        print(
            f"\n{res['vendor']}: {res['sizes']['persons']} persons, {res['sizes']['events']} events, "
            f"{res['sizes']['acts']} acts (load average at the end {res['load'][0]:.1f}); times in ms"
        )
        head = ["cold p50", "p95", "sql", "kept p50", "p95", "page cold", "page kept", "p95"]
        print(f"  {_pad('query', 60)} {'events':>7} " + " ".join(f"{h:>9}" for h in head))
        every: dict[str, list[float]] = {"cold": [], "kept": [], "page_cold": [], "page_kept": []}
        for row in res["rows"]:
            for key, values in every.items():
                values += row[key]
            cells = [
                _ms(row["cold"]),
                _ms(row["cold"], 0.95),
                _ms(row["sql"]),
                _ms(row["kept"]),
                _ms(row["kept"], 0.95),
                _ms(row["page_cold"]),
                _ms(row["page_kept"]),
                _ms(row["page_kept"], 0.95),
            ]
            print(f"  {_pad(row['label'], 60)} {row['events']:>7} " + " ".join(f"{c:>9}" for c in cells))
        n = len(res["rows"][0]["cold"])
        print(f"  {res['vendor']}, {len(res['rows'])} queries x {n}:")
        for key, name in [
            ("cold", "search, counted"),
            ("kept", "search, counts kept"),
            ("page_cold", "page, counted"),
            ("page_kept", "page, counts kept"),
        ]:
            print(f"    {name:<20} median {_ms(every[key])} ms, p95 {_ms(every[key], 0.95)} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", metavar="HOME", help="HAVEN_HOME of a SQLite demo instance")
    parser.add_argument(
        "--postgres", metavar="URL=HOME", help="DATABASE_URL and HAVEN_HOME of a PostgreSQL demo instance"
    )
    parser.add_argument("--repeat", type=int, default=REPEAT, help="runs per query (default %(default)s)")
    parser.add_argument("--json", metavar="FILE", help=argparse.SUPPRESS)  # used by the per-database runs
    args = parser.parse_args()

    if not args.sqlite and not args.postgres:
        result = measure(args.repeat)
        if args.json:
            Path(args.json).write_text(json.dumps(result), encoding="utf-8")
        else:
            _print_table([result])
        return

    targets: list[dict[str, str]] = []
    if args.sqlite:
        targets.append({"HAVEN_HOME": args.sqlite})
    if args.postgres:
        url, _, home = args.postgres.partition("=")
        if not home:
            parser.error("--postgres needs URL=HOME")
        targets.append({"DATABASE_URL": url, "HAVEN_HOME": home})
    results = []
    for target in targets:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "HAVEN_HOME"}}
        env.update(target, HAVEN_MODE="demo")
        out = Path(target["HAVEN_HOME"]) / "bench_search.json"
        subprocess.run(  # noqa: S603 - this same script, with arguments we built
            [sys.executable, __file__, "--repeat", str(args.repeat), "--json", str(out)], env=env, check=True
        )
        results.append(json.loads(out.read_text(encoding="utf-8")))
    _print_table(results)


if __name__ == "__main__":
    main()
