"""The delivery process, started by a job's emitter at its first event when the user configured a
transport (see emitter.DeliveryProcess; `python -m openlineage_monkeypatch._delivery` runs it too).

It reads one JSON event per line on stdin (and control lines: `sync`, answered on fd 3 once
everything before it was delivered or spooled; `close`, saying how much of the job's flush bound is
left), builds the OpenLineage client's events from them and calls `client.emit`, so the user's
transport, filters, tags and environment facets all apply. It protects the job's bound the way the
in-process emitter used to:
- each emit runs on a sender thread the dispatcher waits on for at most the delivery timeout
  (OPENLINEAGE_MONKEYPATCH_DELIVERY_TIMEOUT); an event the transport rejects, or does not take in
  time, marks the backend down for OPENLINEAGE_MONKEYPATCH_BACKEND_RETRY_AFTER seconds, during which
  events go straight to the spool;
- at EOF (the job closed the pipe, or died) it delivers until just before the job's bound runs out
  (the `close` line; after a crash, the flush bound from EOF), spools the rest, says `D` on fd 3 and
  exits. A watchdog makes that hold even when the client's import or a transport hangs.
Events it reads are taken at once (a reader thread), so the job's writes never wait on a slow
backend; past the queue bound they are spooled as they come.

An event whose sender was still waiting at exit is spooled; if that late send did get through, the
backend sees it twice (once late, once replayed) rather than never.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque

from . import _log, config
from .spool import Spool
from .redact import describe_error

CONTROL = b'{"olmp":'
STATUS_FD = 3


class _Sync:
    __slots__ = ("number",)

    def __init__(self, number: int) -> None:
        self.number = number


class _Send:
    """One event handed to a sender thread: `sending`, `late` once the dispatcher gave up waiting,
    then `sent`, `failed`, or `spooled`."""

    __slots__ = ("event", "line", "state", "error")

    def __init__(self, event, line: bytes) -> None:
        self.event = event
        self.line = line
        self.state = "sending"
        self.error: BaseException | None = None


class _Sender:
    """A long-lived sender thread; replaced when it gets stuck on a backend that does not answer."""

    def __init__(self, delivery: "Delivery") -> None:
        self.delivery = delivery
        self.cond = threading.Condition()
        self.job: _Send | None = None
        self.thread = threading.Thread(target=self._run, name="openlineage-monkeypatch-sender", daemon=True)
        self.thread.start()

    def give(self, send: _Send) -> None:
        with self.cond:
            self.job = send
            self.cond.notify()

    def _run(self) -> None:
        while True:
            with self.cond:
                while self.job is None:
                    self.cond.wait()
                send = self.job
            try:
                self.delivery.client.emit(send.event)
            except BaseException as exc:  # noqa: BLE001
                send.error = exc
            with self.cond:
                self.job = None
            self.delivery.settle(send)


class Delivery:
    def __init__(self, settings: config.Settings, status_fd: int | None) -> None:
        self.settings = settings
        self.status = status_fd
        self.cond = threading.Condition()
        self.items: deque = deque()
        self.eof = False
        self.deadline: float | None = None
        self.grace = 0.0
        self.spool = Spool(settings)
        self.client = None
        self.client_error: str | None = None
        self.sender: _Sender | None = None
        self.sends: list[_Send] = []
        self.down_until = 0.0
        self.problem: str | None = None
        self.sent = 0
        self.failures = 0
        self.cut_short = 0
        self.finish_lock = threading.Lock()
        self.finished = False

    # -- reading (reader thread) ----------------------------------------------------------------

    def read(self, fd: int = 0) -> None:
        parts: list[bytes] = []
        while True:
            try:
                chunk = os.read(fd, 1 << 16)
            except InterruptedError:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                break
            if b"\n" not in chunk:
                parts.append(chunk)
                continue
            parts.append(chunk)
            *lines, rest = b"".join(parts).split(b"\n")
            parts = [rest] if rest else []
            overflow = []
            with self.cond:
                for line in lines:
                    self._take(line, overflow)
                self.cond.notify_all()
            if overflow:
                _log.log_once("queue-full", "more than %d lineage events waiting for delivery; the excess is spooled",
                              self.settings.queue_size)
                self.spool_lines(overflow, "too many events waiting for delivery")
        with self.cond:
            if any(p.strip() for p in parts):  # the job died in the middle of a write
                self.cut_short += 1
            self.eof = True
            if self.deadline is None:
                self._set_deadline(self.settings.flush_timeout)
            self.cond.notify_all()

    def _take(self, line: bytes, overflow: list) -> None:
        if not line.strip():
            return
        if line.startswith(CONTROL):
            import json

            try:
                message = json.loads(line)
                kind = message.get("olmp")
                if kind == "close":
                    self._set_deadline(float(message.get("remaining", self.settings.flush_timeout)))
                elif kind == "sync":
                    self.items.append(_Sync(int(message["id"])))
            except (ValueError, TypeError, KeyError, AttributeError):
                pass
            return
        if len(self.items) >= self.settings.queue_size:
            overflow.append(line)
        else:
            self.items.append(line)

    def _set_deadline(self, remaining: float) -> None:
        """Deliver until a little before the job's bound runs out: spooling and exiting take a moment."""
        remaining = max(0.0, remaining)
        margin = min(0.25, remaining * 0.2)
        self.deadline = time.monotonic() + remaining - margin
        self.grace = margin / 2

    # -- delivering (main thread) ---------------------------------------------------------------

    def setup_client(self) -> None:
        try:
            from .emitter import make_client

            self.client = make_client(self.settings)
        except Exception as exc:  # noqa: BLE001
            self.client_error = self.problem = f"could not set up the OpenLineage client: {describe_error(exc)}"
            _log.log_once("undelivered", "%s; events are spooled to %s; resend them with "
                          "`openlineage-monkeypatch replay` once the configuration is fixed",
                          self.client_error, self.spool.file())

    def run(self) -> None:
        threading.Thread(target=self.read, name="openlineage-monkeypatch-reader", daemon=True).start()
        threading.Thread(target=self._watchdog, name="openlineage-monkeypatch-watchdog", daemon=True).start()
        self.setup_client()
        while True:
            with self.cond:
                while not self.items and not self.eof:
                    self.cond.wait()
                if not self.items or (self.deadline is not None and time.monotonic() >= self.deadline):
                    break
                item = self.items.popleft()
            try:
                if isinstance(item, _Sync):
                    self._spool_late()  # as a flush did: what the backend still holds is spooled now
                    self._status(b"A%d\n" % item.number)
                else:
                    self.deliver(item)
            except Exception as exc:  # noqa: BLE001 - never die with events in hand
                _log.log_once("delivery-loop", "lineage event delivery failed: %s", describe_error(exc))
                if isinstance(item, bytes):
                    self.spool_lines([item], "delivery failed")
        self.finish()

    def deliver(self, line: bytes) -> None:
        if self.client is None:
            self.spool_lines([line], self.client_error or "no client")
            return
        if self._spool_late() or time.monotonic() < self.down_until:
            self.spool_lines([line], self.problem or "backend marked down")
            return
        import json

        from .spool import event_from_dict

        try:
            event = event_from_dict(json.loads(line))
        except Exception as exc:  # noqa: BLE001 - kept as it came: replay counts it as damaged
            _log.log_once("event-parse", "could not read a lineage event (%s); it is spooled as it is", describe_error(exc))
            self.spool_lines([line], "unreadable event")
            return
        self.send(event, line)

    def send(self, event, line: bytes) -> None:
        if self.sender is None:
            self.sender = _Sender(self)
        send = _Send(event, line)
        limit = time.monotonic() + self.settings.delivery_timeout
        with self.cond:
            self.sends.append(send)
        self.sender.give(send)
        with self.cond:
            while send.state == "sending":
                until = limit if self.deadline is None else min(limit, self.deadline)
                remaining = until - time.monotonic()
                if remaining <= 0:
                    break
                self.cond.wait(remaining)
            late = send.state == "sending"
            if late:
                send.state = "late"
        if late:
            self.sender = None  # that thread waits on the backend: the next send gets a new one
            self.failures += 1
            self.down_until = time.monotonic() + self.settings.retry_after
            self.problem = "the backend did not answer in time"
            if self.deadline is None:
                _log.log_once("undelivered", "the OpenLineage backend did not answer in time; events are spooled to "
                              "%s until it answers again; resend them with `openlineage-monkeypatch replay`",
                              self.spool.file())

    def settle(self, send: _Send) -> None:
        """Called by a sender thread once the transport returned or raised."""
        if send.error is None:
            self.sent += 1
            self.down_until = 0.0  # a late answer too: the backend is up again
        else:
            self.failures += 1
            self.down_until = time.monotonic() + self.settings.retry_after
            self.problem = describe_error(send.error)
            if self.deadline is None:
                _log.log_once("undelivered", "the OpenLineage backend did not take an event (%s); events are "
                              "spooled to %s until it answers again; resend them with `openlineage-monkeypatch "
                              "replay`", self.problem, self.spool.file())
        with self.cond:  # under the lock: finish() sees it either spooled here or still held
            if send.state != "spooled":
                if send.error is not None:
                    self.spool_lines([send.line], self.problem)
                send.state = "failed" if send.error is not None else "sent"
            if send in self.sends:
                self.sends.remove(send)
            self.cond.notify_all()

    def _spool_late(self) -> bool:
        """Spool the events whose sender did not answer in time (first: the spool keeps event order)."""
        with self.cond:
            late = [s for s in self.sends if s.state == "late"]
            for send in late:
                send.state = "spooled"
                self.sends.remove(send)
        if late:
            self.spool_lines([s.line for s in late], self.problem or "the backend did not answer in time")
        return bool(late)

    def spool_lines(self, lines: list[bytes], reason: str) -> None:
        if self.problem is None:
            self.problem = reason
        self.spool.append(lines)

    def _status(self, message: bytes) -> None:
        if self.status is not None:
            try:
                os.write(self.status, message)
            except OSError:
                self.status = None

    # -- the end ------------------------------------------------------------------------------------

    def _watchdog(self) -> None:
        with self.cond:
            while True:
                if self.deadline is None:
                    self.cond.wait()
                    continue
                remaining = self.deadline + self.grace - time.monotonic()
                if remaining <= 0:
                    break
                self.cond.wait(remaining)
        self.finish()

    def finish(self) -> None:
        """Spool whatever is left, tell the job we are done, exit (never returns)."""
        with self.finish_lock:
            if self.finished:
                return
            self.finished = True
            try:
                with self.cond:
                    rest = list(self.items)
                    self.items.clear()
                    held = [s for s in self.sends if s.state in ("sending", "late")]
                    for send in held:
                        send.state = "spooled"
                    self.sends = []
                lines = [s.line for s in held] + [item for item in rest if isinstance(item, bytes)]
                if lines:
                    self.spool_lines(lines, self.problem or "the flush bound ran out")
                if self.spool.spooled:
                    self.spool.warn(self.spool.spooled, self.problem)
                if self.cut_short:
                    _log.log_once("cut-short", "the job ended in the middle of handing over a lineage event; "
                                  "that event is lost")
                for item in rest:
                    if isinstance(item, _Sync):
                        self._status(b"A%d\n" % item.number)
                _flush_logs()
                self._status(b"D\n")
            finally:
                os._exit(0)


