from __future__ import annotations

import pytest

from openlineage_monkeypatch.governance.classify import parse_rules
from openlineage_monkeypatch.governance.store import Store
from openlineage_monkeypatch.governance.survey import Sensitivity, Survey


class Surveyed:
    def __init__(self, store: Store, survey: Survey) -> None:
        self.store = store
        self.survey = survey
        self.summary = store.summary


@pytest.fixture
def survey_of(tmp_path):
    """survey_of(EventSet | [paths], classifications=yaml text, stop_at=..., since=..., until=...)."""
    stores = []

    def make(source, classifications: str | None = None, stop_at=("masking", "aggregation"), since=None, until=None,
             all_producers=False, extra_lines=()):
        import yaml

        if hasattr(source, "events"):
            paths = [source.write(tmp_path / f"events-{len(stores)}.ndjson", extra_lines)]
        else:
            paths = [str(p) for p in source]
        store = Store(memory_limit="512MB", threads=2)
        stores.append(store)
        store.load_files(paths)
        store.finish_loading(since, until, all_producers=all_producers)
        rules = parse_rules(yaml.safe_load(classifications)) if classifications else []
        return Surveyed(store, Survey(store, Sensitivity(stop_at=stop_at, rules=rules)))

    yield make
    for store in stores:
        store.close()
