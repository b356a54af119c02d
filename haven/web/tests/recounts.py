"""Background recounts for tests that need the real thread but not its timing."""

from __future__ import annotations


class DeferredRecounts:
    """The real recounting thread, started only when the test says: a request and the thread never write at the
    same time (the tests' shared in-memory SQLite database refuses a second writer at once, where a file or
    PostgreSQL waits)."""

    def __init__(self, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        from haven.web import recount

        self._recount = recount
        self._real = recount.recount_in_background
        self._asked: list[tuple[str, object]] = []
        monkeypatch.setattr(recount, "recount_in_background", lambda key, fn: self._asked.append((key, fn)))

    @property
    def asked(self) -> list[str]:
        """The keys asked for and not yet handed to the thread."""
        return [key for key, _fn in self._asked]

    def run(self) -> None:
        """Hand what was asked for to the thread, and wait until it is done."""
        asked, self._asked = self._asked, []
        for key, fn in asked:
            self._real(key, fn)  # type: ignore[arg-type]
        self._recount.wait_for_recounts()
