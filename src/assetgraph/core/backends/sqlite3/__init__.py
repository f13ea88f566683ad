"""SQLite backend tuned for bulk writes (see :mod:`.base`)."""
