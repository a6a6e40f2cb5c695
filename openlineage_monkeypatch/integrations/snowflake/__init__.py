"""snowflake integration (placeholder until its issue lands)."""

from __future__ import annotations

from .. import Integration


class _Placeholder(Integration):
    name = "snowflake"
    modules = ()

    def instrument(self, module) -> None:
        pass


integration = _Placeholder()
