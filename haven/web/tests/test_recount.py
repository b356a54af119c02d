"""The background recounts: one thread per process, one recount at a time, each key once.

The thread has its own database connection (the claims live in the database cache), so these tests commit.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.core.cache import cache

from haven.web import recount

pytestmark = pytest.mark.usefixtures("committed_db")


class Recorder:
    """Recounts that take a little time and record which thread ran them and how many ran at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.most_at_once = 0
        self.done: list[str] = []
        self.threads: set[int] = set()
        self.release = threading.Event()
        self.release.set()

    def recount(self, name: str, *, fail: bool = False):  # type: ignore[no-untyped-def]
        def run() -> None:
            self.release.wait(10)
            with self.lock:
                self.running += 1
                self.most_at_once = max(self.most_at_once, self.running)
                self.threads.add(threading.get_ident())
            time.sleep(0.02)
            with self.lock:
                self.running -= 1
                self.done.append(name)
            if fail:
                raise RuntimeError("this recount fails")

        return run


def test_recounts_run_one_at_a_time_in_one_thread_in_the_order_asked() -> None:
    rec = Recorder()
    for i in range(8):
        recount.recount_in_background(f"k{i}", rec.recount(f"k{i}"))
    recount.wait_for_recounts()
    assert rec.done == [f"k{i}" for i in range(8)]
    assert rec.most_at_once == 1
    assert len(rec.threads) == 1 and threading.get_ident() not in rec.threads
    assert all(cache.get(f"haven.recount:k{i}") is None for i in range(8))  # claims given up


def test_a_key_already_queued_is_not_queued_again() -> None:
    rec = Recorder()
    rec.release.clear()  # the first recount waits, so the others are asked while it is pending
    recount.recount_in_background("same", rec.recount("first"))
    recount.recount_in_background("same", rec.recount("second"))
    recount.recount_in_background("other", rec.recount("other"))
    rec.release.set()
    recount.wait_for_recounts()
    assert rec.done == ["first", "other"]
    # Once done, the key may be recounted again.
    recount.recount_in_background("same", rec.recount("third"))
    recount.wait_for_recounts()
    assert rec.done == ["first", "other", "third"]


def test_a_key_claimed_by_another_process_is_left_to_it() -> None:
    rec = Recorder()
    cache.add("haven.recount:theirs", 1, recount.CLAIM_SECONDS)  # as another worker process would
    recount.recount_in_background("theirs", rec.recount("theirs"))
    recount.wait_for_recounts()
    assert rec.done == []


def test_a_failed_recount_does_not_stop_the_next(caplog) -> None:  # type: ignore[no-untyped-def]
    rec = Recorder()
    recount.recount_in_background("bad", rec.recount("bad", fail=True))
    recount.recount_in_background("good", rec.recount("good"))
    recount.wait_for_recounts()
    assert rec.done == ["bad", "good"]
    assert "recounting bad in the background failed" in caplog.text
    assert cache.get("haven.recount:bad") is None  # a failed recount gives its claim up too


