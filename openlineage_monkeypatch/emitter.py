"""Delivery off the job's thread: a bounded queue, one background thread, a spool for what fails.

The job's thread only appends a record (an immutable snapshot) to a deque. One daemon thread turns
each record into a spec-shaped dict (events.to_dict) and one compact JSON line, and hands the line to
a sink. The OpenLineage client is never imported in the job's process:

- Nothing configured (the embedded default): the line is appended with a single os.write to the
  run's NDJSON file in the per-user data folder, opened once (O_APPEND).
- A transport of the user's (OPENLINEAGE_URL, OPENLINEAGE__TRANSPORT__*, openlineage.yml): the line
  goes down a pipe to a delivery process (openlineage_monkeypatch._delivery, started at
  the first event, in its own session, not instrumented) that builds the client's events and calls
  client.emit, so the client's transports, filters, tags and environment facets all apply. It
  imports the client there, so no import of a large dependency tree ever runs in a thread of the
  job's process (where it could hand the job a half-initialised module, or break a fork's imports).

Failures never reach the job, and nothing blocks it:
- past the queue bound, records are spooled (NDJSON; `openlineage-monkeypatch replay` resends them);
- a delivery process that cannot start or dies: records are spooled, with one warning;
- at exit, `close(timeout)` hands what is queued to the sink within the flush bound, closes it, and
  waits for the delivery process to finish (it delivers until just before the bound, spools the
  rest, and exits): the job pays at most that bound, in total, whatever the backend does.
What can be lost: records still queued in the job's process when it is killed (SIGKILL, or os._exit
bypassing our hook); and events the delivery process held if it is itself killed.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import deque

from . import _log, config
from .redact import describe_error

_state_lock = threading.RLock()
_CONTROL = b'{"olmp":'  # control lines to the delivery process start so; events start with {"eventType"
POLL_SLICE = 0.05  # a blocked pipe write re-checks whether it was given up this often
LINGER = 0.05  # our thread lets records gather this long before handing them over together
MAX_BATCH = 500


class Emitter:
    def __init__(self, settings: config.Settings | None = None) -> None:
        self.settings = settings or config.settings()
        self.queue: deque = deque()
        # Re-entrant: a signal handler running on the job's thread may close while that thread was
        # inside submit() holding this lock.
        self.cond = threading.Condition(threading.RLock())
        self.thread: threading.Thread | None = None
        self.in_flight: list | None = None  # the batch our thread took and has not handed to the sink yet
        self.committed: list | None = None  # in_flight, once its write to the events file began: ours to finish
        self.hurry = threading.Event()  # set while a flush or close waits: no lingering
        self.sink = None
        self.sink_error: str | None = None
        self.no_threads = False
        self.pid = os.getpid()
        self.run_id: str | None = None
        self.job_name: str | None = None
        self.events_path: str | None = None
        self.flush_deadline: float | None = None
        self.closing = 0
        self.failures = 0
        self.problem: str | None = None  # the last delivery problem, for the one warning we print
        self._spool = None

    # -- job thread ---------------------------------------------------------------------------

    def submit(self, record) -> None:
        """Queue a record; never blocks. Past the queue bound the record is spooled instead."""
        with self.cond:
            if len(self.queue) >= self.settings.queue_size:
                overflow = record
            else:
                overflow = None
                self.queue.append(record)
                self.cond.notify()
            start = self.thread is None and not self.no_threads
            if start:
                self.thread = threading.Thread(target=self._loop, name="openlineage-monkeypatch-emitter", daemon=True)
        if start:
            _at_any_time(_prepare)
            try:
                self.thread.start()
            except RuntimeError:  # interpreter shutting down (3.12+): deliver inline at close
                self.thread = None
                self.no_threads = True
        if overflow is not None:
            _log.log_once("queue-full", "more than %d lineage events queued; the excess is spooled",
                          self.settings.queue_size)
            self.spool_records([overflow], "queue full")

    def remaining(self) -> float:
        """What is left of the flush bound of a flush in progress (the full bound when none is)."""
        if self.flush_deadline is None:
            return self.settings.flush_timeout
        return max(0.0, self.flush_deadline - time.monotonic())

    def flush(self, timeout: float | None = None) -> bool:
        """Deliver what is queued now, waiting at most `timeout` seconds (default: the flush bound).

        True when everything was delivered (to the events file, or acknowledged by the delivery
        process as delivered or spooled there); False when some is still on its way.
        """
        timeout = self.settings.flush_timeout if timeout is None else max(0.0, timeout)
        deadline = time.monotonic() + timeout
        if not self._drain(deadline):
            return False
        sink = self.sink
        return sink is None or sink.sync(deadline)

    def close(self, timeout: float | None = None) -> bool:
        """At exit: hand everything to the sink within the bound, close it, wait for the delivery
        process to finish (never past the bound), spool what is left. Returns True when nothing had to
        be spooled here. A batch our thread is still writing into the delivery process's pipe when the
        bound runs out (the delivery process stopped reading) is spooled whole: lines of it that did
        get through may reach the backend twice, rather than never. A write to the events file is
        never taken back: it finishes (close waits for it) and nothing of it is spooled."""
        timeout = self.settings.flush_timeout if timeout is None else max(0.0, timeout)
        deadline = time.monotonic() + timeout
        outer = self.flush_deadline
        self.flush_deadline = deadline if outer is None else min(outer, deadline)
        deadline = self.flush_deadline
        self.closing += 1
        spooled_before = self.spool_counts()[0]
        try:
            if self.closing == 1:
                self._drain(deadline)
            # else: a signal handler interrupted a close on this thread; finish its work from here
            spool = self.spool()
            if spool.lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
                spool.lock.release()  # our thread finished spooling a record it had claimed
            with self.cond:
                leftovers = list(self.queue)
                self.queue.clear()
                if self.in_flight is not None and self.in_flight is not self.committed:
                    leftovers[:0] = self.in_flight  # our thread is stuck on it: spooled here (see the docstring)
                    self.in_flight = None
                sink, self.sink = self.sink, None
            if sink is not None:
                sink.close(deadline)
            if leftovers:
                self.spool_records(leftovers, "flush timeout")
            newly = self.spool_counts()[0] - spooled_before
            if newly:
                # reported from here, not from our daemon thread, which may die mid-line at exit
                self.spool().warn(newly, self.problem)
            return not leftovers and not newly
        finally:
            self.closing -= 1
            self.flush_deadline = outer
            if not self.closing:
                self.hurry.clear()

    def spool_pending(self) -> None:
        """Write everything still queued to the spool, without any delivery: for os._exit."""
        with self.cond:
            taken = self.in_flight if self.in_flight is not self.committed else None
            leftovers = (taken or []) + list(self.queue)
            self.queue.clear()
            if taken is not None:
                self.in_flight = None
        if leftovers:
            self.spool_records(leftovers, "process exiting")

    def _drain(self, deadline: float) -> bool:
        """Wait until our thread handed everything queued to the sink (or deliver inline without one)."""
        if self.thread is None or not self.thread.is_alive():
            self._deliver_inline(deadline)
        self.hurry.set()
        with self.cond:
            while (self.queue or self.in_flight is not None) and self.thread is not None and self.thread.is_alive():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self.cond.wait(min(remaining, POLL_SLICE))
            done = not self.queue and self.in_flight is None
        if not self.closing:
            self.hurry.clear()
        return done

    # -- background thread ----------------------------------------------------------------------

    def _loop(self) -> None:
        _block_signals()
        while True:
            with self.cond:
                while not self.queue:
                    self.cond.wait()
            # let more records come: one hand-over (one os.write, one switch of the GIL between the job's
            # thread and ours) per batch instead of per event; a flush or close cuts the wait short
            if not self.hurry.is_set():
                self.hurry.wait(LINGER)
            with self.cond:
                if not self.queue:  # a close took it meanwhile
                    continue
                batch = [self.queue.popleft() for _ in range(min(len(self.queue), MAX_BATCH))]
                self.in_flight = batch
            try:
                self._deliver(batch, None)
            except Exception as exc:  # noqa: BLE001
                _log.log_once("emitter-loop", "lineage event delivery failed: %r", exc)
                self._spool_claimed(batch, None, "delivery failed")
            finally:
                with self.cond:
                    if self.in_flight is batch:
                        self.in_flight = self.committed = None
                    self.cond.notify_all()

    def _deliver_inline(self, deadline: float) -> None:
        """No background thread (never started, or the interpreter is shutting down)."""
        while time.monotonic() < deadline:
            with self.cond:
                if not self.queue:
                    return
                batch = [self.queue.popleft() for _ in range(min(len(self.queue), MAX_BATCH))]
                self.in_flight = batch
            try:
                self._deliver(batch, deadline)
            except Exception as exc:  # noqa: BLE001
                _log.log_once("emitter-loop", "lineage event delivery failed: %r", exc)
                self._spool_claimed(batch, None, "delivery failed")
            finally:
                with self.cond:
                    if self.in_flight is batch:
                        self.in_flight = self.committed = None

    def _deliver(self, batch: list, deadline: float | None) -> None:
        lines = [line for line in map(encode, batch) if line is not None]
        if not lines:
            self._claim(batch)
            return
        sink = self._sink()
        if sink is None:
            self._spool_claimed(batch, lines, self.sink_error or "no sink")
            return
        data = lines[0] if len(lines) == 1 else b"".join(lines)
        if sink.revocable:  # the pipe: gives up when a close took the batch over (part of it may be in)
            written = sink.write(data, lambda: self.in_flight is not batch, deadline)
        else:  # the events file: asks once, before writing, and then the write is ours to finish
            written = sink.write(data, lambda: not self._commit(batch), deadline)
        if written == len(data):
            self._claim(batch)
            return
        whole = 0
        for line in lines:  # the lines written completely are the sink's; the rest is spooled
            if written < len(line):
                break
            written -= len(line)
            whole += 1
        if sink.broken:
            self._sink_failed(sink)
        self._spool_claimed(batch, lines[whole:], self.problem or "delivery failed")

    def _claim(self, batch) -> bool:
        """Take the in-flight batch over; False when a close already took (and spooled) it."""
        with self.cond:
            if self.in_flight is not batch:
                return False
            self.in_flight = self.committed = None
            return True

    def _commit(self, batch) -> bool:
        """Our thread starts a write that cannot be taken back: from now on a close leaves the batch to
        us (and waits for the write). False when a close already took (and spooled) it."""
        with self.cond:
            if self.in_flight is not batch:
                return False
            self.committed = batch
            return True

    def _spool_claimed(self, batch, lines: list[bytes] | None, reason: str) -> None:
        with self.spool().lock:  # a close that finds the batch claimed waits for this write (see close)
            if self._claim(batch):
                if lines is None:
                    self.spool_records(batch, reason)
                else:
                    self.spool_lines(lines, reason)

    def _sink(self):
        sink = self.sink
        if sink is not None or self.sink_error is not None:
            return sink
        with self.cond:
            if self.sink is not None or self.sink_error is not None:
                return self.sink
            try:
                if self.settings.own_transport:
                    sink = DeliveryProcess(self.settings)
                else:
                    sink = EventsFile(self.settings, self.run_id, self.job_name)
                    self.events_path = sink.path
            except Exception as exc:  # noqa: BLE001
                what = "the delivery process" if self.settings.own_transport else "the events file"
                self.sink_error = self.problem = f"could not start {what}: {describe_error(exc)}"
                self.failures += 1
                if self.flush_deadline is None:
                    _log.log_once("undelivered", "lineage events could not be delivered (%s); events are spooled "
                                  "to %s; resend them with `openlineage-monkeypatch replay`", self.sink_error,
                                  self.spool().file())
                return None
            self.sink = sink
            return sink

    def _sink_failed(self, sink) -> None:
        """The sink broke (the delivery process died, the events file cannot be written): spool from now on."""
        with self.cond:
            if self.sink is sink:
                self.sink = None
                self.sink_error = self.problem = sink.broken
            self.failures += 1
        sink.abandon()
        if self.flush_deadline is None:
            _log.log_once("undelivered", "lineage events could not be delivered (%s); events are spooled to %s; "
                          "resend them with `openlineage-monkeypatch replay`", sink.broken, self.spool().file())

    # -- spool ------------------------------------------------------------------------------

    def spool(self):
        if self._spool is None:
            from .spool import Spool

            with self.cond:
                if self._spool is None:
                    self._spool = Spool(self.settings)
        return self._spool

    def spool_counts(self) -> tuple[int, int]:
        spool = self._spool
        return (spool.spooled, spool.dropped) if spool is not None else (0, 0)

    @property
    def spooled(self) -> int:
        return self.spool_counts()[0]

    @property
    def dropped(self) -> int:
        return self.spool_counts()[1] + _encode_failures

    def spool_records(self, records: list, reason: str) -> None:
        lines = [line for line in (encode(r) for r in records) if line is not None]
        self.spool_lines(lines, reason)

    def spool_lines(self, lines: list[bytes], reason: str) -> None:
        if lines:
            if self.problem is None:
                self.problem = reason
            self.spool().append(lines)


# -- sinks ------------------------------------------------------------------------------------------


class EventsFile:
    """The embedded default: the run's NDJSON file, opened once, one os.write per batch of events."""

    revocable = False  # a write, once begun, is finished (a close waits for it)

    def __init__(self, settings: config.Settings, run_id: str | None, job_name: str | None) -> None:
        self.path = default_events_path(settings, run_id, job_name)
        os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
        self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
        self.lock = threading.RLock()  # re-entrant: a signal handler's close on a thread inside write
        self.broken: str | None = None
        _log.info("lineage events go to %s (no OpenLineage transport configured)", self.path)

    def write(self, data: bytes, given_up, deadline) -> int:
        """Append whole lines; returns len(data), or 0 when nothing was written (given up before
        starting, the file closed, or a write error: then nothing of it stays in the file)."""
        with self.lock:
            if self.fd is None or given_up():
                return 0
            try:
                written = os.write(self.fd, data)
                if written == len(data):
                    return written
                start = os.lseek(self.fd, 0, os.SEEK_END) - written
                view = memoryview(data)[written:]
                try:
                    while view:
                        view = view[os.write(self.fd, view):]
                except OSError:
                    try:  # no half line for readers to trip on
                        os.ftruncate(self.fd, start)
                    except OSError:
                        pass
                    raise
                return len(data)
            except OSError as exc:
                self.broken = f"could not write {self.path}: {describe_error(exc)}"
                return 0

    def sync(self, deadline: float) -> bool:
        return self.broken is None

    def close(self, deadline: float) -> None:
        # waits for a write in progress (a local file: moments), a little past a bound already spent
        if self.lock.acquire(timeout=max(0.2, deadline - time.monotonic())):
            try:
                self.abandon()
            finally:
                self.lock.release()

    def abandon(self) -> None:
        with self.lock:
            self.forget_after_fork()

    def forget_after_fork(self) -> None:
        """Close our descriptor without the lock (after a fork another thread may have held it)."""
        fd, self.fd = self.fd, None
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass


