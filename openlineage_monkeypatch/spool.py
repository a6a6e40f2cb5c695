"""Replaying spooled events: each event is delivered at most once, however often replay runs.

A spool file is NDJSON written by the emitter. Replay takes an exclusive lock on the file, skips the
lines a previous replay already delivered (counted in `<file>.sent`, rewritten atomically after
every delivered line), and renames the file to `<file>.replayed` once everything is through.
"""

from __future__ import annotations

import json
import os
from typing import Iterable

from . import config


def spool_files(paths: Iterable[str]) -> list[str]:
    files = []
    for path in paths:
        if os.path.isdir(path):
            for name in sorted(os.listdir(path)):
                if name.endswith(".ndjson"):
                    files.append(os.path.join(path, name))
        elif os.path.isfile(path):
            files.append(path)
    return files


def _read_sent(path: str) -> int:
    try:
        with open(path + ".sent", encoding="utf-8") as handle:
            return int(handle.read().strip() or 0)
    except (OSError, ValueError):
        return 0


def _write_sent(path: str, count: int) -> None:
    tmp = f"{path}.sent.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(str(count))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path + ".sent")


def event_from_dict(data: dict):
    """A client RunEvent around already-built facet dicts (transports serialize dicts as they are)."""
    from openlineage.client import event_v2 as ev

    def dataset(cls, d):
        kwargs = {"namespace": d["namespace"], "name": d["name"], "facets": d.get("facets") or {}}
        if cls is ev.InputDataset and d.get("inputFacets"):
            kwargs["inputFacets"] = d["inputFacets"]
        if cls is ev.OutputDataset and d.get("outputFacets"):
            kwargs["outputFacets"] = d["outputFacets"]
        return cls(**kwargs)

    return ev.RunEvent(
        eventType=ev.RunState[data["eventType"]],
        eventTime=data["eventTime"],
        run=ev.Run(runId=data["run"]["runId"], facets=data["run"].get("facets") or {}),
        job=ev.Job(namespace=data["job"]["namespace"], name=data["job"]["name"], facets=data["job"].get("facets") or {}),
        inputs=[dataset(ev.InputDataset, d) for d in data.get("inputs") or []],
        outputs=[dataset(ev.OutputDataset, d) for d in data.get("outputs") or []],
        producer=data.get("producer") or "",
    )


def replay(paths: Iterable[str], settings: config.Settings | None = None, dry_run: bool = False,
           transport=None) -> dict:
    from .emitter import make_client

    settings = settings or config.settings()
    totals = {"sent": 0, "skipped": 0, "failed": 0, "files": 0, "corrupt": 0}
    files = spool_files(paths)
    if not files:
        return totals
    if transport is None and not dry_run:
        transport = make_client(settings, "replay", "replay").transport
    for path in files:
        totals["files"] += 1
        _replay_file(path, transport, totals, dry_run)
    return totals


def _replay_file(path: str, transport, totals: dict, dry_run: bool) -> None:
    import fcntl

    with open(path, "rb+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return  # another replay holds it
        text = handle.read().decode("utf-8", errors="replace")
        lines = [line for line in text.split("\n") if line.strip()]  # NDJSON: "\n" separates, nothing else
        done = _read_sent(path)
        totals["skipped"] += min(done, len(lines))
        for index in range(done, len(lines)):
            if dry_run:
                totals["sent"] += 1
                continue
            try:
                event = event_from_dict(json.loads(lines[index]))
            except Exception:  # noqa: BLE001 - a damaged line (a disk filled mid-write) is skipped, not retried
                totals["corrupt"] += 1
                _write_sent(path, index + 1)
                continue
            try:
                transport.emit(event)
            except Exception:  # noqa: BLE001
                totals["failed"] += len(lines) - index
                return
            totals["sent"] += 1
            _write_sent(path, index + 1)
        if not dry_run:
            os.replace(path, path + ".replayed")
            try:
                os.unlink(path + ".sent")
            except OSError:
                pass
