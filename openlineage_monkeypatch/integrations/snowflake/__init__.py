"""snowflake integration: every statement a job runs through snowflake-connector-python becomes lineage.

Patched when the job imports snowflake.connector (cursors, connections) and, separately, when it
imports snowflake.connector.pandas_tools (write_pandas). Importing this module imports neither.
"""

from __future__ import annotations

from .. import Integration


class SnowflakeIntegration(Integration):
    name = "snowflake"
    modules = ("snowflake.connector", "snowflake.connector.pandas_tools")
    distribution = "snowflake-connector-python"
    min_version = "3.12"
    max_version = "5"

    def instrument(self, module) -> None:
        from . import patches

        if module.__name__ == "snowflake.connector":
            patches.instrument_connector(self, module)
        elif module.__name__ == "snowflake.connector.pandas_tools":
            patches.instrument_pandas_tools(self, module)


integration = SnowflakeIntegration()
