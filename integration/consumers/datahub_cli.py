"""DataHub's own CLI (`datahub ...`), with its calls home switched off, for offline tests.

Runs inside the DataHub virtualenv, exactly like the `datahub` console script
(datahub.entrypoints.main), except that the usage telemetry is disabled
(DATAHUB_TELEMETRY_ENABLED=false) and the version check that every command runs after it is done
(datahub.upgrade.upgrade.check_upgrade_post: PyPI, GitHub and the DataHub server) is skipped, so a
test run only touches files and the loopback interface:

    python datahub_cli.py ingest -c recipe.yml
    python datahub_cli.py check metadata-file out.json
"""
import os
import re
import sys

os.environ["DATAHUB_TELEMETRY_ENABLED"] = "false"

import datahub.upgrade.upgrade as upgrade  # noqa: E402

upgrade.check_upgrade_post = lambda *args, **kwargs: None

from datahub.entrypoints import main  # noqa: E402

if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\.pyw|\.exe)?$", "", "datahub")
    sys.exit(main())