def test_the_queue_is_bounded(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(recount, "MAX_QUEUED", 3)
    rec = Recorder()
    rec.release.clear()
    for i in range(6):
        recount.recount_in_background(f"b{i}", rec.recount(f"b{i}"))
    rec.release.set()
    recount.wait_for_recounts()
    assert rec.done == ["b0", "b1", "b2"]
    assert (
        cache.get("haven.recount:b4") is None
    )  # not claimed: another process or a later reader may recount it


def test_a_recount_waits_while_another_process_recounts() -> None:
    rec = Recorder()
    cache.add(recount.SLOT, 1, recount.CLAIM_SECONDS)  # another worker process is recounting
    recount.recount_in_background("later", rec.recount("later"))
    time.sleep(0.3)
    assert rec.done == []  # still waiting for its turn
    cache.delete(recount.SLOT)  # the other one is done
    recount.wait_for_recounts()
    assert rec.done == ["later"]
    assert cache.get(recount.SLOT) is None  # and gives the turn up in its turn


def test_a_recount_waits_while_the_machine_is_busy_and_not_longer_than_told(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    settings.HAVEN_RECOUNT_YIELD_SECONDS = 0.5
    samples: list[float] = []

    def busy(seconds: float) -> float:
        samples.append(seconds)
        time.sleep(seconds)
        return 0.05  # a twentieth of the processors' time idle: readers are using them

    monkeypatch.setattr(recount, "idle_share", busy)
    rec = Recorder()
    started = time.monotonic()
    recount.recount_in_background("busy", rec.recount("busy"))
    time.sleep(0.2)
    assert rec.done == []  # waiting for idle time
    recount.wait_for_recounts()
    assert rec.done == ["busy"]  # but not for ever
    assert 0.5 <= time.monotonic() - started < 5 and len(samples) >= 2


def test_a_recount_never_waits_so_long_that_its_turn_lapses(settings) -> None:  # type: ignore[no-untyped-def]
    settings.HAVEN_RECOUNT_YIELD_SECONDS = 3600
    recount.CLAIM_SECONDS, old = 1, recount.CLAIM_SECONDS
    try:
        waited = recount._yield_to_readers(lambda seconds: (time.sleep(0.05), 0.0)[1])
    finally:
        recount.CLAIM_SECONDS = old
    assert 0.25 <= waited < 0.6  # a quarter of the claim's time (and one last sample)


def test_a_claim_that_lapsed_while_queued_and_was_claimed_again_is_left_to_its_new_holder(settings) -> None:  # type: ignore[no-untyped-def]
    rec = Recorder()
    rec.release.clear()  # the first recount holds the thread while the second's claim "lapses"
    recount.recount_in_background("first", rec.recount("first"))
    recount.recount_in_background("lapsed", rec.recount("lapsed"))
    cache.set("haven.recount:lapsed", "another process", recount.CLAIM_SECONDS)  # lapsed, claimed by another
    rec.release.set()
    recount.wait_for_recounts()
    assert rec.done == ["first"]  # the other process recounts it
    assert cache.get("haven.recount:lapsed") == "another process"  # and its claim is left alone
    cache.delete("haven.recount:lapsed")


def test_a_recount_starts_at_once_when_the_machine_is_idle_or_its_load_unknown(settings) -> None:  # type: ignore[no-untyped-def]
    settings.HAVEN_RECOUNT_YIELD_SECONDS = 30
    for share in (0.9, recount.BUSY_IDLE_SHARE, None):
        assert recount._yield_to_readers(lambda seconds, share=share: share) < 1
    # From busy to idle: it waits for as long as the machine is busy.
    shares = iter([0.0, 0.1, 0.6])
    waited = recount._yield_to_readers(lambda seconds: (time.sleep(0.05), next(shares))[1])
    assert 0.1 <= waited < 1


def test_the_idle_share_is_read_from_the_machine() -> None:
    import os
    from pathlib import Path

    # user nice system idle iowait irq softirq steal guest guest_nice: iowait is idle, steal is in the total.
    assert recount.cpu_ticks("cpu  100 5 20 300 40 1 2 7 9 0") == (340, 475)
    assert recount.cpu_ticks("cpu 1 2 3 4") == (4, 10)
    with pytest.raises(ValueError):
        recount.cpu_ticks("intr 1 2")
    if not Path("/proc/stat").exists():
        assert recount.idle_share(0.05) is None
        return
    # Kept busy by this thread alone while sampling: at most as idle as the other processors can be.
    stop = time.monotonic() + 0.3
    box: list[float | None] = []
    sampler = threading.Thread(target=lambda: box.append(recount.idle_share(0.25)))
    sampler.start()
    while time.monotonic() < stop:
        pass
    sampler.join()
    cores = os.cpu_count() or 1
    assert box[0] is not None and 0.0 <= box[0] <= (cores - 1) / cores + 0.1


def test_the_tests_never_wait_for_idle_time() -> None:
    from django.conf import settings

    assert settings.HAVEN_RECOUNT_YIELD_SECONDS == 0
    assert recount._yield_to_readers(lambda seconds: pytest.fail("sampled the machine")) < 0.1
