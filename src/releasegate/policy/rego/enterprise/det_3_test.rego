package releasegate_test.controls.det_3

import rego.v1

import data.releasegate.controls.det_3

_ledger := {
	"verified": true,
	"verified_at": "2026-12-04T19:30:00Z",
	"size": 1042,
	"problems": [],
	"checkpoint": {"size": 1042, "root_hash": "6c2d...", "signature_verified": true, "key_id": "d3d3a70c"},
	"previous_checkpoint": {"size": 1030, "root_hash": "9a1f..."},
	"consistent_with_previous": true,
}

_det_3_messages(ledger) := {violation.msg |
	some violation in det_3.violation with input.ledger as ledger with input.now as "2026-12-04T20:00:00Z"
}

test_applicable if {
	det_3.applicable
}

test_verified_ledger_passes if {
	_det_3_messages(_ledger) == set()
}

test_first_checkpoint_passes if {
	_det_3_messages(object.union(_ledger, {"previous_checkpoint": null, "consistent_with_previous": null})) == set()
}

test_not_verified if {
	ledger := object.union(_ledger, {"verified": false, "problems": ["entry 17: leaf hash mismatch"]})
	_det_3_messages(ledger) == {"the ledger does not verify: entry 17: leaf hash mismatch; treat it as a possible tampering incident and restore the ledger from a verified copy"}
}

test_old_verification if {
	ledger := object.union(_ledger, {"verified_at": "2026-12-01T00:00:00Z"})
	_det_3_messages(ledger) == {"the ledger was last verified at 2026-12-01T00:00:00Z, not within the last 24 hours; verify it, for example from a scheduled job"}
}

test_unsigned_checkpoint if {
	ledger := object.union(_ledger, {"checkpoint": {"size": 1042, "signature_verified": false}})
	_det_3_messages(ledger) == {"the signature of the latest checkpoint (size 1042) does not verify against the log's keys; investigate it as tampering and sign a new checkpoint"}
}

test_no_checkpoint if {
	ledger := object.remove(_ledger, ["checkpoint"])
	"the ledger has no checkpoint; sign one with releasegate ledger checkpoint" in _det_3_messages(ledger)
}

test_inconsistent_checkpoint if {
	ledger := object.union(_ledger, {"consistent_with_previous": false})
	_det_3_messages(ledger) == {"the latest checkpoint (size 1042) is not shown to be consistent with the previous one (size 1030); investigate it as tampering, because the log must only grow"}
}

test_missing_status if {
	_det_3_messages(null) == {"the policy input has no ledger status (input.ledger); run releasegate ledger verify and evaluate the release through the gate"}
}
