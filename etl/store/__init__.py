"""Storage: opening the database, its schema and migrations, keys, locks, sealed and guarded files."""
