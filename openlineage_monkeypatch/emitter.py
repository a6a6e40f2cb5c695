"""Delivery off the job's thread: a bounded queue, one background thread, a spool for what fails.

The job's thread only appends a record (plain data) to a deque. A daemon thread builds the
OpenLineage event with the client's classes and hands it to the client, whose transport is whatever
the user configured (openlineage.yml, OPENLINEAGE_URL, OPENLINEAGE__TRANSPORT__*), or our embedded
NDJSON file when nothing is configured.

Failures never reach the job: an event the transport rejects is appended to the spool
(NDJSON, `openlineage-monkeypatch replay` resends it), and the backend is then considered down for a
while, so later events go straight to the spool instead of each waiting for the client's retries.
At exit, `flush(timeout)` waits at most the flush bound, then spools whatever is still queued or in
flight: the job pays at most that bound, in total, whatever the backend does.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import deque

from . import _log, config

_state_lock = threading.Lock()


class Emitter:
    def __init__(self, settings: config.Settings | None = None) -> None:
        self.settings = settings or config.settings()
        self.queue: deque = deque()
        self.cond = threading.Condition(threading.Lock())
        self.thread: threading.Thread | None = None
        self.in_flight = None
        self.client = None
        self.client_error: str | None = None
        self.down_until = 0.0
        self.closed = False
        self.sent = 0
        self.spooled = 0
        self.dropped = 0
        self.failures = 0
        self.pid = os.getpid()
        self.spool_path: str | None = None
        self.events_path: str | None = None
        self.run_id: str | None = None
        self.job_name: str | None = None

    # -- job thread ---------------------------------------------------------------------------

    def submit(self, record) -> None:
        """Queue a record; never blocks. Past the queue bound the record is spooled instead."""
        with self.cond:
            if len(self.queue) >= self.settings.queue_size:
                self.dropped += 1
                overflow = record
            else:
                overflow = None
                self.queue.append(record)
                self.cond.notify()
            start = self.thread is None and not self.closed
            if start:
                self.thread = threading.Thread(target=self._loop, name="openlineage-monkeypatch-emitter", daemon=True)
        if start:
            try:
                self.thread.start()
            except RuntimeError:  # interpreter shutting down: deliver inline at flush
                self.thread = None
        if overflow is not None:
            self._spool([overflow], "queue full")

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued is delivered, at most `timeout` seconds; spool the rest."""
        timeout = self.settings.flush_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        if self.thread is None or not self.thread.is_alive():
            self._deliver_inline(deadline)
        with self.cond:
            while (self.queue or self.in_flight is not None) and self.thread is not None and self.thread.is_alive():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self.cond.wait(min(remaining, 0.05))
            leftovers = list(self.queue)
            self.queue.clear()
            if self.in_flight is not None:
                leftovers.insert(0, self.in_flight)
                self.in_flight = None
        if leftovers:
            self._spool(leftovers, "flush timeout")
            return False
        return True

    def spool_pending(self) -> None:
        """Write everything still queued to the spool, without any network: for os._exit."""
        with self.cond:
            leftovers = ([self.in_flight] if self.in_flight is not None else []) + list(self.queue)
            self.queue.clear()
            self.in_flight = None
        if leftovers:
            self._spool(leftovers, "process exiting")

    # -- background thread ----------------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            with self.cond:
                while not self.queue:
                    self.cond.wait()
                record = self.queue.popleft()
                self.in_flight = record
            try:
                self._deliver(record)
            except Exception as exc:  # noqa: BLE001
                _log.log_once("emitter-loop", "lineage event delivery failed: %r", exc)
            finally:
                with self.cond:
                    if self.in_flight is record:
                        self.in_flight = None
                    self.cond.notify_all()

    def _deliver_inline(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            with self.cond:
                if not self.queue:
                    return
                record = self.queue.popleft()
            self._deliver(record)

    def _deliver(self, record) -> None:
        from .events import build_event

        event = build_event(record)
        if event is None:
            return
        if time.monotonic() < self.down_until:
            self._spool_events([event], "backend marked down")
            return
        client = self._client()
        if client is None:
            self._spool_events([event], self.client_error or "no client")
            return
        try:
            client.emit(event)
            self.sent += 1
        except Exception as exc:  # noqa: BLE001
            self.failures += 1
            self.down_until = time.monotonic() + self.settings.retry_after
            _log.log_once(
                "transport-failure",
                "the OpenLineage backend did not take an event (%s); events are spooled to %s "
                "until it answers again; resend them with `openlineage-monkeypatch replay`",
                _describe(exc),
                self._spool_file(),
            )
            self._spool_events([event], _describe(exc))

    def _client(self):
        if self.client is not None or self.client_error is not None:
            return self.client
        try:
            self.client = make_client(self.settings, self.run_id, self.job_name)
            self.events_path = getattr(self.client, "_olmp_events_path", None)
        except Exception as exc:  # noqa: BLE001
            self.client_error = _describe(exc)
            _log.log_once("client", "could not set up the OpenLineage client: %s; events are spooled", _describe(exc))
        return self.client

    # -- spool ------------------------------------------------------------------------------

    def _spool_file(self) -> str:
        if self.spool_path is None:
            stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
            self.spool_path = os.path.join(self.settings.spool_dir, f"spool-{stamp}-{os.getpid()}.ndjson")
        return self.spool_path

    def _spool(self, records: list, reason: str) -> None:
        events = []
        from .events import build_event

        for record in records:
            try:
                event = build_event(record)
            except Exception:  # noqa: BLE001
                event = None
            if event is not None:
                events.append(event)
        self._spool_events(events, reason)

    def _spool_events(self, events: list, reason: str) -> None:
        if not events:
            return
        try:
            from openlineage.client.serde import Serde

            lines = "".join(Serde.to_json(event) + "\n" for event in events)
            path = self._spool_file()
            os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, lines.encode("utf-8"))
            finally:
                os.close(fd)
            self.spooled += len(events)
        except Exception as exc:  # noqa: BLE001
            self.dropped += len(events)
            _log.log_once("spool", "could not write the spool (%s); %d event(s) lost", _describe(exc), len(events))


