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
        from . import patches

        patches.instrument(self, module)

    def uninstrument(self) -> None:
        super().uninstrument()


integration = PandasIntegration()
