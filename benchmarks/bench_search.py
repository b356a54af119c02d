"""Print the latency of Haven's search (median and 95th percentile) on a large demo database.

Run it against a *copy* of a large demo (it adds the haven.web search table and fills it):

    HAVEN_HOME=/tmp/webbench-sqlite HAVEN_MODE=demo .venv/bin/python benchmarks/bench_search.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<copy> HAVEN_HOME=/tmp/big/pg HAVEN_MODE=demo \\
        .venv/bin/python benchmarks/bench_search.py

Each search is what the /search/ page computes: the matching events (count and first page), the facet
counts and, for a name, the persons found through blind indexes; as the demo documenter (all compartments
of the demo, identifying access). Rendering is left out.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haven.config.settings")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from haven.accounts.models import User  # noqa: E402
from haven.places.models import Location  # noqa: E402
from haven.vocab.models import Term  # noqa: E402
from haven.web import search  # noqa: E402
from haven.web.textsearch import event_texts_fill  # noqa: E402

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
]


def _filters(raw: dict[str, Any]) -> search.Filters:
    values = dict(raw)
    if "place" in values:
        values["place"] = Location.objects.get(code=values["place"])
    if "act_type" in values:
        values["act_type"] = Term.objects.get(vocabulary__code="act-types", code=values["act_type"])
    return search.Filters(**values)


def one_search(user: User, query: str, filters: search.Filters) -> int:
    _parsed, result = search.run_search(user, query, filters)
    count = result.events.count()
    list(result.events[: search.PAGE_SIZE])
    return count


def main() -> None:
    call_command("migrate", "web", verbosity=0)
    started = time.perf_counter()
    added = event_texts_fill()
    print(f"{connection.vendor}: indexed {added} events in {time.perf_counter() - started:.1f} s")
    if connection.vendor == "postgresql":
        # A freshly bulk-loaded database has no planner statistics until autovacuum gets to it; without
        # them PostgreSQL picks nested loops that take minutes. Measure a database in its normal state.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    user = User.objects.get(username="documenter")
    timings: list[float] = []
    for query, raw in QUERIES:
        filters = _filters(raw)
        one_search(user, query, filters)  # warm the caches
        runs = []
        for _ in range(REPEAT):
            t0 = time.perf_counter()
            count = one_search(user, query, filters)
            runs.append(time.perf_counter() - t0)
        timings += runs
        label = f"{query!r} {raw}" if raw else repr(query)
        print(f"  {label:<70} {count:>7} events  median {statistics.median(runs) * 1000:8.1f} ms", flush=True)
    timings.sort()
    p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
    print(
        f"{connection.vendor}: {len(QUERIES)} searches x {REPEAT}: "
        f"median {statistics.median(timings) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
