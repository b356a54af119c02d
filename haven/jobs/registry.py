"""Which function runs which kind of job, and which upkeep the worker does every hour.

Apps register their runners and upkeep when they are imported (in ready()).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from haven.jobs.progress import Progress

Runner = Callable[[Any, dict[str, Any], "Progress"], dict[str, Any]]
"""runner(owner, params, progress) -> result: runs with the owner's permissions; raises JobError for users."""

_RUNNERS: dict[str, Runner] = {}

F = TypeVar("F", bound=Callable[..., Any])

Upkeep = Callable[[], int]
"""upkeep() -> how many things it did (e.g. expired drafts deleted); runs as the system, not as a user."""

_UPKEEP: dict[str, Upkeep] = {}


class JobError(Exception):
    """A failure to show the user as it is (it must say what and where, and carry no sensitive value)."""


def _registrar(table: dict[str, F], what: str, name: str) -> Callable[[F], F]:
    """A decorator adding its function to ``table`` under ``name``; a second function for one name is an error."""

    def decorator(function: F) -> F:
        if table.get(name, function) is not function:
            raise ValueError(f"{what} {name!r} is registered twice")
        table[name] = function
        return function

    return decorator


def register(kind: str) -> Callable[[Runner], Runner]:
    return _registrar(_RUNNERS, "job kind", kind)


def runner_for(kind: str) -> Runner:
    try:
        return _RUNNERS[kind]
    except KeyError:
        raise JobError(f"no runner for job kind {kind!r}") from None


def kinds() -> list[str]:
    return sorted(_RUNNERS)


def upkeep(name: str) -> Callable[[Upkeep], Upkeep]:
    """Register ``name``'s function for the worker to run at its start and every hour after."""
    return _registrar(_UPKEEP, "upkeep", name)


def upkeep_tasks() -> dict[str, Upkeep]:
    return dict(sorted(_UPKEEP.items()))
