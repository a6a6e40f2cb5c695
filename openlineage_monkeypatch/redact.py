"""Keeping secrets and data values out of events and log lines.

`scrub_text` is the last line of defence applied to every log line and every free-text field we
emit (error messages, stack traces, SQL): it removes URL userinfo, presigned-URL signatures and
credential-looking key=value pairs. `redact_sql_literals` replaces string and number literals in a
statement by `?` so that SQL facets carry the shape of a query, not the customer's data.
"""

from __future__ import annotations

import re

_URL_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*://)(?P<userinfo>[^/\s@:]+(?::[^/\s@]*)?)@")
# object stores take no port, and their secret keys contain "/" and "+": `s3://KEY:SE/CR+ET@bucket/key`
_STORE_USERINFO = re.compile(
    r"(?P<scheme>(?i:s3[an]?|gs|gcs|abfss?|az|adl|wasbs?|oss|r2)://)(?P<userinfo>[^/\s@:]+:[^\s@]*)@")
# free text only (never dataset names): a password holding a raw "/" in any scheme; may over-redact
_ANY_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*://)(?P<userinfo>[^/\s@:]+:[^\s@]*)@")
_QUERY_SECRET = re.compile(
    r"(?i)(?P<key>[?&](?:x-amz-(?:signature|credential|security-token)|signature|sig|awsaccesskeyid|"
    r"x-goog-signature|x-goog-credential|token|access_token|sas|se|sp|sv|st|sr|skoid|sktid|skt|ske|sks|skv)=)"
    r"[^&\s\"'#]+"
)
_KV_SECRET = re.compile(
    r"(?i)(?P<key>\b(?:aws_secret_access_key|aws_session_token|aws_access_key_id|secret_access_key|"
    r"session_token|password|passwd|pwd|passcode|token|api[_-]?key|apikey|private[_-]?key(?:_file_pwd)?|"
    r"private_key_passphrase|client_secret|oauth_client_secret|authorization|refresh_token|"
    r"master_token|id_token)\b\s*[\"']?\s*[:=]\s*)(?P<q>[\"']?)(?P<value>(?:Bearer\s+)?[^\s\"',;&)}]+)"
)
_BEARER = re.compile(r"(?i)\b(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*")
_AWS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{16}\b")
_PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S)

REDACTED = "***"


def strip_userinfo(url: str) -> str:
    """`s3://key:secret@bucket/x` -> `s3://bucket/x`; `https://user:tok@host` -> `https://host`."""
    if "@" not in url:  # both patterns need one (a local path, on every read and write)
        return url
    return _URL_USERINFO.sub(r"\g<scheme>", _STORE_USERINFO.sub(r"\g<scheme>", url))


def strip_query(url: str) -> str:
    """Drop the query string and fragment of a URL (presigned URLs carry their signature there)."""
    for sep in ("?", "#"):
        if sep in url and "://" in url.split(sep, 1)[0]:
            url = url.split(sep, 1)[0]
    return url


def scrub_text(text: str) -> str:
    if not text:
        return text
    text = _PEM.sub(REDACTED, text)
    text = _STORE_USERINFO.sub(r"\g<scheme>", text)
    text = _URL_USERINFO.sub(r"\g<scheme>", text)
    text = _ANY_USERINFO.sub(r"\g<scheme>", text)
    text = _QUERY_SECRET.sub(rf"\g<key>{REDACTED}", text)
    text = _KV_SECRET.sub(rf"\g<key>\g<q>{REDACTED}", text)
    text = _BEARER.sub(rf"\1 {REDACTED}", text)
    text = _AWS_KEY_ID.sub(REDACTED, text)
    return text


def describe_error(exc: BaseException) -> str:
    """An exception as one short line for our logs and facets: its type and message, scrubbed."""
    return scrub_text(f"{type(exc).__name__}: {exc}"[:300])


_SQL_TOKEN = re.compile(
    r"""(?P<comment>--[^\n]*|/\*.*?\*/)"""
    r"""|(?P<dollar>\$\$.*?\$\$)"""
    r"""|(?P<string>'(?:[^'\\]|\\.|'')*')"""
    r"""|(?P<ident>"(?:[^"]|"")*")"""
    r"""|(?P<word>[A-Za-z_$@:][A-Za-z0-9_$@.]*)"""
    r"""|(?P<number>(?<![A-Za-z0-9_])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)""",
    re.S,
)


def redact_sql_literals(sql: str) -> str:
    """Replace string, dollar-quoted and numeric literals (and comments' contents) by `?`.

    Identifiers, quoted identifiers and keywords are kept, so the statement still reads as SQL.
    """

    def repl(match: re.Match) -> str:
        kind = match.lastgroup
        if kind in ("string", "dollar", "number"):
            return "?"
        if kind == "comment":
            return "/* ? */" if match.group().startswith("/*") else "-- ?"
        return match.group()

    return _SQL_TOKEN.sub(repl, sql)


_QUOTED = re.compile(r"'(?:[^'\\\n]|\\.)*'" + r'|"(?:[^"\\\n]|\\.)*"')
_TRACE_FRAME = re.compile(r"^(?:\s|Traceback \(|During handling of|The above exception|$)")


def redact_error_text(text: str) -> str:
    """Quoted literals in exception messages become '?'; traceback frame and code lines are kept.

    Exception messages are where data values leak ("invalid literal for int(): 'ACME Corp'"); the
    frames (file, line, function, source line) describe code, not data.
    """
    lines = []
    for line in text.splitlines(keepends=True):
        lines.append(line if _TRACE_FRAME.match(line) else _QUOTED.sub("'?'", line))
    return "".join(lines)
