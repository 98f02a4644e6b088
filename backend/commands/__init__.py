"""Subcommands of the threedraw CLI, one module each."""
