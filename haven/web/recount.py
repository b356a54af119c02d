"""Counting afresh in the background: kept counts are shown while a thread of the web process recounts them.

The dashboard's and the map's counts over a million acts take one to two seconds on PostgreSQL, a search's
facet counts a few hundred milliseconds; both are read far more often than the records change. When kept
counts are out of date, the reader gets them at once (the page says they are being counted again, where it
matters) and one thread recounts them for everyone who shares them.

Each process has one recounting thread, which takes the recounts one at a time from a queue, and the threads
of all the server's processes take turns (a slot claimed in the shared cache): when thirty new searches are
made at once, their counts are made one after another, on one core, while the readers keep the others,
instead of thirty threads taking every core from the readers. And a recount waits its turn while the
server's processors are busy with readers (up to ``HAVEN_RECOUNT_YIELD_SECONDS``): the counts fill the idle
time, and a burst of readers keeps every core until it is over.

``HAVEN_COUNTS_REFRESH`` "background" (the default) does that; "inline" (the tests' default) recounts while the
reader waits, so that a test sees the effect of a write at once.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)

CLAIM_SECONDS = 60
SLOT = "haven.recount.slot"  # held by the one recount running in the whole server
SLOT_POLL_SECONDS = 0.1
# Out-of-date counts are shown while being recounted until they are this many times their usual age old; older
# ones are counted while the reader waits (the search's and the dashboard's kept counts alike).
KEEP_FACTOR = 12
# The machine is busy when less than this share of its processors' time was idle over SAMPLE_SECONDS: with two
# cores, less than half a core. Readers then have every core, and a recount waits for idle time (see
# _yield_to_readers).
BUSY_IDLE_SHARE = 0.25
SAMPLE_SECONDS = 0.25
# At most this many recounts wait in a process's queue; past it a recount is not queued (its kept counts are
# still shown, and a later reader asks again), so a burst of new searches cannot build an unbounded backlog.
MAX_QUEUED = 100

# What this process has queued or is recounting, by key; the queue; the thread that works through it.
_pending: set[str] = set()
_queue: queue.Queue[tuple[str, str, str, Callable[[], None]]] = queue.Queue()
_worker: threading.Thread | None = None
_lock = threading.Lock()


def in_background() -> bool:
    """Tell whether out-of-date counts are recounted in the background (else while the reader waits)."""
    return getattr(settings, "HAVEN_COUNTS_REFRESH", "background") == "background"


def recount_in_background(key: str, recount: Callable[[], None]) -> None:
    """Queue ``recount`` for this process's recounting thread, unless ``key`` is already being recounted.

    ``key`` names what is recounted and the version it is recounted for (a short string without spaces). The
    processes of one server share the cache: the first to claim the key recounts, and gives the claim up when
    done; a claim lapses after a minute, so a recount lost with its process (a restarted worker) is made again
    by a later reader.
    """
    global _worker
    with _lock:
        if key in _pending or len(_pending) >= MAX_QUEUED:
            return
        _pending.add(key)  # held while claiming (outside the lock: a cache write may wait for the database)
    claim = f"haven.recount:{key}"
    mine = uuid.uuid4().hex  # the claim's value: whose it is, once it may have lapsed and been claimed again
    if not _add(claim, mine):
        with _lock:
            _pending.discard(key)
        return
    with _lock:
        _queue.put((key, claim, mine, recount))
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_work, name="haven-recount", daemon=True)
            _worker.start()


def _work() -> None:
    """Recount what is queued, one at a time; close this thread's database connection whenever the queue is empty."""
    while True:
        key, claim, mine, recount = _queue.get()
        try:
            token = _take_slot()
            _yield_to_readers()  # at most a quarter of the slot's minute
            try:
                if _still_mine(claim, mine):
                    recount()
            finally:
                if _cache(cache.get, SLOT) == token:  # not if it lapsed and another process holds it now
                    _cache(cache.delete, SLOT)
        except Exception:  # a failed recount must not stop the thread; the next reader asks again
            logger.exception("recounting %s in the background failed", key)
        finally:
            if _cache(cache.get, claim) == mine:  # not another process's, claimed after this one lapsed
                _cache(cache.delete, claim)
            with _lock:
                _pending.discard(key)
            if _queue.empty():
                connection.close()  # this thread's own; a connection idle until the next burst would be held open
            else:
                connection.close_if_unusable_or_obsolete()  # e.g. after the database restarted
            _queue.task_done()


