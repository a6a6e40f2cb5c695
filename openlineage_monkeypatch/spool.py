"""The spool: events that could not be delivered, as NDJSON, and their replay.

Writing: `Spool.append(lines)` appends whole lines under an exclusive lock, in the spool folder
(OPENLINEAGE_MONKEYPATCH_SPOOL_DIR, default <data dir>/spool), falling back once to the temporary
folder when that folder cannot be written; a full disk never leaves half a line behind.

Replay: each event is delivered at most once, however often replay runs. Replay takes an exclusive
lock on the file, skips the lines a previous replay already delivered (counted in `<file>.sent`,
rewritten atomically after every delivered line), and renames the file to `<file>.replayed` once
everything is through.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Iterable

from . import _log, config
from .redact import describe_error


class Spool:
    """Appends undelivered events (NDJSON lines, bytes) to this process's spool file."""

    def __init__(self, settings: config.Settings) -> None:
        self.settings = settings
        self.lock = threading.RLock()
        self.path: str | None = None
        self.fallback: str | None = None
        self.problem: str | None = None  # why the spool folder could not be used, if it could not
        self.spooled = 0
        self.dropped = 0

    def file(self, fresh: bool = False) -> str:
        if self.path is None or fresh:
            stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
            suffix = f"-{int(time.monotonic_ns() % 1_000_000)}" if fresh else ""
            folder = self.fallback or self.settings.spool_dir
            self.path = os.path.join(folder, f"spool-{stamp}-{os.getpid()}{suffix}.ndjson")
        return self.path

    def append(self, lines: list[bytes]) -> bool:
        """Append whole lines; False (and one warning) when nothing could be written anywhere."""
        if not lines:
            return True
        data = b"".join(line if line.endswith(b"\n") else line + b"\n" for line in lines)
        with self.lock:
            try:
                _append_locked(self.file(), data, lambda: self.file(fresh=True))
                self.spooled += len(lines)
                return True
            except Exception as exc:  # noqa: BLE001
                first = describe_error(exc)
            if self.fallback is None:  # the spool folder is unusable: the temporary folder, once
                import tempfile

                self.fallback = os.path.join(tempfile.gettempdir(), f"openlineage-monkeypatch-{os.getuid()}", "spool")
                try:
                    _append_locked(self.file(fresh=True), data, lambda: self.file(fresh=True))
                    self.spooled += len(lines)
                    self.problem = f"the spool folder {self.settings.spool_dir} could not be written: {first}"
                    if _log.seen("undelivered"):  # else the one "undelivered" warning says it
                        _log.log_once("spool", "could not write the spool in %s (%s); spooling to %s instead",
                                      self.settings.spool_dir, first, self.path)
                    return True
                except Exception as exc:  # noqa: BLE001
                    first = describe_error(exc)
            self.dropped += len(lines)
            # the one delivery warning of this process (a full disk: nothing else will be said)
            _log.log_once("undelivered", "could not write the spool (%s); %d undelivered lineage event(s) lost",
                          first, len(lines))
            return False

    def warn(self, count: int, problem: str | None) -> None:
        """The one warning about undelivered events of this process."""
        _log.log_once(
            "undelivered",
            "%d lineage event(s) could not be delivered (%s); spooled to %s%s; "
            "resend them with `openlineage-monkeypatch replay`",
            count, problem or "the backend did not answer in time", self.file(),
            f" (could not write the spool in {self.settings.spool_dir})" if self.problem else "",
        )


def _append_locked(path: str, data: bytes, other_path) -> None:
    """Append to a spool file under an exclusive lock; a file a replay holds is left for a new one."""
    import fcntl

    for attempt in range(3):
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                if attempt < 2:
                    path = other_path()
                    continue
                raise
            start = os.lseek(fd, 0, os.SEEK_END)
            view = memoryview(data)
            try:
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
            except OSError:
                try:  # a full disk must not leave half a line for replay to trip on
                    os.ftruncate(fd, start)
                except OSError:
                    pass
                raise
            return
        finally:
            os.close(fd)


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
