"""Catalog settings the change analyses read: migration dialect and topic compatibility modes."""

from __future__ import annotations

from pathlib import Path

import pytest

from releasegate.catalog.loader import load_catalog
from releasegate.errors import InputError

CATALOG = """apiVersion: releasegate/v1
kind: Catalog
groups:
  eng: {{members: [alice]}}
  ctl: {{members: [dana]}}
services:
  - name: ledger-api
    title: Ledger
    criticality: 0
    data_classification: regulated
    regions: [eu-west-1]
    owners: {{engineering: eng, business_control: ctl}}
{extra}
"""


def _load(tmp_path: Path, extra: str) -> object:
    path = tmp_path / "catalog.yaml"
    path.write_text(CATALOG.format(extra=extra))
    return load_catalog(path)


def test_settings_are_optional(tmp_path: Path) -> None:
    service = _load(tmp_path, "").service("ledger-api")  # type: ignore[attr-defined]
    assert service.migrations is None
    assert service.event_topics == {}


def test_dialect_and_topic_modes_are_read(tmp_path: Path) -> None:
    extra = (
        "    migrations: {dialect: tsql, runner_transaction: per-file}\n"
        "    event_topics:\n"
        "      ledger.postings: {compatibility: FULL_TRANSITIVE}\n"
    )
    service = _load(tmp_path, extra).service("ledger-api")  # type: ignore[attr-defined]
    assert service.migrations.dialect == "tsql"
    assert service.migrations.runner_transaction == "per-file"
    assert service.event_topics["ledger.postings"].compatibility == "FULL_TRANSITIVE"


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ("    migrations: {dialect: sqlite}\n", "migrations.dialect"),
        ("    event_topics:\n      ledger.postings: {compatibility: NONE}\n", "compatibility"),
    ],
)
def test_unknown_values_are_rejected(tmp_path: Path, extra: str, field: str) -> None:
    with pytest.raises(InputError, match=field):
        _load(tmp_path, extra)