class DeliveryProcess:
    """A pipe to the delivery process (openlineage_monkeypatch._delivery), started now.

    fd 0 of the delivery process reads the events (one JSON line each, and control lines); its fd 3
    is the write end of a status pipe: `A<n>` acknowledges sync n (everything before it delivered or
    spooled), `D` says it finished, and EOF that it has exited. It is not our child for long: it forks
    once at start and its first process exits, so a job that waits for all its children (os.wait())
    never waits for it, and it is in a session of its own (a terminal's Ctrl-C does not reach it).
    """

    revocable = True  # a write blocked on a full pipe gives up when a close takes its batch over

    def __init__(self, settings: config.Settings) -> None:
        self.settings = settings
        self.lock = threading.RLock()  # one writer at a time: our thread, or a flush on the job's thread
        self.broken: str | None = None
        self.done = False
        self.acked = 0
        self.syncs = 0
        self.writing = None
        self.pid = None
        read_end, self.fd = _pipe()
        self.status, status_write = _pipe()
        try:
            self.pid = _spawn(settings, read_end, status_write)
        except BaseException:
            for fd in (self.fd, self.status):
                _close(fd)
            raise
        finally:
            _close(read_end)
            _close(status_write)
        os.set_blocking(self.fd, False)

    def _reap(self) -> None:
        if self.pid is not None:
            try:
                pid, _ = os.waitpid(self.pid, os.WNOHANG)
                if pid:
                    self.pid = None
            except OSError:  # reaped by the job (waitpid(-1)) or SIGCHLD ignored
                self.pid = None

    def write(self, data: bytes, given_up, deadline: float | None) -> int:
        """Write whole lines; returns how many bytes went in: fewer than len(data) when the pipe broke,
        or when given up (a close took the batch over, or the deadline passed) with the pipe full."""
        import select

        with self.lock:
            if self.fd is None or self.broken or given_up():
                return 0
            view = memoryview(data)
            poller = None
            while view:
                try:
                    view = view[os.write(self.fd, view):]
                    continue
                except BlockingIOError:
                    pass
                except OSError as exc:  # EPIPE: the delivery process is gone
                    self.broken = f"the delivery process stopped reading ({describe_error(exc)})"
                    return len(data) - len(view)
                if given_up() or (deadline is not None and time.monotonic() >= deadline):
                    done = len(data) - len(view)
                    if done and data[done - 1:done] != b"\n":  # half a line is in the pipe: nothing may follow
                        self.broken = "a lineage event was cut short"
                    return done
                if poller is None:
                    poller = select.poll()
                    poller.register(self.fd, select.POLLOUT)
                wait = POLL_SLICE if deadline is None else max(0.0, min(POLL_SLICE, deadline - time.monotonic()))
                poller.poll(wait * 1000)
            if self.pid is not None:
                self._reap()
            return len(data)

    def _control(self, data: bytes, deadline: float) -> bool:
        line = _CONTROL + data + b"}\n"
        return self.write(line, lambda: False, deadline) == len(line)

    def _read_status(self, deadline: float, until) -> bool:
        """Read the status pipe until `until()` holds, EOF, or the deadline; returns until()."""
        import select

        poller = select.poll()
        poller.register(self.status, select.POLLIN | select.POLLHUP)
        pending = b""
        while not until():
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.status is None:
                break
            if not poller.poll(min(remaining, 1.0) * 1000):
                continue
            try:
                chunk = os.read(self.status, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                self.broken = self.broken or ("" if self.done else "the delivery process exited unexpectedly")
                _close(self.status)
                self.status = None
                break
            pending += chunk
            *messages, pending = pending.split(b"\n")
            if self.pid is not None:
                self._reap()  # it answers: the process we started has forked it and exited
            for message in messages:
                if message.startswith(b"A"):
                    try:
                        self.acked = max(self.acked, int(message[1:]))
                    except ValueError:
                        pass
                elif message == b"D":
                    self.done = True
        return until()

    def sync(self, deadline: float) -> bool:
        """Ask the delivery process to confirm everything sent so far; wait for it until the deadline."""
        with self.lock:
            if self.broken or self.fd is None:
                return False
            self.syncs += 1
            wanted = self.syncs
            if not self._control(b'"sync","id":%d' % wanted, deadline):
                return False
        return self._read_status(deadline, lambda: self.acked >= wanted)

    def close(self, deadline: float) -> None:
        """Tell the delivery process how long it has, close the pipe, wait for it to finish (at most
        until the deadline)."""
        if not self.lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            return  # our thread is stuck on a write: the pipe closes with the process
        try:
            if self.fd is not None and not self.broken:
                remaining = max(0.0, deadline - time.monotonic())
                self._control(b'"close","remaining":%.3f' % remaining, deadline)
            _close(self.fd)
            self.fd = None
        finally:
            self.lock.release()
        if self.status is not None:
            self._read_status(deadline, lambda: self.status is None)
        self._reap()
        if self.broken and not self.done:
            _log.log_once("delivery-died", "the lineage delivery process ended unexpectedly (%s); events it had "
                          "not delivered yet may be lost", self.broken)

    def abandon(self) -> None:
        with self.lock:
            _close(self.fd)
            self.fd = None
        _close(self.status)
        self.status = None

    def forget_after_fork(self) -> None:
        """In a forked child: close our copies, so the delivery process sees EOF when the parent closes."""
        for fd in (self.fd, self.status):
            _close(fd)
        self.fd = self.status = None
        self.pid = None


def _close(fd) -> None:
    if fd is not None:
        try:
            os.close(fd)
        except OSError:
            pass


def _pipe() -> tuple[int, int]:
    """A pipe whose ends are not inheritable (PEP 446) and above the standard descriptors."""
    import fcntl

    ends = []
    for fd in os.pipe():
        if fd <= 3:  # stdin closed by the job, say: keep clear of what the child's fds 0-3 become
            moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
            os.close(fd)
            fd = moved
        ends.append(fd)
    return ends[0], ends[1]


# the job's interpreter debugging switches are the job's: they would make the delivery process print
# into the job's stderr (PYTHONPROFILEIMPORTTIME, PYTHONVERBOSE) or fail (PYTHONWARNINGS=error)
_NOT_FOR_DELIVERY = frozenset({config.ENABLED, "PYTHONWARNINGS", "PYTHONPROFILEIMPORTTIME", "PYTHONVERBOSE",
                               "PYTHONDEBUG", "PYTHONINSPECT", "PYTHONSTARTUP", "PYTHONDEVMODE", "PYTHONTRACEMALLOC",
                               "PYTHONMALLOCSTATS", "PYTHONASYNCIODEBUG", "PYTHONBREAKPOINT"})
# -c puts the working directory first on sys.path: the job's folder (a requests.py of its own, say) must
# not shadow what the client imports. Our package's own folder goes last, for a job that found us there.
_BOOT = ("import sys\nif sys.path and sys.path[0] == '': del sys.path[0]\nsys.path.append(%r)\n"
         "from openlineage_monkeypatch._delivery import main\nmain()")


def delivery_environment(settings: config.Settings) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in _NOT_FOR_DELIVERY}
    if settings.config_file and not env.get("OPENLINEAGE_CONFIG"):
        env["OPENLINEAGE_CONFIG"] = settings.config_file  # found at start-up: the job may have chdir'ed since
    env["OPENLINEAGE_MONKEYPATCH_DELIVERY_PARENT"] = str(os.getpid())
    return env


