"""A separate process that appends to the audit log in step with others (run by test_concurrency).

Usage: python -m haven.audit.tests.append_worker FIRST_WRITER THREADS COUNT. Prints "ready" once Django is
set up and waits for a line on stdin (so that all processes start together); then THREADS threads (writers
FIRST_WRITER, FIRST_WRITER + 1, ...) each append COUNT entries, each in its own transaction (every fifth one a
refused change: a rolled-back transaction whose refusal must still be written). Prints "done".
"""

from __future__ import annotations

import os
import sys
import threading


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haven.config.settings_test")
    import django

    django.setup()
    from django.db import connection

    from haven.audit.tests.test_concurrency import append

    first, threads, count = (int(a) for a in sys.argv[1:4])
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.readline()
    errors: list[BaseException] = []

    def run(writer: int) -> None:
        try:
            append(writer, count)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=run, args=(first + t,)) for t in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        raise SystemExit(f"append failed: {errors!r}")
    sys.stdout.write("done\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
