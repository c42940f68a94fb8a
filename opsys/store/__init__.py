"""SQLite state: one file, migrated on open, with an append-only audit log."""
