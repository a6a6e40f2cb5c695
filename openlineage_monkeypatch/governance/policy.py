"""Least-privilege policy drafts from observed use (the monkeypatch_access facet), for human review.

AWS: one IAM policy document per job, with the exact S3 actions and resources it used (object ARNs,
prefix ARNs for folders, s3:ListBucket on the bucket with s3:prefix conditions), and beside it a
justification file naming, for every statement, the runs that needed it. Snowflake: one role per
job with the GRANT statements its statements needed (USAGE on database and schema, SELECT/INSERT/...
on tables, stage privileges), each commented with the runs behind it, plus masking- or projection-
policy proposals for sensitive columns (Snowflake has no column-level GRANT). With current grants
given as a file, a diff lists what is granted but was not used in the window.

Nothing is applied anywhere: the output is text for a human to review.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field

from .survey import Survey, _ts

# -- S3 -------------------------------------------------------------------------------------------

# API operation -> IAM action (S3 authorizes several operations with one action)
S3_ACTIONS = {
    "headobject": "s3:GetObject", "getobject": "s3:GetObject", "selectobjectcontent": "s3:GetObject",
    "putobject": "s3:PutObject", "createmultipartupload": "s3:PutObject", "uploadpart": "s3:PutObject",
    "completemultipartupload": "s3:PutObject", "uploadpartcopy": "s3:PutObject", "copyobject": "s3:PutObject",
    "abortmultipartupload": "s3:AbortMultipartUpload", "listparts": "s3:ListMultipartUploadParts",
    "deleteobject": "s3:DeleteObject", "deleteobjects": "s3:DeleteObject",
    "listobjects": "s3:ListBucket", "listobjectsv2": "s3:ListBucket", "headbucket": "s3:ListBucket",
    "listbucket": "s3:ListBucket", "listobjectversions": "s3:ListBucketVersions",
    "listmultipartuploads": "s3:ListBucketMultipartUploads", "getbucketlocation": "s3:GetBucketLocation",
    "getobjecttagging": "s3:GetObjectTagging", "putobjecttagging": "s3:PutObjectTagging",
    "getobjectattributes": "s3:GetObjectAttributes", "getobjectversion": "s3:GetObjectVersion",
    "restoreobject": "s3:RestoreObject", "createbucket": "s3:CreateBucket", "deletebucket": "s3:DeleteBucket",
    "getbucketversioning": "s3:GetBucketVersioning", "read": "s3:GetObject", "write": "s3:PutObject",
    "delete": "s3:DeleteObject", "list": "s3:ListBucket",
}
BUCKET_ACTIONS = frozenset({"s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads",
                            "s3:GetBucketLocation", "s3:CreateBucket", "s3:DeleteBucket", "s3:GetBucketVersioning",
                            "s3:GetBucketPolicy", "s3:GetBucketAcl"})
PREFIX_TYPES = frozenset({"PREFIX", "DIRECTORY", "FOLDER", "DIR"})


def iam_action(action: str) -> str:
    raw = action.split(":", 1)[1] if action.lower().startswith("s3:") else action
    mapped = S3_ACTIONS.get(raw.replace("_", "").lower())
    if mapped:
        return mapped
    return action if action.lower().startswith("s3:") else f"s3:{raw}"


def bucket_of(namespace: str) -> str:
    return namespace.split("://", 1)[1].strip("/").split("/", 1)[0]


def slug(text: str) -> str:
    out = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._-")
    return out or "job"


def _sid(words: list[str], used: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9]", "", "".join(w[:1].upper() + w[1:] for w in words)) or "Statement"
    base = base[:60]
    sid, n = base, 2
    while sid in used:
        sid, n = f"{base}{n}", n + 1
    used.add(sid)
    return sid


@dataclass
class Use:
    """The runs behind one (action, resource) of one job."""
    runs: int = 0
    count: int = 0
    failed: int = 0
    first: object = None
    last: object = None
    last_run: str | None = None
    recent: list = field(default_factory=list)
    apis: set = field(default_factory=set)
    datasets: set = field(default_factory=set)

    def add(self, row: dict, dataset: str) -> None:
        # rows differ by API (get_object, head_object ...) for the same runs: the largest is the
        # best lower bound of the runs that needed the privilege
        self.runs = max(self.runs, row["runs"] or 0)
        self.count += row["count"] or 0
        self.failed += row["failed"] or 0
        if row["first_seen"] is not None and (self.first is None or row["first_seen"] < self.first):
            self.first = row["first_seen"]
        if row["last_seen"] is not None and (self.last is None or row["last_seen"] >= self.last):
            self.last = row["last_seen"]
            self.last_run = row["last_run"]
        for run in row.get("recent_runs") or []:
            if run not in self.recent:
                self.recent.append(run)
        if row.get("api"):
            self.apis.add(row["api"])
        self.datasets.add(dataset)

    def why(self) -> str:
        text = f"{self.runs} run(s), {self.count} call(s), {_ts(self.first)} .. {_ts(self.last)}, last run {self.last_run}"
        if self.apis:
            text += f"; via {', '.join(sorted(self.apis))}"
        return text


def _access_rows(survey: Survey, system: str) -> list[dict]:
    rows = survey.store.query("""
        WITH recent AS (
          SELECT job_ns, job_name, ns, name, flatten(list(recent_runs ORDER BY last_seen DESC)) AS runs
          FROM ds_use GROUP BY ALL
        )
        SELECT a.* EXCLUDE (recent_runs), coalesce(r.runs, a.recent_runs) AS recent_runs
        FROM access a LEFT JOIN recent r USING (job_ns, job_name, ns, name)
        ORDER BY job_ns, job_name, ns, name, action, object_type, api
    """)
    prefix = f"{system}://"
    return [r for r in rows if (r["system"] or "").lower() == system or (r["ns"] or "").startswith(prefix)]


def _failed_rows(survey: Survey, system: str) -> list[dict]:
    return [r for r in survey.store.query("SELECT * FROM failed ORDER BY job_ns, job_name, ns, name, action")
            if (r["ns"] or "").startswith(f"{system}://")]


class AwsPolicies:
    """IAM policy documents per job from S3 access."""

    def __init__(self, survey: Survey, collapse: int = 50) -> None:
        self.survey = survey
        self.collapse = collapse
        self.jobs: dict[tuple[str, str], dict] = {}
        by_job: dict[tuple, list] = defaultdict(list)
        for r in _access_rows(survey, "s3"):
            by_job[(r["job_ns"], r["job_name"])].append(r)
        failed_by_job: dict[tuple, list] = defaultdict(list)
        for r in _failed_rows(survey, "s3"):
            failed_by_job[(r["job_ns"], r["job_name"])].append(r)
        for job in sorted(set(by_job) | set(failed_by_job)):
            self.jobs[job] = self._policy(job, by_job.get(job, []), failed_by_job.get(job, []))

    def _policy(self, job, rows, failed_rows) -> dict:
        uses: dict[tuple[str, str], Use] = defaultdict(Use)   # (action, arn) -> runs
        prefixes: dict[str, dict[str, Use]] = defaultdict(lambda: defaultdict(Use))  # bucket -> prefix -> runs
        failures: list[str] = []
        listed = {(r["ns"], r["name"]) for r in rows if iam_action(r["action"]) == "s3:ListBucket"}
        for r in rows:
            action = iam_action(r["action"])
            bucket = bucket_of(r["ns"])
            key = (r["name"] or "").lstrip("/")
            dataset = f"{r['ns'].rstrip('/')}/{key}"
            succeeded = (r["count"] or 0) - (r["failed"] or 0)
            if r["failed"]:
                failures.append(f"{action} on {dataset}: {r['failed']} failed call(s) in {r['runs']} run(s)")
            if succeeded <= 0 and r["count"]:
                continue
            if action == "s3:ListBucket":
                prefixes[bucket][key].add(r, dataset)
            elif action in BUCKET_ACTIONS:
                uses[(action, f"arn:aws:s3:::{bucket}")].add(r, dataset)
            else:
                folder = key.endswith("/") or (r["object_type"] or "").upper() in PREFIX_TYPES \
                    or (r["ns"], r["name"]) in listed
                if folder:
                    base = key.rstrip("/")
                    if base:
                        uses[(action, f"arn:aws:s3:::{bucket}/{base}")].add(r, dataset)
                    uses[(action, f"arn:aws:s3:::{bucket}/{base + '/' if base else ''}*")].add(r, dataset)
                else:
                    uses[(action, f"arn:aws:s3:::{bucket}/{key}")].add(r, dataset)
        notes: list[str] = []
        uses = self._collapse(uses, notes)
        for r in failed_rows:
            failures.append(f"{iam_action(r['action'])} on {r['ns'].rstrip('/')}/{r['name']}: {r['error']} "
                            f"({r['count']} time(s) in {r['runs']} run(s), last run {r['last_run']})")
        statements, why = [], []
        used_sids: set[str] = set()
        # object and bucket statements: resources grouped by identical action sets
        by_resource: dict[str, set[str]] = defaultdict(set)
        for action, arn in uses:
            by_resource[arn].add(action)
        groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for arn, actions in by_resource.items():
            groups[tuple(sorted(actions))].append(arn)
        for actions, arns in sorted(groups.items()):
            arns.sort()
            sid = _sid([a.split(":", 1)[1] for a in actions], used_sids)
            statements.append({"Sid": sid, "Effect": "Allow", "Action": list(actions) if len(actions) > 1 else actions[0],
                               "Resource": arns if len(arns) > 1 else arns[0]})
            why.append((sid, [(a, arn, uses[(a, arn)]) for arn in arns for a in actions]))
        for bucket in sorted(prefixes):
            entries = prefixes[bucket]
            sid = _sid(["ListBucket", bucket.title()], used_sids)
            statement = {"Sid": sid, "Effect": "Allow", "Action": "s3:ListBucket",
                         "Resource": f"arn:aws:s3:::{bucket}"}
            if "" not in entries:
                values = []
                for prefix in sorted(entries):
                    base = prefix.rstrip("/")
                    values += [base, f"{base}/*"] if base else []
                statement["Condition"] = {"StringLike": {"s3:prefix": values}}
            statements.append(statement)
            why.append((sid, [("s3:ListBucket", f"arn:aws:s3:::{bucket} prefix {p or '(whole bucket)'}", u)
                              for p, u in sorted(entries.items())]))
        return {"document": {"Version": "2012-10-17", "Statement": statements}, "why": why,
                "failures": failures, "notes": notes}

    def _collapse(self, uses: dict, notes: list[str]) -> dict:
        """More than `collapse` objects under one folder with the same action: one folder/* ARN."""
        if self.collapse <= 0:
            return uses
        folders: dict[tuple[str, str], list[str]] = defaultdict(list)
        for action, arn in uses:
            if arn.endswith("*") or arn.count("/") == 0:
                continue
            folders[(action, arn.rsplit("/", 1)[0])].append(arn)
        out = dict(uses)
        for (action, folder), arns in folders.items():
            if len(arns) <= self.collapse:
                continue
            merged = Use()
            for arn in arns:
                use = out.pop((action, arn))
                merged.runs = max(merged.runs, use.runs)
                merged.count += use.count
                merged.first = use.first if merged.first is None or (use.first and use.first < merged.first) else merged.first
                if merged.last is None or (use.last and use.last >= merged.last):
                    merged.last, merged.last_run = use.last, use.last_run
                merged.apis |= use.apis
                merged.datasets |= use.datasets
            out[(action, folder + "/*")] = merged
            notes.append(f"{action}: {len(arns)} objects under {folder}/ collapsed into {folder}/* "
                         f"(--collapse {self.collapse}); review whether the whole folder is intended")
        return out

    def documents(self) -> dict[str, str]:
        """{file name: text} for --out, two files per job and an index."""
        files: dict[str, str] = {}
        index = ["# AWS IAM policy drafts (from observed S3 use; nothing applied)", ""]
        for (ns, name), p in self.jobs.items():
            base = slug(f"{ns}__{name}")
            files[f"{base}.policy.json"] = json.dumps(p["document"], indent=2) + "\n"
            files[f"{base}.justification.md"] = self._justification(ns, name, p)
            index.append(f"- {ns}/{name}: {base}.policy.json ({len(p['document']['Statement'])} statement(s))"
                         + (f", {len(p['failures'])} failed access(es) not granted" if p["failures"] else ""))
        if not self.jobs:
            index.append("No S3 access in the window (no monkeypatch_access facet with system s3).")
        files["README.md"] = "\n".join(index) + "\n"
        return files

    def _justification(self, ns: str, name: str, p: dict) -> str:
        lines = [f"# {ns}/{name}: why each statement", "",
                 "Observed in the survey window; each line: action, resource, the runs that needed it.", ""]
        for sid, items in p["why"]:
            lines.append(f"## {sid}")
            for action, resource, use in items:
                lines.append(f"- {action} {resource}: {use.why()}")
                if use.recent:
                    lines.append(f"  - recent runs: {', '.join(use.recent[:5])}")
            lines.append("")
        if p["notes"]:
            lines += ["## Notes", *[f"- {n}" for n in p["notes"]], ""]
        if p["failures"]:
            lines += ["## Attempted but failed (not in the policy: add what the job really needs)",
                      *[f"- {f}" for f in p["failures"]], ""]
        return "\n".join(lines)

    def render(self) -> str:
        out = []
        for (ns, name), p in self.jobs.items():
            out.append(f"### job {ns}/{name}: IAM policy")
            out.append(json.dumps(p["document"], indent=2))
            out.append(self._justification(ns, name, p))
        if not self.jobs:
            out.append("No S3 access in the window (no monkeypatch_access facet with system s3).")
        return "\n".join(out) + "\n"


# -- Snowflake ------------------------------------------------------------------------------------

SF_OBJECT_PRIVILEGES = {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "REBUILD", "EVOLVE SCHEMA",
                        "APPLYBUDGET", "OWNERSHIP"}
STAGE_PRIVILEGES = {"READ", "WRITE", "USAGE"}
SCHEMA_CREATE = re.compile(r"^CREATE\s+(TABLE|VIEW|STAGE|SEQUENCE|FILE FORMAT|FUNCTION|PROCEDURE|TEMPORARY TABLE|"
                           r"DYNAMIC TABLE|MATERIALIZED VIEW|TASK|STREAM|PIPE)$", re.I)


def split_name(name: str) -> list[str]:
    """DB.SCHEMA."Odd.Name" -> [DB, SCHEMA, "Odd.Name"] (quoted parts kept quoted)."""
    parts, cur, quoted = [], "", False
    for ch in name:
        if ch == '"':
            quoted = not quoted
            cur += ch
        elif ch == "." and not quoted:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


def ident(part: str) -> str:
    if part.startswith('"') or re.fullmatch(r"[A-Z_][A-Z0-9_$]*", part):
        return part
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", part):
        return part.upper()
    return '"' + part.replace('"', '""') + '"'


def qualified(parts: list[str]) -> str:
    return ".".join(ident(p) for p in parts)


def role_name(job_name: str, prefix: str = "", suffix: str = "_ROLE") -> str:
    base = re.sub(r"[^A-Za-z0-9_]+", "_", job_name).strip("_").upper() or "JOB"
    if base[0].isdigit():
        base = "J_" + base
    return f"{prefix}{base}{suffix}"


def _sql_type(type_: str | None) -> str:
    t = (type_ or "").lower()
    if any(k in t for k in ("int", "number", "numeric", "decimal", "float", "double")):
        return "NUMBER"
    if "date" in t or "time" in t:
        return "TIMESTAMP_NTZ" if "time" in t else "DATE"
    if "bool" in t:
        return "BOOLEAN"
    return "STRING"


@dataclass
class Grant:
    privilege: str
    object_type: str
    name: str  # qualified, or a placeholder

    def sql(self, role: str) -> str:
        return f"GRANT {self.privilege} ON {self.object_type} {self.name} TO ROLE {role};"


class SnowflakePolicies:
    """Roles and GRANT statements per job, masking/projection proposals, and a diff against current grants."""

    def __init__(self, survey: Survey, role_prefix: str = "") -> None:
        self.survey = survey
        self.roles: dict[tuple[str, str], str] = {}
        self.grants: dict[tuple[str, str], dict[tuple, Use]] = {}
        self.failures: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.warehouses: dict[tuple[str, str], set[str]] = defaultdict(set)
        rows = _access_rows(survey, "snowflake")
        names_used: dict[str, tuple] = {}
        for r in rows + _failed_rows(survey, "snowflake"):
            job = (r["job_ns"], r["job_name"])
            if job in self.roles:
                continue
            role = role_name(r["job_name"], role_prefix)
            if role in names_used and names_used[role] != job:
                role = role_name(f"{r['job_ns']}_{r['job_name']}", role_prefix)
            names_used[role] = job
            self.roles[job] = role
        for r in rows:
            job = (r["job_ns"], r["job_name"])
            grants = self.grants.setdefault(job, {})
            account = r["ns"]
            dataset = f"{account}/{r['name']}"
            if r["failed"]:
                self.failures[job].append(f"{r['action']} on {r['name']}: {r['failed']} failed call(s)")
            if (r["count"] or 0) - (r["failed"] or 0) <= 0 and r["count"]:
                continue
            for grant in self._grants_for(r):
                grants.setdefault((account, grant.privilege, grant.object_type, grant.name), Use()).add(r, dataset)
        for r in _failed_rows(survey, "snowflake"):
            self.failures[(r["job_ns"], r["job_name"])].append(
                f"{r['action']} on {r['name']}: {r['error']} ({r['count']} time(s), last run {r['last_run']})")

    def _grants_for(self, r: dict) -> list[Grant]:
        """The grants one access entry stands for. `object` names what the privilege is on when it is
        not the dataset (the warehouse, the schema of a CREATE TABLE, a stage); USAGE on the database
        and schema of every object is implied."""
        action = " ".join((r["action"] or "").strip().upper().split())
        object_type = (r["object_type"] or "").strip().upper() or "TABLE"
        named = (r.get("object") or "").strip()
        parts = split_name(r["name"] or "")
        out: list[Grant] = []
        if object_type == "WAREHOUSE":
            return [Grant(action or "USAGE", "WAREHOUSE", ident(named))] if named else []
        if object_type == "DATABASE":
            return [Grant(action, "DATABASE", ident(named or parts[0]))]
        target = split_name(named) if named else parts
        db = target[0] if len(target) >= 2 else None
        schema = target[:2] if len(target) >= 2 and object_type == "SCHEMA" else (target[:2] if len(target) >= 3
                                                                                   else None)
        if db:
            out.append(Grant("USAGE", "DATABASE", ident(db)))
        if schema:
            out.append(Grant("USAGE", "SCHEMA", qualified(schema)))
        if object_type == "SCHEMA":
            if action != "USAGE" and schema:
                out.append(Grant(action, "SCHEMA", qualified(schema)))
            return out
        create = SCHEMA_CREATE.match(action)
        if create:
            if schema:
                out.append(Grant(f"CREATE {create.group(1).upper().replace('TEMPORARY ', '')}", "SCHEMA",
                                 qualified(schema)))
            return out
        if object_type == "STAGE":
            out.append(Grant(action if action in STAGE_PRIVILEGES else "READ", "STAGE", qualified(target)))
            return out
        if action in ("MERGE", "UPSERT"):
            privileges = ["INSERT", "UPDATE"]
        elif action in ("COPY", "COPY INTO"):
            privileges = ["INSERT"]
        else:
            privileges = [action]
        kind = object_type if object_type in ("TABLE", "VIEW", "EXTERNAL TABLE", "DYNAMIC TABLE", "MATERIALIZED VIEW",
                                              "SEQUENCE", "FUNCTION", "PROCEDURE") else "TABLE"
        for privilege in privileges:
            out.append(Grant(privilege, kind, qualified(target)))
        return out

    def role_sql(self, job: tuple[str, str]) -> str:
        role = self.roles[job]
        grants = self.grants.get(job, {})
        lines = [f"-- job {job[0]}/{job[1]}: least-privilege draft from observed use (REVIEW; nothing applied)",
                 f"CREATE ROLE IF NOT EXISTS {role};"]
        accounts = sorted({k[0] for k in grants})
        if accounts:
            lines.append(f"-- account(s): {', '.join(accounts)}")
        if not any(k[2] == "WAREHOUSE" for k in grants):
            lines.append("-- GRANT USAGE ON WAREHOUSE <WAREHOUSE> TO ROLE " + role
                         + ";  -- the events do not name the warehouse: fill it in")
        order = {"WAREHOUSE": 0, "DATABASE": 1, "SCHEMA": 2}
        merged: dict[tuple[str, str], list] = defaultdict(list)
        for (account, privilege, object_type, name), use in grants.items():
            merged[(object_type, name)].append((privilege, use))
        for (object_type, name) in sorted(merged, key=lambda k: (order.get(k[0], 3), k[1], k[0])):
            items = sorted(merged[(object_type, name)], key=lambda x: x[0])
            for privilege, use in items:
                lines.append(f"-- {privilege} on {name}: {use.why()}")
            privileges = ", ".join(p for p, _ in items)
            lines.append(f"GRANT {privileges} ON {object_type} {name} TO ROLE {role};")
        if self.failures.get(job):
            lines.append("-- attempted but failed (not granted):")
            lines += [f"--   {f}" for f in self.failures[job]]
        return "\n".join(lines) + "\n"

    # -- sensitive columns --------------------------------------------------------------------------

    def column_policies(self, sensitive: dict, usage: list[dict]) -> str:
        targets = [(c["namespace"], c["dataset"], c["column"], c["classifications"], False)
                   for c in sensitive["classified"]]
        targets += [(d["namespace"], d["dataset"], d["column"], d["classifications"], True)
                    for d in sensitive["derived"]]
        readers: dict[tuple, list[dict]] = defaultdict(list)
        for u in usage:
            readers[(u["namespace"], u["dataset"], u["column"])].append(u)
        out = ["-- Column policy proposals for sensitive Snowflake columns (Snowflake has no column-level GRANT).",
               "-- Projection policy: roles that only filter, join, group or sort on the column keep doing so",
               "-- but cannot select it. Masking policy: only roles that return the value see it in clear.",
               "-- REVIEW each proposal; nothing is applied.", ""]
        count = 0
        for ns, dataset, column, classes, derived in sorted(targets):
            if not ns.startswith("snowflake://"):
                continue
            parts = split_name(dataset)
            table = qualified(parts)
            schema = qualified(parts[:-1]) if len(parts) > 1 else None
            col = ident(column)
            uses = readers.get((ns, dataset, column), [])
            clear, indirect_only, masked, unused = [], [], [], []
            for u in uses:
                role = self.roles.get((u["job"]["namespace"], u["job"]["name"]),
                                      role_name(u["job"]["name"]))
                if u["returned"] or u["aggregated"]:
                    clear.append(role)
                elif u["masked"]:
                    masked.append(role)
                elif u["indirect"]:
                    indirect_only.append(role)
                else:
                    unused.append(role)
            base = re.sub(r"[^A-Z0-9_]", "_", f"{parts[-1]}_{column}".upper().replace('"', ""))
            prefix = f"{schema}." if schema else ""
            ctype = _sql_type(self.survey.columns.get((ns, dataset, column), {}).get("type"))
            out.append(f"-- {table}.{col}  [{', '.join(classes)}]" + ("  (derived)" if derived else ""))
            for label, roles in (("return it", clear), ("mask it themselves", masked),
                                 ("only filter/join/group/sort on it", indirect_only),
                                 ("read it without it reaching any output", unused)):
                if roles:
                    out.append(f"--   roles that {label}: {', '.join(sorted(set(roles)))}")
            if not uses:
                out.append("--   no reader in the window")
            # a role whose use of the column no output shows (fetched to the client?) keeps it, to be safe
            allowed = sorted(set(clear + masked + unused))
            if unused:
                out.append("--   (roles that read it without it reaching any output keep access: their use is not "
                           "visible in lineage; check them)")
            if indirect_only:
                out.append(f"CREATE PROJECTION POLICY IF NOT EXISTS {prefix}PP_{base} AS () RETURNS PROJECTION_CONSTRAINT ->")
                if allowed:
                    roles = ", ".join(f"'{r}'" for r in allowed)
                    out.append(f"  CASE WHEN CURRENT_ROLE() IN ({roles}) THEN PROJECTION_CONSTRAINT(ALLOW => true)")
                    out.append("       ELSE PROJECTION_CONSTRAINT(ALLOW => false) END;")
                else:
                    out.append("  PROJECTION_CONSTRAINT(ALLOW => false);")
                out.append(f"ALTER TABLE {table} MODIFY COLUMN {col} SET PROJECTION POLICY {prefix}PP_{base};")
            mask_expr = "SHA2(val)" if ctype == "STRING" else "NULL"
            in_clear = sorted(set(clear + unused))
            out.append(f"CREATE MASKING POLICY IF NOT EXISTS {prefix}MP_{base} AS (val {ctype}) RETURNS {ctype} ->")
            if in_clear:
                roles = ", ".join(f"'{r}'" for r in in_clear)
                out.append(f"  CASE WHEN CURRENT_ROLE() IN ({roles}) THEN val ELSE {mask_expr} END;")
            else:
                out.append(f"  {mask_expr};  -- no role needs the value in clear")
            out.append(f"ALTER TABLE {table} MODIFY COLUMN {col} SET MASKING POLICY {prefix}MP_{base};")
            if masked:
                out.append("--   roles that hash it themselves could read the masked value instead if their hash "
                           "matches " + mask_expr)
            if indirect_only:
                out.append("--   joins of masked values still match across tables masked the same way; "
                           "the projection policy above is the lighter option for these readers")
            out.append("")
            count += 1
        if not count:
            out.append("-- no sensitive Snowflake column in the window")
        return "\n".join(out) + "\n"

    # -- output ---------------------------------------------------------------------------------------

    def documents(self, sensitive: dict | None = None, usage: list[dict] | None = None) -> dict[str, str]:
        files: dict[str, str] = {}
        index = ["# Snowflake role drafts (from observed use; nothing applied)", ""]
        for job in sorted(self.roles):
            name = f"{slug(f'{job[0]}__{job[1]}')}.sql"
            files[name] = self.role_sql(job)
            index.append(f"- {job[0]}/{job[1]}: role {self.roles[job]} in {name} "
                         f"({len(self.grants.get(job, {}))} privilege(s))")
        if not self.roles:
            index.append("No Snowflake access in the window (no monkeypatch_access facet with system snowflake).")
        if sensitive is not None:
            files["column_policies.sql"] = self.column_policies(sensitive, usage or [])
            index.append("- column_policies.sql: masking/projection policy proposals for sensitive columns")
        files["README.md"] = "\n".join(index) + "\n"
        return files

    def render(self, sensitive: dict | None = None, usage: list[dict] | None = None) -> str:
        out = [self.role_sql(job) for job in sorted(self.roles)]
        if not self.roles:
            out.append("-- No Snowflake access in the window (no monkeypatch_access facet with system snowflake).\n")
        if sensitive is not None:
            out.append(self.column_policies(sensitive, usage or []))
        return "\n".join(out)

    def needed(self) -> dict[str, set[tuple[str, str, str]]]:
        """{role: {(privilege, object type, name)}} observed."""
        out: dict[str, set] = defaultdict(set)
        for job, grants in self.grants.items():
            for (_, privilege, object_type, name) in grants:
                out[self.roles[job]].add((privilege, object_type, name.upper()))
        return out


# -- diff against current grants ----------------------------------------------------------------

GRANT_RE = re.compile(r"^\s*GRANT\s+(?P<privs>.+?)\s+ON\s+(?P<what>.+?)\s+TO\s+ROLE\s+(?P<role>\S+?)\s*;?\s*$", re.I)
OBJECT_TYPES = ("EXTERNAL TABLE", "DYNAMIC TABLE", "MATERIALIZED VIEW", "FILE FORMAT", "TABLE", "VIEW", "SCHEMA",
                "DATABASE", "WAREHOUSE", "STAGE", "SEQUENCE", "FUNCTION", "PROCEDURE", "INTEGRATION")


def parse_snowflake_grants(text: str) -> tuple[list[tuple[str, str, str, str]], list[str]]:
    """[(role, privilege, object type, name)] from GRANT statements or SHOW GRANTS CSV; plus notes."""
    grants, notes = [], []
    first = text.lstrip().splitlines()[0] if text.strip() else ""
    if "privilege" in first.lower() and "granted_on" in first.lower():
        for row in csv.DictReader(io.StringIO(text)):
            row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
            if row.get("privilege") and row.get("granted_on") and row.get("name"):
                grants.append(((row.get("grantee_name") or row.get("grantee") or "").upper(),
                               row["privilege"].upper(), row["granted_on"].upper().replace("_", " "),
                               row["name"].upper()))
        return grants, notes
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("--", 1)[0].strip()
        if not line:
            continue
        match = GRANT_RE.match(line)
        if not match:
            notes.append(f"line {number}: not a GRANT ... TO ROLE statement, ignored")
            continue
        what = match.group("what").strip()
        upper = what.upper()
        if upper.startswith("FUTURE "):
            notes.append(f"line {number}: future grants are not compared")
            continue
        object_type, name = None, None
        if upper.startswith("ALL "):
            m = re.match(r"ALL\s+(.+?)\s+IN\s+SCHEMA\s+(\S+)", what, re.I)
            if m:
                object_type = m.group(1).upper().rstrip("S")
                name = m.group(2).upper() + ".*"
        else:
            for t in OBJECT_TYPES:
                if upper.startswith(t + " "):
                    object_type, name = t, what[len(t):].strip().upper()
                    break
        if not object_type:
            notes.append(f"line {number}: object type not understood, ignored")
            continue
        for privilege in match.group("privs").split(","):
            grants.append((match.group("role").strip('"').upper(), " ".join(privilege.upper().split()),
                           object_type, name))
    return grants, notes


def snowflake_diff(policies: SnowflakePolicies, text: str) -> str:
    current, notes = parse_snowflake_grants(text)
    needed = policies.needed()
    everything: dict[tuple, set[str]] = defaultdict(set)
    for role, items in needed.items():
        for item in items:
            everything[item].add(role)
    lines = ["-- Current grants not used in the survey window (REVIEW; nothing applied)", ""]
    by_role: dict[str, list] = defaultdict(list)
    for role, privilege, object_type, name in current:
        by_role[role].append((privilege, object_type, name))
    for role in sorted(by_role):
        mine = needed.get(role)
        scope = f"compared with what role {role}'s job used" if mine is not None else \
            "no job maps to this role: compared with what any job used"
        reference = mine if mine is not None else set(everything)
        unused = []
        for privilege, object_type, name in sorted(set(by_role[role])):
            if privilege in ("OWNERSHIP",):
                continue
            if object_type == "WAREHOUSE" and privilege == "USAGE":
                continue  # the events do not record the warehouse
            if not _sf_used(privilege, object_type, name, reference):
                unused.append((privilege, object_type, name))
        lines.append(f"-- role {role} ({scope}): {len(unused)} unused of {len(by_role[role])}")
        for privilege, object_type, name in unused:
            users = sorted({r for item, roles in everything.items() if _sf_match(item, privilege, object_type, name)
                            for r in roles})
            hint = f"  -- used by other roles: {', '.join(users)}" if users else ""
            lines.append(f"REVOKE {privilege} ON {_on(object_type, name)} FROM ROLE {role};{hint}")
        if mine is not None:
            missing = sorted(item for item in mine if not any(
                _sf_match(item, p, t, n) for p, t, n in by_role[role]))
            for privilege, object_type, name in missing:
                lines.append(f"-- used but not granted: {privilege} ON {object_type} {name}")
        lines.append("")
    missing_roles = sorted(set(needed) - set(by_role))
    for role in missing_roles:
        lines.append(f"-- role {role} is not in the current grants")
    lines += [f"-- note: {n}" for n in notes]
    return "\n".join(lines) + "\n"


def _on(object_type: str, name: str) -> str:
    if name.endswith(".*"):
        return f"ALL {object_type}S IN SCHEMA {name[:-2]}"
    return f"{object_type} {name}"


def _sf_match(item: tuple, privilege: str, object_type: str, name: str) -> bool:
    p, t, n = item
    if p != privilege:
        return False
    if name.endswith(".*"):
        return t == object_type and n.rsplit(".", 1)[0] == name[:-2]
    return t == object_type and n == name


def _sf_used(privilege: str, object_type: str, name: str, reference) -> bool:
    return any(_sf_match(item, privilege, object_type, name) for item in reference)


def aws_diff(policies: AwsPolicies, text: str) -> str:
    data = json.loads(text)
    docs: dict[str, dict] = {}
    if isinstance(data, dict) and "Statement" in data:
        docs["(current policy)"] = data
    elif isinstance(data, dict):
        docs = {k: v for k, v in data.items() if isinstance(v, dict)}
    observed: dict[tuple, list[tuple[str, str]]] = {}
    for job, p in policies.jobs.items():
        pairs = []
        for _, items in p["why"]:
            for action, resource, _use in items:
                pairs.append((action, resource.split(" prefix ", 1)[0]))
        observed[job] = pairs
    lines = ["Current IAM grants not used in the survey window (REVIEW; nothing applied)", ""]
    for key, doc in sorted(docs.items()):
        job = _job_for(key, policies.jobs)
        pairs = observed.get(job, []) if job else [x for v in observed.values() for x in v]
        scope = f"job {job[0]}/{job[1]}" if job else "any job (no job matches this name)"
        lines.append(f"== {key}: compared with {scope}")
        statements = doc.get("Statement") or []
        if isinstance(statements, dict):
            statements = [statements]
        for i, st in enumerate(statements):
            sid = st.get("Sid") or f"statement {i + 1}"
            if st.get("Effect", "Allow") != "Allow" or "NotAction" in st or "NotResource" in st:
                lines.append(f"  {sid}: skipped (Deny, NotAction or NotResource)")
                continue
            actions = st.get("Action") or []
            actions = [actions] if isinstance(actions, str) else list(actions)
            resources = st.get("Resource") or []
            resources = [resources] if isinstance(resources, str) else list(resources)
            for action in actions:
                for resource in resources:
                    hits = [(a, r) for a, r in pairs if fnmatch.fnmatchcase(a.lower(), action.lower())
                            and fnmatch.fnmatchcase(r, resource)]
                    if not hits:
                        lines.append(f"  {sid}: UNUSED  {action} on {resource}")
                    elif "*" in action or "*" in resource:
                        used = sorted({f"{a} on {r}" for a, r in hits})
                        shown = "; ".join(used[:5]) + (f"; … {len(used) - 5} more" if len(used) > 5 else "")
                        lines.append(f"  {sid}: BROADER than used  {action} on {resource}; used: {shown}")
            if st.get("Condition"):
                lines.append(f"  {sid}: conditions not compared")
        lines.append("")
    return "\n".join(lines) + "\n"


def _job_for(key: str, jobs: dict) -> tuple | None:
    for job in jobs:
        if key in (job[1], f"{job[0]}/{job[1]}", slug(f"{job[0]}__{job[1]}"), role_name(job[1])):
            return job
    return None