def _describe(exc: BaseException) -> str:
    from .redact import scrub_text

    text = f"{type(exc).__name__}: {exc}"
    return scrub_text(text[:300])


def make_client(settings: config.Settings, run_id: str | None = None, job_name: str | None = None):
    """The OpenLineage client as the user configured it, or with our embedded NDJSON file transport."""
    import logging

    if not os.environ.get("OPENLINEAGE_CLIENT_LOGGING"):
        logging.getLogger("openlineage.client").setLevel(logging.WARNING)
    from openlineage.client import OpenLineageClient

    if settings.own_transport:
        client = OpenLineageClient()
        client._olmp_events_path = None
        return client
    path = default_events_path(settings, run_id, job_name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    client = OpenLineageClient(config={"transport": {"type": "file", "log_file_path": path, "append": True}})
    client._olmp_events_path = path
    _log.info("lineage events go to %s (no OpenLineage transport configured)", path)
    return client


def default_events_path(settings: config.Settings, run_id: str | None, job_name: str | None) -> str:
    day = time.strftime("%Y-%m-%d", time.gmtime())
    job = "".join(c if c.isalnum() or c in "-_." else "_" for c in (job_name or "job"))[:80]
    return os.path.join(settings.events_dir, day, f"{job}-{run_id or os.getpid()}.ndjson")


_emitter: Emitter | None = None


def emitter() -> Emitter:
    global _emitter
    if _emitter is None or _emitter.pid != os.getpid():
        with _state_lock:
            if _emitter is None or _emitter.pid != os.getpid():
                _emitter = Emitter()
    return _emitter


def reset_after_fork() -> None:
    global _emitter, _state_lock
    _state_lock = threading.Lock()
    _emitter = None


def read_spool(path: str) -> list[dict]:
    events = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if line:
                try:
                    events.append(json.loads(line))
                except ValueError:
                    continue
    return events
