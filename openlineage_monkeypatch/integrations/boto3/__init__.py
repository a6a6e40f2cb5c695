"""boto3 integration (placeholder until its issue lands)."""

from __future__ import annotations

from .. import Integration


class _Placeholder(Integration):
    name = "boto3"
    modules = ()

    def instrument(self, module) -> None:
        pass


integration = _Placeholder()
