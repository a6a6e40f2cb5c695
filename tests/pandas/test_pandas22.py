"""The conformance cases under pandas 2.2 (and numpy 2): a cached virtualenv under .cache/venvs.

Created on first use with the ordinary pip client (pandas 2.2.3, pyarrow, the package's runtime
dependencies); the package itself comes from this checkout through PYTHONPATH and a copy of its
start-up .pth file. Skipped when the environment cannot be built (no network, say)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CONFORMANCE_DIR, REPO

VENV = REPO / ".cache" / "venvs" / "pandas-2.2"
PACKAGES = ["pandas==2.2.3", "numpy>=2,<2.3", "pyarrow", "wrapt>=1.16", "attrs", "openlineage-python==1.54.0",
            "jsonschema", "pytest", "hypothesis"]


def _python() -> Path:
    return VENV / "bin" / "python"


def _ready() -> bool:
    return (VENV / ".complete").exists() and _python().exists()


@pytest.fixture(scope="module")
def py22():
    if not _ready():
        shutil.rmtree(VENV, ignore_errors=True)
        VENV.parent.mkdir(parents=True, exist_ok=True)
        base = getattr(sys, "_base_executable", sys.executable)
        try:
            subprocess.run([base, "-m", "venv", str(VENV)], check=True, capture_output=True, timeout=120)
            subprocess.run([str(_python()), "-m", "pip", "install", "-q", "--disable-pip-version-check", *PACKAGES],
                           check=True, capture_output=True, timeout=600)
        except (subprocess.SubprocessError, OSError) as exc:
            shutil.rmtree(VENV, ignore_errors=True)
            pytest.skip(f"could not build the pandas 2.2 environment: {exc}")
        site = subprocess.run([str(_python()), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              check=True, capture_output=True, text=True).stdout.strip()
        shutil.copy(REPO / "openlineage_monkeypatch.pth", Path(site) / "openlineage_monkeypatch.pth")
        Path(site, "openlineage_monkeypatch_checkout.pth").write_text(str(REPO) + "\n")
        (VENV / ".complete").write_text("ok\n")
    version = subprocess.run([str(_python()), "-c", "import pandas; print(pandas.__version__)"],
                             capture_output=True, text=True)
    assert version.stdout.startswith("2.2"), version.stderr
    return _python()


@pytest.mark.skipif(not (CONFORMANCE_DIR / "check.py").exists(), reason="conformance suite not found")
def test_conformance_under_pandas_22(py22, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENLINEAGE")}
    env["OPENLINEAGE_MONKEYPATCH_DATA_DIR"] = str(tmp_path / "data")
    proc = subprocess.run([str(py22), str(CONFORMANCE_DIR / "check.py"), "--python", str(py22), "-v"],
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    last = proc.stdout.splitlines()[-1]
    passed, total = last.split(":")[1].split("cases")[0].strip().split("/")
    assert passed == total, last


def test_engine_tests_under_pandas_22(py22):
    tests = Path(__file__).resolve().parent
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENLINEAGE")}
    env["PYTHONPATH"] = str(REPO)
    skip = ["test_conformance_e2e.py", "test_pandas22.py", "test_variants_e2e.py"]
    argv = [str(py22), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", str(tests)]
    for name in skip:
        argv += ["--ignore", str(tests / name)]
    proc = subprocess.run(argv, env=env, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
