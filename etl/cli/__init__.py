"""The command line, one module per command: ``python -m etl ...``."""
