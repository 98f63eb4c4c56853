"""Numbers as offices write them: one parser for counts, one pattern for coordinates, the file's decimal convention.

"12.500" is twelve thousand five hundred in Jakarta, Berlin or Madrid and twelve and a half in
Nairobi; "12,5" is twelve and a half wherever it is written; "12 500" (also with a non-breaking
space) is twelve thousand five hundred. A value is read the one way it can be read; a value that
can be read two ways (one separator followed by exactly three digits) is read by the file's
**decimal convention**: declared (``--decimal`` on the command line, ``decimal = ","`` in a mapping
file) or shown by the file's own values (:func:`detect_convention`). When neither tells, the row is
rejected as ``ambiguous_number``, naming the two readings; a number is never guessed.

Everything that reads a count goes through :func:`parse_number`: the log loader (on the distinct
values of a file, into the ``map_number`` table that the typed SQL of :mod:`etl.logs.sql` joins),
``inspect`` and the public feeds (:mod:`etl.feeds.normalise`). Coordinates have no thousands
separator (no latitude or longitude reaches 1,000), so their one separator is the decimal one:
:data:`COORDINATE_PATTERN` is the one declaration behind both :func:`coordinate_value` (Python)
and :func:`coordinate_sql` (DuckDB), and a test checks the two agree.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

POINT, COMMA = ".", ","
DECIMALS = (POINT, COMMA)
# How --decimal spells the two conventions.
DECIMAL_WORDS = {"point": POINT, "comma": COMMA}
NAMES = {POINT: "a decimal point", COMMA: "a decimal comma"}
# Thousands may also be separated by a space: plain, non-breaking (Excel in French), narrow non-breaking, thin.
SPACES = " \u00a0\u202f\u2009"
MINUS = "-\u2212"  # hyphen-minus and the minus sign

# A coordinate in decimal degrees: its only separator, "." or ",", is the decimal one. Written for
# Python's re and DuckDB's RE2 alike.
COORDINATE_PATTERN = r"[+-]?([0-9]+([.,][0-9]*)?|[.,][0-9]+)"
_COORDINATE = re.compile(COORDINATE_PATTERN)

_DIGITS = re.compile(r"[0-9]+")
# Most counts are plain digits, which every convention reads alike: read in SQL (a cast to DOUBLE, exact up to
# 15 digits), so that only the other values of a file come to Python (:func:`etl.logs.sql.PLAIN_NUMBERS`).
# Written for Python's re and DuckDB's RE2 alike; a test checks the cast agrees with parse_number.
PLAIN_COUNT_PATTERN = r"[0-9]{1,15}"
_SCIENTIFIC = re.compile(r"([0-9]+)(?:([.,])([0-9]+))?[eE]([+-]?[0-9]+)")
_SPACED = re.compile(r"([0-9]{1,3}(?:[" + SPACES + r"][0-9]{3})+)(?:([.,])([0-9]+))?")
_AMBIGUOUS_NOTE = "one separator followed by exactly three digits"


@dataclass(frozen=True)
class NumberRead:
    """What a cell holds: a finite value, or the problem (``bad_number``, ``ambiguous_number``) and its detail."""

    value: float | None
    problem: str | None = None
    detail: str | None = None
    decides: str | None = None  # the decimal separator this value shows the file uses, if it shows one


def _show(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)


def _grouped(text: str, sep: str) -> bool:
    """'1,234,567' with sep ',': digit groups of three after a first group of one to three."""
    parts = text.split(sep)
    return 1 <= len(parts[0]) <= 3 and all(len(p) == 3 for p in parts[1:]) and all(p.isdigit() for p in parts)


def _value(text: str) -> float | None:
    value = float(text)
    return value if math.isfinite(value) else None


def _other(sep: str) -> str:
    return COMMA if sep == POINT else POINT


def _read(body: str, decimal: str | None) -> NumberRead:
    """``body`` without its sign."""
    if _DIGITS.fullmatch(body):
        return NumberRead(float(body))
    if m := _SCIENTIFIC.fullmatch(body):
        sep = m.group(2)
        value = _value(f"{m.group(1)}.{m.group(3) or '0'}e{m.group(4)}")
        return NumberRead(value, None if value is not None else "bad_number", decides=sep)
    if m := _SPACED.fullmatch(body):
        whole = re.sub(f"[{SPACES}]", "", m.group(1))
        if m.group(2) is None:
            return NumberRead(float(whole))
        return NumberRead(float(f"{whole}.{m.group(3)}"), decides=m.group(2))
    points, commas = body.count(POINT), body.count(COMMA)
    if points and commas:  # both: the last one is the decimal separator, the other groups thousands
        sep = POINT if body.rfind(POINT) > body.rfind(COMMA) else COMMA
        whole, _, frac = body.rpartition(sep)
        if body.count(sep) == 1 and frac.isdigit() and _grouped(whole, _other(sep)):
            return NumberRead(float(f"{whole.replace(_other(sep), '')}.{frac}"), decides=sep)
        return NumberRead(None, "bad_number")
    if not points and not commas:
        return NumberRead(None, "bad_number")
    sep = POINT if points else COMMA
    if body.count(sep) > 1:  # '1.234.567': thousands only
        if _grouped(body, sep):
            return NumberRead(float(body.replace(sep, "")), decides=_other(sep))
        return NumberRead(None, "bad_number")
    whole, _, frac = body.partition(sep)
    if not frac.isdigit() or (whole and not whole.isdigit()):
        return NumberRead(None, "bad_number")
    as_decimal = float(f"{whole or '0'}.{frac}")
    if len(frac) != 3 or not 1 <= len(whole) <= 3 or whole.startswith("0"):
        return NumberRead(as_decimal, decides=sep)  # '12,5', '1234.5', '0.500': no thousands reading
    as_thousands = float(whole + frac)
    if decimal == sep:
        return NumberRead(as_decimal)
    if decimal == _other(sep):
        return NumberRead(as_thousands)
    return NumberRead(None, "ambiguous_number",
                      f"{_show(as_thousands)} (with '{sep}' separating thousands) or {_show(as_decimal)} "
                      f"(with '{sep}' as the decimal separator)")


def parse_number(text: str, decimal: str | None = None) -> NumberRead:
    """Read a count or a quantity as written, by the decimal convention ``decimal`` ("." or ",") when one is known.

    >>> parse_number("12,5").value, parse_number("12 500").value, parse_number("12\\u00a0500").value
    (12.5, 12500.0, 12500.0)
    >>> parse_number("1.234,5").value, parse_number("1,234.5").value, parse_number("1.234.567").value
    (1234.5, 1234.5, 1234567.0)
    >>> parse_number("12.500").problem
    'ambiguous_number'
    >>> parse_number("12.500", ",").value, parse_number("12.500", ".").value
    (12500.0, 12.5)
    >>> parse_number("nan").problem, parse_number("1e400").problem, parse_number("1,23,456").problem
    ('bad_number', 'bad_number', 'bad_number')
    >>> parse_number("-1.5E+03").value
    -1500.0
    """
    body = text.strip()
    sign = -1.0 if body[:1] in MINUS else 1.0
    if body[:1] in MINUS or body[:1] == "+":
        body = body[1:]
    read = _read(body, decimal)
    if read.value is None:
        return read
    if not math.isfinite(read.value):  # four hundred digits in a row: no count, and no float either
        return NumberRead(None, "bad_number")
    return NumberRead(sign * read.value + 0.0, read.problem, read.detail, read.decides)


def typed_number_text(value: float) -> str:
    """A number cell of a workbook or a JSON number as text that :func:`parse_number` reads back the same.

    The cell is typed, so there is no convention to guess: '12.125' would look ambiguous, '12.1250' does not.

    >>> typed_number_text(1200.0), typed_number_text(12.5), typed_number_text(12.125)
    ('1200', '12.5', '12.1250')
    """
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    text = repr(value)
    whole, _, frac = text.lstrip("-").partition(".")
    if len(frac) == 3 and 1 <= len(whole) <= 3 and not whole.startswith("0"):
        text += "0"
    return text


# ------------------------------------------------------------------------------------ coordinates


def coordinate_value(text: str) -> float | None:
    """Decimal degrees from text, or None; '15,5527' is 15.5527 (see :data:`COORDINATE_PATTERN`).

    >>> coordinate_value("15,5527"), coordinate_value("-12.850"), coordinate_value("15°33'"), coordinate_value("nan")
    (15.5527, -12.85, None, None)
    """
    text = text.strip()
    return float(text.replace(COMMA, POINT)) if _COORDINATE.fullmatch(text) else None


def coordinate_sql(col: str) -> str:
    """The same as :func:`coordinate_value`, in DuckDB SQL over a trimmed text column."""
    return (f"CASE WHEN regexp_full_match({col}, '{COORDINATE_PATTERN}') "
            f"THEN replace({col}, ',', '.')::DOUBLE END")


# --------------------------------------------------------------------------------- the convention


@dataclass(frozen=True)
class Convention:
    """The decimal separator a file uses ("." or ",", None when unknown) and how that is known."""

    decimal: str | None
    why: str

    def note(self) -> str:
        """A line for the load summary."""
        if self.decimal is None:
            return f"numbers: decimal separator unknown ({self.why})"
        return f"numbers: read with {NAMES[self.decimal]} ({self.why})"


def detect_convention(values: Iterable[tuple[str, str]], declared: str | None = None,
                      declared_by: str = "") -> Convention:
    """The decimal convention: as declared, else as the file's values show it when they agree.

    :param values: (column, value as written) of the file's number and coordinate columns; a
        coordinate's separator is always its decimal one.
    :param declared: "." or "," from ``--decimal`` or the mapping file; ``declared_by`` says which.

    >>> detect_convention([("people_targeted", "12.500"), ("latitude", "12,85")]).decimal
    ','
    >>> detect_convention([("people_targeted", "12.500")]).decimal is None
    True
    >>> detect_convention([("latitude", "12.85"), ("people_reached", "12,5")]).why
    "the file writes decimals both ways: '12.85' in latitude, '12,5' in people_reached"
    """
    if declared:
        return Convention(declared, f"declared {declared_by}".strip())
    seen: dict[str, tuple[str, str]] = {}
    for column, raw in values:
        if column in ("latitude", "longitude"):
            text = raw.strip()
            sep = next((s for s in DECIMALS if s in text), None) if _COORDINATE.fullmatch(text) else None
        else:
            sep = parse_number(raw).decides
        if sep and sep not in seen:
            seen[sep] = (raw, column)
            if len(seen) == 2:
                break
    if len(seen) == 1:
        [(sep, (raw, column))] = seen.items()
        return Convention(sep, f"shown by the file's values, e.g. '{raw}' in {column}")
    if len(seen) == 2:
        shown = ", ".join(f"'{raw}' in {column}" for raw, column in (seen[POINT], seen[COMMA]))
        return Convention(None, f"the file writes decimals both ways: {shown}")
    return Convention(None, "no value shows it")


def read_with(convention: Convention, raw: str) -> NumberRead:
    """:func:`parse_number` by a file's convention, with the detail the rejection reasons show.

    A value with a fraction says how it was read (``not_whole_number`` names it); an ambiguous one
    says why the convention is unknown.
    """
    read = parse_number(raw, convention.decimal)
    if read.problem == "ambiguous_number":
        return NumberRead(None, read.problem, f"{read.detail}; {convention.why}")
    if read.value is not None and not read.value.is_integer():
        how = f"{NAMES[convention.decimal]}, {convention.why}" if convention.decimal else "its only reading"
        return NumberRead(read.value, None, f"{_show(read.value)} ({how})")
    return read
