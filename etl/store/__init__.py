"""The warehouse database: its schema, how it is opened, and how it is upgraded (``migrations``)."""
