import pytest

from releasegate.errors import PolicyError
from releasegate.policy.params import merge_layers

DEFAULTS = {
    "exceptions": {"max_duration_days": 90, "non_waivable_controls": ["CHG-1"]},
    "vulnerabilities": {"blocking_severity": {"0": "high", "3": "critical"}},
    "approvals": {"min_approvers": {"high": 2}},
    "controls": {"VUL-2": {"mode": "report"}, "ART-1": {"mode": "enforce"}},
}
OWNERS = {"VUL-2": "enterprise", "ART-1": "platform", "PAY-1": "application"}


def merge(*layers):
    return merge_layers(DEFAULTS, list(layers), owners=OWNERS)


def test_params_tightening_layers_apply_in_order():
    params = merge(
        ("enterprise", {"exceptions": {"max_duration_days": 60}}),
        ("platform", {"exceptions": {"max_duration_days": 30}}),
        ("application/payments-api", {"vulnerabilities": {"blocking_severity": {"3": "high"}},
                                      "approvals": {"min_approvers": {"high": 3}}}),
    )
    assert params["exceptions"]["max_duration_days"] == 30
    assert params["vulnerabilities"]["blocking_severity"] == {"0": "high", "3": "high"}
    assert params["approvals"]["min_approvers"]["high"] == 3
    assert params["exceptions"]["non_waivable_controls"] == ["CHG-1"]


def test_params_enterprise_may_set_any_value():
    params = merge(("enterprise", {"exceptions": {"max_duration_days": 180}}))
    assert params["exceptions"]["max_duration_days"] == 180


def test_params_loosening_maximum_rejected_naming_both_layers():
    with pytest.raises(PolicyError) as caught:
        merge(
            ("enterprise", {"exceptions": {"max_duration_days": 30}}),
            ("application/payments-api", {"exceptions": {"max_duration_days": 120}}),
        )
    assert caught.value.message == (
        "application/payments-api: parameter exceptions.max_duration_days loosened from 30 "
        "(set by enterprise) to 120 (set by application/payments-api)"
    )
    assert caught.value.hint == "a lower layer may only lower this maximum"


def test_params_loosening_against_builtin_default_rejected():
    with pytest.raises(PolicyError, match=r"approvals.min_approvers.high loosened from 2 \(set by builtin\) to 1"):
        merge(("platform", {"approvals": {"min_approvers": {"high": 1}}}))


def test_params_required_list_may_only_grow():
    params = merge(("platform", {"exceptions": {"non_waivable_controls": ["CHG-1", "SOD-5"]}}))
    assert params["exceptions"]["non_waivable_controls"] == ["CHG-1", "SOD-5"]
    with pytest.raises(PolicyError, match="may only add items to this required list"):
        merge(("platform", {"exceptions": {"non_waivable_controls": []}}))


def test_params_blocking_severity_may_only_lower():
    with pytest.raises(PolicyError, match=r"blocking_severity.0 loosened from 'high'.* to 'critical'"):
        merge(("platform", {"vulnerabilities": {"blocking_severity": {"0": "critical"}}}))


def test_params_lower_layer_cannot_shadow_higher_control():
    with pytest.raises(PolicyError, match=r"controls.ART-1.mode loosened from 'enforce'"):
        merge(("application/payments-api", {"controls": {"ART-1": {"mode": "report"}}}))


def test_params_owner_layer_may_shadow_own_control():
    params = merge(("platform", {"controls": {"ART-1": {"mode": "report"}}}))
    assert params["controls"]["ART-1"]["mode"] == "report"


def test_params_lower_layer_may_enforce_shadowed_control():
    params = merge(("application/payments-api", {"controls": {"VUL-2": {"mode": "enforce"}}}))
    assert params["controls"]["VUL-2"]["mode"] == "enforce"


def test_params_wrong_type_rejected():
    with pytest.raises(PolicyError, match=r"platform: parameter exceptions.max_duration_days is 'ninety': expected a finite number"):
        merge(("platform", {"exceptions": {"max_duration_days": "ninety"}}))


def test_params_bool_is_not_an_integer():
    with pytest.raises(PolicyError, match="expected an integer"):
        merge(("enterprise", {"approvals": {"min_approvers": {"high": True}}}))


def test_params_unknown_builtin_key_rejected():
    with pytest.raises(PolicyError, match="platform: unknown parameter exceptions.max_days"):
        merge(("platform", {"exceptions": {"max_days": 10}}))


def test_params_team_keys_merge_freely():
    params = merge(("enterprise", {"acme": {"pattern": "x"}}), ("platform", {"acme": {"pattern": "y"}}))
    assert params["acme"] == {"pattern": "y"}


def test_params_section_must_be_mapping():
    with pytest.raises(PolicyError, match="parameter exceptions must be a mapping"):
        merge(("platform", {"exceptions": [1, 2]}))


def test_params_lower_layer_cannot_shadow_unset_control():
    with pytest.raises(PolicyError, match=r"controls.PAY-9.mode loosened from 'enforce' \(set by builtin\) to 'report'"):
        merge_layers(DEFAULTS, [("application/svc", {"controls": {"PAY-9": {"mode": "report"}}})],
                     owners={"PAY-9": "platform"})


def test_params_lower_layer_cannot_narrow_scope():
    with pytest.raises(PolicyError, match=r"controls.ART-1.applies_to.tiers narrows control ART-1"):
        merge(("application/svc", {"controls": {"ART-1": {"applies_to": {"tiers": ["critical"]}}}}))


def test_params_owner_may_narrow_then_lower_may_widen():
    params = merge(
        ("platform", {"controls": {"ART-1": {"applies_to": {"tiers": ["critical"]}}}}),
        ("application/svc", {"controls": {"ART-1": {"applies_to": {"tiers": ["critical", "high"]}}}}),
    )
    assert params["controls"]["ART-1"]["applies_to"]["tiers"] == ["critical", "high"]


def test_params_lower_layer_cannot_turn_blocking_off():
    with pytest.raises(PolicyError, match=r"controls.ART-1.blocking loosened from True"):
        merge_layers(DEFAULTS, [("application/svc", {"controls": {"ART-1": {"blocking": False}}})],
                     owners=OWNERS, blocking={"ART-1": True})
