"""Process life: exit outcome, signals, fork, subprocesses and multiprocessing workers.

- Exit: an atexit hook (registered first, so it runs after the job's own) emits COMPLETE, or FAIL
  when an uncaught exception reached sys.excepthook or sys.exit()/exit() was given a failing
  status, or ABORT on KeyboardInterrupt; then flushes for at most the flush bound.
- SIGTERM/SIGHUP: when the job left the default handler in place, ours emits ABORT, flushes within
  what is left of the bound, restores the default and re-sends the signal, so the exit status is
  what it would have been. A signal that arrives while the run is already finishing (a pool worker
  told to stop, then terminated) only spools what is still undelivered.
- os._exit: the run ends (COMPLETE for status 0, else FAIL) and is flushed within the bound; whatever
  is still undelivered is written to the spool. os.exec*: the run ends before the image is replaced.
- Children: before a fork, a subprocess (subprocess, os.system, os.posix_spawn, os.spawn*) or a
  multiprocessing worker starts, the run gets its id and exports it as OPENLINEAGE_PARENT_ID /
  OPENLINEAGE_ROOT_PARENT_ID; a forked child starts a fresh run (fresh queue, thread and locks) whose
  parent is the forking run; a multiprocessing worker finishes its run when its process body returns.
  multiprocessing's fork server is transparent: the workers it forks are children of the job that
  started it, not of the server.

Why a parent that only starts children emits nothing until a child does something: the variable
reaches every Python process of the container (pip, health checks, shell wrappers), and many of those
start children that touch no data. A child whose run starts leaves a marker (data dir, runs/<parent
run id>); the parent then emits its START (timed at its own start) when it next waits for a child or
at its exit, so the hierarchy is complete and empty parents never reach the backend.
"""

from __future__ import annotations

import os
import sys

# functools and threading are imported where used: this module is on the start-up path, and in a bare
# interpreter those two (with collections) cost ~2 ms that a process touching no data should not pay.

from . import _guard, config

_installed = False
_uncaught: BaseException | None = None
_exit_code = None
_original_excepthook = None
_original_exit = None
_original_os_exit = None
_signals_installed = False
_saved: list[tuple] = []
PARENT_MARK = config.PARENT_MARK
HANDLED_SIGNALS = ("SIGTERM", "SIGHUP")


def install() -> None:
    global _installed, _original_excepthook, _original_exit, _original_os_exit
    if _installed:
        return
    _installed = True
    import atexit

    atexit.register(_at_exit)
    _original_excepthook = sys.excepthook
    sys.excepthook = _excepthook
    _original_exit = sys.exit
    sys.exit = _sys_exit
    _original_os_exit = os._exit
    os._exit = _os_exit
    _patch_quitter()
    for name in ("system", "posix_spawn", "posix_spawnp", "spawnv", "spawnve", "spawnvp", "spawnvpe"):
        if hasattr(os, name):
            _wrap(os, name, before=prepare_child)
    for name in ("execv", "execve"):
        if hasattr(os, name):
            _wrap(os, name, before=_before_exec)
    if hasattr(os, "register_at_fork") and not _fork_hooks_registered:
        _register_fork_hooks()
    from ._bootstrap import when_imported

    when_imported("subprocess", _patch_subprocess)
    when_imported("multiprocessing.process", _patch_multiprocessing)


_fork_hooks_registered = False


def _register_fork_hooks() -> None:
    # os.register_at_fork cannot be undone: the hooks check _installed themselves.
    global _fork_hooks_registered
    _fork_hooks_registered = True
    os.register_at_fork(before=_before_fork, after_in_child=_after_fork_child)


def uninstall() -> None:
    """Undo the interpreter-level hooks (tests; instrument()/uninstrument() pairs)."""
    global _installed
    if not _installed:
        return
    _installed = False
    if sys.excepthook is _excepthook and _original_excepthook is not None:
        sys.excepthook = _original_excepthook
    if sys.exit is _sys_exit and _original_exit is not None:
        sys.exit = _original_exit
    if os._exit is _os_exit and _original_os_exit is not None:
        os._exit = _original_os_exit
    while _saved:
        owner, attribute, original, wrapper = _saved.pop()
        try:
            if _current_attr(owner, attribute) is wrapper:
                setattr(owner, attribute, original)
        except Exception:  # noqa: BLE001
            pass
    _restore_signals()
    import atexit

    atexit.unregister(_at_exit)


