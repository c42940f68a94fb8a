"""Pure functions over records and config that return a decision and the reason for it; no I/O."""
