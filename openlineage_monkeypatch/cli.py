"""The `openlineage-monkeypatch` command: run, replay, doctor, and the governance commands.

    openlineage-monkeypatch run -- python job.py ARGS     # run a command instrumented
    openlineage-monkeypatch replay [SPOOL ...]            # resend spooled events (idempotent)
    openlineage-monkeypatch doctor                        # resolved config, transport, integrations
    openlineage-monkeypatch survey [SOURCES ...]          # who uses which dataset and column, how
    openlineage-monkeypatch policy aws|snowflake [SOURCES ...]
    openlineage-monkeypatch view [SOURCES ...] --out lineage.html
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Sequence

from . import config
from ._version import __version__


def cmd_run(args: argparse.Namespace) -> int:
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        print("usage: openlineage-monkeypatch run -- COMMAND [ARGS ...]", file=sys.stderr)
        return 2
    env = dict(os.environ)
    env[config.ENABLED] = "1"
    try:
        os.execvpe(command[0], command, env)
    except OSError as exc:
        print(f"openlineage-monkeypatch: cannot run {command[0]}: {exc.strerror}", file=sys.stderr)
        return 127
    return 0  # pragma: no cover - exec does not return


def cmd_replay(args: argparse.Namespace) -> int:
    from .spool import replay

    settings = config.settings()
    paths = args.spool or [settings.spool_dir]
    totals = replay(paths, settings, dry_run=args.dry_run)
    corrupt = f", {totals['corrupt']} damaged line(s) skipped" if totals.get("corrupt") else ""
    print(f"replay: {totals['sent']} sent, {totals['skipped']} already sent, {totals['failed']} failed, "
          f"{totals['files']} file(s){corrupt}")
    return 0 if totals["failed"] == 0 else 1


def _transport_summary(settings: config.Settings) -> dict:
    from .redact import scrub_text

    if not settings.own_transport:
        return {"type": "file (embedded default)", "events_dir": settings.events_dir}
    try:
        from openlineage.client import OpenLineageClient

        client = OpenLineageClient()
        transport = client.transport
        summary = {"type": getattr(transport, "kind", type(transport).__name__)}
        for attr in ("url", "endpoint", "topic", "log_file_path"):
            value = getattr(transport, attr, None) or getattr(getattr(transport, "config", None), attr, None)
            if value:
                summary[attr] = scrub_text(str(value))
        return summary
    except Exception as exc:  # noqa: BLE001
        return {"error": scrub_text(f"{type(exc).__name__}: {exc}")}


def doctor_report() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    from . import registry

    settings = config.reload()
    integrations = {}
    for name, integration in registry.integrations().items():
        try:
            installed = version(integration.distribution) if integration.distribution else None
        except PackageNotFoundError:
            installed = None
        supported = integration.supports(installed) if installed else None
        integrations[name] = {
            "enabled": name not in settings.disabled,
            "library": integration.distribution,
            "installed_version": installed,
            "supported_range": integration.describe()["supported"],
            "supported": supported,
        }
    site_hook = None
    for folder in sys.path:
        candidate = os.path.join(folder, "openlineage_monkeypatch.pth")
        if os.path.isfile(candidate):
            site_hook = candidate
            break
    return {
        "version": __version__,
        "python": sys.version.split()[0],
        "enabled_by_environment": config.is_enabled(),
        "startup_hook": site_hook,
        "job_namespace": settings.namespace,
        "flush_timeout_s": settings.flush_timeout,
        "queue_size": settings.queue_size,
        "sql_text": settings.sql_text,
        "data_dir": settings.data_dir,
        "spool_dir": settings.spool_dir,
        "transport": _transport_summary(settings),
        "integrations": integrations,
    }


def cmd_doctor(args: argparse.Namespace) -> int:
    report = doctor_report()
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"openlineage-monkeypatch {report['version']} on Python {report['python']}")
    print(f"  enabled by environment : {report['enabled_by_environment']} ({config.ENABLED})")
    print(f"  start-up hook          : {report['startup_hook'] or 'NOT FOUND (reinstall the package)'}")
    print(f"  job namespace          : {report['job_namespace']}")
    print(f"  transport              : {json.dumps(report['transport'])}")
    print(f"  spool                  : {report['spool_dir']}")
    print(f"  flush bound            : {report['flush_timeout_s']} s, queue {report['queue_size']} events")
    print(f"  SQL text in events     : {report['sql_text']}")
    print("  integrations:")
    for name, info in report["integrations"].items():
        state = "enabled" if info["enabled"] else "disabled"
        lib = info["installed_version"] or "not installed"
        ok = "" if info["supported"] in (True, None) else " (UNSUPPORTED version: will be skipped)"
        print(f"    {name:10s} {state:8s} {info['library']} {lib} supports {info['supported_range']}{ok}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="openlineage-monkeypatch", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="cmd", required=True)

    run = sub.add_parser("run", help="run a command with instrumentation enabled")
    run.add_argument("command", nargs=argparse.REMAINDER)
    run.set_defaults(func=cmd_run)

    replay = sub.add_parser("replay", help="resend spooled events (each at most once)")
    replay.add_argument("spool", nargs="*", help="spool files or folders (default: the spool folder)")
    replay.add_argument("--dry-run", action="store_true", help="only count what would be sent")
    replay.set_defaults(func=cmd_replay)

    doctor = sub.add_parser("doctor", help="show the resolved configuration")
    doctor.add_argument("--json", action="store_true")
    doctor.set_defaults(func=cmd_doctor)

    try:
        from .governance import cli as governance_cli
    except ImportError:
        governance_cli = None
    if governance_cli is not None:
        governance_cli.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
