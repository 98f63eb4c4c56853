"""Making downloads safe to open in a spreadsheet: the formula guard of :mod:`etl.formula_guard`.

One guard for every file the project writes (the CLI's audit export uses it too), so there is one
list of formula-starting characters to keep right.

>>> inert("=HYPERLINK(\\"http://x\\")"), inert("CP-0042")
('\\'=HYPERLINK("http://x")', 'CP-0042')
"""

from __future__ import annotations

from etl.formula_guard import FORMULA_START, inert, spreadsheet_safe

__all__ = ["FORMULA_START", "inert", "spreadsheet_safe"]
