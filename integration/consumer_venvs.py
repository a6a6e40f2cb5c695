"""Virtualenvs for the lineage consumers (Amundsen, DataHub), created on first use and cached.

    python -m integration.consumer_venvs amundsen|datahub [--force]   # prints the interpreter path

Each consumer brings heavy, old or conflicting pins (amundsen-databuilder wants neo4j-driver 4 and
pandas 2.2; acryl-datahub wants its own pydantic and avro stack), so each gets its own venv under
.cache/venvs/<name> (git-ignored), never the project's own environment. The venv is installed with
`--no-deps` from a complete pinned list in integration/consumers/<name>-requirements.txt: no
dependency resolution, wheels where PyPI has them. A stamp (hash of the list, the interpreter
version and, for DataHub, the plugin entry points of pyproject.toml) says when a cached venv is still good; otherwise it is
rebuilt; the stamp is written last, so a build cut short is redone on the next use.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("OPENLINEAGE_MONKEYPATCH_VENV_CACHE", REPO / ".cache" / "venvs"))
REQUIREMENTS = REPO / "integration" / "consumers"

CONSUMERS = {
    "amundsen": {"requirements": "amundsen-requirements.txt", "install_project": False},
    # The project itself (editable, no deps) so its DataHub source registers through the
    # `datahub.ingestion.source.plugins` entry point declared in pyproject.toml.
    "datahub": {"requirements": "datahub-requirements.txt", "install_project": True},
}


def _stamp(name: str) -> str:
    spec = CONSUMERS[name]
    digest = hashlib.sha256()
    digest.update((REQUIREMENTS / spec["requirements"]).read_bytes())
    digest.update(sys.version.encode())
    if spec["install_project"]:
        digest.update(_entry_points_section().encode())
    return digest.hexdigest()


def _entry_points_section() -> str:
    """The DataHub plugin table of pyproject.toml: the editable install only needs redoing when it changes."""
    lines, keep = [], False
    for line in (REPO / "pyproject.toml").read_text().splitlines():
        if line.startswith("["):
            keep = "datahub.ingestion.source.plugins" in line
        if keep:
            lines.append(line.strip())
    return "\n".join(lines)


def _python(folder: Path) -> Path:
    return folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _run(argv: list, **kwargs) -> None:
    proc = subprocess.run([str(a) for a in argv], capture_output=True, text=True, **kwargs)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv))} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")


def ensure(name: str, force: bool = False, log=None) -> Path:
    """The interpreter of the consumer's venv, created first if missing or out of date."""
    spec = CONSUMERS[name]
    target = CACHE / name
    stamp = _stamp(name)
    stamp_file = target / ".olmp-stamp"
    if not force and stamp_file.exists() and stamp_file.read_text() == stamp and _python(target).exists():
        return _python(target)
    started = time.monotonic()
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENLINEAGE", "PYTHON"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    _run([sys.executable, "-m", "venv", target], env=env)
    pip = [_python(target), "-m", "pip", "install", "--quiet", "--no-deps", "--prefer-binary"]
    _run([*pip, "-r", REQUIREMENTS / spec["requirements"]], env=env)
    if spec["install_project"]:
        _run([*pip, "--editable", REPO], env=env)
    stamp_file.write_text(stamp)  # last: a build cut short has no stamp and is redone next time
    if log is not None:
        log(f"created the {name} venv in {time.monotonic() - started:.1f} s ({target})")
    return _python(target)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in CONSUMERS:
        print(f"usage: python -m integration.consumer_venvs {'|'.join(CONSUMERS)} [--force]", file=sys.stderr)
        return 2
    print(ensure(argv[0], force="--force" in argv, log=lambda m: print(m, file=sys.stderr)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
