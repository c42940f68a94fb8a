"""The `opsys` command: thin commands over library calls, one module per area."""
