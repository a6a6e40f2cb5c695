"""pandas integration: datasets read and written by pandas, and column lineage between them."""

from __future__ import annotations

from .. import Integration


class PandasIntegration(Integration):
    name = "pandas"
    modules = ("pandas",)
    distribution = "pandas"
    min_version = "2.2"
    max_version = "4"

    def instrument(self, module) -> None:
        from ... import _guard
        from . import io, ops, sql_io

        for part in (io, ops, sql_io):
            _guard.call("pandas", part.instrument, self, module)

    def uninstrument(self) -> None:
        super().uninstrument()


integration = PandasIntegration()
