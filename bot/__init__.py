"""Composition root: settings, Bolt app, listeners, scheduler wiring and the CLI."""

__version__ = "0.1.0"