def _cache(call: Callable[..., Any], *args: Any) -> Any:
    """Call the shared cache, trying again for up to half a second if it fails; on failure, return None.

    The cache is a table of the database: in the tests' shared in-memory SQLite database a write finds it locked
    at once by another connection's write. (A file database waits for the lock itself, up to its timeout, and
    is not tried again after that.) A claim or slot not given up lapses by itself.
    """
    deadline = time.monotonic() + 0.5
    while True:
        try:
            return call(*args)
        except DatabaseError:
            if time.monotonic() >= deadline:
                logger.exception("the recount's cache call failed")
                return None
            time.sleep(0.01)


def _still_mine(claim: str, mine: str) -> bool:
    """Renew ``claim`` for a minute from now if this thread still holds it, or claim it again if it lapsed while
    queued (else another process has claimed it since, and recounts it: False)."""
    held = _cache(cache.get, claim)
    if held == mine:
        _cache(cache.touch, claim, CLAIM_SECONDS)
        return True
    return held is None and _add(claim, mine)


def _add(claim: str, value: Any = 1) -> bool:
    """Claim ``claim`` in the shared cache; False if another process holds it.

    Django's database cache answers False both when the key is held and when its insert failed (it lets
    concurrent writes fail quietly; the tests' shared in-memory SQLite database fails them at once): a key
    that is not there is asked for again, for up to half a second.
    """
    deadline = time.monotonic() + 0.5
    while True:
        if _cache(cache.add, claim, value, CLAIM_SECONDS):
            return True
        if _cache(cache.get, claim) is not None or time.monotonic() >= deadline:
            return False
        time.sleep(0.01)


def _take_slot() -> str:
    """Wait until no other recount runs in the server, and claim the turn (it lapses with CLAIM_SECONDS, so a
    process that dies while recounting does not stop the others for longer); return the claim's token."""
    token = uuid.uuid4().hex
    while True:
        if _cache(cache.get, SLOT) is None and _cache(cache.add, SLOT, token, CLAIM_SECONDS):
            return token
        time.sleep(SLOT_POLL_SECONDS)


def cpu_ticks(line: str) -> tuple[int, int]:
    """Return (idle, total) processor time from the first line of Linux's /proc/stat ("cpu user nice system idle
    iowait irq softirq steal ..."). Waiting for the disk counts as idle (the processors are free for a count);
    guest time is already in user time, so it is left out."""
    ticks = [int(n) for n in line.split()[1:9]]
    if len(ticks) < 4:
        raise ValueError(f"not a /proc/stat cpu line: {line!r}")
    return ticks[3] + (ticks[4] if len(ticks) > 4 else 0), sum(ticks)


def idle_share(seconds: float) -> float | None:
    """Return the share of the processors' time that was idle over the next ``seconds``, or None where that
    cannot be read (not Linux). It is the whole machine's: the database's work counts when the database runs on
    the same machine; in a container it is the host's processors, whatever the container's own quota."""

    def read() -> tuple[int, int]:
        with open("/proc/stat", encoding="ascii") as stat:
            return cpu_ticks(stat.readline())

    try:
        idle_before, total_before = read()
        time.sleep(seconds)
        idle_after, total_after = read()
    except (OSError, ValueError):
        return None
    elapsed = total_after - total_before
    return (idle_after - idle_before) / elapsed if elapsed > 0 else None


def _yield_to_readers(sample: Callable[[float], float | None] | None = None) -> float:
    """Wait while the machine is busy (readers' requests and their queries), up to HAVEN_RECOUNT_YIELD_SECONDS;
    return how long it waited.

    A count of a search's facets takes one core for a second or two. Run while ten readers keep both cores of a
    small server busy, it slowed their pages by a third (benchmarks/bench_load.py, new searches, 10 users: p50
    306 ms, 31 requests a second; 225 ms and 42 a second when the counts waited). Waiting for idle time, the
    counts are ready some seconds later instead. It waits no longer than the setting (and one last sample of
    SAMPLE_SECONDS), so a server that stays busy still gets its counts, one at a time.
    """
    # Never a quarter of a minute or more: the slot taken before (CLAIM_SECONDS) must not lapse meanwhile.
    limit = min(float(getattr(settings, "HAVEN_RECOUNT_YIELD_SECONDS", 0)), CLAIM_SECONDS / 4)
    sample = sample or idle_share
    started = time.monotonic()
    while time.monotonic() - started < limit:
        share = sample(SAMPLE_SECONDS)
        if share is None or share >= BUSY_IDLE_SHARE:
            break
    return time.monotonic() - started


def wait_for_recounts(timeout: float = 60) -> None:
    """Wait until the recounts this process queued are done (tests and benchmarks)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with _lock:
            if not _pending:
                return
        time.sleep(0.01)
