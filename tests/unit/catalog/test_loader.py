from pathlib import Path

import pytest

from releasegate.catalog import load_catalog
from releasegate.errors import InputError
from releasegate.model import Criticality, DataClassification, FinanceProcess

EXAMPLE_CATALOG = Path(__file__).resolve().parents[3] / "examples" / "catalog.yaml"

VALID = """
apiVersion: releasegate/v1
kind: Catalog
groups:
  eng: {members: [Alice]}
  owners: {members: [dana]}
services:
  - name: svc
    title: A service
    criticality: 1
    data_classification: confidential
    regions: [eu-west-1]
    owners: {engineering: eng, business_control: owners}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_catalog_example_payments_service():
    catalog = load_catalog(EXAMPLE_CATALOG)
    payments = catalog.service("payments-api")
    assert payments is not None
    assert payments.criticality is Criticality.TIER_0
    assert payments.data_classification is DataClassification.REGULATED
    assert set(payments.finance_processes) == {FinanceProcess.PAYMENTS, FinanceProcess.RECONCILIATION}
    assert len(payments.regions) == 2
    assert payments.owners.business_control == "payments-control-owners"
    portal = catalog.service("reporting-portal")
    assert portal is not None and portal.criticality is Criticality.TIER_3
    assert catalog.cab_group == "change-advisory-board"


def test_catalog_identities_are_lowercased(tmp_path):
    catalog = load_catalog(write(tmp_path, VALID))
    assert catalog.groups_of("alice") == ("eng",)
    assert catalog.groups_of("ALICE") == ("eng",)


def test_catalog_wrong_criticality_names_field(tmp_path):
    path = write(tmp_path, VALID.replace("criticality: 1", "criticality: 7"))
    with pytest.raises(InputError, match=r"catalog.yaml: services\[0\]\.criticality: Input should be 0, 1, 2 or 3"):
        load_catalog(path)


def test_catalog_unknown_owner_group(tmp_path):
    path = write(tmp_path, VALID.replace("business_control: owners", "business_control: nobody"))
    with pytest.raises(InputError, match=r"services\[0\]\.owners\.business_control: owner group 'nobody' is not defined"):
        load_catalog(path)


def test_catalog_duplicate_service(tmp_path):
    text = VALID + VALID.split("services:\n", 1)[1]
    with pytest.raises(InputError, match=r"services\[1\]\.name: service 'svc' is defined twice"):
        load_catalog(write(tmp_path, text))


def test_catalog_empty_file(tmp_path):
    with pytest.raises(InputError, match="catalog.yaml: the file is empty"):
        load_catalog(write(tmp_path, "  \n"))


def test_catalog_invalid_yaml_names_position(tmp_path):
    with pytest.raises(InputError, match=r"catalog.yaml: line 3, column 1: invalid YAML: expected .,. or .\]."):
        load_catalog(write(tmp_path, "apiVersion: releasegate/v1\nkind: [Catalog\n"))


def test_catalog_wrong_kind(tmp_path):
    with pytest.raises(InputError, match="expected apiVersion 'releasegate/v1' and kind 'Catalog'"):
        load_catalog(write(tmp_path, VALID.replace("kind: Catalog", "kind: Other")))


def test_catalog_unknown_key_rejected(tmp_path):
    path = write(tmp_path, VALID.replace("    title: A service\n", "    title: A service\n    tier: 2\n"))
    with pytest.raises(InputError, match=r"services\[0\]\.tier: Extra inputs are not permitted"):
        load_catalog(path)


def test_catalog_missing_file(tmp_path):
    with pytest.raises(InputError, match="catalog not found"):
        load_catalog(tmp_path / "absent.yaml")


def test_catalog_duplicate_key_rejected(tmp_path):
    text = VALID.replace("    title: A service\n", "    title: A service\n    title: Another\n")
    with pytest.raises(InputError, match=r"line \d+, column \d+: invalid YAML: duplicate key 'title'"):
        load_catalog(write(tmp_path, text))


def test_catalog_alias_rejected(tmp_path):
    text = VALID.replace("  owners: {members: [dana]}", "  owners: {members: &m [dana]}\n  more: {members: *m}")
    with pytest.raises(InputError, match=r"YAML aliases \(\*name\) are not accepted"):
        load_catalog(write(tmp_path, text))


def test_catalog_deep_nesting_rejected(tmp_path):
    with pytest.raises(InputError, match="nested too deeply"):
        load_catalog(write(tmp_path, "a: " + "[" * 5000 + "]" * 5000 + "\n"))