def _spawn(settings: config.Settings, read_end: int, status_write: int) -> int:
    import signal

    executable = sys.executable
    if not executable:
        raise RuntimeError("no Python executable to start the delivery process with (sys.executable is empty)")
    spawn = getattr(os.posix_spawn, "__olmp_wrapped__", os.posix_spawn)  # not a child run of the job
    actions = [(os.POSIX_SPAWN_DUP2, read_end, 0),
               (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
               (os.POSIX_SPAWN_DUP2, status_write, 3)]
    default = [getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT") if hasattr(signal, name)]
    ours = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return spawn(executable, [executable, "-c", _BOOT % ours], delivery_environment(settings), file_actions=actions,
                 setsid=True, setsigmask=(), setsigdef=default)


# -- helpers ------------------------------------------------------------------------------------------

_encode_failures = 0


def encode(record) -> bytes | None:
    """A record as one NDJSON line; None (counted, logged once) when it cannot be turned into an event."""
    global _encode_failures
    from .events import to_dict, to_line

    try:
        return to_line(to_dict(record))
    except Exception as exc:  # noqa: BLE001
        _encode_failures += 1
        _log.log_once("encode", "could not build a lineage event (%s); it is left out", describe_error(exc))
        return None


def _prepare() -> None:
    """The first event: load, on the job's thread, the little our thread will use (stdlib modules that
    are usually loaded already). Our thread never imports anything that is not loaded yet."""
    import fcntl  # noqa: F401
    import json  # noqa: F401
    import select  # noqa: F401
    import signal  # noqa: F401

    from . import events, redact, spool  # noqa: F401

    _log.logger()
    events.to_line({})


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


def _at_any_time(fn, *args):
    """Call fn even during interpreter shutdown (an import then fails with "after shutdown" once
    threading has begun shutting down, which is when a run whose first event comes at exit starts).
    The flag is put back at once."""
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


def make_client(settings: config.Settings, run_id: str | None = None, job_name: str | None = None):
    """The OpenLineage client as the user configured it, or with the embedded NDJSON file transport
    (replay, when nothing is configured). Never called in the job's process."""
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
CONSOLE_TRANSPORT_LOGGER = "openlineage.client.transport.console"


def quiet_library_logs() -> None:
    """Keep what the client and its HTTP stack log out of sight (urllib3 logs each retry at WARNING):
    we report delivery problems ourselves, once. The console transport's events are kept: printing
    them is its job. OPENLINEAGE_CLIENT_LOGGING=1 leaves everything alone, for debugging."""
    if os.environ.get("OPENLINEAGE_CLIENT_LOGGING"):
        return
    import logging

    global _filter
    if _filter is None:
        class Quiet(logging.Filter):
            def filter(self, record) -> bool:
                return record.name == CONSOLE_TRANSPORT_LOGGER

        _filter = Quiet()
    for name in [name for name in list(logging.Logger.manager.loggerDict)
                 if name.split(".", 1)[0] in LIBRARY_LOGGERS] + list(LIBRARY_LOGGERS):
        logger = logging.getLogger(name)
        if _filter not in logger.filters:
            logger.addFilter(_filter)


_filter = None


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
    """In a forked child: forget the parent's emitter, closing our copies of its sink's descriptors (the
    parent's delivery process must see EOF when the parent closes its pipe, not when we exit)."""
    global _emitter, _state_lock
    _state_lock = threading.RLock()
    inherited, _emitter = _emitter, None
    sink = getattr(inherited, "sink", None)
    if sink is not None:
        try:
            sink.forget_after_fork()
        except Exception:  # noqa: BLE001
            pass


def read_spool(path: str) -> list[dict]:
    import json

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
