"""Negotiation logs: the column declarations, readers per format, validation, typed SQL and the load."""