def _current_attr(owner, attribute):
    return owner.__dict__.get(attribute) if isinstance(owner, type) else getattr(owner, attribute, None)


def _excepthook(exc_type, exc, tb):
    global _uncaught
    if _uncaught is None and exc is not None:
        _uncaught = exc
    hook = _original_excepthook or sys.__excepthook__
    return hook(exc_type, exc, tb)


def _sys_exit(*args):
    global _exit_code
    _exit_code = args[0] if args else None
    return _original_exit(*args)


def _patch_quitter() -> None:
    """exit(n) / quit(n) raise SystemExit without going through sys.exit: record their status too."""
    # site.py creates the exit/quit builtins after the .pth files ran: patch their class instead
    module = sys.modules.get("_sitebuiltins")
    cls = getattr(module, "Quitter", None)
    if cls is None or "__call__" not in cls.__dict__:
        return
    original = cls.__dict__["__call__"]
    if getattr(original, "__olmp_wrapped__", None) is not None:
        return

    def __call__(self, code=None):  # noqa: N807
        global _exit_code
        _exit_code = code
        return original(self, code)

    _wraps(__call__, original)
    __call__.__olmp_wrapped__ = original
    cls.__call__ = __call__
    _saved.append((cls, "__call__", original, __call__))


def _os_exit(code):
    if _installed:
        try:
            from . import emitter

            run = sys.modules.get("openlineage_monkeypatch.run")
            current = run._run if run is not None else None
            if current is not None and current.pid == os.getpid() and not current.finished:
                if code == 0:
                    current.finish("COMPLETE")
                else:
                    current.finish("FAIL", message=f"exited with status {code!r} (os._exit)")
            if emitter._emitter is not None and emitter._emitter.pid == os.getpid():
                emitter._emitter.spool_pending()
        except BaseException:  # noqa: BLE001 - nothing may stop os._exit
            pass
    return _original_os_exit(code)


def _before_exec(*args, **kwargs) -> None:
    """The process image is about to be replaced: end the run now (atexit handlers will not run)."""
    run = sys.modules.get("openlineage_monkeypatch.run")
    current = run._run if run is not None else None
    if current is not None and current.pid == os.getpid() and current.started and not current.finished:
        current.finish("COMPLETE")


def outcome() -> tuple[str, BaseException | None, str | None]:
    """The final event type for this process, with the error or message behind it."""
    if _uncaught is not None:
        if isinstance(_uncaught, KeyboardInterrupt):
            return "ABORT", _uncaught, "interrupted (KeyboardInterrupt)"
        if isinstance(_uncaught, SystemExit):
            return _status_outcome(_uncaught.code)
        return "FAIL", _uncaught, None
    return _status_outcome(_exit_code)


def _status_outcome(code) -> tuple[str, BaseException | None, str | None]:
    if code is None or code == 0 or code is False:
        return "COMPLETE", None, None
    if isinstance(code, int):
        return "FAIL", None, f"exited with status {code!r}"
    return "FAIL", None, "exited with an error message"


def _at_exit() -> None:
    run = sys.modules.get("openlineage_monkeypatch.run")
    current = run._run if run is not None else None
    if current is None or current.pid != os.getpid() or current.finished:
        return
    kind, error, message = outcome()
    import time

    started = time.monotonic()
    _guard.call("run", current.finish, kind, error, message)
    from . import _log

    _log.debug("exit: %s emitted and flushed in %.3f s (bound %.1f s)", kind, time.monotonic() - started,
               config.settings().flush_timeout)
    if isinstance(_uncaught, KeyboardInterrupt):
        _rearm_keyboard_interrupt()


def _rearm_keyboard_interrupt() -> None:
    """Keep the exit status of a job stopped by Ctrl-C (killed by SIGINT, 130 in a shell).

    CPython remembers an unhandled KeyboardInterrupt in a flag that every evaluation of source text
    clears (exec/eval of a string: namedtuple and dataclasses do that), so an import finishing on our
    thread during exit would turn the status into 1. Evaluating a string that raises KeyboardInterrupt
    sets the flag again; we catch the exception. No-op where the flag works otherwise.
    """
    try:
        exec("raise KeyboardInterrupt", {})  # noqa: S102 - a constant string, see the docstring
    except KeyboardInterrupt:
        pass


