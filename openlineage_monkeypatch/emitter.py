"""Delivery off the job's thread: a bounded queue, one background thread, a spool for what fails.

The job's thread only appends a record (plain data) to a deque. A daemon thread builds the
OpenLineage event with the client's classes and hands it to the client, whose transport is whatever
the user configured (openlineage.yml, OPENLINEAGE_URL, OPENLINEAGE__TRANSPORT__*), or our embedded
NDJSON file when nothing is configured.

Failures never reach the job, and no backend can hold it up:
- each `emit()` runs in its own short-lived sender thread that the dispatcher waits on for at most
  the delivery timeout (the client's http transport retries for ~9 s against a closed port, and
  honours any Retry-After; a hung server never answers at all);
- an event the transport rejects, or does not take in time, marks the backend down for a while
  (OPENLINEAGE_MONKEYPATCH_BACKEND_RETRY_AFTER), and events meanwhile go straight to the spool
  (NDJSON; `openlineage-monkeypatch replay` resends them);
- at exit, `flush(timeout)` waits at most the flush bound, then spools whatever is still queued or
  in flight: the job pays at most that bound, in total, whatever the backend does.
An event whose sender was still waiting at exit is spooled; if that late send did get through, the
backend sees it twice (once late, once replayed) rather than never.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import deque

from . import _log, config

_state_lock = threading.RLock()


class _Send:
    """One event handed to the transport.

    `sending` while the dispatcher waits for it; `late` once the dispatcher gave up waiting (the
    sender thread may still finish); then `sent`, `failed`, or `spooled` (by a flush, at exit).
    """

    __slots__ = ("event", "state", "error")

    def __init__(self, event) -> None:
        self.event = event
        self.state = "sending"
        self.error: BaseException | None = None


class Emitter:
    def __init__(self, settings: config.Settings | None = None) -> None:
        self.settings = settings or config.settings()
        self.queue: deque = deque()
        # Re-entrant: a signal handler running on the job's thread may flush while that thread was
        # inside submit() holding this lock.
        self.cond = threading.Condition(threading.RLock())
        self.thread: threading.Thread | None = None
        self.in_flight = None
        self.sends: list[_Send] = []
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
        self.flush_deadline: float | None = None
        self.no_threads = False
        self.spool_lock = threading.RLock()
        self.problem: str | None = None  # the last delivery problem, for the one warning we print
        self.spool_fallback: str | None = None
        self.spool_problem: str | None = None

    # -- job thread ---------------------------------------------------------------------------

    def submit(self, record) -> None:
        """Queue a record; never blocks. Past the queue bound the record is spooled instead."""
        with self.cond:
            if len(self.queue) >= self.settings.queue_size:
                overflow = record
            else:
                overflow = None
                self.queue.append(record)
                self.cond.notify_all()
            start = self.thread is None and not self.closed and not self.no_threads
            if start:
                self.thread = threading.Thread(target=self._loop, name="openlineage-monkeypatch-emitter", daemon=True)
        if start:
            self._prepare()
            try:
                self.thread.start()
            except RuntimeError:  # interpreter shutting down (3.12+): deliver inline at flush
                self.thread = None
                self.no_threads = True
        if overflow is not None:
            _log.log_once("queue-full", "more than %d lineage events queued; the excess is spooled",
                          self.settings.queue_size)
            self._spool([overflow], "queue full")

    def _prepare(self) -> None:
        """Import the client and build it, on the job's thread, once, before our thread starts.

        Imports on a background thread are not safe: a job thread importing the same libraries in
        the opposite order (requests/urllib3) makes CPython hand one of them a half-initialized
        module, and a fork during the import leaves the child with half-imported modules. So the
        one-time cost (~0.2 s) is paid here, and our thread never imports anything heavy.
        """
        _on_our_behalf.active = True
        try:
            from .events import warm_up

            _at_any_time(warm_up)
            quiet_library_logs()
        except Exception as exc:  # noqa: BLE001
            _log.log_once("warm-up", "could not load the OpenLineage client: %s", _describe(exc))
        finally:
            _on_our_behalf.active = False
        self._client()

    def remaining(self) -> float:
        """What is left of the flush bound of a flush in progress (the full bound when none is)."""
        if self.flush_deadline is None:
            return self.settings.flush_timeout
        return max(0.0, self.flush_deadline - time.monotonic())

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued is delivered, at most `timeout` seconds; spool the rest."""
        timeout = self.settings.flush_timeout if timeout is None else max(0.0, timeout)
        deadline = time.monotonic() + timeout
        outer = self.flush_deadline
        self.flush_deadline = deadline if outer is None else min(outer, deadline)
        spooled_before = self.spooled
        try:
            if self.thread is None or not self.thread.is_alive():
                self._deliver_inline(deadline)
            with self.cond:
                while self._busy() and self.thread is not None and self.thread.is_alive():
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self.cond.wait(min(remaining, 0.05))
                leftovers = list(self.queue)
                self.queue.clear()
                if self.in_flight is not None:
                    leftovers.insert(0, self.in_flight)
                    self.in_flight = None
                stuck = self._take_stuck()
            if stuck:
                self._spool_events(stuck, "flush timeout (backend did not answer)")
            if leftovers:
                self._spool(leftovers, "flush timeout")
            with self.spool_lock:  # our thread may be writing a record it claimed: let it finish
                pass
            newly_spooled = self.spooled - spooled_before
            if newly_spooled:
                # reported from here, not from our daemon threads, which may die mid-line at exit
                _log.log_once(
                    "undelivered",
                    "%d lineage event(s) could not be delivered (%s); spooled to %s%s; "
                    "resend them with `openlineage-monkeypatch replay`",
                    newly_spooled, self.problem or "the backend did not answer in time", self._spool_file(),
                    f" (could not write the spool in {self.settings.spool_dir})" if self.spool_problem else "",
                )
        finally:
            self.flush_deadline = outer
        return not (leftovers or stuck)

    def _busy(self) -> bool:
        return bool(self.queue) or self.in_flight is not None or any(s.state == "sending" for s in self.sends)

    def _take_stuck(self) -> list:
        """Events whose sender thread is still waiting on the backend: they are spooled now."""
        stuck = []
        with self.cond:
            for send in self.sends:
                if send.state in ("sending", "late"):
                    send.state = "spooled"
                    stuck.append(send.event)
            self.sends = []
        return stuck

    def spool_pending(self) -> None:
        """Write everything still queued to the spool, without any network: for os._exit."""
        with self.cond:
            leftovers = ([self.in_flight] if self.in_flight is not None else []) + list(self.queue)
            self.queue.clear()
            self.in_flight = None
        stuck = self._take_stuck()
        if stuck:
            self._spool_events(stuck, "process exiting")
        if leftovers:
            self._spool(leftovers, "process exiting")

    # -- background thread ----------------------------------------------------------------------

    def _loop(self) -> None:
        _block_signals()
        while True:
            with self.cond:
                while not self.queue:
                    self.cond.wait()
                record = self.queue.popleft()
                self.in_flight = record
            try:
                self._deliver(record, time.monotonic() + self.settings.delivery_timeout)
            except Exception as exc:  # noqa: BLE001
                _log.log_once("emitter-loop", "lineage event delivery failed: %r", exc)
                self._spool_claimed(record, None, "delivery failed")
            finally:
                with self.cond:
                    if self.in_flight is record:
                        self.in_flight = None
                    self.cond.notify_all()

    def _deliver_inline(self, deadline: float) -> None:
        """No background thread (never started, or the interpreter is shutting down)."""
        while time.monotonic() < deadline:
            with self.cond:
                if not self.queue:
                    return
                record = self.queue.popleft()
                self.in_flight = record
            try:
                self._deliver(record, deadline)
            except Exception as exc:  # noqa: BLE001
                _log.log_once("emitter-loop", "lineage event delivery failed: %r", exc)
                self._spool_claimed(record, None, "delivery failed")
            finally:
                with self.cond:
                    if self.in_flight is record:
                        self.in_flight = None

    def _deliver(self, record, deadline: float) -> None:
        from .events import build_event

        event = _at_any_time(build_event, record)
        if event is None:
            self._claim(record)
            return
        if self._sender_stuck():
            # keep the spool in event order: the late event goes first (if its send still succeeds,
            # the backend sees it twice rather than out of order)
            late = self._take_stuck()
            if late:
                self._spool_events(late, "backend did not answer in time")
            client = None
        elif time.monotonic() < self.down_until:
            client = None
        else:
            client = self._client()
        if client is None:
            self._spool_claimed(record, [event], self.client_error or "backend marked down")
            return
        if self.flush_deadline is not None:
            deadline = min(deadline, self.flush_deadline)
        self._send(client, event, deadline, record)

    def _claim(self, record) -> bool:
        """Take the in-flight record over; False when a flush already took (and spooled) it."""
        with self.cond:
            if self.in_flight is not record:
                return False
            self.in_flight = None
            return True

    def _spool_claimed(self, record, events, reason: str) -> None:
        with self.spool_lock:  # a flush finishing now waits for this write (see flush)
            if self._claim(record):
                if events is None:
                    self._spool([record], reason)
                else:
                    self._spool_events(events, reason)

    def _sender_stuck(self) -> bool:
        with self.cond:
            return any(s.state == "late" for s in self.sends)

    def _send(self, client, event, deadline: float, record=None) -> None:
        send = _Send(event)

        def target() -> None:
            _block_signals()
            try:
                client.emit(event)
            except BaseException as exc:  # noqa: BLE001
                send.error = exc
            self._settle(send)

        with self.cond:
            if record is not None and self.in_flight is not record:
                return  # a flush took it
            self.sends.append(send)
            self.in_flight = None  # the send holds the event from here on
        if self.no_threads:
            target()
            return
        thread = threading.Thread(target=target, name="openlineage-monkeypatch-sender", daemon=True)
        try:
            thread.start()
        except RuntimeError:  # no new threads at interpreter shutdown: send inline
            self.no_threads = True
            target()
            return
        thread.join(max(0.0, deadline - time.monotonic()))
        with self.cond:
            late = send.state == "sending"
            if late:
                send.state = "late"
        if late:
            self.failures += 1
            self.down_until = time.monotonic() + self.settings.retry_after
            # during an exit flush the job's thread reports (a daemon thread may die mid-line)
            self.flush_deadline is None and _log.log_once(
                "undelivered",
                "the OpenLineage backend did not answer in time; events are spooled to %s until it "
                "answers again; resend them with `openlineage-monkeypatch replay`",
                self._spool_file(),
            )

    def _settle(self, send: _Send) -> None:
        """Called by the sender thread once the transport returned or raised."""
        with self.cond:
            already_spooled = send.state == "spooled"
            send.state = "failed" if send.error is not None else "sent"
            if send in self.sends:
                self.sends.remove(send)
            self.cond.notify_all()
        if self.sent == 0 and self.failures == 0:
            try:
                quiet_library_logs()
            except Exception:  # noqa: BLE001
                pass
        if send.error is None:
            self.sent += 1
            self.down_until = 0.0  # a late answer: the backend is up again
            return
        self.failures += 1
        self.down_until = time.monotonic() + self.settings.retry_after
        self.problem = _describe(send.error)
        self.flush_deadline is None and _log.log_once(
            "undelivered",
            "the OpenLineage backend did not take an event (%s); events are spooled to %s "
            "until it answers again; resend them with `openlineage-monkeypatch replay`",
            _describe(send.error),
            self._spool_file(),
        )
        if not already_spooled:
            self._spool_events([send.event], _describe(send.error))

    def _client(self):
        if self.client is not None or self.client_error is not None:
            return self.client
        _on_our_behalf.active = True
        try:
            self.client = _at_any_time(make_client, self.settings, self.run_id, self.job_name)
            self.events_path = getattr(self.client, "_olmp_events_path", None)
        except Exception as exc:  # noqa: BLE001
            self.client_error = self.problem = f"could not set up the OpenLineage client: {_describe(exc)}"
            self.flush_deadline is None and _log.log_once(
                "undelivered", "%s; events are spooled to %s; resend them with `openlineage-monkeypatch replay` "
                "once the configuration is fixed", self.client_error, self._spool_file())
        finally:
            _on_our_behalf.active = False
        return self.client

    # -- spool ------------------------------------------------------------------------------

    def _spool_file(self, fresh: bool = False) -> str:
        if self.spool_path is None or fresh:
            stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
            suffix = f"-{int(time.monotonic_ns() % 1_000_000)}" if fresh else ""
            folder = self.spool_fallback or self.settings.spool_dir
            self.spool_path = os.path.join(folder, f"spool-{stamp}-{os.getpid()}{suffix}.ndjson")
        return self.spool_path

    def _spool(self, records: list, reason: str) -> None:
        events = []
        from .events import build_event

        for record in records:
            try:
                event = _at_any_time(build_event, record)
            except Exception:  # noqa: BLE001
                event = None
                self.dropped += 1
            if event is not None:
                events.append(event)
        self._spool_events(events, reason)

    def _spool_events(self, events: list, reason: str) -> None:
        if not events:
            return
        try:
            from openlineage.client.serde import Serde

            data = "".join(Serde.to_json(event) + "\n" for event in events).encode("utf-8")
        except Exception as exc:  # noqa: BLE001
            self.dropped += len(events)
            _log.log_once("spool-serialize", "could not serialize %d lineage event(s): %s", len(events), _describe(exc))
            return
        with self.spool_lock:
            try:
                _append_locked(self._spool_file(), data, lambda: self._spool_file(fresh=True))
                self.spooled += len(events)
                return
            except Exception as exc:  # noqa: BLE001
                first = _describe(exc)
            if self.spool_fallback is None:  # the spool folder is unusable: the temporary folder, once
                import tempfile

                self.spool_fallback = os.path.join(tempfile.gettempdir(), f"openlineage-monkeypatch-{os.getuid()}",
                                                   "spool")
                try:
                    _append_locked(self._spool_file(fresh=True), data, lambda: self._spool_file(fresh=True))
                    self.spooled += len(events)
                    self.spool_problem = f"the spool folder {self.settings.spool_dir} could not be written: {first}"
                    if _log.seen("undelivered"):  # else the one "undelivered" warning says it
                        _log.log_once("spool", "could not write the spool in %s (%s); spooling to %s instead",
                                      self.settings.spool_dir, first, self.spool_path)
                    return
                except Exception as exc:  # noqa: BLE001
                    first = _describe(exc)
            self.dropped += len(events)
            # the one delivery warning of this process (a full disk: nothing else will be said)
            _log.log_once("undelivered", "could not write the spool (%s); %d undelivered lineage event(s) lost",
                          first, len(events))


