"""Counting afresh in the background: kept counts are shown while a thread of the web process recounts them.

The dashboard's and the map's counts over a million acts take one to two seconds on PostgreSQL, a search's
facet counts a few hundred milliseconds; both are read far more often than the records change. When kept
counts are out of date, the reader gets them at once (the page says they are being counted again, where it
matters) and one thread recounts them for everyone who shares them.

``HAVEN_COUNTS_REFRESH`` "background" (the default) does that; "inline" (the tests' default) recounts while the
reader waits, so that a test sees the effect of a write at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection

logger = logging.getLogger(__name__)

# Threads recounting, by what they recount (one per key at a time in a process).
_running: dict[str, threading.Thread] = {}
_running_lock = threading.Lock()
CLAIM_SECONDS = 60
# Out-of-date counts are shown while being recounted until they are this many times their usual age old; older
# ones are counted while the reader waits (the search's and the dashboard's kept counts alike).
KEEP_FACTOR = 12


def in_background() -> bool:
    """Tell whether out-of-date counts are recounted in the background (else while the reader waits)."""
    return getattr(settings, "HAVEN_COUNTS_REFRESH", "background") == "background"


def recount_in_background(key: str, recount: Callable[[], None]) -> None:
    """Run ``recount`` in a thread, unless this or another process is already recounting ``key``.

    ``key`` names what is recounted and the version it is recounted for (a short string without spaces). The
    processes of one server share the cache: the first to claim the key recounts, and gives the claim up when
    done; a claim lapses after a minute, so a recount lost with its process (a restarted worker) is made again
    by a later reader.
    """
    with _running_lock:
        running = _running.get(key)
        if running is not None and running.is_alive():
            return
        claim = f"haven.recount:{key}"
        if not cache.add(claim, 1, CLAIM_SECONDS):
            return

        def run() -> None:
            try:
                recount()
            except Exception:  # a failed recount must not take the worker down; the next reader tries again
                logger.exception("recounting %s in the background failed", key)
            finally:
                cache.delete(claim)
                connection.close()  # this thread's own database connection

        thread = threading.Thread(target=run, name="haven-recount", daemon=True)
        _running[key] = thread
        thread.start()


def wait_for_recounts(timeout: float = 60) -> None:
    """Wait until the recounts this process started are done (tests and benchmarks)."""
    for thread in list(_running.values()):
        thread.join(timeout)