# -- signals ------------------------------------------------------------------------------------


def on_run_started(current) -> None:
    """Called once when this process's run starts."""
    _guard.call("process", _install_signals)
    _guard.call("process", _mark_parent, current)


def _install_signals() -> None:
    global _signals_installed
    import threading

    if _signals_installed or _in_worker or threading.current_thread() is not threading.main_thread():
        return
    import signal

    for name in HANDLED_SIGNALS:
        signum = getattr(signal, name, None)
        if signum is not None and signal.getsignal(signum) is signal.SIG_DFL:
            signal.signal(signum, _on_signal)
    _signals_installed = True


def _restore_signals() -> None:
    global _signals_installed
    import threading

    if not _signals_installed or threading.current_thread() is not threading.main_thread():
        return
    import signal

    for name in HANDLED_SIGNALS:
        signum = getattr(signal, name, None)
        if signum is not None and signal.getsignal(signum) is _on_signal:
            signal.signal(signum, signal.SIG_DFL)
    _signals_installed = False


def _on_signal(signum, frame):
    import signal

    try:
        from . import emitter, run

        current = run._run
        if current is not None and current.pid == os.getpid() and not current.finished:
            current.finish("ABORT", message=f"terminated by signal {signum}", timeout=_remaining_bound())
        em = emitter._emitter
        if em is not None and em.pid == os.getpid():
            # a finish this signal interrupted: finish its work within what is left of its bound
            em.close(em.remaining())
    except BaseException:  # noqa: BLE001
        pass
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _remaining_bound() -> float | None:
    from . import emitter

    em = emitter._emitter
    if em is not None and em.pid == os.getpid() and em.flush_deadline is not None:
        return em.remaining()
    return None


# -- children -----------------------------------------------------------------------------------


def _mark_parent(current) -> None:
    """Tell the parent process (one of ours) that this child did something, so it materializes."""
    if current.parent is None:
        return
    parent_run = current.parent[2]
    if (config.INHERITED.get(PARENT_MARK) or "").lower() != parent_run:
        return  # the parent is not one of our processes (Airflow, a user-set id): nothing to tell
    if not parent_run.replace("-", "").isalnum():
        return
    runs = config.settings().runs_dir
    os.makedirs(runs, mode=0o700, exist_ok=True)
    with open(os.path.join(runs, parent_run), "a", encoding="utf-8"):
        pass


def prepare_child(*args, **kwargs) -> None:
    """Give this process a run id and export it, so child processes can name it as their parent."""
    if not _installed:
        return
    from . import run

    current = run.current()
    current.allocate()
    if current.children and os.environ.get(PARENT_MARK) == current.run_id:
        return
    current.children = True
    own = f"{current.job_namespace}/{current.job_name}/{current.run_id}"
    root = current.root or current.parent
    os.environ[config.PARENT_ID] = own
    os.environ[config.ROOT_PARENT_ID] = f"{root[0]}/{root[1]}/{root[2]}" if root else own
    os.environ[PARENT_MARK] = current.run_id


def check_children(*args, **kwargs) -> None:
    """After waiting for a child: materialize this run now if a child's run started."""
    from . import run

    current = run._run
    if current is None or current.started or not current.children or current.pid != os.getpid():
        return
    if current.child_started():
        current.ensure_started(event_time=current.process_start)


def _is_fork_server() -> bool:
    """multiprocessing's fork server process (started as `-c 'from multiprocessing.forkserver import main ...'`)."""
    argv = getattr(sys, "orig_argv", None) or []
    return any("multiprocessing.forkserver import main" in arg for arg in argv)


_forking_run = None
_our_threads: frozenset = frozenset()


def _before_fork() -> None:
    global _forking_run, _our_threads
    _forking_run = None
    _our_threads = frozenset()
    if not _installed:
        return
    try:
        import threading

        _our_threads = frozenset(t.ident for t in threading.enumerate()
                                 if t.name.startswith("openlineage-monkeypatch") and t.ident is not None)
    except Exception:  # noqa: BLE001
        pass
    try:
        if _is_fork_server():
            return
        from . import run

        prepare_child()
        _forking_run = run.current()
    except Exception:  # noqa: BLE001
        _forking_run = None


