"""Process life: exit outcome, signals, fork, subprocesses and multiprocessing workers.

- Exit: an atexit hook (registered first, so it runs after the job's own) emits COMPLETE, or FAIL
  when an uncaught exception reached sys.excepthook or sys.exit() was given a failing status, or
  ABORT on KeyboardInterrupt; then flushes for at most the flush bound.
- SIGTERM: when the job left the default handler in place, ours emits ABORT, flushes within the
  bound, restores the default and re-sends the signal, so the exit status is what it would have been.
- os._exit: whatever is still queued is written to the spool (no network) before the real exit.
- Children: before a fork, a subprocess or a multiprocessing worker starts, the run gets its id and
  exports it as OPENLINEAGE_PARENT_ID / OPENLINEAGE_ROOT_PARENT_ID; a forked child starts a fresh run
  (fresh queue, thread and locks) whose parent is the forking run; a multiprocessing worker finishes
  its run when its process body returns.
"""

from __future__ import annotations

import functools
import os
import sys
import threading

from . import _guard, _log, config

_installed = False
_uncaught: BaseException | None = None
_exit_code = None
_original_excepthook = None
_original_exit = None
_original_os_exit = None
_sigterm_installed = False
PARENT_MARK = "OPENLINEAGE_MONKEYPATCH_PARENT_RUN"


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
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(before=_before_fork, after_in_child=_after_fork_child)
    from ._bootstrap import when_imported

    when_imported("subprocess", _patch_subprocess)
    when_imported("multiprocessing.process", _patch_multiprocessing)


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
    import atexit

    atexit.unregister(_at_exit)


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


def _os_exit(code):
    try:
        from . import emitter

        if emitter._emitter is not None and emitter._emitter.pid == os.getpid():
            emitter._emitter.spool_pending()
    except Exception:  # noqa: BLE001
        pass
    return _original_os_exit(code)


def outcome() -> tuple[str, BaseException | None, str | None]:
    """The final event type for this process, with the error or message behind it."""
    if _uncaught is not None:
        if isinstance(_uncaught, KeyboardInterrupt):
            return "ABORT", _uncaught, "interrupted (KeyboardInterrupt)"
        return "FAIL", _uncaught, None
    code = _exit_code
    if code is None or code == 0:
        return "COMPLETE", None, None
    return "FAIL", None, f"exited with status {code!r}" if isinstance(code, int) else "exited with an error message"


def _at_exit() -> None:
    run = sys.modules.get("openlineage_monkeypatch.run")
    current = run._run if run is not None else None
    if current is None or current.pid != os.getpid() or current.finished:
        return
    kind, error, message = outcome()
    _guard.call("run", current.finish, kind, error, message)


# -- signals ------------------------------------------------------------------------------------


def on_run_started(current) -> None:
    """Called once when this process's run starts."""
    _guard.call("process", _install_sigterm)
    _guard.call("process", _mark_parent, current)


def _install_sigterm() -> None:
    global _sigterm_installed
    if _sigterm_installed or threading.current_thread() is not threading.main_thread():
        return
    import signal

    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)
    _sigterm_installed = True


def _on_sigterm(signum, frame):
    import signal

    try:
        from . import run

        current = run._run
        if current is not None and current.pid == os.getpid() and not current.finished:
            kind = "COMPLETE" if _idle_pool_worker() else "ABORT"
            current.finish(kind, message=None if kind == "COMPLETE" else f"terminated by signal {signum}")
    except Exception:  # noqa: BLE001
        pass
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _idle_pool_worker() -> bool:
    mp = sys.modules.get("multiprocessing")
    try:
        return mp is not None and "PoolWorker" in mp.current_process().name
    except Exception:  # noqa: BLE001
        return False


# -- children -----------------------------------------------------------------------------------


def _mark_parent(current) -> None:
    """Tell the parent process (one of ours) that this child did something, so it materializes."""
    if current.parent is None:
        return
    parent_run = current.parent[2]
    if os.environ.get(PARENT_MARK) != parent_run and not getattr(current, "forked", False):
        return
    runs = config.settings().runs_dir
    os.makedirs(runs, exist_ok=True)
    with open(os.path.join(runs, parent_run), "a", encoding="utf-8"):
        pass


def prepare_child() -> None:
    """Give this process a run id and export it, so child processes can name it as their parent."""
    from . import run

    current = run.current()
    current.allocate()
    if current.children and os.environ.get(PARENT_MARK) == current.run_id:
        return
    current.children = True
    own = f"{current.job_namespace}/{current.job_name}/{current.run_id}"
    root = current.root or current.parent
    os.environ["OPENLINEAGE_PARENT_ID"] = own
    os.environ["OPENLINEAGE_ROOT_PARENT_ID"] = f"{root[0]}/{root[1]}/{root[2]}" if root else own
    os.environ[PARENT_MARK] = current.run_id


_forking_run = None


def _before_fork() -> None:
    global _forking_run
    try:
        from . import run

        prepare_child()
        _forking_run = run.current()
    except Exception:  # noqa: BLE001
        _forking_run = None


def _after_fork_child() -> None:
    global _sigterm_installed, _uncaught, _exit_code
    try:
        from . import _guard as guard
        from . import _log as log
        from . import emitter, run

        log.reset_after_fork()
        guard.reset_after_fork()
        emitter.reset_after_fork()
        run.reset_after_fork(_forking_run)
        if run._run is not None:
            run._run.forked = True
        _uncaught = None
        _exit_code = None
    except Exception:  # noqa: BLE001
        pass


def _wrap(owner, attribute: str, before=None, after=None) -> None:
    """A plain function wrapper (wrapt costs ~40 ms to import, too much for every process that
    imports subprocess); the original is called once with the original arguments."""
    original = getattr(owner, attribute)
    if getattr(original, "__olmp_wrapped__", None) is not None:
        return

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        if before is not None:
            _guard.call("process", before)
        result = original(*args, **kwargs)
        if after is not None:
            _guard.call("process", after, result)
        return result

    wrapper.__olmp_wrapped__ = original
    setattr(owner, attribute, wrapper)


def _patch_subprocess(module) -> None:
    _wrap(module.Popen, "__init__", before=prepare_child)


def _patch_multiprocessing(module) -> None:
    _wrap(module.BaseProcess, "start", before=prepare_child)
    _wrap(module.BaseProcess, "_bootstrap", after=_finish_worker)


def _finish_worker(exitcode) -> None:
    from . import run

    current = run._run
    if current is None or current.pid != os.getpid() or current.finished:
        return
    if exitcode == 0:
        current.finish("COMPLETE")
    else:
        current.finish("FAIL", message=f"worker exited with status {exitcode}")