_ASYNC_SIGNALS = ("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGALRM", "SIGUSR1", "SIGUSR2", "SIGCHLD", "SIGPIPE",
                  "SIGWINCH", "SIGIO", "SIGVTALRM", "SIGPROF", "SIGXCPU", "SIGXFSZ", "SIGTSTP", "SIGCONT", "SIGURG")


def _block_signals() -> None:
    """Our threads never take the job's signals: a signal the kernel hands to a thread of ours would
    leave the job's main thread, blocked in a wait, unaware of it (a Python handler only runs there)."""
    try:
        import signal

        wanted = {getattr(signal, name) for name in _ASYNC_SIGNALS if hasattr(signal, name)}
        signal.pthread_sigmask(signal.SIG_BLOCK, wanted)
    except Exception:  # noqa: BLE001 - not on this platform
        pass


def _append_locked(path: str, data: bytes, other_path) -> None:
    """Append to a spool file under an exclusive lock; a file a replay holds is left for a new one."""
    import fcntl

    for attempt in range(3):
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
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


def _at_any_time(fn, *args):
    """Call fn even during interpreter shutdown.

    The client's import pulls in concurrent.futures.thread, whose import registers a threading
    atexit callback and fails once threading has begun shutting down, which is exactly when a run
    whose first event comes at exit builds its client. The flag is put back at once.
    """
    try:
        return fn(*args)
    except RuntimeError as exc:
        if "after shutdown" not in str(exc) or getattr(threading, "_SHUTTING_DOWN", None) is not True:
            raise
    threading._SHUTTING_DOWN = False  # type: ignore[attr-defined]
    try:
        return fn(*args)
    finally:
        threading._SHUTTING_DOWN = True  # type: ignore[attr-defined]