def _flush_logs() -> None:
    import logging

    for logger in (logging.getLogger("openlineage_monkeypatch"), logging.getLogger(), logging.getLogger(
            "openlineage.client.transport.console")):
        for handler in logger.handlers:
            try:
                handler.flush()
            except Exception:  # noqa: BLE001
                pass


def _configure_logging() -> None:
    """Library log lines (urllib3 retries ...) stay out of the job's stderr; the console transport's
    events are printed there, one per line, as the console transport means them to be."""
    import logging
    import sys

    root = logging.getLogger()
    if os.environ.get("OPENLINEAGE_CLIENT_LOGGING"):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(name)s %(levelname)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        return
    root.addHandler(logging.NullHandler())
    console = logging.getLogger("openlineage.client.transport.console")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    console.addHandler(handler)
    console.setLevel(logging.INFO)
    console.propagate = False


def _daemonize() -> None:
    """Fork once and let the first process exit: the job that started us waits for that one only,
    and never for us (a job that waits for all its children must not wait for its delivery)."""
    try:
        if os.fork() != 0:
            os._exit(0)
    except OSError:
        pass


def main() -> None:
    _daemonize()
    try:
        os.fstat(STATUS_FD)
        status = STATUS_FD
    except OSError:
        status = None
    _configure_logging()
    settings = config.settings()
    Delivery(settings, status).run()


if __name__ == "__main__":
    main()