def _purge_half_imported(threads) -> None:
    """In a forked child: forget modules our (now gone) threads were in the middle of importing.

    Our thread imports the OpenLineage client (requests, urllib3, yaml ...) on first use; a fork at
    that moment would leave those modules half-initialized in the child, where the job's own
    `import requests` would then fail. Waiting in the before-fork hook is no cure: logging's own
    before-fork hook may already hold the lock that import needs. So the child drops exactly the
    modules whose import lock our threads owned, and the next import starts them afresh.
    """
    if not threads:
        return
    from importlib import _bootstrap

    locks = getattr(_bootstrap, "_module_locks", None)
    if locks is None:
        return
    half = []
    for name, module in list(sys.modules.items()):
        spec = getattr(module, "__spec__", None)
        if not getattr(spec, "_initializing", False):
            continue
        ref = locks.get(name)
        lock = ref() if callable(ref) else None
        if lock is not None and getattr(lock, "owner", None) in threads:
            half.append(name)
    for name in half:
        # a package goes with its submodules: a re-import would not re-attach those already loaded
        for other in [n for n in list(sys.modules) if n == name or n.startswith(name + ".")]:
            sys.modules.pop(other, None)
            locks.pop(other, None)


def _after_fork_child() -> None:
    global _signals_installed, _uncaught, _exit_code
    if not _installed:
        return
    try:
        _purge_half_imported(_our_threads)
    except Exception:  # noqa: BLE001
        pass
    try:
        from . import _bootstrap, _log, emitter, registry, run

        _log.reset_after_fork()
        _guard.reset_after_fork()
        _bootstrap.reset_after_fork()
        registry.reset_after_fork()
        emitter.reset_after_fork()
        config.snapshot_inherited()
        run.reset_after_fork(_forking_run)
        _uncaught = None
        _exit_code = None
        # signal dispositions survive fork: keep ours if the parent had installed them
    except Exception:  # noqa: BLE001
        pass


def _wraps(wrapper, original) -> None:
    """functools.update_wrapper without importing functools (start-up path, see the imports)."""
    for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
        try:
            setattr(wrapper, attr, getattr(original, attr))
        except (AttributeError, TypeError):
            pass
    try:
        wrapper.__dict__.update(getattr(original, "__dict__", {}))
    except (AttributeError, TypeError):
        pass
    wrapper.__wrapped__ = original


def _wrap(owner, attribute: str, before=None, after=None) -> None:
    """A plain function wrapper (wrapt costs ~40 ms to import, too much for every process that
    imports subprocess); the original is called once with the original arguments."""
    original = _current_attr(owner, attribute) if isinstance(owner, type) else getattr(owner, attribute)
    if original is None or getattr(original, "__olmp_wrapped__", None) is not None:
        return

    def wrapper(*args, **kwargs):
        if before is not None:
            _guard.call("process", before, *args, **kwargs)
        result = original(*args, **kwargs)
        if after is not None:
            _guard.call("process", after, result)
        return result

    _wraps(wrapper, original)
    wrapper.__olmp_wrapped__ = original
    setattr(owner, attribute, wrapper)
    _saved.append((owner, attribute, original, wrapper))


def _patch_subprocess(module) -> None:
    _wrap(module.Popen, "__init__", before=prepare_child)
    _wrap(module.Popen, "wait", after=check_children)


def _patch_multiprocessing(module) -> None:
    _wrap(module.BaseProcess, "start", before=prepare_child)
    _wrap(module.BaseProcess, "join", after=check_children)
    _wrap(module.BaseProcess, "_bootstrap", before=_worker_setup, after=_finish_worker)
    from ._bootstrap import when_imported

    when_imported("multiprocessing.pool", _patch_pool)


# -- multiprocessing workers ------------------------------------------------------------------------
#
# A worker never gets our SIGTERM handler. A Python-level handler can lose a signal that lands just
# before the main thread blocks (CPython checks for signals, then sleeps in sem_wait); pool workers
# block on the task queue's lock exactly when Pool.terminate() signals them, so some would ignore
# SIGTERM and the job would hang in terminate(). Measured: a plain script with any Python SIGTERM
# handler and `with Pool()` hangs a few times in a thousand terminations. So workers keep SIGTERM's
# default action, and Pool.terminate() (wrapped below) first sends them a private signal whose
# handler ends the run and flushes, waits for their acknowledgement (at most the flush bound), then
# terminates them as before. A private signal lost to the same race costs a COMPLETE, never a hang.

