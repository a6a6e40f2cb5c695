"""`survey`, `policy` and `view`: the governance commands of `openlineage-monkeypatch`.

    openlineage-monkeypatch survey [SOURCES ...] [--format text|json|html] [--out FILE]
                                   [--since T] [--until T] [--classifications FILE] [--marquez URL]
    openlineage-monkeypatch policy aws|snowflake [SOURCES ...] [--out DIR] [--current-grants FILE]
    openlineage-monkeypatch view [SOURCES ...] --out lineage.html

SOURCES are event files (NDJSON, .gz), folders or globs; default: the embedded default event folder
and the spool. Bad input (malformed lines, other producers, unknown facets, duplicates) is counted,
skipped and summarized, never fatal.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from datetime import datetime, timedelta, timezone

RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.I)
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_time(value: str | None) -> datetime | None:
    """ISO date or time (UTC when no offset), or a span back from now: 30m, 12h, 7d, 2w."""
    if not value:
        return None
    match = RELATIVE.match(value)
    if match:
        return datetime.now(timezone.utc) - timedelta(**{UNITS[match.group(2).lower()]: float(match.group(1))})
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a time: {value!r} (use 2026-01-31, 2026-01-31T12:00Z or 7d)") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _stop_at(value: str) -> tuple[str, ...]:
    from .survey import STOP_CHOICES

    items = tuple(v.strip().lower() for v in value.split(",") if v.strip())
    if items in (("none",), ()):
        return ()
    bad = [v for v in items if v not in STOP_CHOICES]
    if bad:
        raise argparse.ArgumentTypeError(f"--stop-at takes {', '.join(STOP_CHOICES)} or none, not {', '.join(bad)}")
    return items


def _source_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("sources", nargs="*", metavar="SOURCE",
                   help="event files (NDJSON, .gz), folders or globs (default: the embedded event folder and spool)")
    p.add_argument("--marquez", action="append", default=[], metavar="URL",
                   help="also read a Marquez API (events, lineage and column-lineage endpoints)")
    p.add_argument("--sql", action="append", default=[], metavar="QUERY",
                   help="also read events from a DuckDB query returning one VARCHAR column `line` (e.g. Marquez's "
                        "lineage_events.event through an ATTACHed PostgreSQL)")
    p.add_argument("--sql-setup", action="append", default=[], metavar="STATEMENTS",
                   help="DuckDB statements run first (INSTALL postgres; LOAD postgres; ATTACH ...)")
    p.add_argument("--since", type=parse_time, help="window start (ISO time or 7d, 12h ...)")
    p.add_argument("--until", type=parse_time, help="window end, exclusive")
    p.add_argument("--classifications", metavar="FILE", help="YAML: column patterns -> classes (email: PII)")
    p.add_argument("--stop-at", type=_stop_at, default=("masking", "aggregation"), metavar="LIST",
                   help="where sensitive-column propagation stops: masking,aggregation (default), masking, "
                        "aggregation or none")
    p.add_argument("--all-producers", action="store_true",
                   help="also use events of other producers (default: counted and skipped)")
    p.add_argument("--memory-limit", default=os.environ.get("OPENLINEAGE_MONKEYPATCH_SURVEY_MEMORY", "1GB"),
                   help="DuckDB memory limit before it spills to disk (default 1GB)")
    p.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all cores)")
    p.add_argument("--timings", action="store_true", help="print the time each step took to stderr")


def add_parsers(sub) -> None:
    survey = sub.add_parser("survey", help="who reads and writes which dataset and column, how; sensitive "
                                           "columns; coverage gaps")
    _source_args(survey)
    survey.add_argument("--format", choices=("text", "json", "html"), default="text")
    survey.add_argument("--out", metavar="FILE", help="write here instead of stdout")
    survey.add_argument("--limit", type=int, default=50, help="rows per table in the text report")
    survey.set_defaults(func=cmd_survey)

    policy = sub.add_parser("policy", help="least-privilege policy drafts from observed use (nothing applied)")
    policy.add_argument("target", choices=("aws", "snowflake"))
    _source_args(policy)
    policy.add_argument("--out", metavar="DIR", help="write one file per job here instead of stdout")
    policy.add_argument("--current-grants", metavar="FILE",
                        help="diff: what is granted but unused (AWS: policy JSON or {name: policy}; Snowflake: "
                             "GRANT statements or SHOW GRANTS CSV)")
    policy.add_argument("--collapse", type=int, default=50,
                        help="AWS: more objects than this under one folder become folder/* (0: never)")
    policy.add_argument("--role-prefix", default="", help="Snowflake: prefix of the role names")
    policy.set_defaults(func=cmd_policy)

    view = sub.add_parser("view", help="write the self-contained HTML lineage view")
    _source_args(view)
    view.add_argument("--out", metavar="FILE", default="lineage.html", help="default: lineage.html")
    view.add_argument("--title", default="Lineage")
    view.set_defaults(func=cmd_view)


class Loaded:
    """A loaded store and survey plus what the sources said; closes the store on exit."""

    def __init__(self, args: argparse.Namespace) -> None:
        try:
            from .classify import load_rules
            from .store import Store
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise OSError(f"{exc.name or exc}: install the governance extra: "
                          "pip install 'openlineage-monkeypatch[governance]'") from exc

        rules = load_rules(args.classifications) if args.classifications else []
        self.tmp = tempfile.TemporaryDirectory(prefix="olmp-sources-")
        self.store = Store(memory_limit=args.memory_limit, threads=args.threads)
        try:
            self._load(args, rules)
        except BaseException:
            self.__exit__()
            raise

    def _load(self, args: argparse.Namespace, rules) -> None:
        from .. import config
        from .sources import default_sources, fetch_marquez, resolve_paths
        from .survey import Sensitivity, Survey

        sources = list(args.sources)
        if not sources and not args.marquez and not args.sql:
            sources = default_sources(config.settings())
            self.store.summary.notes.append("default sources: " + (", ".join(sources) or
                                                                   f"none found ({config.settings().events_dir})"))
        files, notes = resolve_paths(sources)
        self.store.summary.sources = sources + args.marquez
        self.store.summary.notes.extend(notes)
        clients = []
        for url in args.marquez:
            try:
                client, path, _count, more = fetch_marquez(url, self.tmp.name, args.since, args.until)
            except Exception as exc:  # noqa: BLE001 - a dead Marquez is reported, the rest still surveyed
                self.store.summary.notes.append(f"marquez {url}: {exc}")
                continue
            self.store.summary.notes.extend(more)
            files.append(path)
            clients.append(client)
        self.store.load_files(files)
        for statements in args.sql_setup:
            self.store.con.execute(statements)
        for query in args.sql:
            self.store.load_relation(query)
            self.store.summary.sources.append(f"sql: {query}")
        self.store.finish_loading(args.since, args.until, all_producers=args.all_producers)
        extra: dict = {}
        if clients:
            datasets = {(r["ns"], r["name"]) for r in self.store.query("SELECT DISTINCT ns, name FROM ds_use")}
            for client in clients:
                try:
                    for key, tags in client.field_tags(sorted(datasets)).items():
                        extra.setdefault(key, set()).update(tags)
                except Exception as exc:  # noqa: BLE001
                    self.store.summary.notes.append(f"marquez {client.base}: field tags not read: {exc}")
        self.survey = Survey(self.store, Sensitivity(stop_at=args.stop_at, rules=rules, extra=extra))
        if args.timings:
            for step, seconds in self.store.timings.items():
                print(f"timing {step}: {seconds:.2f} s (cpu {self.store.cpu_timings.get(step, 0):.2f} s)",
                      file=sys.stderr)

    def __enter__(self) -> "Loaded":
        return self

    def __exit__(self, *exc) -> None:
        self.store.close()
        self.tmp.cleanup()


def _duckdb_error():
    """duckdb.Error (bad --sql, a source DuckDB cannot read): a usage error, not a traceback."""
    try:
        import duckdb

        return duckdb.Error
    except ImportError:  # pragma: no cover - the governance extra is missing
        return OSError


def _write(text: str, out: str | None) -> None:
    if out:
        folder = os.path.dirname(os.path.abspath(out))
        os.makedirs(folder, exist_ok=True)
        with open(out, "w", encoding="utf-8") as handle:
            handle.write(text)
        print(f"wrote {out}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def _summary_line(loaded: Loaded) -> str:
    s = loaded.store.summary
    return (f"{s.events} event(s) used; skipped {s.malformed} malformed, {s.invalid} invalid, {s.duplicates} "
            f"duplicate, {s.other_producer} from other producers, {s.outside_window} outside the window"
            + (f"; unknown facets ignored: {', '.join(s.unknown_facets)}" if s.unknown_facets else "")
            + (f"; {len(s.unreadable_files)} unreadable file(s)" if s.unreadable_files else ""))


def cmd_survey(args: argparse.Namespace) -> int:
    from .report import render_json, render_text
    from .reporthtml import render_report

    try:
        loaded = Loaded(args)
    except (OSError, ValueError, _duckdb_error()) as exc:
        print(f"openlineage-monkeypatch survey: {exc}", file=sys.stderr)
        return 2
    with loaded:
        data = loaded.survey.to_dict()
        if args.format == "json":
            _write(render_json(data), args.out)
        elif args.format == "html":
            from .. import viewer

            page = viewer.render(viewer.build_data(loaded.survey, "Lineage survey", data["sensitive"],
                                                  data["input"]["notes"]), render_report(data))
            _write(page, args.out)
        else:
            _write(render_text(data, args.limit), args.out)
        if args.out or args.format != "text":
            print(_summary_line(loaded), file=sys.stderr)
    return 0


def cmd_policy(args: argparse.Namespace) -> int:
    from .policy import AwsPolicies, SnowflakePolicies, aws_diff, snowflake_diff

    current = None
    if args.current_grants:
        try:
            with open(args.current_grants, encoding="utf-8") as handle:
                current = handle.read()
        except OSError as exc:
            print(f"openlineage-monkeypatch policy: {exc}", file=sys.stderr)
            return 2
    try:
        loaded = Loaded(args)
    except (OSError, ValueError, _duckdb_error()) as exc:
        print(f"openlineage-monkeypatch policy: {exc}", file=sys.stderr)
        return 2
    with loaded:
        survey = loaded.survey
        if args.target == "aws":
            policies = AwsPolicies(survey, collapse=args.collapse)
            files = policies.documents()
            text = policies.render()
            if current is not None:
                try:
                    diff = aws_diff(policies, current)
                except ValueError as exc:
                    print(f"openlineage-monkeypatch policy: {args.current_grants}: not JSON ({exc})", file=sys.stderr)
                    return 2
                files["unused-grants.txt"] = diff
                text += "\n" + diff
        else:
            sf = SnowflakePolicies(survey, role_prefix=args.role_prefix)
            sensitive = survey.sensitive()
            usage = survey.column_usage()
            files = sf.documents(sensitive, usage)
            text = sf.render(sensitive, usage)
            if current is not None:
                diff = snowflake_diff(sf, current)
                files["unused-grants.sql"] = diff
                text += "\n" + diff
        if args.out:
            os.makedirs(args.out, exist_ok=True)
            for name, content in files.items():
                with open(os.path.join(args.out, name), "w", encoding="utf-8") as handle:
                    handle.write(content)
            print(f"wrote {len(files)} file(s) to {args.out}", file=sys.stderr)
        else:
            sys.stdout.write(text)
        print(_summary_line(loaded), file=sys.stderr)
    return 0


def cmd_view(args: argparse.Namespace) -> int:
    from .. import viewer

    try:
        loaded = Loaded(args)
    except (OSError, ValueError, _duckdb_error()) as exc:
        print(f"openlineage-monkeypatch view: {exc}", file=sys.stderr)
        return 2
    with loaded:
        sensitive = loaded.survey.sensitive()
        data = viewer.build_data(loaded.survey, args.title, sensitive, loaded.store.summary.notes)
        viewer.write(args.out, data)
        coarse = sum(1 for e in data["datasetEdges"] if all(j["basis"] == "coarse" for j in e["jobs"]))
        print(f"wrote {args.out}: {len(data['datasets'])} dataset(s), {len(data['jobs'])} job(s), "
              f"{len(data['datasetEdges'])} dataset edge(s)" + (f" ({coarse} coarse)" if coarse else "")
              + f", {len(data['columnEdges'])} column edge(s)", file=sys.stderr)
        print(_summary_line(loaded), file=sys.stderr)
    return 0
