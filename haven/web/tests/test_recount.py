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
