"""Which function runs which kind of job, and which upkeep the worker does every hour.

Apps register their runners and upkeep when they are imported (in ready()).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from haven.jobs.progress import Progress

Runner = Callable[[Any, dict[str, Any], "Progress"], dict[str, Any]]
"""runner(owner, params, progress) -> result: runs with the owner's permissions; raises JobError for users."""

_RUNNERS: dict[str, Runner] = {}

Upkeep = Callable[[], int]
"""upkeep() -> how many things it did (e.g. expired drafts deleted); runs as the system, not as a user."""

_UPKEEP: dict[str, Upkeep] = {}


class JobError(Exception):
    """A failure to show the user as it is (it must say what and where, and carry no sensitive value)."""


def register(kind: str) -> Callable[[Runner], Runner]:
    def decorator(runner: Runner) -> Runner:
        if _RUNNERS.get(kind, runner) is not runner:
            raise ValueError(f"job kind {kind!r} is registered twice")
        _RUNNERS[kind] = runner
        return runner

    return decorator


def runner_for(kind: str) -> Runner:
    try:
        return _RUNNERS[kind]
    except KeyError:
        raise JobError(f"no runner for job kind {kind!r}") from None


def kinds() -> list[str]:
    return sorted(_RUNNERS)


def upkeep(name: str) -> Callable[[Upkeep], Upkeep]:
    """Register ``name``'s function for the worker to run at its start and every hour after."""

    def decorator(task: Upkeep) -> Upkeep:
        if _UPKEEP.get(name, task) is not task:
            raise ValueError(f"upkeep {name!r} is registered twice")
        _UPKEEP[name] = task
        return task

    return decorator


def upkeep_tasks() -> dict[str, Upkeep]:
    return dict(sorted(_UPKEEP.items()))
