"""One OpenLineage run per process: its identity, what it read and wrote, and its events.

Integrations report what happened through the functions at the bottom of this module (`read`,
`wrote`, `access`, `failed`, `statement` ...). The run starts lazily: START is emitted when the
process first touches a dataset, so the many processes that only inherit the environment (pip,
health checks) emit nothing. A RUNNING event carries each output with the inputs its lineage
references, so a crash after a write loses nothing; COMPLETE, FAIL or ABORT at exit carries
everything.

A process that starts child processes passes them its run as parent (OPENLINEAGE_PARENT_ID /
OPENLINEAGE_ROOT_PARENT_ID, the format Airflow's macros use). It does not emit anything for that
alone: when a child's run starts, the child leaves a marker, and the parent then emits its own
START (timed at its process start) and its final event, so the hierarchy is complete without
empty jobs for processes whose children did nothing either.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback

from . import _guard, _log, config
from ._version import __version__
from .emitter import emitter
from .events import DatasetRecord, EventRecord, iso_time
from .naming import DatasetId

PROCESS_START = config.PROCESS_START


now_iso = iso_time


def uuid7() -> str:
    """A UUIDv7 string, as openlineage.client.uuid.generate_new_uuid makes (without importing the client)."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def parse_parent(value: str | None, quiet: bool = False) -> tuple[str, str, str] | None:
    """`namespace/job/runId` (Airflow's lineage_parent_id macro) -> (namespace, job, runId).

    The namespace may itself contain `/` (a URI): the job and run id are the last two parts. The run
    id must be a UUID (the parent facet requires one); anything else is ignored with one warning.
    """
    if not value:
        return None
    parts = value.strip().rsplit("/", 2)
    if len(parts) == 3 and all(p.strip() for p in parts) and _is_uuid(parts[2].strip()):
        return parts[0].strip(), parts[1].strip(), parts[2].strip().lower()
    if not quiet:
        _log.log_once("parent-format", "ignoring a parent run id that is not namespace/job/runId (a UUID)")
    return None


def _is_uuid(text: str) -> bool:
    import re

    return re.fullmatch(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", text) is not None


def _mp_kind() -> str | None:
    """For a multiprocessing child: its kind (`PoolWorker`, `Process`, or the name the job gave it)."""
    mp = sys.modules.get("multiprocessing")
    if mp is None:
        return None
    try:
        current = mp.current_process()
        if current.name == "MainProcess" or mp.parent_process() is None:
            return None
        name = str(current.name)
    except Exception:  # noqa: BLE001
        return None
    import re

    base = re.sub(r"[-:_\d]+$", "", name) or "Process"
    for prefix in ("ForkServer", "Fork", "Spawn"):  # the start method is no part of the job
        if base.startswith(prefix) and base != prefix and base[len(prefix)].isupper():
            base = base[len(prefix):]
            break
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in base)[:100]


