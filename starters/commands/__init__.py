"""The ``casefac`` subcommands, one module per kind: acting on cases, reading them, running services."""
