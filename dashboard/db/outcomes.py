"""SQL fragments every query module shares: which outcomes count as granted or denied, and a query's shape."""

from __future__ import annotations

from etl.vocab import GRANTED_OUTCOMES

# A query: SQL text with ``?`` placeholders, and the values bound to them.
Query = tuple[str, list[object]]

# The outcomes that count as a yes (etl.vocab.GRANTED_OUTCOMES), as an SQL list of constants.
GRANTED = "(" + ", ".join(f"'{code}'" for code in GRANTED_OUTCOMES) + ")"
IS_GRANTED = f"(e.outcome IN {GRANTED})::INTEGER"
IS_DENIED = "(e.outcome = 'denied')::INTEGER"
