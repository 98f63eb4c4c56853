"""ETL for humanitarian access-negotiation logs: validate, normalise and load them into DuckDB."""

__version__ = "0.1.0"
