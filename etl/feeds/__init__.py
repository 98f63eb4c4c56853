"""Public incident feeds: recognising a publisher's file, reading it, and loading it as context."""
