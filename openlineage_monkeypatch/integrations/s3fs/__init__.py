"""s3fs integration (placeholder until its issue lands)."""

from __future__ import annotations

from .. import Integration


class _Placeholder(Integration):
    name = "s3fs"
    modules = ()

    def instrument(self, module) -> None:
        pass


integration = _Placeholder()
