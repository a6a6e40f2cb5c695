"""Column provenance through DataFrame/Series operations (the engine's pandas front end)."""

from __future__ import annotations


def instrument(integration, pd) -> None:
    pass
