"""SQL fragments every query module shares: which outcomes count as granted or denied, and a query's shape."""

from __future__ import annotations

# A query: SQL text with ``?`` placeholders, and the values bound to them.
Query = tuple[str, list[object]]

GRANTED = "('granted', 'granted_with_conditions', 'partially_granted')"
IS_GRANTED = f"(e.outcome IN {GRANTED})::INTEGER"
IS_DENIED = "(e.outcome = 'denied')::INTEGER"