def _describe(exc: BaseException) -> str:
    from .redact import scrub_text

    text = f"{type(exc).__name__}: {exc}"
    return scrub_text(text[:300])


def make_client(settings: config.Settings, run_id: str | None = None, job_name: str | None = None):
    """The OpenLineage client as the user configured it, or with our embedded NDJSON file transport."""
    from openlineage.client import OpenLineageClient

    quiet_library_logs()

    if settings.own_transport:
        client = OpenLineageClient()
        configured = (client.config.transport or {}).get("type") or os.environ.get("OPENLINEAGE_URL")
        if not configured and getattr(client.transport, "kind", None) == "console":
            # the client fell back to printing at INFO (events nobody sees): the configuration we saw
            # (openlineage.yml, OPENLINEAGE__TRANSPORT__*) could not be read
            raise ValueError("the OpenLineage configuration was found but could not be read (see openlineage.yml "
                             "or the OPENLINEAGE__TRANSPORT__* variables)")
        client._olmp_events_path = None
        return client
    path = default_events_path(settings, run_id, job_name)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    client = OpenLineageClient(config={"transport": {"type": "file", "log_file_path": path, "append": True}})
    client._olmp_events_path = path
    _log.info("lineage events go to %s (no OpenLineage transport configured)", path)
    return client


