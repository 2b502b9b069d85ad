"""Exceptions raised by the engine, with messages a reviewer can act on.

Pages show ``str(exc)`` as a friendly error; the command line prints it and
exits with status 2. Each domain module subclasses :class:`SynthesisError`
for its own problems.
"""

from __future__ import annotations


class SynthesisError(Exception):
    """Base class of every error the engine raises on purpose."""


class InvalidInputError(SynthesisError, ValueError):
    """User input that cannot be used as given.

    Parameters
    ----------
    message : str
        What is wrong and what to do about it.
    source : str, optional
        The file or table the input came from.
    row : int, optional
        The 1-based row of that table (as a spreadsheet shows it).
    column : str, optional
        The column holding the bad value.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.row = row
        self.column = column
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.source is not None:
            where.append(str(self.source))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.message}" if where else self.message
