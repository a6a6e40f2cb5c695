"""Ships openlineage_monkeypatch.pth at the root of site-packages, in wheels and editable installs alike.

The .pth line only reads two environment variables; when the feature is on it imports
openlineage_monkeypatch._bootstrap, nothing else (see that module).
"""
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class PthBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version, build_data):
        pth = Path(self.root) / "openlineage_monkeypatch.pth"
        build_data["force_include"][str(pth)] = "openlineage_monkeypatch.pth"
