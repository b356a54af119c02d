"""Exception and warning types of the estimation package.

Every error raised on bad input derives from :class:`EstimationInputError` (itself a
``ValueError``) so that callers such as the CLI can turn it into a one-line message.
"""

from __future__ import annotations


class EstimationInputError(ValueError):
    """Raise when capture data or arguments cannot be used for estimation."""


class CaptureDataError(EstimationInputError):
    """Raise when capture histories are malformed.

    Attributes:
        source: File name (or ``"<data>"`` for in-memory input) the problem was found in.
        line: 1-based line of the file (CSV input) or 1-based row (in-memory input), if known.
        column: Column (list) name, if the problem concerns one column.
        problem: The message without the location prefix.
    """

    def __init__(
        self,
        problem: str,
        *,
        source: str | None = None,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.problem = problem
        self.source = source
        self.line = line
        self.column = column
        super().__init__(self._format())

    def _format(self) -> str:
        where: list[str] = []
        if self.source is not None:
            where.append(self.source)
        if self.line is not None:
            where.append(f"line {self.line}" if self.source not in (None, "<data>") else f"row {self.line}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.problem}" if where else self.problem


class TooManyModelsError(EstimationInputError):
    """Raise when a model search would fit more models than the configured limit."""


class EstimateUnavailableError(RuntimeError):
    """Raise (on request) when a model's population estimate does not exist or is unbounded.

    Attributes:
        status: The result status (``"unbounded"`` or ``"failed"``).
        model: The model name in bracket notation.
    """

    def __init__(self, message: str, *, status: str, model: str) -> None:
        self.status = status
        self.model = model
        super().__init__(message)


class CaptureDataWarning(UserWarning):
    """Warn about data that was accepted after a correction (for example dropped rows)."""


class EstimationWarning(UserWarning):
    """Warn about a fit whose result needs care (boundary estimate, poor mixing, ...)."""
