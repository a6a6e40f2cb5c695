"""fakesnow's server, with one shim so the real connector's write_pandas can run against it.

write_pandas loads its temporary stage with `COPY INTO ... FROM (SELECT $1:"A" ... FROM '@"STAGE"')`:
the stage is a quoted string literal, which Snowflake accepts and fakesnow 0.12 rejects ("invalid URL
prefix"). The shim makes fakesnow read such a literal as the stage it names. Nothing else changes.

    python -m tests.snowflake.shimmed_server     # prints "READY <port>", serves until stdin closes
"""

from __future__ import annotations

import sys


def _shim() -> None:
    from fakesnow import copy_into
    from sqlglot import exp

    original = copy_into._from_source

    def from_source(expr):
        source = expr.args["files"][0].this
        if isinstance(source, exp.Select):
            table = source.args.get("from_") or source.args.get("from")
            if table is not None and isinstance(table.this, exp.Table):
                literal = table.this.this
                if isinstance(literal, exp.Literal) and literal.is_string and literal.this.startswith("@"):
                    return literal.this
        return original(expr)

    copy_into._from_source = from_source


def main() -> None:
    import logging

    import fakesnow

    _shim()
    logging.getLogger("uvicorn").setLevel(logging.WARNING)
    with fakesnow.server(host="127.0.0.1") as kwargs:
        print(f"READY {kwargs['port']}", flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
