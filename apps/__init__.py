"""Runnable deployment surfaces: thin wiring of workshop_lib to HTTP, a UI or a CLI."""