def started_as() -> str:
    """The name of how this process was started: module for -m, script path relative to the start-up
    working directory, console-script name."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and getattr(spec, "name", None) and spec.name not in ("__main__", "__mp_main__"):
        return spec.name[: -len(".__main__")] if spec.name.endswith(".__main__") else spec.name
    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else ""
    if argv0 == "-c":
        return "python-c"
    if argv0 == "-":
        return "python-stdin"
    script = getattr(main, "__file__", None) or argv0
    if not script:
        return "python-interactive"
    path = os.path.normpath(os.path.join(config.STARTUP_CWD, script))
    if path.endswith((".py", ".pyw", ".pyz")) or os.sep + "__main__.py" in path or (
            os.path.isfile(path) and not os.access(path, os.X_OK)):
        cwd = config.STARTUP_CWD.rstrip(os.sep)
        return os.path.relpath(path, cwd) if path.startswith(cwd + os.sep) else path
    return os.path.basename(path)


def derive_job_name(forked_from: str | None = None) -> str:
    """OPENLINEAGE_JOB_NAME, else how the process was started; children of our processes are named
    under their parent (`job.py.PoolWorker`, `job.py.fork`) so they never merge into its job."""
    settings = config.settings()
    kind = _mp_kind()
    if forked_from:
        return f"{forked_from}.{kind or 'fork'}"
    inherited = config.INHERITED
    parent = parse_parent(inherited.get(config.PARENT_ID), quiet=True)
    ours = parent is not None and (inherited.get(config.PARENT_MARK) or "").lower() == parent[2]
    if kind and ours:
        return f"{parent[1]}.{kind}"
    own = started_as()
    if settings.job_name:
        if ours and (parent[1] == settings.job_name or parent[1].startswith(settings.job_name + ".")):
            return f"{parent[1]}.{own}"
        return settings.job_name
    return f"{own}.{kind}" if kind else own


def _git_location(script: str) -> dict | None:
    """sourceCodeLocation facet data for a script inside a git checkout (https URLs only)."""
    from .redact import strip_userinfo

    folder = os.path.dirname(os.path.abspath(script))
    while True:
        git = os.path.join(folder, ".git")
        if os.path.isdir(git):
            break
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent
    try:
        with open(os.path.join(git, "config"), encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        return None
    url = None
    section = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == '[remote "origin"]' and line.startswith("url"):
            url = line.split("=", 1)[1].strip()
    if not url:
        return None
    url = strip_userinfo(url)
    if url.startswith("git@") and ":" in url:
        host, _, path = url[4:].partition(":")
        url = f"https://{host}/{path}"
    elif url.startswith("ssh://"):
        rest = url[len("ssh://"):].split("@", 1)[-1]
        host, _, path = rest.partition("/")
        url = f"https://{host.split(':')[0]}/{path}"
    if not url.startswith(("https://", "http://")):
        return None
    if url.endswith(".git"):
        url = url[:-4]
    commit = branch = None
    try:
        with open(os.path.join(git, "HEAD"), encoding="utf-8") as handle:
            head = handle.read().strip()
        if head.startswith("ref:"):
            ref = head[4:].strip()
            branch = ref.rsplit("/", 1)[-1] if ref.startswith("refs/heads/") else None
            ref_path = os.path.join(git, ref)
            if os.path.isfile(ref_path):
                with open(ref_path, encoding="utf-8") as handle:
                    commit = handle.read().strip()
            elif os.path.isfile(os.path.join(git, "packed-refs")):
                with open(os.path.join(git, "packed-refs"), encoding="utf-8") as handle:
                    for line in handle:
                        if line.strip().endswith(" " + ref):
                            commit = line.split()[0]
        else:
            commit = head
    except OSError:
        pass
    rel = os.path.relpath(os.path.abspath(script), folder)
    data = {"type": "git", "url": f"{url}/blob/{commit or 'HEAD'}/{rel}", "repoUrl": url, "path": rel}
    if commit:
        data["version"] = commit
    if branch:
        data["branch"] = branch
    return data


class DatasetSnapshot(DatasetRecord):
    """A dataset as one event shows it: references to the state's data at that moment (which is never
    changed in place afterwards, see DatasetState), turned into facet data on our background thread."""

    __slots__ = ("fields", "actions", "system", "lineage", "operations")

    def __init__(self, state: "DatasetState", with_lineage: bool) -> None:
        self.namespace = state.id.namespace
        self.name = state.id.name
        self.facets = state.facets
        self.input_facets = state.input_facets
        self.output_facets = state.output_facets
        self.fields = state.fields
        self.actions = state.actions
        self.system = state.system
        self.lineage = state.lineage if with_lineage else None
        self.operations = state.operations if with_lineage else None

    def parts(self) -> tuple[dict, dict, dict]:
        facets = dict(self.facets)
        if self.fields:
            facets["schema"] = {"fields": [{"name": n, "type": t} if t else {"name": n} for n, t in self.fields.items()]}
        if self.actions:
            facets["monkeypatch_access"] = {"actions": access_entries(self.actions), "system": self.system}
        if self.lineage:
            facets["columnLineage"] = self.lineage
        if self.operations and self.operations.get("fields"):
            facets["monkeypatch_columnOperations"] = self.operations
        return facets, self.input_facets, self.output_facets


def access_entries(actions: dict) -> list[dict]:
    entries = []
    for (action, api, object_type, object_name), (count, failed) in sorted(actions.items(), key=lambda kv: str(kv[0])):
        item = {"action": action, "count": count}
        if failed:
            item["failed"] = failed
        if api:
            item["api"] = api
        if object_type:
            item["objectType"] = object_type
        if object_name:
            item["object"] = object_name
        entries.append(item)
    return entries


class DatasetState:
    """What the run knows about one dataset. Its dicts are replaced, never changed in place, so an
    event can refer to them as they are now (a snapshot costs nothing) while the run goes on."""

    __slots__ = ("id", "fields", "facets", "actions", "lineage", "operations", "refs", "system",
                 "input_facets", "output_facets", "is_input")

    def __init__(self, dataset: DatasetId, is_input: bool) -> None:
        self.id = dataset
        self.fields: dict[str, str | None] = {}
        self.facets: dict = {}
        self.actions: dict[tuple, tuple[int, int]] = {}
        self.lineage: dict | None = None
        self.operations: dict | None = None
        self.refs: set[DatasetId] = set()
        self.system: str | None = None
        self.input_facets: dict = {}
        self.output_facets: dict = {}
        self.is_input = is_input

    def add_fields(self, fields) -> None:
        current = self.fields
        changed = None
        for name, type_ in fields:
            name = str(name)
            type_ = None if type_ is None else str(type_)
            known = changed if changed is not None else current
            if name in known and (type_ is None or known[name] == type_):
                continue
            if changed is None:
                changed = dict(current)
            changed[name] = type_
        if changed is not None:
            self.fields = changed

    def add_action(self, action: str | None, api: str | None, failed: bool = False, object_type: str | None = None,
                   object_name: str | None = None):
        if not action:
            return
        key = (action, api, object_type, object_name)
        count, failures = self.actions.get(key, (0, 0))
        actions = dict(self.actions)
        actions[key] = (count + 1, failures + (1 if failed else 0))
        self.actions = actions

    def adopt(self, other: "DatasetState") -> None:
        """Take over the actions recorded on this dataset before it became an input or output."""
        if other.system and not self.system:
            self.system = other.system
        if other.actions:
            actions = dict(self.actions)
            for key, (count, failed) in other.actions.items():
                before = actions.get(key, (0, 0))
                actions[key] = (before[0] + count, before[1] + failed)
            self.actions = actions

    def record(self, with_lineage: bool) -> DatasetSnapshot:
        return DatasetSnapshot(self, with_lineage)


class ProcessRun:
    def __init__(self, settings: config.Settings | None = None, parent: tuple[str, str, str] | None = None,
                 root: tuple[str, str, str] | None = None) -> None:
        self.settings = settings or config.settings()
        self.lock = threading.RLock()
        self.pid = os.getpid()
        self.run_id: str | None = None
        self.job_namespace = self.settings.namespace
        self.job_name: str | None = None
        self.parent = parent if parent is not None else parse_parent(self.settings.parent_id)
        self.root = root if root is not None else (parse_parent(self.settings.root_parent_id) or self.parent)
        self.started = False
        self.finished = False
        self.closing = False
        self.children = False
        self.start_time: float | None = None
        self.inputs: dict[DatasetId, DatasetState] = {}
        self.outputs: dict[DatasetId, DatasetState] = {}
        self.failed_access: dict[tuple, int] = {}
        # metadata accesses (head, list, presign, abort, USAGE ...) on datasets the run neither read nor
        # wrote: (dataset, output side) -> state holding only actions; reported in a run facet
        self.metadata: dict[tuple[DatasetId, bool], DatasetState] = {}
        self._base_facets: dict | None = None
        self.extraction_errors: list[dict] = []
        self.opaque: set[str] = set()
        self.approximate_columns = 0
        self._job_facets: dict | None = None
        self.forked_from: str | None = None  # job name of the process this one was forked from
        self.process_start = config.PROCESS_START

    # -- identity ---------------------------------------------------------------------------

    def allocate(self) -> str:
        with self.lock:
            if self.run_id is None:
                self.job_name = derive_job_name(self.forked_from)
                self.run_id = uuid7()
            return self.run_id

    def parent_facet(self) -> dict | None:
        if self.parent is None:
            return None
        facet = {"run": {"runId": self.parent[2]}, "job": {"namespace": self.parent[0], "name": self.parent[1]}}
        root = self.root or self.parent
        facet["root"] = {"run": {"runId": root[2]}, "job": {"namespace": root[0], "name": root[1]}}
        return facet

    def job_facets(self) -> dict:
        if self._job_facets is None:
            facets: dict = {"jobType": {"processingType": "BATCH", "integration": "PYTHON", "jobType": "JOB"}}
            script = sys.argv[0] if sys.argv and sys.argv[0] not in ("", "-c", "-m") else None
            main = sys.modules.get("__main__")
            script = getattr(main, "__file__", None) or script
            if script and os.path.isfile(script):
                try:
                    location = _git_location(script)
                except Exception:  # noqa: BLE001
                    location = None
                if location:
                    facets["sourceCodeLocation"] = location
            self._job_facets = facets
        return dict(self._job_facets)

    def base_run_facets(self) -> dict:
        """The run facets of every event: parent (when there is one) and processing_engine (DataHub takes
        the orchestrator from it; without it on each event one run splits over two DataFlows)."""
        base = self._base_facets
        if base is None:
            base = {"processing_engine": self.engine_facet()}
            parent = self.parent_facet()
            if parent:
                base["parent"] = parent
            self._base_facets = base
        return dict(base)

    def _record(self, event_type: str, *, event_time: float | None = None, inputs=(), outputs=(), run_facets=None,
                job_facets=None, full_job_facets: bool = False) -> EventRecord:
        facets = self.base_run_facets()
        if run_facets:
            facets.update(run_facets)
        jf = self.job_facets() if full_job_facets else {}
        if job_facets:
            jf.update(job_facets)
        return EventRecord(event_type, time.time() if event_time is None else event_time, self.run_id,
                           self.job_namespace, self.job_name, facets, jf, list(inputs), list(outputs))

    # -- lifecycle --------------------------------------------------------------------------

    def ensure_started(self, event_time: float | None = None) -> bool:
        """Emit START once; returns False when the run is already over."""
        if self.started:
            return not (self.finished or self.closing)
        with self.lock:
            if self.started:
                return not (self.finished or self.closing)
            self.allocate()
            self.started = True
            self.start_time = event_time or time.time()
            record = self._record("START", event_time=self.start_time, full_job_facets=True)
            em = emitter()
            em.run_id, em.job_name = self.run_id, self.job_name
            em.submit(record)
        from . import process

        process.on_run_started(self)
        return True

    @staticmethod
    def engine_facet() -> dict:
        return {"version": sys.version.split()[0], "name": "python", "openlineageAdapterVersion": __version__}

    def metadata_facet(self) -> dict | None:
        """monkeypatch_metadataAccess data: accesses to datasets that were neither read nor written."""
        accesses = []
        for (dataset, output), state in sorted(self.metadata.items(), key=lambda kv: (kv[0][0], kv[0][1])):
            for entry in access_entries(state.actions):
                entry.pop("failed", None)
                item = {"namespace": dataset.namespace, "name": dataset.name, **entry}
                if state.system:
                    item["system"] = state.system
                if output:
                    item["output"] = True
                accesses.append(item)
        return {"accesses": accesses} if accesses else None

    def instrumentation_facet(self) -> dict:
        from . import registry

        integrations = {}
        for name, integration in (registry._integrations or {}).items():
            if name not in registry.active():
                status = "disabled"
            elif integration.skipped_reason:
                status = "skipped"
            elif integration.instrumented_modules:
                status = "instrumented"
            else:
                status = "not imported"
            integrations[name] = {"libraryVersion": integration.library_version, "status": status}
        em = emitter()
        facet = {"version": __version__, "integrations": integrations,
                 "events": {"spooled": em.spooled, "dropped": em.dropped, "failedDeliveries": em.failures}}
        errors = _guard.snapshot()
        if errors:
            facet["internalErrors"] = errors
        if self.approximate_columns:
            facet["approximateColumns"] = self.approximate_columns
        if self.opaque:
            facet["opaqueOperations"] = sorted(self.opaque)
        return facet

    def finish(self, event_type: str = "COMPLETE", error: BaseException | None = None, message: str | None = None,
               flush: bool = True, timeout: float | None = None) -> None:
        # `finished` is set only once the final event is queued: a signal landing while this runs
        # (a pool worker told to stop, then terminated) finishes the run itself, in its handler.
        with self.lock:
            if self.finished:
                return
            if not self.started:
                if not self.child_started():
                    self.finished = True
                    return
                self.ensure_started(event_time=self.process_start)
            self.closing = True
            run_facets = {"monkeypatch_instrumentation": self.instrumentation_facet()}
            if event_type == "FAIL" or error is not None or message:
                run_facets["errorMessage"] = _error_facet(error, message)
            if self.failed_access:
                run_facets["monkeypatch_failedAccess"] = {"accesses": [
                    {"namespace": ns, "name": name, "action": action, "error": err, "count": count}
                    for (ns, name, action, err), count in sorted(self.failed_access.items())]}
            metadata = self.metadata_facet()
            if metadata:
                run_facets["monkeypatch_metadataAccess"] = metadata
            if self.extraction_errors:
                run_facets["extractionError"] = {"totalTasks": len(self.extraction_errors),
                                                 "failedTasks": len(self.extraction_errors),
                                                 "errors": self.extraction_errors[-100:]}
            record = self._record(
                event_type,
                inputs=[s.record(False) for s in self.inputs.values()],
                outputs=[s.record(True) for s in self.outputs.values()],
                run_facets=run_facets,
                full_job_facets=True,
            )
            if self.finished:  # finished meanwhile by a signal handler that interrupted us
                return
            emitter().submit(record)
            self.finished = True
        if flush:
            emitter().close(timeout)

    def child_started(self) -> bool:
        if not self.children or self.run_id is None:
            return False
        marker = os.path.join(self.settings.runs_dir, self.run_id)
        try:
            if os.path.exists(marker):
                os.unlink(marker)
                return True
        except OSError:
            return True
        return False

    # -- what integrations report -----------------------------------------------------------

    def _state(self, table: dict, dataset: DatasetId, is_input: bool) -> DatasetState:
        state = table.get(dataset)
        if state is None:
            state = table[dataset] = DatasetState(dataset, is_input)
            if self.metadata:
                earlier = self.metadata.pop((dataset, not is_input), None)
                if earlier is not None:
                    state.adopt(earlier)
        return state

    def read(self, dataset: DatasetId, fields=None, *, facets=None, input_facets=None, action=None, system=None,
             api=None, object_type=None, object_name=None) -> None:
        if not self.ensure_started():
            return
        with self.lock:
            state = self._state(self.inputs, dataset, True)
            if fields:
                state.add_fields(fields)
            if facets:
                state.facets = {**state.facets, **facets}
            if input_facets:
                state.input_facets = {**state.input_facets, **input_facets}
            if system:
                state.system = system
            state.add_action(action, api, object_type=object_type, object_name=object_name)

    def wrote(self, dataset: DatasetId, fields=None, *, lineage=None, operations=None, referenced=(), inputs=(),
              facets=None, output_facets=None, job_facets=None, run_facets=None, action=None, system=None, api=None,
              object_type=None, object_name=None, emit: bool = True) -> None:
        if not self.ensure_started():
            return
        with self.lock:
            state = self._state(self.outputs, dataset, False)
            if fields is not None:
                state.fields = {}
                state.add_fields(fields)
            if lineage is not None:
                state.lineage = lineage
                state.operations = operations
                state.refs = set()
                self.approximate_columns += sum(
                    1 for v in ((operations or {}).get("fields") or {}).values() if v.get("approximate"))
            if facets:
                state.facets = {**state.facets, **facets}
            if output_facets:
                state.output_facets = {**state.output_facets, **output_facets}
            if system:
                state.system = system
            state.add_action(action, api, object_type=object_type, object_name=object_name)
            by_dataset: dict[DatasetId, list] = {}
            for field in referenced:
                by_dataset.setdefault(DatasetId(field.namespace, field.name), []).append((field.field, None))
            for ref, ref_fields in by_dataset.items():
                self._state(self.inputs, ref, True).add_fields(ref_fields)
                state.refs.add(ref)
            for ref in inputs:
                self._state(self.inputs, ref, True)
                state.refs.add(ref)
            if not emit:
                return
            record = self._record(
                "RUNNING",
                inputs=[self.inputs[ref].record(False) for ref in sorted(state.refs)],
                outputs=[state.record(True)],
                run_facets=run_facets,
                job_facets=job_facets,
            )
        emitter().submit(record)

    def access(self, dataset: DatasetId, action: str, *, system=None, api=None, object_type=None, ok=True,
               error: str | None = None, output: bool = False, object_name: str | None = None) -> None:
        """A metadata access or privilege use that is not itself a read or write (head, list, delete ...)."""
        if not ok:
            self.failed(dataset, action, error or "error")
            return
        if not self.ensure_started():
            return
        with self.lock:
            # on a dataset the run reads or writes, the action joins its access facet; otherwise it is a
            # metadata access (head, list, presign, USAGE ...): kept out of inputs and outputs
            state = (self.outputs if output else self.inputs).get(dataset)
            if state is None:
                state = self.metadata.get((dataset, output))
                if state is None:
                    state = self.metadata[(dataset, output)] = DatasetState(dataset, not output)
            if system:
                state.system = system
            state.add_action(action, api, object_type=object_type, object_name=object_name)

    def failed(self, dataset: DatasetId, action: str, error: str) -> None:
        if not self.ensure_started():
            return
        with self.lock:
            from .redact import scrub_text

            key = (dataset.namespace, dataset.name, action, scrub_text(str(error))[:200])
            self.failed_access[key] = self.failed_access.get(key, 0) + 1

    def statement(self, *, inputs=(), outputs=(), job_facets=None, run_facets=None) -> None:
        """A RUNNING event for one statement of a job (a SQL query that only reads, say)."""
        if not self.ensure_started():
            return
        with self.lock:
            record = self._record(
                "RUNNING",
                inputs=[self.inputs[d].record(False) for d in inputs if d in self.inputs],
                outputs=[self.outputs[d].record(True) for d in outputs if d in self.outputs],
                run_facets=run_facets, job_facets=job_facets)
        emitter().submit(record)

    def extraction_error(self, message: str, task: str | None = None, stack: str | None = None) -> dict:
        from .redact import scrub_text

        error = {"errorMessage": scrub_text(message)[:2000]}
        if task:
            error["task"] = task[:2000]
        if stack:
            error["stackTrace"] = scrub_text(stack)[:4000]
        with self.lock:
            self.extraction_errors.append(error)
            error["taskNumber"] = len(self.extraction_errors)
        return error

    def opaque_operation(self, name: str) -> None:
        self.opaque.add(name)


def _error_facet(error: BaseException | None, message: str | None) -> dict:
    """errorMessage facet data: the message and stack trace, secrets scrubbed; unless
    OPENLINEAGE_MONKEYPATCH_ERROR_DETAIL=full, quoted literals in exception messages (pandas puts the
    offending cell value there: "could not convert string to float: 'Jane Doe'") become '?'."""
    from .redact import redact_error_text, scrub_text

    full = config.settings().error_detail == "full"

    def clean(text: str) -> str:
        return scrub_text(text if full else redact_error_text(text))

    if error is not None:
        text = message or f"{type(error).__name__}: {error}"
        stack = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        return {"message": clean(text)[:2000], "stackTrace": clean(stack)[-8000:]}
    return {"message": scrub_text(message or "failed")[:2000]}


_run: ProcessRun | None = None
_run_lock = threading.Lock()


def current() -> ProcessRun:
    global _run
    run = _run
    if run is not None and run.pid == os.getpid():
        return run
    with _run_lock:
        if _run is None or _run.pid != os.getpid():
            _run = ProcessRun()
        return _run


def reset_after_fork(parent: ProcessRun | None) -> None:
    """In a forked child: a fresh run whose parent is the run of the process that forked (None: the
    forking process is transparent, such as multiprocessing's fork server, and the child keeps the
    parent that process inherited)."""
    global _run, _run_lock
    _run_lock = threading.Lock()
    config.reload()
    if parent is not None and parent.run_id is not None:
        link = (parent.job_namespace, parent.job_name, parent.run_id)
        _run = ProcessRun(parent=link, root=parent.root or link)
        _run.forked_from = parent.job_name
        _run.process_start = time.time()
    else:
        _run = None


def _safe(method: str):
    def call(*args, **kwargs):
        return _guard.call("run", getattr(current(), method), *args, **kwargs)

    call.__name__ = method
    call.__doc__ = getattr(ProcessRun, method).__doc__
    return call


read = _safe("read")
wrote = _safe("wrote")
access = _safe("access")
failed = _safe("failed")
statement = _safe("statement")
extraction_error = _safe("extraction_error")
opaque_operation = _safe("opaque_operation")
ensure_started = _safe("ensure_started")
