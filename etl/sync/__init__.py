"""Offline-first offices: an office's database file and headquarters' warehouse kept in step (``python -m etl sync``)."""