LIBRARY_LOGGERS = ("openlineage", "urllib3", "requests", "httpx", "httpcore", "charset_normalizer", "kafka",
                   "confluent_kafka", "botocore", "google", "datadog")
_THREAD_PREFIX = "openlineage-monkeypatch"
CONSOLE_TRANSPORT_LOGGER = "openlineage.client.transport.console"


def quiet_library_logs() -> None:
    """Keep what the client and its HTTP stack log on *our* threads out of the job's logs.

    urllib3 logs each retry at WARNING; with the job's logging.basicConfig() those lines would land in
    the job's stderr. A filter on those libraries' loggers drops records made on our threads only
    (the job's own use of requests is untouched); we report delivery problems ourselves, once.
    OPENLINEAGE_CLIENT_LOGGING=1 leaves them alone, for debugging.
    """
    if os.environ.get("OPENLINEAGE_CLIENT_LOGGING"):
        return
    import logging

    global _thread_filter
    if _thread_filter is None:
        class OurThreads(logging.Filter):
            def filter(self, record) -> bool:
                if record.name == CONSOLE_TRANSPORT_LOGGER:  # the events themselves, when asked for
                    return True
                if getattr(_on_our_behalf, "active", False):
                    return False
                return not str(getattr(record, "threadName", "")).startswith(_THREAD_PREFIX)

        _thread_filter = OurThreads()
    names = [name for name in list(logging.Logger.manager.loggerDict)
             if name.split(".", 1)[0] in LIBRARY_LOGGERS]
    for name in names:
        logger = logging.getLogger(name)
        if _thread_filter not in logger.filters:
            logger.addFilter(_thread_filter)


_thread_filter = None
_on_our_behalf = threading.local()  # set while the job's thread runs our set-up of the client


def default_events_path(settings: config.Settings, run_id: str | None, job_name: str | None) -> str:
    day = time.strftime("%Y-%m-%d", time.gmtime())
    job = "".join(c if c.isalnum() or c in "-_." else "_" for c in (job_name or "job"))[:80].lstrip(".") or "job"
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
    _state_lock = threading.RLock()
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
