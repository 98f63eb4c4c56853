"""The few exceptions the ETL raises. Each one says what went wrong *and how to fix it*.

They carry their context as attributes (file, sheet, row, column, value) as well as in the
message, so the CLI and the dashboard can render them in one place: exit code 1 with a
one-line message in the CLI, ``st.error`` in the app. Nothing else should reach a user.
"""

from __future__ import annotations

from pathlib import Path

NAME_SHOWN_MAX = 80
"""A file name longer than this is shortened in messages (its start and its end, the extension, are kept)."""


def short_name(name: str) -> str:
    """``name`` as messages show it: a very long one keeps its first 50 characters and its end.

    >>> short_name("log.csv")
    'log.csv'
    >>> short_name("x" * 300 + ".csv")
    'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...xxxxxxxxxxxxxxxxxxxxxxx.csv'
    """
    if len(name) <= NAME_SHOWN_MAX:
        return name
    return f"{name[:50]}...{name[-(NAME_SHOWN_MAX - 53):]}"


class AccessDataError(Exception):
    """Base class: a problem a user can act on. ``str(err)`` is the full one-line message."""

    def __init__(self, message: str, hint: str = "") -> None:
        self.message = message
        self.hint = hint
        super().__init__(f"{message} {hint}".strip() if hint else message)


class InputFileError(AccessDataError):
    """A whole file cannot be loaded (empty, not a table, no usable columns...).

    Nothing from the file is written; the database stays as it was.
    """

    def __init__(
        self,
        path: Path | str,
        problem: str,
        hint: str = "",
        *,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.problem = problem
        self.sheet = sheet
        self.row = row
        self.column = column
        self.value = value
        where = short_name(self.path.name)
        if sheet:
            where += f", sheet '{sheet}'"
        if row is not None:
            where += f", row {row}"
        if column:
            where += f", column '{column}'"
        super().__init__(f"{where}: {problem}", hint)


class DatabaseError(AccessDataError):
    """The database cannot be opened or written (busy, missing, wrong key, disk full)."""


class ConfigError(AccessDataError):
    """A setting is missing or has a wrong value."""
