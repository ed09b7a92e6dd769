import shutil
from pathlib import Path

import pytest

from releasegate.errors import PolicyError
from releasegate.policy.layers import load_policy_set
from releasegate.policy.metadata import control_metadata

EXAMPLE_POLICIES = Path(__file__).resolve().parents[3] / "examples" / "policies"
STARTING_CONTROLS = {"CHG-1", "CHG-2", "SOD-1", "SOD-3", "TST-1", "VUL-1", "EXC-1"}


@pytest.fixture
def policies(tmp_path):
    target = tmp_path / "policies"
    shutil.copytree(EXAMPLE_POLICIES, target)
    return target


def test_layers_load_builtin_controls_and_custom_packages(policies):
    policy = load_policy_set(policies, "payments-api")
    assert STARTING_CONTROLS <= set(policy.controls)
    assert all(policy.controls[c].layer == "enterprise" for c in STARTING_CONTROLS)
    packages = {c.package: c.rules for c in policy.custom_packages}
    assert packages == {
        "enterprise.change_record": ("deny",),
        "platform.artifacts": ("deny", "warn"),
        "application.payments_api": ("deny",),
    }
    assert policy.params["acme"]["ticket_pattern"] == "^CHG-[0-9]+$"


def test_layers_application_layer_only_for_its_service(policies):
    policy = load_policy_set(policies, "reporting-portal")
    assert "application.payments_api" not in {c.package for c in policy.custom_packages}


def test_layers_revision_changes_with_one_byte(policies):
    before = load_policy_set(policies, "payments-api").revision
    assert load_policy_set(policies, "payments-api").revision == before
    data = policies / "platform" / "data.yaml"
    data.write_text(data.read_text() + " ")
    assert load_policy_set(policies, "payments-api").revision != before


def test_layers_revision_differs_per_application_layer(policies):
    assert load_policy_set(policies, "payments-api").revision != load_policy_set(
        policies, "reporting-portal"
    ).revision


def test_layers_missing_platform_layer(policies):
    shutil.rmtree(policies / "platform")
    with pytest.raises(PolicyError, match=r"policy layer folder .*platform not found"):
        load_policy_set(policies, "payments-api")


def test_layers_missing_policy_folder(tmp_path):
    with pytest.raises(PolicyError, match="policy folder .* not found"):
        load_policy_set(tmp_path / "nowhere", "payments-api")


def test_layers_reserved_package_rejected(policies):
    (policies / "platform" / "sneaky.rego").write_text(
        "package releasegate.controls.vul_1\nimport rego.v1\napplicable := false\n"
    )
    with pytest.raises(PolicyError, match="platform/sneaky.rego: package releasegate.controls.vul_1 is reserved"):
        load_policy_set(policies, "payments-api")


def test_layers_two_data_documents_rejected(policies):
    (policies / "enterprise" / "data.json").write_text("{}")
    with pytest.raises(PolicyError, match="enterprise: several data documents"):
        load_policy_set(policies, "payments-api")


def test_layers_data_document_must_be_mapping(policies):
    (policies / "platform" / "data.yaml").write_text("- a\n- b\n")
    with pytest.raises(PolicyError, match="data document must be a mapping"):
        load_policy_set(policies, "payments-api")


def test_layers_module_without_package(policies):
    (policies / "platform" / "broken.rego").write_text("import rego.v1\n")
    with pytest.raises(PolicyError, match="platform/broken.rego: no 'package' line found"):
        load_policy_set(policies, "payments-api")


def test_layers_test_modules_not_loaded(policies):
    policy = load_policy_set(policies, "payments-api")
    assert not any(m.label.endswith("_test.rego") for m in policy.modules)


METADATA_MODULE = """# METADATA
# title: Something checked
# description: Checks something.
# custom:
#   id: ABC-1
#   blocking: {blocking}
#   frameworks: [SOX]
#   solution: Do the thing.
package {package}

import rego.v1
"""


def test_metadata_reads_control():
    meta = control_metadata(
        METADATA_MODULE.format(blocking="true", package="releasegate.controls.abc_1"),
        path="x.rego",
        layer="enterprise",
    )
    assert meta is not None
    assert (meta.id, meta.title, meta.blocking, meta.frameworks, meta.solution) == (
        "ABC-1", "Something checked", True, ("SOX",), "Do the thing."
    )


def test_metadata_package_must_match_id():
    with pytest.raises(PolicyError, match="control ABC-1 must live in package releasegate.controls.abc_1"):
        control_metadata(
            METADATA_MODULE.format(blocking="true", package="releasegate.controls.other"),
            path="x.rego",
            layer="enterprise",
        )


def test_metadata_blocking_must_be_boolean():
    with pytest.raises(PolicyError, match="custom.blocking of ABC-1 must be true or false"):
        control_metadata(
            METADATA_MODULE.format(blocking="maybe", package="releasegate.controls.abc_1"),
            path="x.rego",
            layer="enterprise",
        )


def test_metadata_invalid_yaml():
    with pytest.raises(PolicyError, match="invalid YAML in a METADATA block before 'package p'"):
        control_metadata("# METADATA\n# title: [x\npackage p\n", path="x.rego", layer="platform")


def test_layers_application_cannot_turn_off_blocking(policies):
    (policies / "application" / "payments-api" / "data.yaml").write_text(
        "controls:\n  VUL-1:\n    blocking: false\n"
    )
    with pytest.raises(PolicyError, match=r"controls.VUL-1.blocking loosened from True \(set by builtin\) to False"):
        load_policy_set(policies, "payments-api")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("risk: {finance_process_points: {reconciliation: -50}}", "is -50: expected at least 0"),
        ("risk: {finance_process_points: {reconciliation: 0}}", "reconciliation loosened from 1"),
        ("risk: {criticality_points: {'9': -100}}", "is -100: expected at least 0"),
        ("exceptions: {max_duration_days: .nan}", "expected a finite number"),
    ],
    ids=["negative-points", "below-default-points", "negative-new-key", "nan"],
)
def test_layers_risk_and_number_loosening_rejected(policies, document, message):
    (policies / "application" / "payments-api" / "data.yaml").write_text(document + "\n")
    with pytest.raises(PolicyError, match=message):
        load_policy_set(policies, "payments-api")


def test_policy_cache_reused_until_edit(policies):
    first = load_policy_set(policies, "payments-api")
    again = load_policy_set(policies, "payments-api")
    assert again.modules is first.modules
    assert again.params == first.params
    # Each caller gets its own params: a change in one is not seen by the next.
    again.params["exceptions"]["max_duration_days"] = 1
    assert load_policy_set(policies, "payments-api").params == first.params
    data = policies / "platform" / "data.yaml"
    data.write_text("exceptions:\n  max_duration_days: 7\n")
    edited = load_policy_set(policies, "payments-api")
    assert edited.modules is not first.modules
    assert edited.revision != first.revision
    assert edited.params["exceptions"]["max_duration_days"] == 7
    assert first.params["exceptions"]["max_duration_days"] != 7
