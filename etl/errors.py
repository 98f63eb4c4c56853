"""The few exceptions the ETL raises. Each one says what went wrong *and how to fix it*.

They carry their context as attributes (file, sheet, row, column, value) as well as in the
message, so the CLI and the dashboard can render them in one place: exit code 1 with a
one-line message in the CLI, ``st.error`` in the app. Nothing else should reach a user.
"""

from __future__ import annotations

from pathlib import Path


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
        where = self.path.name
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
