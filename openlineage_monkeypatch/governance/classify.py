"""Column classifications (PII, ...) from tags facets, a small YAML file, or Marquez field tags.

The YAML file maps column patterns to one classification or a list of them:

    email: PII                          # a column named email in any dataset
    customers.csv.email: PII            # column email of datasets named .../customers.csv
    SALES.RAW.CUSTOMERS.PHONE: [PII, CONTACT]
    "s3://acme-raw/landing/*/customers.csv.name": PII   # globs (fnmatch) in either part

The column is what follows the last dot; the dataset part matches the dataset's full name, its
`namespace/name`, its last path segment, or a dotted suffix (TABLE, SCHEMA.TABLE), without regard to
case. An optional `classifications:` key may hold the mapping (or a list of {dataset, column, class}).
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass

CLASS_KEYS = frozenset({"classification", "class", "sensitivity", "label", "category", "data_classification",
                        "tag"})
FALSE_VALUES = frozenset({"false", "no", "0", "none", "off"})


@dataclass(frozen=True)
class Rule:
    dataset: str | None  # None: any dataset
    column: str
    classes: tuple[str, ...]

    def matches(self, namespace: str, name: str, column: str) -> bool:
        if not fnmatch.fnmatchcase(column.lower(), self.column.lower()):
            return False
        if self.dataset is None:
            return True
        return any(fnmatch.fnmatchcase(candidate.lower(), self.dataset.lower())
                   for candidate in dataset_aliases(namespace, name))


def dataset_aliases(namespace: str, name: str) -> list[str]:
    """The names a rule's dataset part may match: full, namespace/name, basename, dotted suffixes."""
    out = [name, f"{namespace}/{name}" if "://" in namespace else f"{namespace}:{name}"]
    stripped = name.rstrip("/")
    if "/" in stripped:
        out.append(stripped.rsplit("/", 1)[1])
    parts = stripped.split(".")
    if "/" not in stripped and len(parts) > 1:
        out.extend(".".join(parts[i:]) for i in range(1, len(parts)))
    return out


def tag_class(key: str | None, value: str | None) -> str | None:
    """The classification a tag stands for: the value of a `classification`-like key, else the key."""
    if not key:
        return None
    if (value or "").strip().lower() in FALSE_VALUES:
        return None
    if key.strip().lower() in CLASS_KEYS and value:
        return value.strip()
    return key.strip()


def _split_pattern(pattern: str) -> tuple[str | None, str]:
    pattern = pattern.strip()
    if "." not in pattern:
        return None, pattern
    dataset, column = pattern.rsplit(".", 1)
    return dataset, column


def _classes(value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple, set)):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return (str(value).strip(),) if str(value).strip() else ()


def parse_rules(data) -> list[Rule]:
    """Rules from parsed YAML (see the module docstring)."""
    if isinstance(data, dict) and "classifications" in data:
        data = data["classifications"]
    rules: list[Rule] = []
    if isinstance(data, dict):
        for pattern, value in data.items():
            if not isinstance(pattern, str) or not pattern.strip():
                continue
            dataset, column = _split_pattern(pattern)
            classes = _classes(value)
            if classes:
                rules.append(Rule(dataset, column, classes))
    elif isinstance(data, list):
        for item in data:
            if not isinstance(item, dict) or not item.get("column"):
                continue
            classes = _classes(item.get("class") or item.get("classification") or item.get("classes"))
            if classes:
                rules.append(Rule(item.get("dataset") or None, str(item["column"]), classes))
    return rules


def load_rules(path: str) -> list[Rule]:
    import yaml

    with open(os.path.expanduser(path), encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    rules = parse_rules(data)
    if data and not rules:
        raise ValueError(f"{path}: no classification found (expected e.g. `email: PII`)")
    return rules


def apply_rules(rules: list[Rule], columns) -> dict[tuple[str, str, str], set[str]]:
    """{(namespace, name, column): {classes}} for every known column a rule matches."""
    out: dict[tuple[str, str, str], set[str]] = {}
    if not rules:
        return out
    for namespace, name, column in columns:
        for rule in rules:
            if rule.matches(namespace, name, column):
                out.setdefault((namespace, name, column), set()).update(rule.classes)
    return out