_in_worker = False
_ACK_PREFIX = "ack-"


def finish_signal():
    import signal

    rtmin = getattr(signal, "SIGRTMIN", None)
    return rtmin + 7 if rtmin is not None else getattr(signal, "SIGUSR2", None)


def _worker_setup(*args, **kwargs) -> None:
    global _in_worker
    import threading

    _in_worker = True
    if threading.current_thread() is not threading.main_thread():
        return
    import signal

    for name in HANDLED_SIGNALS:
        signum = getattr(signal, name, None)
        if signum is not None and signal.getsignal(signum) is _on_signal:
            signal.signal(signum, signal.SIG_DFL)
    signum = finish_signal()
    if signum is not None and signal.getsignal(signum) in (signal.SIG_DFL, _on_finish_signal):
        signal.signal(signum, _on_finish_signal)


_finishing = False


def _on_finish_signal(signum, frame) -> None:
    global _finishing
    if _finishing:  # the pool re-sends the signal until we answer: one handler at a time does the work
        return
    _finishing = True
    try:
        from . import run

        current = run._run
        if current is not None and current.pid == os.getpid() and not current.finished:
            current.finish("COMPLETE")
        runs = config.settings().runs_dir
        os.makedirs(runs, mode=0o700, exist_ok=True)
        with open(os.path.join(runs, f"{_ACK_PREFIX}{os.getpid()}"), "a", encoding="utf-8"):
            pass
    except BaseException:  # noqa: BLE001
        pass
    finally:
        _finishing = False


def _patch_pool(module) -> None:
    cls = getattr(module, "Pool", None)
    method = cls.__dict__.get("_terminate_pool") if cls is not None else None
    if not isinstance(method, classmethod) or getattr(method.__func__, "__olmp_wrapped__", None) is not None:
        return
    original = method.__func__
    import functools

    @functools.wraps(original)
    def _terminate_pool(klass, taskqueue, inqueue, outqueue, pool, *rest, **kwargs):
        _guard.call("process", _let_workers_finish, pool)
        return original(klass, taskqueue, inqueue, outqueue, pool, *rest, **kwargs)

    _terminate_pool.__olmp_wrapped__ = original
    cls._terminate_pool = classmethod(_terminate_pool)
    _saved.append((cls, "_terminate_pool", method, cls.__dict__["_terminate_pool"]))


RESEND_EVERY = 0.05


def _let_workers_finish(pool) -> None:
    """Ask live workers to end their runs, and wait (at most the flush bound) until they say so.

    The signal is sent again every RESEND_EVERY seconds until a worker answers: a signal that lands
    between CPython's check for pending signals and the wait it then blocks in (the worker idles on
    the task queue's lock) would otherwise only run its handler when the wait ends, i.e. never, and
    that worker's run would end with no final event. A second signal interrupts the wait itself.
    """
    import time

    signum = finish_signal()
    if signum is None or not _installed:
        return
    runs = config.settings().runs_dir
    waiting = {}
    for worker in list(pool or ()):
        pid = getattr(worker, "pid", None)
        try:
            if pid and worker.exitcode is None:
                waiting[pid] = worker
        except (ValueError, AssertionError):
            continue
    deadline = time.monotonic() + config.settings().flush_timeout
    next_signal = 0.0
    while waiting and time.monotonic() < deadline:
        now = time.monotonic()
        for pid, worker in list(waiting.items()):
            marker = os.path.join(runs, f"{_ACK_PREFIX}{pid}")
            if os.path.exists(marker):
                waiting.pop(pid)
                try:
                    os.unlink(marker)
                except OSError:
                    pass
                continue
            try:
                if worker.exitcode is not None:
                    waiting.pop(pid)
                elif now >= next_signal:
                    os.kill(pid, signum)
            except (OSError, ValueError, AssertionError):
                waiting.pop(pid, None)
        if now >= next_signal:
            next_signal = now + RESEND_EVERY
        if waiting:
            time.sleep(0.01)


def _finish_worker(exitcode) -> None:
    from . import run

    current = run._run
    if current is None or current.pid != os.getpid() or current.finished:
        return
    if exitcode == 0:
        current.finish("COMPLETE")
    else:
        current.finish("FAIL", message=f"worker exited with status {exitcode}")
